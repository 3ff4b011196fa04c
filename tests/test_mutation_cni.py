"""hybrid/cni.py rendered directly (pure, no Pulumi mocks): every object checked against what the
API server accepts and against the upstream objects it follows.

Sources of the expectations:
* Kubernetes: the API's schema (kubernetes_validate, the cluster's version) and its validation rules
  (k8s.io/kubernetes pkg/apis/core/validation/validation.go: volume mounts name a volume, requests
  never exceed limits, privileged with allowPrivilegeEscalation false is refused), HostPathType
  (k8s.io/api core/v1 types.go), the quantity grammar (k8s.io/apimachinery pkg/api/resource/quantity.go).
* Terway: terway@release-1.16 charts/terway/templates/terwayd/{daemonset,configmap,clusterrole,role}.yaml
  and types/daemon/config.go (eni_conf keys).
* kubeadm's kube-proxy: kubernetes cmd/kubeadm/app/phases/addons/proxy/manifests.go.
* The terway-eniip addon keys: terraform-provider-alicloud@81c43b67 (docs and acceptance test, see
  hybrid/cni.py), the rest hybrid/unconfirmed.py.
"""

from __future__ import annotations

import hashlib
import json
import re

import kubernetes_validate as kv
import pytest

from hybrid import cni, identity
from hybrid.model import load
from tests.k8s_affinity import Node, placement

REGION = cni.TerwayRegion("cn-beijing", {"cn-beijing-k": "vsw-k", "cn-beijing-h": "vsw-h"}, ["sg-2", "sg-1"])

