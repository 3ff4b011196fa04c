"""Dual CNI rendering: placement on simulated nodes, eni-config from the networks, least privilege."""

from __future__ import annotations

import json

import pytest

from pathlib import Path

import yaml

from hybrid import calico as calico_plan
from hybrid import cni as plan
from tests import cni_declared, ssa_standin as ssa
from tests.k8s_affinity import Node, placement, required_affinity_matches
from tests.kube_proxy_model import masquerade_match
from hybrid.model import load

# calico-node as the IDC cluster runs it before this program (tests/data/adoption says where it comes from).
LIVE_CALICO_NODE = Path(__file__).parent / "data" / "adoption" / "calico-node-daemonset.yaml"

VK_TAINT = {"key": "virtual-kubelet.io/provider", "value": "alibabacloud", "effect": "NoSchedule"}


def _objects(configure, raw, stack="dev"):
    """The platform and the CNI objects DualCni declares for it (tests/cni_declared.py)."""
    p, objs, _ = cni_declared.declared(configure, raw, stack)
    return p, objs


def _daemonsets(objs):
    """The DaemonSets this program owns whole (calico-node and kubeadm's kube-proxy are only patched)."""
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == "DaemonSet" and "selector" in o["spec"]}


# kubeadm's kube-proxy DaemonSet as it runs (kubernetes cmd/kubeadm/app/phases/addons/proxy/manifests.go,
# v1.30: nodeSelector kubernetes.io/os linux, tolerations operator Exists, no affinity): only the
# fields placement reads.
LIVE_KUBE_PROXY = {
    "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
    "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}}, "template": {
        "metadata": {"labels": {"k8s-app": "kube-proxy"}},
        "spec": {"nodeSelector": {"kubernetes.io/os": "linux"}, "tolerations": [{"operator": "Exists"}], "hostNetwork": True,
                 "containers": [{"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.30.4"}]}}},
}


def _running(objs):
    """Every CNI DaemonSet as the cluster runs it: calico-node is the live object with the patch applied."""
    out = _daemonsets(objs)
    for o in objs:
        if o["kind"] == "DaemonSet" and o["metadata"]["name"] == calico_plan.CALICO_NODE:
            server = ssa.Apiserver()
            server.update("kubectl-client-side-apply", yaml.safe_load(LIVE_CALICO_NODE.read_text()))
            out[calico_plan.CALICO_NODE] = server.apply("hybrid", o, must_exist=True)
        if o["kind"] == "DaemonSet" and o["metadata"]["name"] == plan.KUBE_PROXY:
            server = ssa.Apiserver()
            server.update("kubeadm", LIVE_KUBE_PROXY)
            out[plan.KUBE_PROXY] = server.apply("hybrid", o, must_exist=True)
    return out


KUBE_PROXIES = {plan.KUBE_PROXY, plan.KUBE_PROXY_CLOUD}


def test_calico_node_patch_names_only_the_affinity(pulumi_mocks, prod_raw):
    p, objs = _objects(pulumi_mocks, prod_raw, "prod")
    (patch,) = [o for o in objs if o["kind"] == "DaemonSet" and o["metadata"]["name"] == calico_plan.CALICO_NODE]
    assert patch["metadata"] == {"name": "calico-node", "namespace": "kube-system"}
    # every Linux node but the cloud ones (Terway's) and virtual-kubelet nodes
    label = p.cni.cloud_node_label
    assert patch["spec"] == {"template": {"spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": label.key, "operator": "NotIn", "values": [label.value]},
            {"key": "type", "operator": "NotIn", "values": ["virtual-kubelet"]},
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}}}}}


