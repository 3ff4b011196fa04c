"""Mock tests: DualCni declares the rendered objects on the IDC provider, eni-config from real network outputs."""

from __future__ import annotations

import json


from hybrid.model import load
from tests.cni_declared import build
from tests.conftest import settle

CM = "kubernetes:core/v1:ConfigMap"
DS = "kubernetes:apps/v1:DaemonSet"


def test_eni_config_takes_every_zone_from_the_network(pulumi_mocks, dev_raw):
    dev_raw["regions"][0]["zones"].append("cn-beijing-h")
    rec = pulumi_mocks(dev_raw)

    def program():
        net = build(dev_raw)[1]["cn-beijing"]
        return net.pod_vswitch_ids, net.pod_security_group_id

    pod_vsw, sg = settle(program)
    cm = rec.named(CM, "cni-configmap-kube-system-eni-config-cn-beijing").inputs
    conf = json.loads(cm["data"]["eni_conf"])
    assert set(pod_vsw) == {"cn-beijing-g", "cn-beijing-h"}
    assert conf["vswitches"] == {z: [v] for z, v in pod_vsw.items()}
    assert conf["security_groups"] == [sg] and sg.startswith("sg-")
    assert all(v.startswith("vsw-") for v in pod_vsw.values())
    node_vsw = rec.named("alicloud:vpc/switch:Switch", "cn-beijing-cn-beijing-g-nodes")
    assert node_vsw.inputs["cidrBlock"] not in json.dumps(conf)
    ds = rec.named(DS, "cni-daemonset-kube-system-terway-eniip-cn-beijing").inputs
    assert ds["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == "eni-config-cn-beijing"
    assert ds["spec"]["template"]["metadata"]["annotations"]["hybrid.example.com/eni-config-sha256"]
    for args_ in rec.resources.values():
        if args_.typ.startswith("kubernetes:") and args_.typ != "pulumi:providers:kubernetes":
            assert args_.provider and "::idc::" in args_.provider, args_.name


def test_one_terway_per_region_and_calico_once(pulumi_mocks, prod_raw):
    rec = pulumi_mocks(prod_raw, stack="prod")
    p = load(prod_raw)
    settle(lambda: [r.id for r in build(prod_raw)[2].resources.values()])

    names = sorted(a.name for a in rec.of_type(DS))
    assert names == ["cni-daemonset-kube-system-kube-proxy-cloud"] + [
        f"cni-daemonset-kube-system-terway-eniip-{r.id}" for r in sorted(p.regions, key=lambda r: r.id)]
    # calico-node is the cluster's: a server-side patch of its affinity, nothing else (tests/test_calico_adoption.py).
    calico = rec.named(DS + "Patch", "cni-calico-node-affinity").inputs
    assert set(calico["spec"]) == {"template"} and set(calico["spec"]["template"]["spec"]) == {"affinity"}
    exprs = calico["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"]
    assert {"key": "alibabacloud.com/external", "operator": "NotIn", "values": ["true"]} in exprs
    assert len(rec.of_type(CM)) == len(p.regions) + 1  # eni-config per region, kube-proxy-cloud
    assert len(rec.of_type("kubernetes:core/v1:ServiceAccount")) == 1