# k8s.io/api core/v1 types.go HostPathType.
HOST_PATH_TYPES = {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"}
# k8s.io/apimachinery pkg/api/resource/quantity.go: <signedNumber><suffix>, suffix binary, decimal SI or exponent.
QUANTITY = re.compile(r"^(?P<n>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?P<s>Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$")
# k8s.io/api core/v1 types.go: ResourceCPU, ResourceMemory, ResourceEphemeralStorage.
STANDARD_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
_SCALE = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def _quantity(q: str) -> float:
    m = QUANTITY.match(q)
    assert m, f"{q!r} is not a Kubernetes quantity"
    return float(m["n"]) * _SCALE[m["s"] or ""]


@pytest.fixture
def prod(prod_raw):
    return load(prod_raw)


def _spec(ds):
    return ds["spec"]["template"]["spec"]


def _containers(ds):
    spec = _spec(ds)
    return {c["name"]: c for c in spec.get("initContainers", []) + spec["containers"]}


def _volumes(ds):
    return {v["name"]: v for v in _spec(ds)["volumes"]}


def _mounts(container):
    return {m["name"]: m for m in container["volumeMounts"]}


def _env(container):
    return {e["name"]: e.get("valueFrom", e.get("value")) for e in container["env"]}


def _api_rules(ds):
    """What the API server's validation refuses in a pod template (validation.go), checked per container."""
    vols = _volumes(ds)
    for name, c in _containers(ds).items():
        for m in c["volumeMounts"]:
            assert m["name"] in vols, f"{name}: mount {m['name']} names no volume"
            assert m["mountPath"].startswith("/"), (name, m)
        assert len({m["mountPath"] for m in c["volumeMounts"]}) == len(c["volumeMounts"]), name
        res = c["resources"]
        # Resource names without a domain must be standard ones (validation.go validateContainerResourceName).
        for name_ in [*res["requests"], *res.get("limits", {})]:
            assert name_ in STANDARD_RESOURCES or name_.startswith("hugepages-") or "/" in name_, (name, name_)
        for kind in ("cpu", "memory"):
            if kind in res.get("limits", {}):
                assert _quantity(res["requests"][kind]) <= _quantity(res["limits"][kind]), (name, kind)
        for q in [*res["requests"].values(), *res.get("limits", {}).values()]:
            _quantity(q)
        # Requests and limits fit the smallest cloud node these daemons run on: prod's ecs.gn6i-c16g1.4xlarge,
        # 16 vCPUs and 62 GiB (hybrid/instance_types.py, Alibaba's gn6i family page).
        for part in (res["requests"], res.get("limits", {})):
            assert _quantity(part.get("cpu", "0")) <= 16 and _quantity(part.get("memory", "0")) <= 62 * 2**30, name
        ctx = c["securityContext"]
        assert not (ctx.get("privileged") and ctx.get("allowPrivilegeEscalation") is False), name
        # The kubelet refuses to start runAsNonRoot with uid 0 (kuberuntime_container.go verifyRunAsNonRoot).
        assert not (ctx.get("runAsNonRoot") and ctx.get("runAsUser") == 0), name
    for v in vols.values():
        if "hostPath" in v:
            assert v["hostPath"].get("type", "") in HOST_PATH_TYPES, v


# --- match_expr and placement -----------------------------------------------------------------

def test_match_expr_gives_values_only_to_operators_that_take_them():
    # core/v1 NodeSelectorRequirement: Exists/DoesNotExist must carry no values, In/NotIn one or more.
    assert cni.match_expr("k", "Exists") == {"key": "k", "operator": "Exists"}
    assert cni.match_expr("k", "In", "a", "b") == {"key": "k", "operator": "In", "values": ["a", "b"]}


def _pod(affinity):
    return {"affinity": affinity, "tolerations": [{"operator": "Exists"}]}


def test_terway_runs_on_cloud_linux_nodes_of_its_region_only(prod):
    spec = _pod(cni.terway_affinity(prod.cni, "cn-beijing"))
    cloud = {"alibabacloud.com/external": "true", "topology.kubernetes.io/region": "cn-beijing",
             "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    runs = [Node("cloud", cloud), Node("arm", {**cloud, "kubernetes.io/arch": "arm64"}),
            Node("opted-in", {**cloud, "k8s.aliyun.com/ignore-by-terway": "false"})]
    stays_off = [
        Node("idc", {k: v for k, v in cloud.items() if k != "alibabacloud.com/external"}),
        Node("other-region", {**cloud, "topology.kubernetes.io/region": "cn-hangzhou"}),
        Node("virtual", {**cloud, "type": "virtual-kubelet"}),
        # Alibaba's opt-out label (terway docs: nodes labelled k8s.aliyun.com/ignore-by-terway=true are skipped).
        Node("opted-out", {**cloud, "k8s.aliyun.com/ignore-by-terway": "true"}),
        Node("windows", {**cloud, "kubernetes.io/os": "windows"}),
        Node("s390x", {**cloud, "kubernetes.io/arch": "s390x"}),
    ]
    for n in runs:
        assert placement(spec, n) == (True, ""), n.name
    for n in stays_off:
        assert placement(spec, n) == (False, "nodeAffinity"), n.name


# --- eni-config -------------------------------------------------------------------------------

# terway@release-1.16 types/daemon/config.go (json tags of Config) and the chart's eni_conf.
ENI_CONF_KEYS = {"version", "region_id", "service_cidr", "vswitches", "security_groups", "max_pool_size", "min_pool_size",
                 "vswitch_selection_policy", "ip_stack", "enable_eni_trunking", "credential_path"}


def test_eni_conf_follows_terways_config(prod):
    conf = cni.eni_conf(prod.cni, prod.idc, REGION)
    assert set(conf) <= ENI_CONF_KEYS
    assert conf["version"] == "1"  # the chart's eni_conf
    assert conf["region_id"] == "cn-beijing" and conf["service_cidr"] == prod.idc.service_cidr
    # {zone: [vSwitch ids]}, every zone given.
    assert conf["vswitches"] == {"cn-beijing-h": ["vsw-h"], "cn-beijing-k": ["vsw-k"]}
    assert list(conf["vswitches"]) == ["cn-beijing-h", "cn-beijing-k"]
    assert conf["security_groups"] == ["sg-1", "sg-2"]
    assert (conf["max_pool_size"], conf["min_pool_size"]) == (prod.cni.terway.max_pool_size, prod.cni.terway.min_pool_size)
    assert conf["vswitch_selection_policy"] in ("random", "ordered")
    assert conf["vswitch_selection_policy"] == prod.cni.terway.vswitch_selection_policy
    assert conf["ip_stack"] == "ipv4" and conf["enable_eni_trunking"] is False
    assert "credential_path" not in conf  # instanceRole: nothing that outranks the node role
    dual = cni.eni_conf(prod.cni, prod.idc, cni.TerwayRegion("cn-beijing", REGION.pod_vswitches, ["sg-1"], ipv6=True))
    assert dual["ip_stack"] == "dual"


def test_eni_conf_names_the_credential_file_in_credential_file_mode(prod):
    terway = prod.cni.terway.model_copy(update={"credentials": "credentialFile"})
    conf = cni.eni_conf(prod.cni.model_copy(update={"terway": terway}), prod.idc, REGION)
    # The chart mounts addon.network.token at /var/addon, item token-config.
    assert conf["credential_path"] == "/var/addon/token-config"


@pytest.mark.parametrize("groups,ok", [([], False), (["sg-1"], True), ([f"sg-{i}" for i in range(10)], True),
                                       ([f"sg-{i}" for i in range(11)], False)])
def test_security_group_count_bounds(prod, groups, ok):
    """Terway takes 1..10 security groups (types/daemon/config.go, the ENI's limit)."""
    region = cni.TerwayRegion("cn-beijing", {"z": "vsw-1"}, groups)
    for fn in (lambda: cni.eni_conf(prod.cni, prod.idc, region), lambda: cni.addon_config(prod.cni, region)):
        if ok:
            fn()
        else:
            with pytest.raises(ValueError, match=f"cn-beijing: Terway takes 1..10 security groups, got {len(groups)}$"):
                fn()


def test_a_region_without_pod_vswitches_is_refused_by_both_install_modes(prod):
    region = cni.TerwayRegion("cn-beijing", {}, ["sg-1"])
    for fn in (lambda: cni.eni_conf(prod.cni, prod.idc, region), lambda: cni.addon_config(prod.cni, region)):
        with pytest.raises(ValueError, match="^region cn-beijing has no pod vSwitches; Terway would use the node vSwitch$"):
            fn()


def test_eni_config_data_is_the_charts_configmap(prod):
    data = cni.eni_config_data(prod.cni, prod.idc, REGION)
    # chart configmap.yaml: the four keys, policy off, in-cluster load balancing on.
    assert set(data) == {"eni_conf", "10-terway.conf", "disable_network_policy", "in_cluster_loadbalance"}
    assert data["disable_network_policy"] == "true" and data["in_cluster_loadbalance"] == "true"
    assert json.loads(data["eni_conf"]) == cni.eni_conf(prod.cni, prod.idc, REGION)
    conf = json.loads(data["10-terway.conf"])
    assert conf == {"cniVersion": "0.4.0", "name": "terway", "type": "terway", "capabilities": {"bandwidth": True}}
    # Canonical text: sorted keys, two-space indent, a final newline (same network, same bytes).
    assert data["10-terway.conf"] == ('{\n  "capabilities": {\n    "bandwidth": true\n  },\n  "cniVersion": "0.4.0",\n'
                                      '  "name": "terway",\n  "type": "terway"\n}\n')
    assert data["eni_conf"].startswith('{\n  "enable_eni_trunking": false,\n') and data["eni_conf"].endswith("\n}\n")


def test_config_checksum_is_the_sha256_of_the_data_and_ignores_key_order():
    a = {"b": "2", "a": "1"}
    assert cni.config_checksum(a) == cni.config_checksum({"a": "1", "b": "2"})
    # Worked by hand: the canonical JSON of {"a": "1"}.
    assert cni.config_checksum({"a": "1"}) == hashlib.sha256(b'{"a": "1"}').hexdigest()
    assert cni.config_checksum(a) != cni.config_checksum({"a": "1", "b": "3"})


def test_config_map_is_valid_and_named_per_region(prod):
    data = cni.eni_config_data(prod.cni, prod.idc, REGION)
    cm = cni.terway_config_map("cn-beijing", data)
    kv.validate(cm, prod.idc.kubernetes_version, strict=True)
    assert cm["metadata"]["name"] == "eni-config-cn-beijing" and cm["metadata"]["namespace"] == "kube-system"
    assert cm["data"] == data
    assert cm["metadata"]["labels"]["app.kubernetes.io/instance"] == "terway-eniip-cn-beijing"


def test_terway_labels():
    assert cni.terway_labels() == {"app": "terway-eniip", "app.kubernetes.io/name": "terway",
                                   "app.kubernetes.io/part-of": "hybrid-dual-cni"}
    assert cni.terway_labels("cn-x")["app.kubernetes.io/instance"] == "terway-eniip-cn-x"


# --- RBAC -------------------------------------------------------------------------------------

# terway@release-1.16 charts/terway/templates/terwayd/clusterrole.yaml (non-wildcard rules) and role.yml.
CHART_CLUSTER_RULES = [
    ("", {"pods", "nodes", "namespaces", "serviceaccounts", "endpoints", "services"}, {"get", "watch", "list"}),
    ("", {"pods", "nodes", "nodes/status"}, {"patch"}),
    ("", {"events"}, {"create", "patch"}),
    ("apiextensions.k8s.io", {"customresourcedefinitions"}, {"get", "list", "watch"}),
    ("network.alibabacloud.com", {"podenis", "nodes", "noderuntimes"}, {"get", "list", "watch"}),
    ("network.alibabacloud.com", {"nodes"}, {"patch", "update"}),
    ("network.alibabacloud.com", {"noderuntimes", "noderuntimes/status"}, {"create", "patch", "update"}),
]


def _granted(rules, group, resource, verb):
    return any(group in r["apiGroups"] and resource in r["resources"] and verb in r["verbs"] for r in rules)


def test_rbac_is_the_charts_daemon_rules_without_policy_and_bound_to_terway(prod):
    sa, cr, crb, role, rb = cni.terway_rbac(prod.cni)
    for o in (sa, cr, crb, role, rb):
        kv.validate(o, prod.idc.kubernetes_version, strict=True)
    assert (sa["kind"], sa["metadata"]["name"], sa["metadata"]["namespace"]) == ("ServiceAccount", "terway", "kube-system")
    # Every grant is one the chart's terwayd ClusterRole makes.
    for r in cr["rules"]:
        for g in r["apiGroups"]:
            for res in r["resources"]:
                for v in r["verbs"]:
                    assert any(g == cg and res in cres and v in cv for cg, cres, cv in CHART_CLUSTER_RULES), (g, res, v)
    # ... and everything terwayd itself uses is there (the chart's rules minus serviceaccounts, which only
    # the policy container reads).
    for cg, cres, cv in CHART_CLUSTER_RULES:
        for res in cres - {"serviceaccounts"}:
            for v in cv:
                assert _granted(cr["rules"], cg, res, v), (cg, res, v)
    assert "namespace" not in cr["metadata"] and "namespace" not in crb["metadata"]
    assert role["metadata"]["namespace"] == "kube-system" and rb["metadata"]["namespace"] == "kube-system"
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]
    for binding, kind in ((crb, "ClusterRole"), (rb, "Role")):
        assert binding["kind"] == f"{kind}Binding"
        assert isinstance(binding["metadata"]["name"], str) and binding["metadata"]["name"]  # ObjectMeta name required
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": "terway"}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "terway", "namespace": "kube-system"}]
    assert cr["metadata"]["name"] == role["metadata"]["name"] == "terway"


