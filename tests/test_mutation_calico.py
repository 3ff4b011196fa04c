"""hybrid/calico.py called directly: what Calico, its operator, the API server and pulumi-kubernetes make of
each object (sources next to each expectation)."""

from __future__ import annotations

import pytest

from hybrid import calico
from hybrid.model import load
from tests.k8s_affinity import Node, placement

# k8s.io/apimachinery pkg/apis/meta/v1 types.go ObjectMeta: the fields a metadata may carry
# (the ones this program could write).
OBJECT_META = {"name", "namespace", "labels", "annotations"}
CLOUD = [calico.CloudRange("cn-hangzhou", "10.33.0.0/16"), calico.CloudRange("cn-beijing", "10.32.0.0/16")]


@pytest.fixture
def prod(prod_raw):
    return load(prod_raw)


def test_calico_node_runs_on_every_linux_idc_node_and_nowhere_else(prod):
    patch = calico.calico_node_patch(prod.cni)
    # A patch of calico.yaml's DaemonSet calico-node (apps/v1) in the namespace Calico runs in.
    assert (patch["apiVersion"], patch["kind"]) == ("apps/v1", "DaemonSet")
    assert patch["metadata"] == {"name": "calico-node", "namespace": prod.cni.calico.namespace}
    assert set(patch["spec"]) == {"template"} and set(patch["spec"]["template"]) == {"spec"}
    # calico.yaml tolerates every taint (operator Exists): the affinity alone decides.
    spec = {**patch["spec"]["template"]["spec"], "tolerations": [{"operator": "Exists"}]}
    base = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    assert placement(spec, Node("idc", base)) == (True, "")
    assert placement(spec, Node("idc-labelled-false", {**base, "alibabacloud.com/external": "false"})) == (True, "")
    for node in (Node("cloud", {**base, "alibabacloud.com/external": "true"}),
                 Node("virtual", {**base, "type": "virtual-kubelet"}),
                 Node("windows", {**base, "kubernetes.io/os": "windows"}),
                 Node("no-os-label", {})):
        assert placement(spec, node) == (False, "nodeAffinity"), node.name
    # The operator form carries the same affinity.
    inst = calico.installation_patch(prod.cni, prod.idc)
    assert inst["spec"]["calicoNodeDaemonSet"]["spec"]["template"]["spec"]["affinity"] == spec["affinity"]


def test_the_installation_patched_is_the_one_the_operator_reconciles(prod):
    # The tigera operator reconciles only the Installation named "default"
    # (tigera/operator pkg/controller/utils/utils.go DefaultInstanceKey = {Name: "default"}); operator.tigera.io/v1.
    inst = calico.installation_patch(prod.cni, prod.idc)
    assert inst["apiVersion"] == "operator.tigera.io/v1" and inst["kind"] == "Installation"
    assert inst["metadata"] == {"name": "default"}


def test_force_is_the_value_pulumi_kubernetes_reads_as_true(prod):
    """pulumi-kubernetes provider/pkg/metadata/annotations.go: IsAnnotationTrue compares the value with
    "true" exactly; the adopted objects must carry it, the program's own disabled pools need none."""
    objs = calico.routing_objects(prod.cni, prod.idc, CLOUD)
    for o in objs:
        assert set(o["metadata"]) <= OBJECT_META, o["metadata"]
        ann = o["metadata"].get("annotations", {})
        if calico.adopted(o):
            assert ann == {"pulumi.com/patchForce": "true"}, o["metadata"]["name"]
        else:
            assert ann == {}, o["metadata"]["name"]


def test_objects_this_program_owns_carry_its_labels(prod):
    for o in calico.routing_objects(prod.cni, prod.idc, CLOUD):
        if not calico.patched(o):
            assert o["metadata"]["labels"] == {"app.kubernetes.io/part-of": "hybrid-dual-cni",
                                               "app.kubernetes.io/component": "calico-routing"}, o["metadata"]["name"]


def test_disabled_pools_are_neither_patched_nor_adopted_and_the_pod_pool_is_both(prod):
    by_name = {o["metadata"]["name"]: o for o in calico.routing_objects(prod.cni, prod.idc, CLOUD)}
    assert [n for n in by_name if n.startswith("cloud-")] == ["cloud-cn-beijing-vpc", "cloud-cn-hangzhou-vpc"]
    for name in ("cloud-cn-beijing-vpc", "cloud-cn-hangzhou-vpc"):
        assert not calico.patched(by_name[name]) and not calico.adopted(by_name[name])
    pod = by_name[prod.cni.calico.bgp.pod_pool_name]
    assert calico.patched(pod) and calico.adopted(pod)
    for name in ("rr-a", "default"):
        assert calico.adopted(by_name[name]) and not calico.patched(by_name[name])
    # A pool spec saying disabled: false is the live pod pool's form.
    assert calico.patched({"kind": "IPPool", "spec": {"disabled": False}})
    assert not calico.adopted({"kind": "Installation", "spec": {}})


def test_disabled_pools_carry_the_values_calicos_api_would_default(prod):
    """Written through the CRD, no defaulting runs: the spec must hold what libcalico-go clientv3/ippool.go
    (v3.28.2) would set: blockSize 26 for IPv4, nodeSelector all(), allowedUses [Workload, Tunnel]."""
    (pool,) = calico.disabled_pools([calico.CloudRange("cn-beijing", "10.32.0.0/16")])
    assert pool["metadata"]["name"] == "cloud-cn-beijing-vpc"
    spec = pool["spec"]
    assert spec["cidr"] == "10.32.0.0/16"
    assert spec["blockSize"] == 26 and spec["nodeSelector"] == "all()"
    assert spec["allowedUses"] == ["Workload", "Tunnel"]
    assert spec["disabled"] is True and spec["natOutgoing"] is False and spec["disableBGPExport"] is True


def test_a_live_pool_that_differs_in_both_is_named_in_one_line(prod):
    live = {"cidr": "192.168.0.0/16", "blockSize": 24}
    # Worked by hand from prod (idc.podCidr 10.128.0.0/14, blockSize 26, pool default-ipv4-ippool).
    assert calico.live_pool_mismatch(live, prod.cni, prod.idc) == (
        "IPPool default-ipv4-ippool: idc.podCidr is 10.128.0.0/14 but the live pool's cidr is 192.168.0.0/16; "
        "cni.calico.bgp.blockSize is 26 but the live pool's blockSize is 24: Calico cannot change either on an "
        "existing pool; set the stack values to the live pool's.")
    assert calico.live_pool_mismatch(None, prod.cni, prod.idc).startswith("IPPool default-ipv4-ippool: ")
