"""The Kubernetes workload rules (policy/rules/kubernetes.py) over the objects the program renders.

The DaemonSets are prod's own (hybrid/cni.py renders Terway per region and the calico-node
affinity patch from stacks/Pulumi.prod.yaml, as the plan sends them), taken apart the way a bad
change would: a term that lets virtual nodes in, a waiver gone, a mount added. Where the program
renders no such object, the shape is an upstream one (Amazon VPC CNI's ``aws-node``, a Pod with an
ephemeral debug container). Expectations come from Kubernetes' scheduling semantics (a required
nodeAffinity's terms are ORed, its expressions ANDed: k8s.io/api core/v1 NodeSelector), ACK's
virtual-node label (``type: virtual-kubelet``, the pack's default, ACK "ack-virtual-node" docs),
and the pack's documented waiver forms (a reason of 10+ characters).
"""

from __future__ import annotations


import pytest

from tests import policy_harness  # noqa: E402
from tests.policy_harness import UNKNOWN, run  # noqa: E402

from hybrid import calico, cni  # noqa: E402
from hybrid.model import load  # noqa: E402
from tests.conftest import stack_raw  # noqa: E402

DS, DS_PATCH, POD = "kubernetes:apps/v1:DaemonSet", "kubernetes:apps/v1:DaemonSetPatch", "kubernetes:core/v1:Pod"
VK = {"key": "type", "operator": "NotIn", "values": ["virtual-kubelet"]}  # ACK virtual nodes carry type=virtual-kubelet
CNI_RULE, PATHS_RULE, PRIV_RULE = "k8s-cni-off-virtual-kubelet", "k8s-allowed-host-paths", "k8s-privileged-needs-waiver"

_PROD = load(stack_raw("prod"))


def terway() -> dict:
    """prod's Terway DaemonSet of cn-beijing, as rendered for the plan."""
    return cni.terway_daemonset(_PROD.cni, "cn-beijing", "0" * 8)


def calico_patch() -> dict:
    return calico.calico_node_patch(_PROD.cni)


def pod_spec(obj: dict) -> dict:
    return obj["spec"] if obj.get("kind") == "Pod" else obj["spec"]["template"]["spec"]


def terms(obj: dict) -> list:
    return pod_spec(obj)["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]


def aws_node(volume_path: str = "/opt/cni/bin") -> dict:
    """Amazon VPC CNI's DaemonSet (github:aws/amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml), its
    CNI binary mount only: a CNI whose name the pack does not know, told apart by that directory."""
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "aws-node", "namespace": "kube-system"},
            "spec": {"template": {"metadata": {}, "spec": {
                "containers": [{"name": "aws-node", "image": "amazon-k8s-cni:v1.18.0",
                                "volumeMounts": [{"name": "cni-bin-dir", "mountPath": "/host/opt/cni/bin"}]}],
                "volumes": [{"name": "cni-bin-dir", "hostPath": {"path": volume_path}}]}}}}


def sentence(msg: str) -> str:
    return policy_harness.sentence(msg, paren=True)


# --- k8s-cni-off-virtual-kubelet ------------------------------------------------------------------

def test_prod_s_rendered_cni_objects_keep_off_virtual_nodes():
    # Terway's type NotIn [virtual-kubelet] sits third among its expressions: expressions on other
    # keys before it are read past, not taken as the term's verdict
    assert [e["key"] for e in terms(terway())[0]["matchExpressions"]].index("type") > 0
    assert run(CNI_RULE, DS, terway()) == []
    assert run(CNI_RULE, DS_PATCH, calico_patch()) == []


def test_the_calico_patch_is_judged_by_its_name_alone():
    # the patch carries only calico-node's affinity (no volumes): its name is all that says CNI
    bad = calico_patch()
    terms(bad)[0]["matchExpressions"] = [e for e in terms(bad)[0]["matchExpressions"] if e["key"] != "type"]
    (msg,) = run(CNI_RULE, DS_PATCH, bad)
    sentence(msg)
    assert "`type NotIn [virtual-kubelet]`" in msg and "CNI DaemonSet calico-node" in msg
    assert "nodeSelectorTerms[0]" in msg