# --- credentials ------------------------------------------------------------------------------

def test_credential_volumes_per_mode():
    assert cni.credential_volumes("instanceRole") == []
    ((ak, ak_path),) = cni.credential_volumes("accessKey")
    # terway types/daemon/config.go addonSecretPath; owner read only.
    assert ak_path == "/var/alibaba-addon-secret"
    assert ak == {"name": "terway-credential", "secret": {"secretName": identity.TERWAY_AK_SECRET, "defaultMode": 0o400}}
    ((tok, tok_path),) = cni.credential_volumes("credentialFile")
    # chart daemonset.yaml volume addon-token: Secret addon.network.token, key addon.token.config -> token-config.
    assert tok_path == "/var/addon"
    assert tok == {"name": "addon-token", "secret": {"secretName": "addon.network.token", "defaultMode": 0o400,
                                                     "items": [{"key": "addon.token.config", "path": "token-config"}]}}
    with pytest.raises(ValueError, match="^unknown Terway credential mode 'x'$"):
        cni.credential_volumes("x")


# --- the Terway DaemonSet ---------------------------------------------------------------------

def _terway(prod, credentials="instanceRole", apiserver=None):
    terway = prod.cni.terway.model_copy(update={"credentials": credentials})
    c = prod.cni.model_copy(update={"terway": terway})
    return cni.terway_daemonset(c, "cn-beijing", "abc123", apiserver)


