"""components/cni.py under Pulumi's mocks: which object each resource is (its name, kind, namespace),
on which cluster provider, retained or not, and what it waits for; Terway as the cluster's component.

Expectations are worked by hand from the stack files (dev: one region cn-beijing, zone g; Calico and
Terway from manifests) and from the objects' upstream names (calico-node and kube-proxy are the
cluster's own DaemonSets in kube-system; Terway's chart names its objects terway / terway-eniip)."""

from __future__ import annotations

import hashlib
import json

import pulumi
import pytest

from hybrid.model import load
from tests.component_graph import record, standin_network
from tests.conftest import settle

PATCH = "kubernetes:apps/v1:DaemonSetPatch"
DS = "kubernetes:apps/v1:DaemonSet"
CM = "kubernetes:core/v1:ConfigMap"
SA = "kubernetes:core/v1:ServiceAccount"
SECRET = "kubernetes:core/v1:Secret"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"
CNI = "hybrid:cni:DualCni"

TERWAY_RBAC = [(SA, "cni-serviceaccount-kube-system-terway"), (RBAC + "ClusterRole", "cni-clusterrole-terway"),
               (RBAC + "ClusterRoleBinding", "cni-clusterrolebinding-terway"), (RBAC + "Role", "cni-role-kube-system-terway"),
               (RBAC + "RoleBinding", "cni-rolebinding-kube-system-terway")]


def _ref(mon, typ, name):
    return mon.one(typ, name).urn


def _provider(reg):
    return reg.provider.rsplit("::", 1)[0]  # a provider reference is "<provider urn>::<provider id>"


def _program(raw, regions=("cn-beijing",), apiserver="10.0.0.10:6443", with_secret=True, ipv6=False):
    def program():
        import pulumi_kubernetes as k8s

        from components.cni import DualCni, DualCniArgs

        p = load(raw)
        idc = k8s.Provider("idc", kubeconfig="{}")
        adopt = k8s.Provider("idc-adopt", kubeconfig="{}", upsert_existing_objects=True)
        secret = k8s.core.v1.Secret("terway-credential", metadata={"name": "terway-credential", "namespace": "kube-system"},
                                    opts=pulumi.ResourceOptions(provider=idc)) if with_secret else None
        nets = [standin_network(r.id, r.zone_ids, ipv6) for r in p.regions if r.id in regions]
        cni = DualCni("cni", DualCniArgs(cni=p.cni, idc=p.idc, regions=nets, adopt_provider=adopt, credential_secret=secret,
                                         apiserver=apiserver),
                      opts=pulumi.ResourceOptions(providers={"kubernetes": idc}))
        return cni, cni.eni_configs
    return program