@pytest.mark.parametrize("path", ["/opt/cni/bin", "/opt/cni/bin/", "/etc/cni/net.d"])
def test_a_cni_of_an_unknown_name_is_told_apart_by_the_cni_directories_it_mounts(path):
    (msg,) = run(CNI_RULE, DS, aws_node(path))
    sentence(msg)
    assert "CNI DaemonSet aws-node" in msg and "virtual nodes have no host network" in msg
    fixed = aws_node(path)
    pod_spec(fixed)["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [VK]}]}}}
    assert run(CNI_RULE, DS, fixed) == []


def test_a_daemonset_mounting_no_cni_directory_and_named_like_no_cni_is_out_of_scope():
    assert run(CNI_RULE, DS, aws_node("/var/lib/kubelet/device-plugins")) == []


@pytest.mark.parametrize("expr,lets_virtual_nodes_in", [
    (VK, False),
    ({"key": "type", "operator": "DoesNotExist"}, False),  # virtual nodes have the label
    ({"key": "type", "operator": "In", "values": ["idc", "ecs"]}, False),  # only other values
    ({"key": "type", "operator": "In", "values": ["virtual-kubelet"]}, True),
    ({"key": "type", "operator": "NotIn", "values": ["idc"]}, True),  # excludes something else
    ({"key": "type", "operator": "Exists"}, True),
])
def test_each_operator_on_the_virtual_node_label_is_read_as_the_scheduler_reads_it(expr, lets_virtual_nodes_in):
    ds = terway()
    terms(ds)[0]["matchExpressions"] = [e for e in terms(ds)[0]["matchExpressions"] if e["key"] != "type"] + [expr]
    assert bool(run(CNI_RULE, DS, ds)) is lets_virtual_nodes_in


def test_a_node_selector_on_another_value_of_the_label_already_keeps_the_cni_off():
    ds = terway()
    del pod_spec(ds)["affinity"]
    assert run(CNI_RULE, DS, ds)
    pod_spec(ds)["nodeSelector"] = {"type": "idc"}
    assert run(CNI_RULE, DS, ds) == []
    pod_spec(ds)["nodeSelector"] = {"type": "virtual-kubelet"}  # selects exactly the virtual nodes
    assert run(CNI_RULE, DS, ds)


def test_the_stack_s_virtual_node_label_is_the_one_required():
    cfg = {"virtualNodeLabelKey": "alibabacloud.com/virtual-node", "virtualNodeLabelValue": "true"}
    (msg,) = run(CNI_RULE, DS, terway(), cfg)  # excludes type=virtual-kubelet, not the configured label
    assert "`alibabacloud.com/virtual-node NotIn [true]`" in msg


def test_an_unknown_pod_spec_or_affinity_is_not_passed():
    ds = terway()
    ds["spec"]["template"]["spec"] = UNKNOWN
    (msg,) = run(CNI_RULE, DS, ds)
    assert "Make the DaemonSet's pod spec known" in msg
    ds = terway()
    pod_spec(ds)["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] = UNKNOWN
    (msg,) = run(CNI_RULE, DS, ds)
    assert "Make the DaemonSet's nodeAffinity known" in msg


# --- k8s-allowed-host-paths -----------------------------------------------------------------------

def _with_volume(obj: dict, volume: dict, mount_in: str = "terway") -> dict:
    spec = pod_spec(obj)
    spec["volumes"].append(volume)
    for c in spec.get("containers", []):
        if c["name"] == mount_in:
            c.setdefault("volumeMounts", []).append({"name": volume["name"], "mountPath": "/host-extra"})
    return obj


def test_prod_s_terway_with_its_host_root_waiver_passes_and_an_added_mount_is_still_reported():
    assert run(PATHS_RULE, DS, terway()) == []
    # the waived host root comes first; a disallowed mount after it is still read
    bad = _with_volume(terway(), {"name": "docker-sock", "hostPath": {"path": "/var/run/docker.sock"}})
    (msg,) = run(PATHS_RULE, DS, bad)
    sentence(msg)
    assert msg.startswith("Remove hostPath /var/run/docker.sock (volume docker-sock)") and "allowedHostPaths" in msg


def test_volumes_that_are_not_host_paths_do_not_stop_the_reading():
    ds = aws_node("/var/run/docker.sock")
    pod_spec(ds)["volumes"].insert(0, {"name": "config", "configMap": {"name": "aws-node"}})
    (msg,) = run(PATHS_RULE, DS, ds)
    assert "(volume cni-bin-dir)" in msg


def test_dot_segments_are_resolved_before_the_allowed_list_is_read():
    ds = aws_node("/etc/cni/./net.d")
    assert run(PATHS_RULE, DS, ds) == []
    ds = aws_node("/etc/cni/net.d/../../shadow")
    assert run(PATHS_RULE, DS, ds)


def test_the_stack_s_allowed_list_is_read_with_or_without_a_trailing_slash_and_slash_allows_all():
    ds = aws_node("/data/datasets")
    assert run(PATHS_RULE, DS, ds)
    assert run(PATHS_RULE, DS, ds, {"allowedHostPaths": ["/data/datasets/"]}) == []
    assert run(PATHS_RULE, DS, aws_node("/data/datasets/imagenet-1k"), {"allowedHostPaths": ["/data/datasets/"]}) == []
    assert run(PATHS_RULE, DS, ds, {"allowedHostPaths": ["/"]}) == []


def test_an_unknown_spec_volume_list_or_path_is_not_passed_and_names_what_is_unknown():
    ds = aws_node("/var/run/docker.sock")
    ds["spec"]["template"]["spec"] = UNKNOWN
    assert "Make the pod spec known" in run(PATHS_RULE, DS, ds)[0]
    ds = aws_node("/var/run/docker.sock")
    pod_spec(ds)["volumes"] = UNKNOWN
    assert "Make spec.volumes known" in run(PATHS_RULE, DS, ds)[0]
    ds = aws_node("/var/run/docker.sock")
    pod_spec(ds)["volumes"].insert(0, {"name": "u", "hostPath": {"path": UNKNOWN}})
    unknown, bad = run(PATHS_RULE, DS, ds)
    assert "Make volumes[0].hostPath.path known" in unknown
    assert "(volume cni-bin-dir)" in bad  # the unknown one does not end the reading


def test_a_host_root_reason_of_ten_characters_is_enough_and_nine_is_not():
    # the waiver form the pack documents (hybrid/waivers.py): a reason of 10+ characters
    def waived(reason: str) -> dict:
        ds = terway()
        ds["metadata"]["annotations"] = {"hybrid-gpu.io/host-root-init.terway-init": reason}
        return ds
    assert run(PATHS_RULE, DS, waived("chroot: x1")) == []
    assert run(PATHS_RULE, DS, waived("chroot x1"))


def test_an_ephemeral_container_mounting_the_host_root_is_refused_even_with_the_init_waiver():
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "debug", "annotations": {"hybrid-gpu.io/host-root-init.setup": "reads the host's machine-id"}},
           "spec": {"volumes": [{"name": "host-root", "hostPath": {"path": "/"}}],
                    "initContainers": [{"name": "setup", "image": "i", "volumeMounts": [{"name": "host-root", "mountPath": "/host"}]}],
                    "containers": [{"name": "main", "image": "i"}]}}
    assert run(PATHS_RULE, POD, pod) == []
    pod["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox",
                                           "volumeMounts": [{"name": "host-root", "mountPath": "/host"}]}]
    assert run(PATHS_RULE, POD, pod)