@pytest.mark.parametrize("credentials", ["instanceRole", "accessKey", "credentialFile"])
def test_terway_daemonset_is_valid_for_the_api(prod, credentials):
    ds = _terway(prod, credentials, "10.0.0.10:6443")
    kv.validate(ds, prod.idc.kubernetes_version, strict=True)
    _api_rules(ds)
    # The selector selects the template (apps/v1 validation: selector must match the template's labels).
    labels = ds["spec"]["template"]["metadata"]["labels"]
    assert ds["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert ds["spec"]["selector"]["matchLabels"] == {"app": "terway-eniip", "app.kubernetes.io/instance": "terway-eniip-cn-beijing"}
    mounts = _mounts(_containers(ds)["terway"])
    for v, path in cni.credential_volumes(credentials):
        assert mounts[v["name"]] == {"name": v["name"], "mountPath": path, "readOnly": True}


def test_terway_daemonset_follows_the_chart(prod):
    ds = _terway(prod)
    assert ds["metadata"]["name"] == "terway-eniip-cn-beijing" and ds["metadata"]["namespace"] == "kube-system"
    # the chart's: 10 % of the nodes at a time (terway@release-1.16 charts/terway/templates/terwayd/daemonset.yaml)
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}}
    assert ds["spec"]["template"]["metadata"]["annotations"] == {"hybrid.example.com/eni-config-sha256": "abc123"}
    spec = _spec(ds)
    assert spec["priorityClassName"] == "system-node-critical" and spec["serviceAccountName"] == "terway"
    assert spec["hostNetwork"] is True and spec["tolerations"] == [{"operator": "Exists"}]
    assert spec["automountServiceAccountToken"] is True  # terwayd watches pods and nodes
    # Pod Security Standards (restricted): seccompProfile.type RuntimeDefault or Localhost.
    assert spec["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert spec["affinity"] == cni.terway_affinity(prod.cni, "cn-beijing")
    c = _containers(ds)
    assert [x["name"] for x in spec["initContainers"]] == ["terway-init"] and [x["name"] for x in spec["containers"]] == ["terway"]
    init, terwayd = c["terway-init"], c["terway"]
    image = "registry-cn-beijing-vpc.ack.aliyuncs.com/acs/terway:v1.16.7"
    assert init["image"] == terwayd["image"] == image
    assert init["imagePullPolicy"] == terwayd["imagePullPolicy"] == "IfNotPresent"
    assert init["command"] == ["/usr/bin/init.sh"]
    assert terwayd["command"] == ["/usr/bin/terwayd", "-log-level", "info", "-daemon-mode", "ENIMultiIP", "-config", "/etc/eni/eni_conf"]
    # env of the chart: node name (fieldRef, core/v1 ObjectFieldSelector apiVersion v1), DISABLE_POLICY optional.
    node_name = {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}
    assert _env(init) == {"K8S_NODE_NAME": node_name, "DISABLE_POLICY": {"configMapKeyRef": {
        "name": "eni-config-cn-beijing", "key": "disable_network_policy", "optional": True}}}
    assert _env(terwayd) == {"NODE_NAME": node_name,
                             "POD_NAMESPACE": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}}
    assert init["securityContext"] == {"privileged": True, "runAsUser": 0}
    assert terwayd["securityContext"] == {
        "allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN", "DAC_OVERRIDE"]}, "runAsUser": 0, "runAsNonRoot": False}
    vols = _volumes(ds)
    # The chart's volumes (path and type), DirectoryOrCreate where fresh VMs lack the directory.
    assert vols["eni-config"] == {"name": "eni-config", "configMap": {"name": "eni-config-cn-beijing"}}
    host = {n: v["hostPath"] for n, v in vols.items() if "hostPath" in v}
    assert host == {"cni-bin": {"path": "/opt/cni/bin", "type": "DirectoryOrCreate"},
                    "host-cni": {"path": "/etc/cni/net.d", "type": "DirectoryOrCreate"},
                    "eni-run": {"path": "/var/run/eni", "type": "DirectoryOrCreate"},
                    "cni-terway": {"path": "/var/lib/cni/terway", "type": "DirectoryOrCreate"},
                    "lib-modules": {"path": "/lib/modules", "type": "Directory"},
                    "host-root": {"path": "/", "type": "Directory"}}
    assert vols["cni"] == {"name": "cni", "emptyDir": {}} and vols["var-run-eni"] == {"name": "var-run-eni", "emptyDir": {}}
    assert vols["tmp"]["emptyDir"]["sizeLimit"] == "64Mi"
    # Mount paths of the chart (terway-init and terwayd).
    assert {n: (m["mountPath"], m.get("readOnly", False)) for n, m in _mounts(init).items()} == {
        "eni-config": ("/etc/eni", True), "cni-bin": ("/opt/cni/bin", False), "cni": ("/etc/cni/net.d", False),
        "eni-run": ("/var/run/eni", False), "var-run-eni": ("/var-run-eni", False), "lib-modules": ("/lib/modules", True),
        "host-root": ("/host", False)}
    assert {n: (m["mountPath"], m.get("readOnly", False)) for n, m in _mounts(terwayd).items()} == {
        "eni-config": ("/etc/eni", True), "eni-run": ("/var/run/eni", False), "lib-modules": ("/lib/modules", True),
        "cni-terway": ("/var/lib/cni/terway", False), "cni": ("/etc/cni/net.d", True),
        "host-cni": ("/host-etc-net.d", False), "tmp": ("/tmp", False)}
    # The probes test terwayd's socket, which lies in the mounted host directory; their timings are
    # the chart's (terway@release-1.16 charts/terway/templates/terwayd/daemonset.yaml: liveness every
    # 10 s after 10 s, restart after 6 failures; readiness every 10 s; timeouts left to the API's 1 s).
    exec_socket = {"exec": {"command": ["/bin/sh", "-c", "test -S /var/run/eni/eni.socket"]}}
    assert terwayd["livenessProbe"] == {**exec_socket, "initialDelaySeconds": 10, "periodSeconds": 10, "failureThreshold": 6}
    assert terwayd["readinessProbe"] == {**exec_socket, "periodSeconds": 10}


