"""components.calico.CalicoRouting under Pulumi's mocks: which provider each object goes through, which
outlive the stack, the cut-over order as dependencies, and the live pod pool's check.

Worked by hand from stacks/Pulumi.prod.yaml (cni.calico.bgp: peers rr-a, rr-b, tor-gpu-r12, blockSize
26, the pod pool by its default name default-ipv4-ippool; idc.podCidr 10.128.0.0/14) and three cloud
VPCs. Calico: the cluster-wide BGPConfiguration is the one named ``default`` (docs.tigera.io,
"BGP configuration"); crd.projectcalico.org/v1 kinds BGPPeer, BGPConfiguration, IPPool. The order is
docs/network.md's cut-over: every peer, then the mesh off, then the pool's encapsulation."""

from __future__ import annotations

import copy

import pulumi
import pytest

from hybrid.model import load
from tests.component_graph import provider_urn, watch
from tests.conftest import settle

COMP = "hybrid:calico:Routing"
T = "kubernetes:crd.projectcalico.org/v1:"
CLOUD = [("cn-beijing", "192.168.0.0/16"), ("cn-hangzhou", "172.16.0.0/16"), ("cn-zhangjiakou", "172.18.0.0/16")]


def _program(raw, cni_raw=None):
    import pulumi_kubernetes as k8s

    from components.calico import CalicoRouting, CalicoRoutingArgs
    from hybrid.calico import CloudRange

    p = load(raw)
    cni = load({**raw, "cni": cni_raw}).cni if cni_raw is not None else p.cni
    idc = k8s.Provider("idc", kubeconfig="x")
    adopt = k8s.Provider("idc-adopt", kubeconfig="x")
    first = pulumi.CustomResource("test:index:CalicoManifest", "manifest")
    routing = CalicoRouting("calico", CalicoRoutingArgs(cni=cni, idc=p.idc, cloud=[CloudRange(r, c) for r, c in CLOUD],
                                                        adopt_provider=adopt, depends_on=[first]),
                            opts=pulumi.ResourceOptions(providers={"kubernetes": idc}))
    urns = {k: routing.resources[k].urn for k in ("BGPConfiguration/default", "IPPool/default-ipv4-ippool",
                                                  "IPPool/cloud-cn-beijing-vpc")}
    return {"routing": routing, "urns": urns, "live": routing.live_pool_check, "idc": idc.urn, "adopt": adopt.urn, "first": first.urn}


def test_adopted_objects_go_through_the_adopt_provider_are_retained_and_follow_the_cutover(pulumi_mocks, prod_raw):
    mon = watch(pulumi_mocks, prod_raw, stack="prod")
    got = settle(lambda: _program(prod_raw))
    comp = mon.one(COMP, "calico")
    first = got["first"]

    peers = [mon.one(T + "BGPPeer", f"calico-bgppeer-{n}") for n in ("rr-a", "rr-b", "tor-gpu-r12")]
    conf = mon.one(T + "BGPConfiguration", "calico-bgpconfiguration-default")
    pool = mon.one(T + "IPPoolPatch", "calico-ippool-default-ipv4-ippool")
    cloud = [mon.one(T + "IPPool", f"calico-ippool-cloud-{r}-vpc") for r, _ in CLOUD]
    assert sorted(r.urn for r in mon.children(comp.urn)) == sorted(r.urn for r in (*peers, conf, pool, *cloud))

    for r in (*peers, conf, pool):
        assert provider_urn(r.provider) == got["adopt"], r.name
        assert r.options.get("retainOnDelete") is True, r.name
    for r in cloud:  # the program's own pools: the ordinary provider, deleted with the stack
        assert provider_urn(r.provider) == got["idc"], r.name
        assert "retainOnDelete" not in r.options, r.name
        assert r.dependencies == [first]
        assert r.inputs["spec"]["disabled"] is True
    # peers first (after what the caller named), then the mesh off once every peer exists, then the pool
    for r in peers:
        assert r.dependencies == [first]
    assert conf.dependencies == sorted([first, *(r.urn for r in peers)])
    assert conf.inputs["spec"]["nodeToNodeMeshEnabled"] is False
    assert pool.dependencies == sorted([first, conf.urn])
    assert (pool.inputs["apiVersion"], pool.inputs["kind"]) == ("crd.projectcalico.org/v1", "IPPool")
    # routed without overlay; prod's natOutgoing: true; never cidr or blockSize (Calico refuses changing them)
    assert pool.inputs["spec"] == {"ipipMode": "Never", "vxlanMode": "Never", "natOutgoing": True}
    assert peers[2].inputs["spec"]["peerIP"] == "10.0.63.254" and peers[2].inputs["spec"]["asNumber"] == 65012

    # each object under its own Calico name (what the apiserver stores it as, and what the patch finds)
    names = {r.name: r.inputs["metadata"]["name"] for r in (*peers, conf, pool, *cloud)}
    assert names == {"calico-bgppeer-rr-a": "rr-a", "calico-bgppeer-rr-b": "rr-b", "calico-bgppeer-tor-gpu-r12": "tor-gpu-r12",
                     "calico-bgpconfiguration-default": "default", "calico-ippool-default-ipv4-ippool": "default-ipv4-ippool",
                     **{f"calico-ippool-cloud-{r}-vpc": f"cloud-{r}-vpc" for r, _ in CLOUD}}
    # the live pool's patch forces only the fields it names (pulumi-kubernetes pulumi.com/patchForce)
    assert pool.inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}

    keys = sorted(["BGPPeer/rr-a", "BGPPeer/rr-b", "BGPPeer/tor-gpu-r12", "BGPConfiguration/default",
                   "IPPool/default-ipv4-ippool", *(f"IPPool/cloud-{r}-vpc" for r, _ in CLOUD)])
    assert sorted(got["routing"].resources) == keys
    # the handles are the declared resources
    assert got["urns"] == {"BGPConfiguration/default": conf.urn, "IPPool/default-ipv4-ippool": pool.urn,
                           "IPPool/cloud-cn-beijing-vpc": cloud[0].urn}
    # the stand-in answers with the live pool as the stack describes it: the check passes
    assert got["live"] == "matches"
    assert mon.outputs_of(COMP, "calico") == {"resources": keys, "livePool": "matches"}


def test_a_live_pool_other_than_the_stacks_fails_the_run_with_both_values(pulumi_mocks, prod_raw):
    # the stand-in answers with the stack config's pool (blockSize 26); the component is told 24
    cni = copy.deepcopy(prod_raw["cni"])
    cni["calico"]["bgp"]["blockSize"] = 24
    watch(pulumi_mocks, prod_raw, stack="prod")
    with pytest.raises(pulumi.RunError) as e:
        settle(lambda: _program(prod_raw, cni_raw=cni))
    assert str(e.value) == (
        "IPPool default-ipv4-ippool: cni.calico.bgp.blockSize is 24 but the live pool's blockSize is 26: "
        "Calico cannot change either on an existing pool; set the stack values to the live pool's.")