# --- k8s-privileged-needs-waiver ------------------------------------------------------------------

def _no_privileged_waiver(obj: dict) -> dict:
    """The object without its two waivers of privileged (checkov's CKV_K8S_16, kube-linter's privileged-container)."""
    ann = obj["metadata"]["annotations"]
    obj["metadata"]["annotations"] = {k: v for k, v in ann.items() if not v.startswith("CKV_K8S_16=")
                                      and k != "ignore-check.kube-linter.io/privileged-container"}
    assert len(obj["metadata"]["annotations"]) == len(ann) - 2
    return obj


def test_prod_s_terway_init_is_privileged_under_its_checkov_waiver_and_refused_without_it():
    assert run(PRIV_RULE, DS, terway()) == []
    (msg,) = run(PRIV_RULE, DS, _no_privileged_waiver(terway()))
    sentence(msg)
    assert "initContainers[0] (terway-init)" in msg
    assert "`checkov.io/skip1: CKV_K8S_16=<reason>`" in msg and "`hybrid-gpu.io/privileged-reason: <reason>`" in msg


def test_every_privileged_container_is_named_in_one_message():
    ds = _no_privileged_waiver(terway())
    for c in pod_spec(ds)["containers"]:
        c.setdefault("securityContext", {})["privileged"] = True
    (msg,) = run(PRIV_RULE, DS, ds)
    assert "from initContainers[0] (terway-init), containers[0] (terway) or waive" in msg