def test_terway_reaches_the_apiserver_directly_when_given(prod):
    ds = _terway(prod, apiserver="10.0.0.10:6443")
    for c in _containers(ds).values():
        env = _env(c)
        assert (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]) == ("10.0.0.10", "6443")
    assert all("KUBERNETES_SERVICE_HOST" not in _env(c) for c in _containers(_terway(prod)).values())


# checkov's Kubernetes checks (bridgecrewio/checkov checkov/kubernetes/checks/resource/k8s/) the CNI daemons trip,
# each with the property of the object that trips it; kube-linter's built-in checks likewise
# (stackrox/kube-linter docs/generated/checks.md).
CHECKOV_TRIPPED = {
    "CKV_K8S_11": "no CPU limit", "CKV_K8S_15": "imagePullPolicy not Always", "CKV_K8S_16": "a privileged container",
    "CKV_K8S_19": "hostNetwork", "CKV_K8S_20": "allowPrivilegeEscalation not false (the privileged one)",
    "CKV_K8S_22": "a writable root filesystem", "CKV_K8S_23": "runs as root", "CKV_K8S_28": "NET_RAW not dropped",
    "CKV_K8S_37": "capabilities kept", "CKV_K8S_38": "the ServiceAccount token mounted", "CKV_K8S_40": "uid 0",
    "CKV_K8S_43": "a tag, not a digest", "CKV2_K8S_6": "no NetworkPolicy selects the pod",
}
KUBE_LINTER_TRIPPED = {"host-network", "privileged-container", "privilege-escalation-container", "run-as-non-root",
                       "no-read-only-root-fs", "drop-net-raw-capability"}


