"""hybrid.node_daemonset: where the per-node GPU agents' pods may run, checked with the scheduler's own rules.

- Taints and tolerations (kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration): a
  toleration matches a taint with the same key and effect (an empty effect matches every effect); operator
  Exists matches any value, Equal only the same value. A pod goes to a node only if every NoSchedule /
  NoExecute taint is tolerated. Written again below (``_schedulable``) as the second implementation.
- Required node affinity (kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node): a node matches a
  term when it matches every one of the term's match expressions (In: the label's value is listed; Exists:
  the label is set; NotIn / DoesNotExist the reverse).
- The upstream DaemonSets the skeleton reproduces (github:NVIDIA/k8s-device-plugin deployments/static/
  nvidia-device-plugin.yml): priorityClassName system-node-critical, the nvidia.com/gpu:NoSchedule
  toleration, RollingUpdate. system-node-critical is one of the two built-in priority classes
  (kubernetes.io/docs/tasks/administer-cluster/guaranteed-scheduling-critical-addon-pods).
- apps/v1 DaemonSet: spec.selector must match the template's labels (API validation), checked with
  kubernetes_validate against the OpenAPI schema.
"""

from __future__ import annotations

import kubernetes_validate

from hybrid.model.gpu import Taint
from hybrid.node_daemonset import gpu_tolerations, node_daemonset

GPU_NODE_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}


def _tolerates(tol: dict, taint: dict) -> bool:
    if tol.get("effect") and tol["effect"] != taint["effect"]:
        return False
    if tol.get("key") and tol["key"] != taint["key"]:
        return False
    if tol.get("operator", "Equal") == "Exists":
        return True
    return tol.get("value", "") == taint.get("value", "")


def _matches(expr: dict, labels: dict) -> bool:
    op, key = expr["operator"], expr["key"]
    if op == "In":
        return key in labels and labels[key] in expr["values"]
    if op == "NotIn":
        return key not in labels or labels[key] not in expr["values"]
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    raise AssertionError(op)


def _schedulable(ds: dict, labels: dict, taints: list[dict]) -> bool:
    spec = ds["spec"]["template"]["spec"]
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    if not any(all(_matches(e, labels) for e in t["matchExpressions"]) for t in terms):
        return False
    return all(any(_tolerates(tol, t) for tol in spec["tolerations"])
               for t in taints if t["effect"] in ("NoSchedule", "NoExecute"))


def _ds(taints=(), match=None):
    match = match if match is not None else [
        {"key": "hybrid.example.com/gpu-pool", "operator": "In", "values": ["a10", "a10-elastic"]},
        {"key": "nvidia.com/gpu.present", "operator": "Exists"}]
    return node_daemonset("nvidia-device-plugin-cn-beijing", "kube-system", {"app": "nvidia-device-plugin"}, match,
                          gpu_tolerations(taints), {"name": "plugin", "image": "registry.example/plugin:v0.17.0"},
                          [{"name": "dp", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}])


GPU_NODE = {"hybrid.example.com/gpu-pool": "a10", "nvidia.com/gpu.present": "true"}


def test_the_pod_runs_on_a_gpu_node_of_a_selected_pool_despite_its_taints():
    taints = [Taint(key="dedicated", value="gpu", effect="NoSchedule"),
              Taint(key="hybrid.example.com/cloud", value="true", effect="NoExecute")]
    ds = _ds(taints)
    node_taints = [GPU_NODE_TAINT, {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
                   {"key": "hybrid.example.com/cloud", "value": "true", "effect": "NoExecute"}]
    assert _schedulable(ds, GPU_NODE, node_taints)


def test_a_pool_taint_with_another_value_or_effect_is_not_tolerated():
    ds = _ds([Taint(key="dedicated", value="gpu", effect="NoSchedule")])
    assert not _schedulable(ds, GPU_NODE, [{"key": "dedicated", "value": "training", "effect": "NoSchedule"}])
    assert not _schedulable(ds, GPU_NODE, [{"key": "dedicated", "value": "gpu", "effect": "NoExecute"}])
    assert not _schedulable(_ds(), GPU_NODE, [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])


def test_the_pod_stays_off_a_node_missing_any_one_expression():
    ds = _ds()
    assert not _schedulable(ds, {"hybrid.example.com/gpu-pool": "a10"}, [])
    assert not _schedulable(ds, {"hybrid.example.com/gpu-pool": "t4", "nvidia.com/gpu.present": "true"}, [])
    assert _schedulable(ds, {"hybrid.example.com/gpu-pool": "a10-elastic", "nvidia.com/gpu.present": "true"}, [])


def test_tolerations_are_the_gpu_one_then_each_distinct_pool_taint_in_first_seen_order():
    taints = [Taint(key="b", value="1", effect="NoSchedule"), Taint(key="a", value="", effect="PreferNoSchedule"),
              Taint(key="b", value="1", effect="NoSchedule"), Taint(key="b", value="2", effect="NoSchedule"),
              Taint(key="b", value="1", effect="NoExecute")]
    assert gpu_tolerations(taints) == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "b", "operator": "Equal", "value": "1", "effect": "NoSchedule"},
        {"key": "a", "operator": "Equal", "value": "", "effect": "PreferNoSchedule"},
        {"key": "b", "operator": "Equal", "value": "2", "effect": "NoSchedule"},
        {"key": "b", "operator": "Equal", "value": "1", "effect": "NoExecute"},
    ]


def test_the_gpu_toleration_is_a_fresh_copy_each_time():
    first = gpu_tolerations([])
    first[0]["effect"] = "NoExecute"
    assert gpu_tolerations([])[0]["effect"] == "NoSchedule"


def test_the_daemonset_is_valid_apps_v1_whose_selector_selects_its_own_pods():
    ds = _ds([Taint(key="dedicated", value="gpu")])
    kubernetes_validate.validate(ds, "1.30", strict=True)
    assert ds["apiVersion"] == "apps/v1" and ds["kind"] == "DaemonSet"
    assert ds["metadata"]["name"] == "nvidia-device-plugin-cn-beijing" and ds["metadata"]["namespace"] == "kube-system"
    selector = ds["spec"]["selector"]["matchLabels"]
    template = ds["spec"]["template"]["metadata"]["labels"]
    assert selector and all(template.get(k) == v for k, v in selector.items())
    assert ds["metadata"]["labels"] == {"app": "nvidia-device-plugin"}


def test_the_labels_passed_in_are_not_shared_between_the_objects_parts():
    labels = {"app": "dcgm-exporter"}
    ds = node_daemonset("dcgm-exporter-a10", "monitoring", labels, [], [], {"name": "c"}, [])
    ds["spec"]["template"]["metadata"]["labels"]["pool"] = "a10"
    assert ds["spec"]["selector"]["matchLabels"] == {"app": "dcgm-exporter"} == ds["metadata"]["labels"] == labels


def test_the_pod_runs_as_upstream_runs_it():
    spec = _ds()["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate"}
    pod = spec["template"]["spec"]
    assert pod["priorityClassName"] == "system-node-critical"
    assert pod["automountServiceAccountToken"] is False  # neither agent calls the API server (checkov CKV_K8S_38)
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["containers"] == [{"name": "plugin", "image": "registry.example/plugin:v0.17.0"}]
    assert pod["volumes"] == [{"name": "dp", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}]