def test_a_privileged_ephemeral_container_needs_the_waiver_too():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug"},
           "spec": {"containers": [{"name": "main", "image": "i"}],
                    "ephemeralContainers": [{"name": "debugger", "image": "busybox", "securityContext": {"privileged": True}}]}}
    (msg,) = run(PRIV_RULE, POD, pod)
    assert "ephemeralContainers[0] (debugger)" in msg


def test_a_skip_of_another_checkov_check_or_an_unknown_key_waives_nothing():
    ds = _no_privileged_waiver(terway())
    assert any(v.startswith("CKV_K8S_20=") for v in ds["metadata"]["annotations"].values())  # kept: not a waiver
    assert run(PRIV_RULE, DS, ds)
    ds["metadata"]["annotations"]["hybrid-gpu.io/note"] = "CKV_K8S_16=terway-init sets host sysctls"
    assert run(PRIV_RULE, DS, ds)


@pytest.mark.parametrize("reason,waived", [
    ("sets x=1 and loads the kernel modules it needs", True),  # an '=' inside the reason is part of it
    ("sets rp_filter=0 on eth0", True),  # the reason is all after the first '=', not after the last
    ("sysctl: x1", True),  # exactly ten
    ("sysctl x1", False),
])
def test_a_checkov_waiver_s_reason_is_everything_after_the_check_id(reason, waived):
    ds = _no_privileged_waiver(terway())
    ds["metadata"]["annotations"]["checkov.io/skip4"] = f"CKV_K8S_16={reason}"
    assert (run(PRIV_RULE, DS, ds) == []) is waived


@pytest.mark.parametrize("key", ["hybrid-gpu.io/privileged-reason", "ignore-check.kube-linter.io/privileged-container"])
def test_a_reason_of_ten_characters_under_the_named_keys_is_enough_and_nine_is_not(key):
    ds = _no_privileged_waiver(terway())
    ds["metadata"]["annotations"][key] = "sysctl: x1"
    assert run(PRIV_RULE, DS, ds) == []
    ds["metadata"]["annotations"][key] = "sysctl x1"
    assert run(PRIV_RULE, DS, ds)


def test_a_waiver_on_the_pod_template_counts():
    ds = _no_privileged_waiver(terway())
    ds["spec"]["template"].setdefault("metadata", {})["annotations"] = {
        "hybrid-gpu.io/privileged-reason": "terway-init sets rp_filter and loads sch_htb"}
    assert run(PRIV_RULE, DS, ds) == []


def test_unknown_privilege_spec_or_annotations_are_not_passed():
    ds = terway()
    pod_spec(ds)["containers"][0]["securityContext"] = {"privileged": UNKNOWN}
    (msg,) = run(PRIV_RULE, DS, ds)
    assert "Make containers[0].securityContext.privileged known" in msg
    ds = terway()
    ds["spec"]["template"]["spec"] = UNKNOWN
    assert "Make the pod spec known" in run(PRIV_RULE, DS, ds)[0]
    ds = terway()
    ds["metadata"]["annotations"] = UNKNOWN
    (msg,) = run(PRIV_RULE, DS, ds)
    assert "Make the workload's annotations known" in msg
    ds = terway()
    ds["metadata"]["annotations"]["checkov.io/skip4"] = UNKNOWN
    (msg,) = run(PRIV_RULE, DS, ds)
    assert "Make the workload's annotations known" in msg


def test_paths_match_on_whole_segments_only():
    # a directory is "under" another only past a "/": /srv/dataX is not /srv/data, nor /etc/cni/net.dX /etc/cni/net.d
    assert run(PATHS_RULE, DS, aws_node("/srv/data/keys"), {"allowedHostPaths": ["/srv/dataX"]})
    assert run(PATHS_RULE, DS, aws_node("/srv/dataX/cache"), {"allowedHostPaths": ["/srv/dataX"]}) == []
    assert run(CNI_RULE, DS, aws_node("/etc/cni/net.dX")) == []