def test_terway_waivers_name_each_check_it_trips_with_its_reason(prod):
    ds = _terway(prod)
    found = {(check, reason) for _, check, reason in cni.waivers(ds)}
    checks = {check for check, _ in found}
    # terwayd adds NET_ADMIN and DAC_OVERRIDE (CKV_K8S_25: capabilities added).
    # and the policy pack's host-path rule for the init container that mounts the host root (below).
    assert checks == {*CHECKOV_TRIPPED, "CKV_K8S_25", *KUBE_LINTER_TRIPPED, "k8s-allowed-host-paths:terway-init"}
    assert ("CKV_K8S_43", cni.DIGEST_REASON) in found and ("CKV_K8S_15", cni.PULL_REASON) in found
    # The policy pack lets the named init container mount the host root: the one that does.
    ann = ds["metadata"]["annotations"]
    (key,) = [k for k in ann if k.startswith("hybrid-gpu.io/host-root-init.")]
    root_vol = next(n for n, v in _volumes(ds).items() if v.get("hostPath", {}).get("path") == "/")
    assert [c for c, x in _containers(ds).items() if root_vol in _mounts(x)] == [key.rsplit(".", 1)[1]] == ["terway-init"]


# --- kube-proxy on cloud nodes ----------------------------------------------------------------