def _node_set(p):
    """IDC bare metal, cloud GPU nodes in every zone of every region, virtual-kubelet nodes, odd cases."""
    base = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    label = p.cni.cloud_node_label
    nodes = [
        Node("idc-gpu-01", {**base, "node-role.kubernetes.io/worker": ""}),
        Node("idc-gpu-02", {**base, "nvidia.com/gpu.present": "true"}),
        Node("idc-cp-01", {**base, "node-role.kubernetes.io/control-plane": ""},
             [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
    ]
    for r in p.regions:
        for z in r.zones:
            nodes.append(Node(f"cloud-{z.id}", {**base, label.key: label.value, plan.REGION_LABEL: r.id,
                                                 "topology.kubernetes.io/zone": z.id},
                              [{"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"},
                               {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]))
        # Virtual nodes carry the cloud label and the region too: only `type` keeps the CNIs off.
        nodes.append(Node(f"virtual-kubelet-{r.id}", {**base, "type": "virtual-kubelet", label.key: label.value,
                                                       plan.REGION_LABEL: r.id}, [VK_TAINT]))
    return nodes


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_node_gets_exactly_one_cni_and_virtual_nodes_none(pulumi_mocks, stack, dev_raw, prod_raw):
    p, objs = _objects(pulumi_mocks, dev_raw if stack == "dev" else prod_raw, stack)
    dss = {k: v for k, v in _running(objs).items() if k not in KUBE_PROXIES}
    assert set(dss) == {"calico-node", *(f"terway-eniip-{r.id}" for r in p.regions)}
    table = {}
    for node in _node_set(p):
        table[node.name] = sorted(name for name, ds in dss.items() if plan_runs(ds, node))
    for name, cnis in table.items():
        if name.startswith("virtual-kubelet"):
            assert cnis == [], f"{name} got {cnis}"
        elif name.startswith("idc-"):
            assert cnis == ["calico-node"], f"{name} got {cnis}"
        else:
            region = next(r.id for r in p.regions for z in r.zones if name == f"cloud-{z.id}")
            assert cnis == [f"terway-eniip-{region}"], f"{name} got {cnis}"
    # Virtual nodes are excluded by affinity, not by luck with taints (both CNIs tolerate everything).
    vk = next(n for n in _node_set(p) if n.name.startswith("virtual-kubelet"))
    assert {placement(ds["spec"]["template"]["spec"], vk)[1] for ds in dss.values()} == {"nodeAffinity"}


def plan_runs(ds, node):
    return placement(ds["spec"]["template"]["spec"], node)[0]


def test_cloud_node_without_a_declared_region_gets_no_cni(pulumi_mocks, prod_raw):
    p, objs = _objects(pulumi_mocks, prod_raw, "prod")
    label = p.cni.cloud_node_label
    stray = Node("cloud-unknown", {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", label.key: label.value,
                                   plan.REGION_LABEL: "ap-southeast-1"})
    # No CNI (kube-proxy-cloud does not depend on the region: it does land there).
    assert [n for n, ds in _daemonsets(objs).items() if plan_runs(ds, stray) and n not in KUBE_PROXIES] == []


def test_adding_a_zone_adds_its_pod_vswitch_to_terway(pulumi_mocks, dev_raw):
    p0, objs0 = _objects(pulumi_mocks, dev_raw)
    dev_raw["regions"][0]["zones"].append("cn-beijing-h")
    p1, objs1, ids = cni_declared.declared(pulumi_mocks, dev_raw)
    pod_vsw = ids["cn-beijing"][0]

    def conf(objs):
        cm = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "eni-config-cn-beijing")
        return json.loads(cm["data"]["eni_conf"])

    before, after = conf(objs0), conf(objs1)
    assert set(before["vswitches"]) == {"cn-beijing-g"}
    # each zone's pod vSwitch, by the id the network component's vSwitch got (a vsw- id, not a CIDR or name)
    assert after["vswitches"] == {"cn-beijing-g": [pod_vsw["cn-beijing-g"]], "cn-beijing-h": [pod_vsw["cn-beijing-h"]]}
    assert all(v.startswith("vsw-") for v in pod_vsw.values()) and len(set(pod_vsw.values())) == 2
    assert set(after["vswitches"]) == set(p1.regions[0].zone_ids)
    # terwayd reads eni_conf only at start: the new zone changes the pod template, so Terway rolls.
    def ann(objs):
        return _daemonsets(objs)["terway-eniip-cn-beijing"]["spec"]["template"]["metadata"]["annotations"]

    assert ann(objs0)[plan.CHECKSUM_ANNOTATION] != ann(objs1)[plan.CHECKSUM_ANNOTATION]
    # A new cloud node in that zone is served by the region's Terway.
    node = Node("cloud-new", {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "alibabacloud.com/external": "true",
                              plan.REGION_LABEL: "cn-beijing", "topology.kubernetes.io/zone": "cn-beijing-h"})
    assert plan_runs(_daemonsets(objs1)["terway-eniip-cn-beijing"], node)


def test_eni_conf_keys(pulumi_mocks, prod_raw):
    p, objs, ids = cni_declared.declared(pulumi_mocks, prod_raw, "prod")
    for r in p.regions:
        cm = next(o for o in objs if o["metadata"]["name"] == f"eni-config-{r.id}")
        conf = json.loads(cm["data"]["eni_conf"])
        assert conf["region_id"] == r.id
        assert conf["service_cidr"] == p.idc.service_cidr
        assert conf["security_groups"] == [ids[r.id][1]] and ids[r.id][1].startswith("sg-")
        assert conf["vswitches"] == {z: [v] for z, v in ids[r.id][0].items()} and set(conf["vswitches"]) == set(r.zone_ids)
        assert conf["max_pool_size"] == p.cni.terway.max_pool_size and conf["min_pool_size"] == p.cni.terway.min_pool_size
        assert conf["vswitch_selection_policy"] == p.cni.terway.vswitch_selection_policy
        assert conf["ip_stack"] == "ipv4" and "ipam_type" not in conf
        assert not {"access_key", "access_secret"} & set(conf)  # credentials come from a mounted Secret
        assert cm["data"]["disable_network_policy"] == "true"
        assert json.loads(cm["data"]["10-terway.conf"])["type"] == "terway"


def test_eni_conf_refuses_a_region_without_pod_vswitches(prod_raw):
    p = load(prod_raw)
    with pytest.raises(ValueError, match="no pod vSwitches"):
        plan.eni_conf(p.cni, p.idc, plan.TerwayRegion("cn-beijing", {}, ["sg-1"]))


def _containers(ds):
    spec = ds["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec.get("initContainers", []) + spec["containers"]}


def test_terway_daemonset_pulls_only_terway_and_has_cni_bin_directory_or_create(pulumi_mocks, prod_raw):
    """No loopback installer and no acs/cni-plugins image: the kubelet package's kubernetes-cni
    dependency (kubelet >= 1.28 needs kubernetes-cni >= 1.2.0: kubernetes/release
    cmd/krel/templates/latest/metadata.yaml) installs loopback into /opt/cni/bin."""
    p, objs = _objects(pulumi_mocks, prod_raw, "prod")
    for r in p.regions:
        ds = _daemonsets(objs)[f"terway-eniip-{r.id}"]
        spec = ds["spec"]["template"]["spec"]
        vols = {v["name"]: v for v in spec["volumes"]}
        assert vols["cni-bin"]["hostPath"] == {"path": "/opt/cni/bin", "type": "DirectoryOrCreate"}
        assert vols["eni-config"]["configMap"]["name"] == f"eni-config-{r.id}"
        assert [c["name"] for c in spec["initContainers"]] == ["terway-init"]
        assert not any("cni-plugins" in c["image"] for c in _containers(ds).values())
        images = {c["image"] for c in _containers(ds).values()}
        assert len(images) == 1
        image = images.pop()
        # The chart's repository (acs/terway) and tag, from this region's own registry endpoint.
        # source: terway@release-1.16:charts/terway/values.yaml (terway.image.repository, tag v1.16.7)
        host, _, repo = image.partition("/")
        assert repo == "acs/terway:v1.16.7"
        assert r.id in host and not any(o.id in host for o in p.regions if o.id != r.id)


def test_terway_init_matches_the_v1_16_chart(pulumi_mocks, prod_raw):
    """terway-init runs the image's init script with the host root at /host, as the chart does.

    source: terway@release-1.16:charts/terway/templates/terwayd/daemonset.yaml (command /usr/bin/init.sh,
    volume host-root = hostPath / mounted at /host); hack/init.sh chroots into /host.
    """
    p, objs = _objects(pulumi_mocks, prod_raw, "prod")
    for r in p.regions:
        ds = _daemonsets(objs)[f"terway-eniip-{r.id}"]
        spec = ds["spec"]["template"]["spec"]
        init = _containers(ds)["terway-init"]
        assert init["command"] == ["/usr/bin/init.sh"]
        mounts = {m["name"]: m["mountPath"] for m in init["volumeMounts"]}
        vols = {v["name"]: v for v in spec["volumes"]}
        root = next(name for name, v in vols.items() if v.get("hostPath", {}).get("path") == "/")
        assert mounts[root] == "/host" and vols[root]["hostPath"]["type"] == "Directory"
        # Only the privileged init step sees the host root; the daemon never does.
        assert [c["name"] for c in spec["initContainers"] + spec["containers"]
                if any(m["name"] == root for m in c.get("volumeMounts", []))] == ["terway-init"]
        # terway-cli reads 10-terway.conf from the mounted ConfigMap (cmd/terway-cli/common.go: it must exist).
        assert "10-terway.conf" in next(o for o in objs if o["metadata"]["name"] == f"eni-config-{r.id}")["data"]
        assert {m["mountPath"] for m in init["volumeMounts"] if m["name"] == "eni-config"} == {"/etc/eni"}


def test_least_privilege(pulumi_mocks, prod_raw):
    p, objs = _objects(pulumi_mocks, prod_raw, "prod")
    allowed_privileged = {"terway-init", "calico-node", "kube-proxy"}
    for name, ds in _daemonsets(objs).items():
        spec = ds["spec"]["template"]["spec"]
        assert spec["priorityClassName"] == "system-node-critical"
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert not spec.get("hostPID") and not spec.get("hostIPC")
        for cname, c in _containers(ds).items():
            ctx = c["securityContext"]
            assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"], (name, cname)
            assert c["resources"]["limits"]["memory"], (name, cname)
            assert not c["image"].endswith(":latest")
            if ctx.get("privileged"):
                assert cname in allowed_privileged, f"{name}/{cname} should not be privileged"
            else:
                assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"]["drop"] == ["ALL"], (name, cname)
                assert set(ctx["capabilities"].get("add", [])) <= {"NET_ADMIN", "DAC_OVERRIDE"}, (name, cname)
        host_paths = {v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
        # Only CNI directories, the daemon's own state, kernel modules and the iptables lock, plus
        # the host root for terway-init alone (test_terway_init_matches_the_v1_16_chart).
        assert host_paths - {"/"} <= {"/opt/cni/bin", "/etc/cni/net.d", "/var/run/eni", "/var/lib/cni/terway", "/lib/modules",
                                      "/var/run/calico", "/var/lib/calico", "/run/xtables.lock"}, (name, host_paths)
        assert ("/" in host_paths) == name.startswith("terway-eniip-")
        assert "/var/run" not in host_paths and "/var/run/" not in host_paths
    terwayd = _containers(_daemonsets(objs)["terway-eniip-cn-beijing"])["terway"]
    assert terwayd["securityContext"]["readOnlyRootFilesystem"] is True
    assert "livenessProbe" in terwayd and "readinessProbe" in terwayd


def test_terway_rbac_never_touches_calico_or_secrets(pulumi_mocks, prod_raw):
    _, objs = _objects(pulumi_mocks, prod_raw, "prod")
    rules = [rule for o in objs if o["kind"] in ("ClusterRole", "Role") for rule in o["rules"]]
    assert rules
    for rule in rules:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        assert "crd.projectcalico.org" not in rule["apiGroups"] and "cilium.io" not in rule["apiGroups"]
        assert "secrets" not in rule["resources"]
        assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])


def test_every_waiver_has_a_reason(pulumi_mocks, prod_raw):
    _, objs = _objects(pulumi_mocks, prod_raw, "prod")
    found = [w for o in objs for w in plan.waivers(o)]
    assert len(found) > 10
    for obj, check, reason in found:
        assert len(reason) > 20, (obj, check)
    checkov_ids = {c for _, c, _ in found if c.startswith("CKV")}
    assert "CKV_K8S_16" in checkov_ids  # the privileged containers are waived, not hidden
    with pytest.raises(ValueError):
        plan.annotate_waivers({"metadata": {"name": "x"}}, checkov=[("CKV_K8S_1", "")])
    with pytest.raises(ValueError):
        plan.annotate_waivers({"metadata": {"name": "x"}}, checkov=[("CKV_K8S_1", "a=b")])


def test_operator_install_patches_only_the_installation_affinity(pulumi_mocks, prod_raw):
    prod_raw["cni"] = {"calico": {"install": "operator"}}
    p, objs = _objects(pulumi_mocks, prod_raw, "prod")
    inst = [o for o in objs if o["kind"] == "Installation"]
    assert len(inst) == 1 and "calico-node" not in _daemonsets(objs)
    ds_spec = inst[0]["spec"]["calicoNodeDaemonSet"]["spec"]["template"]["spec"]
    assert set(ds_spec) == {"affinity"}
    # The operator adds its own tolerate-all; the affinity alone decides here.
    nodes = _node_set(p)
    assert [n.name for n in nodes if required_affinity_matches(ds_spec, n)] == ["idc-gpu-01", "idc-gpu-02", "idc-cp-01"]


def test_render_is_deterministic(pulumi_mocks, prod_raw):
    _, a = _objects(pulumi_mocks, prod_raw, "prod")
    _, b = _objects(pulumi_mocks, prod_raw, "prod")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_node_runs_exactly_one_kube_proxy(pulumi_mocks, stack, dev_raw, prod_raw):
    """IDC machines keep kubeadm's kube-proxy; cloud nodes run the cloud one (detectLocalMode
    InterfaceNamePrefix); virtual nodes keep whatever they had (kubeadm's, as before)."""
    p, objs = _objects(pulumi_mocks, dev_raw if stack == "dev" else prod_raw, stack)
    dss = {k: v for k, v in _running(objs).items() if k in KUBE_PROXIES}
    assert set(dss) == KUBE_PROXIES
    for node in _node_set(p):
        got = sorted(name for name, ds in dss.items() if plan_runs(ds, node))
        if node.name.startswith("idc-"):
            assert got == [plan.KUBE_PROXY], (node.name, got)
        elif node.name.startswith("cloud-"):
            assert got == [plan.KUBE_PROXY_CLOUD], (node.name, got)
        else:
            assert plan.KUBE_PROXY_CLOUD not in got, (node.name, got)


def test_cloud_kube_proxy_marks_pods_local_by_terways_veth_prefix(pulumi_mocks, prod_raw):
    p, objs = _objects(pulumi_mocks, prod_raw, "prod")
    cm = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == plan.KUBE_PROXY_CLOUD)
    config = json.loads(cm["data"]["config.conf"])
    # terway@release-1.16 plugin/terway/cni.go: defaultVethPrefix = "cali"
    assert (config["detectLocalMode"], config["detectLocal"]["interfaceNamePrefix"]) == ("InterfaceNamePrefix", "cali")
    assert masquerade_match(config) == ["!", "-i", "cali+"]
    ds = _daemonsets(objs)[plan.KUBE_PROXY_CLOUD]
    (vol,) = [v for v in ds["spec"]["template"]["spec"]["volumes"] if v["name"] == "kube-proxy"]
    # kubeadm's kubeconfig.conf is read from its ConfigMap, never copied or written.
    assert {(s["configMap"]["name"], s["configMap"]["items"][0]["key"]) for s in vol["projected"]["sources"]} == {
        (plan.KUBE_PROXY_CLOUD, "config.conf"), (plan.KUBE_PROXY, "kubeconfig.conf")}
    assert ds["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.k8s.io/kube-proxy:v1.30.4"