def test_dev_objects_providers_retention_and_order(pulumi_mocks, dev_raw):
    _, mon = record(pulumi_mocks, dev_raw)
    cni, eni_configs = settle(_program(dev_raw))
    comp = mon.one(CNI, "cni")
    idc, adopt = _ref(mon, "pulumi:providers:kubernetes", "idc"), _ref(mon, "pulumi:providers:kubernetes", "idc-adopt")

    # the cluster's own DaemonSets: patched through the adopting provider, left in place on destroy
    for name, meta in (("cni-calico-node-affinity", {"name": "calico-node", "namespace": "kube-system"}),
                       ("cni-kube-proxy-affinity", {"name": "kube-proxy", "namespace": "kube-system"})):
        patch = mon.one(PATCH, name)
        assert {k: patch.inputs["metadata"][k] for k in ("name", "namespace")} == meta
        assert set(patch.inputs["spec"]["template"]["spec"]) == {"affinity"}
        assert (_provider(patch), patch.parent, patch.options) == (adopt, comp.urn, {"retainOnDelete": True})

    # the program's own objects: on the IDC provider, under the component, deleted with the stack
    own = [r for r in mon.children(comp) if r.type != PATCH]
    assert sorted((r.type, r.name) for r in own) == sorted([
        (CM, "cni-configmap-kube-system-kube-proxy-cloud"), (DS, "cni-daemonset-kube-system-kube-proxy-cloud"),
        *TERWAY_RBAC,
        (CM, "cni-configmap-kube-system-eni-config-cn-beijing"), (DS, "cni-daemonset-kube-system-terway-eniip-cn-beijing")])
    assert all(_provider(r) == idc and r.options == {} for r in own), [(r.name, r.options) for r in own]
    for r in own:  # the resource's name carries the object's kind, namespace and name
        meta = r.inputs["metadata"]
        assert r.name == "cni-" + r.type.rsplit(":", 1)[1].lower() + "-" + (meta["namespace"] + "-" if "namespace" in meta else "") + meta["name"]
    assert mon.one(RBAC + "ClusterRoleBinding", "cni-clusterrolebinding-terway").inputs["roleRef"]["name"] == "terway"

    # kube-proxy-cloud mounts its ConfigMap: created first
    kp = mon.one(DS, "cni-daemonset-kube-system-kube-proxy-cloud")
    assert _ref(mon, CM, "cni-configmap-kube-system-kube-proxy-cloud") in kp.dependencies
    # Terway: eni-config from the region's pod vSwitches and pods group; the DaemonSet after its
    # ConfigMap, its RBAC and the credential Secret; rolled when eni-config changes
    cm = mon.one(CM, "cni-configmap-kube-system-eni-config-cn-beijing")
    conf = json.loads(cm.inputs["data"]["eni_conf"])
    assert conf["vswitches"] == {"cn-beijing-g": ["vsw-cn-beijing-g-pods"]} and conf["security_groups"] == ["sg-cn-beijing-pods"]
    # Terway's eni_conf names its region, and an IPv4-only VPC's stack (terway types/daemon/config.go ip_stack)
    assert (conf["region_id"], conf["ip_stack"]) == ("cn-beijing", "ipv4")
    assert eni_configs == {"cn-beijing": cm.inputs["data"]}
    ds = mon.one(DS, "cni-daemonset-kube-system-terway-eniip-cn-beijing")
    wanted = {_ref(mon, CM, cm.name), _ref(mon, SECRET, "terway-credential"), *(_ref(mon, t, n) for t, n in TERWAY_RBAC)}
    assert wanted <= set(ds.dependencies)
    digest = hashlib.sha256(json.dumps(cm.inputs["data"], sort_keys=True).encode()).hexdigest()
    assert ds.inputs["spec"]["template"]["metadata"]["annotations"]["hybrid.example.com/eni-config-sha256"] == digest
    env = {e["name"]: e.get("value") for c in ds.inputs["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])}
    assert (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]) == ("10.0.0.10", "6443")

    # what the component registers
    out = mon.outputs[comp.urn]
    assert out["resources"] == sorted([
        "DaemonSet/kube-system/calico-node", "DaemonSet/kube-system/kube-proxy", "ConfigMap/kube-system/kube-proxy-cloud",
        "DaemonSet/kube-system/kube-proxy-cloud", "ServiceAccount/kube-system/terway", "ClusterRole/terway",
        "ClusterRoleBinding/terway", "Role/kube-system/terway", "RoleBinding/kube-system/terway",
        "ConfigMap/kube-system/eni-config-cn-beijing", "DaemonSet/kube-system/terway-eniip-cn-beijing"])
    assert out["eniConfigs"] == {"cn-beijing": cm.inputs["data"]}
    assert sorted(cni.resources) == out["resources"]


def test_without_a_credential_secret_terway_waits_on_its_own_objects_only(pulumi_mocks, dev_raw):
    _, mon = record(pulumi_mocks, dev_raw)
    settle(_program(dev_raw, with_secret=False, apiserver=None))
    ds = mon.one(DS, "cni-daemonset-kube-system-terway-eniip-cn-beijing")
    assert set(ds.dependencies) == {_ref(mon, CM, "cni-configmap-kube-system-eni-config-cn-beijing"),
                                    *(_ref(mon, t, n) for t, n in TERWAY_RBAC)}
    env = {e["name"] for c in ds.inputs["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])}
    assert "KUBERNETES_SERVICE_HOST" not in env  # no endpoint: the kubelet's Service variables


def test_no_cloud_region_means_calico_only(pulumi_mocks, dev_raw):
    _, mon = record(pulumi_mocks, dev_raw)
    cni, eni_configs = settle(_program(dev_raw, regions=()))
    assert sorted((r.type, r.name) for r in mon.children(mon.one(CNI, "cni"))) == [(PATCH, "cni-calico-node-affinity")]
    assert eni_configs == {} and sorted(cni.resources) == ["DaemonSet/kube-system/calico-node"]


def test_operator_calico_and_addon_terway(pulumi_mocks, dev_raw):
    dev_raw["cni"]["calico"]["install"] = "operator"
    dev_raw["cni"]["terway"]["install"] = "addon"
    dev_raw["cni"]["terway"]["credentials"] = "instanceRole"
    _, mon = record(pulumi_mocks, dev_raw)
    cni, eni_configs = settle(_program(dev_raw, with_secret=False))
    comp = mon.one(CNI, "cni")
    adopt = _ref(mon, "pulumi:providers:kubernetes", "idc-adopt")
    # the tigera operator's Installation "default" (operator.tigera.io/v1), patched and retained
    inst = mon.one("kubernetes:operator.tigera.io/v1:InstallationPatch", "cni-calico-installation")
    assert (inst.inputs["apiVersion"], inst.inputs["kind"], inst.inputs["metadata"]["name"]) == ("operator.tigera.io/v1", "Installation", "default")
    assert inst.inputs["spec"]["calicoNetwork"] == {"bgp": "Enabled"}
    assert (_provider(inst), inst.options) == (adopt, {"retainOnDelete": True})
    # Terway is the cluster's component: no Terway object here; kube-proxy for the cloud nodes stays
    assert sorted((r.type, r.name) for r in mon.children(comp)) == sorted([
        ("kubernetes:operator.tigera.io/v1:InstallationPatch", "cni-calico-installation"), (PATCH, "cni-kube-proxy-affinity"),
        (CM, "cni-configmap-kube-system-kube-proxy-cloud"), (DS, "cni-daemonset-kube-system-kube-proxy-cloud")])
    assert eni_configs == {} and "Installation/default" in cni.resources


def test_terway_addon_on_the_registered_cluster(pulumi_mocks, dev_raw):
    dev_raw["cni"]["terway"]["install"] = "addon"
    dev_raw["cni"]["terway"]["credentials"] = "instanceRole"
    _, mon = record(pulumi_mocks, dev_raw)

    def program():
        import pulumi_kubernetes as k8s

        from components.cni import TerwayAddon, TerwayAddonArgs
        from components.contracts import RegisteredClusterOutputs

        p = load(dev_raw)
        idc = k8s.Provider("idc", kubeconfig="{}")
        connected = k8s.core.v1.ConfigMap("connected", metadata={"name": "c", "namespace": "kube-system"},
                                          opts=pulumi.ResourceOptions(provider=idc))
        cluster = RegisteredClusterOutputs(cluster_id=pulumi.Output.from_input("c-standin"), connected=connected, agent_config=connected)
        import pulumi_alicloud as alicloud

        # the registration region's provider, as components/platform.py hands it
        region = alicloud.Provider("alicloud-cn-beijing", region="cn-beijing")
        addon = TerwayAddon("terway", TerwayAddonArgs(cni=p.cni, cluster=cluster, region=standin_network("cn-beijing", ["cn-beijing-g"])),
                            opts=pulumi.ResourceOptions(providers={"alicloud": region}))
        return addon.config

    config = settle(program)
    comp = mon.one("hybrid:cni:TerwayAddon", "terway")
    addon = mon.one("alicloud:cs/kubernetesAddon:KubernetesAddon", "terway-addon")
    # terway-eniip is Terway's component name in ACK; dev's Terway is v1.16.7
    assert addon.inputs == {"clusterId": "c-standin", "name": "terway-eniip", "version": "v1.16.7", "config": config}
    assert addon.parent == comp.urn and _ref(mon, CM, "connected") in addon.dependencies
    assert _provider(addon) == _ref(mon, "pulumi:providers:alicloud", "alicloud-cn-beijing")
    conf = json.loads(config)
    assert "vsw-cn-beijing-g-pods" in json.dumps(conf) and "sg-cn-beijing-pods" in json.dumps(conf)
    assert mon.outputs[comp.urn] == {"config": config, "addonId": mon.outputs[comp.urn]["addonId"]}
    assert mon.outputs[comp.urn]["addonId"]


def test_an_ipv6_region_gets_the_dual_stack(pulumi_mocks, dev_raw):
    _, mon = record(pulumi_mocks, dev_raw)
    settle(_program(dev_raw, ipv6=True))
    conf = json.loads(mon.one(CM, "cni-configmap-kube-system-eni-config-cn-beijing").inputs["data"]["eni_conf"])
    assert (conf["region_id"], conf["ip_stack"]) == ("cn-beijing", "dual")


def test_terway_addon_refuses_a_region_without_pod_vswitches_naming_it(pulumi_mocks, dev_raw):
    dev_raw["cni"]["terway"]["install"] = "addon"
    dev_raw["cni"]["terway"]["credentials"] = "instanceRole"
    record(pulumi_mocks, dev_raw)

    def program():
        import pulumi_kubernetes as k8s

        from components.cni import TerwayAddon, TerwayAddonArgs
        from components.contracts import RegisteredClusterOutputs

        idc = k8s.Provider("idc", kubeconfig="{}")
        connected = k8s.core.v1.ConfigMap("connected", metadata={"name": "c", "namespace": "kube-system"},
                                          opts=pulumi.ResourceOptions(provider=idc))
        cluster = RegisteredClusterOutputs(cluster_id=pulumi.Output.from_input("c-standin"), connected=connected, agent_config=connected)
        net = standin_network("cn-beijing", [])  # no zone: no pod vSwitch for Terway's ENIs
        return TerwayAddon("terway", TerwayAddonArgs(cni=load(dev_raw).cni, cluster=cluster, region=net)).config

    # Terway without a pod vSwitch would put pod IPs on the node vSwitch (hybrid/cni.py addon_config)
    with pytest.raises(ValueError, match="region cn-beijing has no pod vSwitches; Terway would use the node vSwitch"):
        settle(program)