def test_kube_proxy_cloud_config_marks_pods_local_by_the_veth_prefix(prod):
    conf = cni.kube_proxy_cloud_config(prod.cni)
    # k8s.io/kube-proxy/config/v1alpha1 types.go.
    assert conf["apiVersion"] == "kubeproxy.config.k8s.io/v1alpha1" and conf["kind"] == "KubeProxyConfiguration"
    assert conf["mode"] == "iptables"
    assert conf["detectLocalMode"] == "InterfaceNamePrefix"
    # Terway's host veth prefix (plugin/terway/cni.go defaultVethPrefix).
    assert conf["detectLocal"] == {"interfaceNamePrefix": "cali"}
    # kubeadm's ConfigMap key kubeconfig.conf, mounted at /var/lib/kube-proxy.
    assert conf["clientConnection"] == {"kubeconfig": "/var/lib/kube-proxy/kubeconfig.conf"}
    cm = cni.kube_proxy_config_map(prod.cni)
    kv.validate(cm, prod.idc.kubernetes_version, strict=True)
    assert cm["metadata"] == {"name": "kube-proxy-cloud", "namespace": "kube-system", "labels": {"k8s-app": "kube-proxy-cloud"}}
    # Canonical text, worked by hand: sorted keys, two-space indent, a final newline.
    assert cm["data"]["config.conf"] == (
        '{\n  "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",\n  "clientConnection": {\n'
        '    "kubeconfig": "/var/lib/kube-proxy/kubeconfig.conf"\n  },\n  "detectLocal": {\n'
        '    "interfaceNamePrefix": "cali"\n  },\n  "detectLocalMode": "InterfaceNamePrefix",\n'
        '  "kind": "KubeProxyConfiguration",\n  "mode": "iptables"\n}\n')


def test_kube_proxy_patch_keeps_kubeadms_daemonset_off_cloud_nodes(prod):
    patch = cni.kube_proxy_patch(prod.cni)
    assert patch["metadata"] == {"name": "kube-proxy", "namespace": "kube-system"}
    assert patch["apiVersion"] == "apps/v1" and patch["kind"] == "DaemonSet"
    spec = {**patch["spec"]["template"]["spec"], "tolerations": [{"operator": "Exists"}]}
    assert placement(spec, Node("cloud", {"alibabacloud.com/external": "true"})) == (False, "nodeAffinity")
    assert placement(spec, Node("idc", {"kubernetes.io/os": "linux"})) == (True, "")


def test_kube_proxy_cloud_daemonset_is_kubeadms_with_this_config(prod):
    ds = cni.kube_proxy_cloud_daemonset(prod.cni, prod.idc)
    kv.validate(ds, prod.idc.kubernetes_version, strict=True)
    _api_rules(ds)
    assert ds["metadata"]["name"] == "kube-proxy-cloud" and ds["metadata"]["namespace"] == "kube-system"
    assert ds["spec"]["selector"]["matchLabels"] == ds["spec"]["template"]["metadata"]["labels"] == {"k8s-app": "kube-proxy-cloud"}
    # kubeadm's DaemonSet names only the type; the API defaults maxUnavailable to 1
    # (k8s.io/kubernetes pkg/apis/apps/v1/defaults.go SetDefaults_DaemonSet).
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    spec = _spec(ds)
    # kubeadm's manifests.go: system-node-critical, ServiceAccount kube-proxy, hostNetwork, tolerate all.
    assert spec["priorityClassName"] == "system-node-critical" and spec["serviceAccountName"] == "kube-proxy"
    assert spec["hostNetwork"] is True and {"operator": "Exists"} in spec["tolerations"]
    # kubeadm's kubeconfig.conf authenticates with tokenFile /var/run/secrets/kubernetes.io/serviceaccount/token.
    assert spec["automountServiceAccountToken"] is True
    assert spec["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    (c,) = spec["containers"]
    assert c["name"] == "kube-proxy" and c["imagePullPolicy"] == "IfNotPresent"
    assert c["image"] == prod.cni.kube_proxy.reference(prod.idc.kubernetes_version)
    assert c["command"] == ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                            "--hostname-override=$(NODE_NAME)"]
    assert _env(c) == {"NODE_NAME": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}
    assert c["securityContext"]["privileged"] is True and c["securityContext"]["runAsUser"] == 0
    assert {n: (m["mountPath"], m.get("readOnly", False)) for n, m in _mounts(c).items()} == {
        "kube-proxy": ("/var/lib/kube-proxy", True), "xtables-lock": ("/run/xtables.lock", False),
        "lib-modules": ("/lib/modules", True)}
    vols = _volumes(ds)
    assert vols["xtables-lock"]["hostPath"] == {"path": "/run/xtables.lock", "type": "FileOrCreate"}
    assert vols["lib-modules"]["hostPath"]["path"] == "/lib/modules"
    # config.conf from this program's ConfigMap, kubeconfig.conf from kubeadm's kube-proxy ConfigMap.
    assert vols["kube-proxy"]["projected"]["sources"] == [
        {"configMap": {"name": "kube-proxy-cloud", "items": [{"key": "config.conf", "path": "config.conf"}]}},
        {"configMap": {"name": "kube-proxy", "items": [{"key": "kubeconfig.conf", "path": "kubeconfig.conf"}]}}]
    # kube-proxy's health server: 0.0.0.0:10256, /healthz (pkg/proxy/apis/config/v1alpha1/defaults.go).
    # no timing of its own: the API's defaults (period 10 s, 3 failures) restart a kube-proxy whose
    # /healthz failed for 30 s, i.e. an update waiting over 2 x syncPeriod + 30 s (cmd/kube-proxy/app/server.go)
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe] == {"httpGet": {"path": "/healthz", "port": 10256}}
    cloud = {"alibabacloud.com/external": "true", "kubernetes.io/os": "linux"}
    assert placement(spec, Node("cloud", cloud)) == (True, "")
    assert placement(spec, Node("idc", {"kubernetes.io/os": "linux"})) == (False, "nodeAffinity")
    assert placement(spec, Node("virtual", {**cloud, "type": "virtual-kubelet"})) == (False, "nodeAffinity")
    assert placement(spec, Node("windows", {**cloud, "kubernetes.io/os": "windows"})) == (False, "nodeAffinity")
    checks = {check for _, check, _ in cni.waivers(ds)}
    # The ServiceAccount kube-proxy is kubeadm's, not declared here (kube-linter non-existent-service-account).
    assert checks == {*CHECKOV_TRIPPED, *KUBE_LINTER_TRIPPED, "non-existent-service-account"}


# --- Terway as the registered cluster's addon -------------------------------------------------

def test_addon_keys_and_their_sources():
    keys = cni.addon_keys()
    # terraform-provider-alicloud docs (IPVlan, NetworkPolicy, ENITrunking) and acceptance test (MaxPoolSize).
    assert {n: k.json for n, k in keys.items() if n in ("ipvlan", "network_policy", "eni_trunking", "max_pool_size")} == {
        "ipvlan": "IPVlan", "network_policy": "NetworkPolicy", "eni_trunking": "ENITrunking", "max_pool_size": "MaxPoolSize"}
    for name in ("ipvlan", "network_policy", "eni_trunking"):
        assert keys[name].source == ("aliyun/terraform-provider-alicloud@81c43b67:"
                                     "website/docs/r/cs_managed_kubernetes.html.markdown"), name
    assert keys["max_pool_size"].source.endswith("resource_alicloud_cs_kubernetes_addon_test.go")
    assert keys["pod_vswitches"].source == keys["security_groups"].source == "hybrid/unconfirmed.py terway.addonConfigKeys"


def test_addon_config_and_its_canonical_json(prod):
    conf = cni.addon_config(prod.cni, REGION)
    keys = {n: k.json for n, k in cni.addon_keys().items()}
    # Flags as strings (the provider's docs), MaxPoolSize a number (its acceptance test).
    assert conf[keys["ipvlan"]] == "false" and conf[keys["network_policy"]] == "false"
    assert conf[keys["eni_trunking"]] == "false" and conf[keys["max_pool_size"]] == prod.cni.terway.max_pool_size
    assert conf[keys["pod_vswitches"]] == ["vsw-h", "vsw-k"]  # ordered by zone
    assert conf[keys["security_groups"]] == ["sg-1", "sg-2"]
    ipvlan = prod.cni.model_copy(update={"terway": prod.cni.terway.model_copy(update={"ipvlan": True})})
    assert cni.addon_config(ipvlan, REGION)[keys["ipvlan"]] == "true"
    text = cni.addon_config_json(prod.cni, REGION)
    assert json.loads(text) == conf and ", " not in text and ": " not in text
    assert text.index('"' + keys["eni_trunking"]) < text.index('"' + keys["ipvlan"])  # sorted keys


def test_addon_version_drops_the_v_into_the_unconfirmed_form(prod):
    from hybrid import unconfirmed

    form = unconfirmed.value("terway.addonVersionForm")
    assert cni.addon_version(prod.cni) == form.replace("@VERSION@", "1.16.7")
