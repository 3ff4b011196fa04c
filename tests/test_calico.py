"""Calico routing objects: valid against Calico's own CRD schemas (v3.28.2), and doing what the practice needs."""

from __future__ import annotations

import json
from pathlib import Path

import netaddr
import pytest
import yaml
from jsonschema import Draft7Validator

from hybrid import calico
from hybrid.errors import ConfigError
from hybrid.model import load

DATA = Path(__file__).parent / "data" / "calico-v3.28.2"
CRD_FILES = {
    "BGPConfiguration": "crd.projectcalico.org_bgpconfigurations.yaml",
    "BGPPeer": "crd.projectcalico.org_bgppeers.yaml",
    "IPPool": "crd.projectcalico.org_ippools.yaml",
}


def _crd(kind: str) -> tuple[str, str, dict]:
    if kind == "Installation":
        d = json.loads((DATA / "operator.tigera.io_installations.spec-subset.json").read_text())
        return d["group"], d["version"], d["openAPIV3Schema"]
    d = yaml.safe_load((DATA / CRD_FILES[kind]).read_text())
    assert d["spec"]["names"]["kind"] == kind
    (v,) = [v for v in d["spec"]["versions"] if v["served"] and v["storage"]]
    return d["spec"]["group"], v["name"], v["schema"]["openAPIV3Schema"]


def _pruned(obj, schema, path="") -> list[str]:
    """Fields the API server would silently drop (structural pruning): not declared in the schema."""
    out = []
    if isinstance(obj, dict) and schema.get("type") == "object":
        props = schema.get("properties")
        if props is None or schema.get("x-kubernetes-preserve-unknown-fields"):
            return out
        for k, v in obj.items():
            if k not in props:
                out.append(f"{path}.{k}")
            else:
                out += _pruned(v, props[k], f"{path}.{k}")
    elif isinstance(obj, list) and "items" in schema:
        for i, v in enumerate(obj):
            out += _pruned(v, schema["items"], f"{path}[{i}]")
    return out


def _int32(obj, schema, path="") -> list[str]:
    """format: int32 integers within range (the API server checks the format; jsonschema does not know it)."""
    out = []
    if schema.get("format") == "int32" and isinstance(obj, int) and not -2**31 <= obj < 2**31:
        out.append(f"{path}: {obj} is not an int32")
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _int32(v, (schema.get("properties") or {}).get(k, {}), f"{path}.{k}")
    if isinstance(obj, list):
        out += [e for i, v in enumerate(obj) for e in _int32(v, schema.get("items") or {}, f"{path}[{i}]")]
    return out


def crd_errors(obj: dict) -> list[str]:
    group, version, schema = _crd(obj["kind"])
    errs = []
    if obj["apiVersion"] != f"{group}/{version}":
        errs.append(f"apiVersion {obj['apiVersion']} is not {group}/{version}")
    meta_free = {k: v for k, v in obj.items() if k != "metadata"}  # metadata is the API server's ObjectMeta
    errs += [f"{'.'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in Draft7Validator(schema).iter_errors(meta_free)]
    errs += [f"{p}: unknown field, the API server would drop it" for p in _pruned(meta_free, schema)]
    errs += _int32(meta_free, schema)
    return errs


def _objects(raw) -> list[dict]:
    p = load(raw)
    cloud = [calico.CloudRange(r.id, r.vpc_cidr) for r in p.regions]
    objs = [_as_applied(o) for o in calico.routing_objects(p.cni, p.idc, cloud)]
    if p.cni.calico.install == "operator":
        objs.append(calico.installation_patch(p.cni, p.idc))
    return objs


# The pool calico-node's startup creates in the practice's cluster (node/pkg/lifecycle/startup/startup.go
# at v3.28.2: CALICO_IPV4POOL_CIDR, blockSize 26, the upstream manifest's CALICO_IPV4POOL_IPIP Always,
# natOutgoing true, nodeSelector all()); prod's idc.podCidr is the cidr it was installed with.
LIVE_POD_POOL = {"cidr": "10.128.0.0/14", "blockSize": 26, "ipipMode": "Always", "vxlanMode": "Never",
                 "natOutgoing": True, "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"]}


def _as_applied(obj: dict) -> dict:
    """A patch as the apiserver stores it: merged onto the live pool, then validated as a whole."""
    if not calico.patched(obj):
        return obj
    return {**obj, "spec": {**LIVE_POD_POOL, **obj["spec"]}}


def test_the_pod_pool_patch_never_writes_cidr_or_blocksize(prod_raw):
    p = load(prod_raw)
    patch = calico.pod_pool(p.cni, p.idc)
    assert calico.patched(patch)
    # libcalico-go clientv3/ippool.go refuses to change these on an existing pool.
    assert "cidr" not in patch["spec"] and "blockSize" not in patch["spec"]
    assert patch["spec"] == {"ipipMode": "Never", "vxlanMode": "Never", "natOutgoing": True}
    assert "labels" not in patch["metadata"]  # nothing beyond what the cut-over needs


def test_a_live_pool_that_differs_fails_naming_both_values(prod_raw):
    p = load(prod_raw)
    assert calico.live_pool_mismatch(LIVE_POD_POOL, p.cni, p.idc) is None
    msg = calico.live_pool_mismatch({**LIVE_POD_POOL, "cidr": "192.168.0.0/16"}, p.cni, p.idc)
    assert "idc.podCidr" in msg and "10.128.0.0/14" in msg and "192.168.0.0/16" in msg and "\n" not in msg
    msg = calico.live_pool_mismatch({**LIVE_POD_POOL, "blockSize": 24}, p.cni, p.idc)
    assert "cni.calico.bgp.blockSize" in msg and "26" in msg and "24" in msg
    # blockSize absent: libcalico-go's default for IPv4 (26) is what the pool has.
    assert calico.live_pool_mismatch({k: v for k, v in LIVE_POD_POOL.items() if k != "blockSize"}, p.cni, p.idc) is None
    assert "spec.cidr" in calico.live_pool_mismatch({}, p.cni, p.idc)


def test_adopted_objects_come_in_cut_over_order(prod_raw):
    """Peers before the mesh goes off, the pool's encapsulation after (docs/network.md, cut-over)."""
    p = load(prod_raw)
    kinds = [o["kind"] for o in calico.routing_objects(p.cni, p.idc, []) if calico.adopted(o)]
    assert kinds == ["BGPPeer", "BGPPeer", "BGPPeer", "BGPConfiguration", "IPPool"]


@pytest.mark.parametrize("install", ["manifest", "operator"])
def test_prod_objects_are_valid_against_calico_crds(prod_raw, install):
    prod_raw["cni"]["calico"]["install"] = install
    objs = _objects(prod_raw)
    kinds = sorted(o["kind"] for o in objs)
    if install == "manifest":
        assert kinds == ["BGPConfiguration", "BGPPeer", "BGPPeer", "BGPPeer", "IPPool", "IPPool", "IPPool", "IPPool"]
    else:  # the same pool patch, plus the Installation's affinity and BGP
        assert kinds == ["BGPConfiguration", "BGPPeer", "BGPPeer", "BGPPeer", "IPPool", "IPPool", "IPPool", "IPPool", "Installation"]
    for o in objs:
        errs = crd_errors(o)
        assert not errs, f"{o['kind']}/{o['metadata']['name']}: {errs}"
        print(f"valid against Calico v3.28.2 CRD: {o['apiVersion']} {o['kind']}/{o['metadata']['name']}")


def test_the_schema_check_catches_mistakes(prod_raw):
    pool = next(o for o in _objects(prod_raw) if o["kind"] == "IPPool")
    assert any("natOutgoing" in e for e in crd_errors({**pool, "spec": {**pool["spec"], "natOutgoing": "yes"}}))
    assert any("cidr" in e for e in crd_errors({**pool, "spec": {k: v for k, v in pool["spec"].items() if k != "cidr"}}))
    assert any("natOutGoing" in e for e in crd_errors({**pool, "spec": {**pool["spec"], "natOutGoing": True}}))
    assert any("apiVersion" in e for e in crd_errors({**pool, "apiVersion": "projectcalico.org/v3"}))
    peer = next(o for o in _objects(prod_raw) if o["kind"] == "BGPPeer")
    assert any("int32" in e for e in crd_errors({**peer, "spec": {**peer["spec"], "asNumber": 4200000000}}))
    prod_raw["cni"]["calico"]["install"] = "operator"
    inst = _objects(prod_raw)[-1]
    bad = json.loads(json.dumps(inst))
    bad["spec"]["calicoNetwork"]["bgp"] = "Never"  # an IPPool mode spelling, not the operator's Enabled/Disabled
    assert any("bgp" in e for e in crd_errors(bad))


# The CRD declares ipipMode / vxlanMode as plain strings; the values are Go constants
# (api/pkg/apis/projectcalico/v3/ippool.go at v3.28.2), checked by Calico's validator, not the schema.
ENCAP_MODES = {"Never", "Always", "CrossSubnet"}


def test_pool_modes_are_calico_constants(prod_raw):
    for o in _objects(prod_raw):
        if o["kind"] == "IPPool":
            assert {o["spec"]["ipipMode"], o["spec"]["vxlanMode"]} <= ENCAP_MODES


def _by(objs, kind):
    return {o["metadata"]["name"]: o["spec"] for o in objs if o["kind"] == kind}


def test_prod_bgp_turns_the_mesh_off_and_peers_with_the_reflectors(prod_raw):
    objs = _objects(prod_raw)
    assert _by(objs, "BGPConfiguration") == {"default": {"nodeToNodeMeshEnabled": False, "asNumber": 64512}}
    assert _by(objs, "BGPPeer") == {
        "rr-a": {"peerIP": "10.2.0.1", "asNumber": 64512, "nodeSelector": "all()"},
        "rr-b": {"peerIP": "10.2.0.2", "asNumber": 64512, "nodeSelector": "all()"},
        # stacks/Pulumi.prod.yaml writes rack == 'gpu-r12'; Calico's canonical form quotes with "
        "tor-gpu-r12": {"peerIP": "10.0.63.254", "asNumber": 65012, "nodeSelector": 'rack == "gpu-r12"'},
    }


def test_dev_without_peers_keeps_the_mesh(dev_raw):
    assert _by(_objects(dev_raw), "BGPConfiguration")["default"]["nodeToNodeMeshEnabled"] is True
    assert not _by(_objects(dev_raw), "BGPPeer")


def _snat(pools: dict, src: str, dst: str) -> bool:
    """Felix's NAT-outgoing rule (felix/rules/nat.go at v3.28.2): masquerade when the source is in a
    natOutgoing pool and the destination is in no pool at all (disabled pools included: masq_mgr.go)."""
    ip_s, ip_d = netaddr.IPAddress(src), netaddr.IPAddress(dst)
    masq = [p["cidr"] for p in pools.values() if p.get("natOutgoing")]
    every = [p["cidr"] for p in pools.values()]
    return any(ip_s in netaddr.IPNetwork(c) for c in masq) and not any(ip_d in netaddr.IPNetwork(c) for c in every)


def test_idc_pods_keep_their_address_toward_every_cloud_range(prod_raw):
    pools = _by(_objects(prod_raw), "IPPool")
    pod = pools["default-ipv4-ippool"]
    assert (pod["cidr"], pod["ipipMode"], pod["vxlanMode"], pod["natOutgoing"]) == ("10.128.0.0/14", "Never", "Never", True)
    idc_pod = "10.128.7.9"
    # prod's cloud ranges, written out by hand (VPCs and pod vSwitches of stacks/Pulumi.prod.yaml).
    cloud_addresses = ["10.32.0.5", "10.32.40.1", "10.32.100.7", "10.33.33.3", "10.33.70.1", "10.34.200.1", "10.34.0.9"]
    for dst in cloud_addresses:
        assert not _snat(pools, idc_pod, dst), f"{dst} would see the IDC node's address, not the pod's"
    assert _snat(pools, idc_pod, "8.8.8.8")  # the internet still gets SNAT (natOutgoing true)
    for name, spec in pools.items():
        if name != "default-ipv4-ippool":
            assert spec["disabled"] is True and spec["natOutgoing"] is False and spec["disableBGPExport"] is True


def test_every_pod_vswitch_is_covered_and_no_pools_overlap(prod_raw):
    p = load(prod_raw)
    pools = _by(_objects(prod_raw), "IPPool")
    disabled = [netaddr.IPNetwork(s["cidr"]) for s in pools.values() if s.get("disabled")]
    for r in p.regions:
        for z in r.zones:
            assert any(netaddr.IPNetwork(z.pod_vswitch_cidr) in d for d in disabled), z.pod_vswitch_cidr
    # Calico's API rejects overlapping pools (libcalico-go/lib/clientv3/ippool.go at v3.28.2).
    nets = [netaddr.IPNetwork(s["cidr"]) for s in pools.values()]
    for i, a in enumerate(nets):
        for b in nets[i + 1:]:
            assert a not in b and b not in a, (a, b)


def test_operator_installation_leaves_the_pool_to_the_pool_patch(prod_raw):
    prod_raw["cni"]["calico"]["install"] = "operator"
    objs = _objects(prod_raw)
    inst = objs[-1]
    # BGP on; no ipPools entry (it would carry cidr and blockSize).
    assert inst["spec"]["calicoNetwork"] == {"bgp": "Enabled"}
    p = load(prod_raw)
    assert calico.pod_pool(p.cni, p.idc) in calico.routing_objects(p.cni, p.idc, [])
    # The affinity patch that keeps calico-node off cloud nodes is still there.
    assert "affinity" in inst["spec"]["calicoNodeDaemonSet"]["spec"]["template"]["spec"]


@pytest.mark.parametrize("edit,field", [
    (lambda b: b["peers"][0].update(peerIp="192.0.2.1"), "cni.calico.bgp.peers[0].peerIp"),
    (lambda b: b["peers"][0].update(peerIp="10.2.0.300"), "cni.calico.bgp.peers[0].peerIp"),
    (lambda b: b.update(peers=[], nodeToNodeMesh=False), "cni.calico.bgp"),
    (lambda b: b["peers"][1].update(name="rr-a"), "cni.calico.bgp"),
    (lambda b: b["peers"][0].update(asNumber=0), "cni.calico.bgp.peers[0].asNumber"),
    (lambda b: b["peers"][0].update(asNumber=4200000000), "cni.calico.bgp.peers[0].asNumber"),
    # Not Calico selectors (libcalico-go parser_test.go badSelectors: a bare label, label == label).
    (lambda b: b["peers"][2].update(nodeSelector="rack"), "cni.calico.bgp.peers[2].nodeSelector"),
    (lambda b: b["peers"][2].update(nodeSelector="rack == gpu-r12"), "cni.calico.bgp.peers[2].nodeSelector"),
])
def test_bad_bgp_config_names_the_field(prod_raw, edit, field):
    edit(prod_raw["cni"]["calico"]["bgp"])
    with pytest.raises(ConfigError) as info:
        load(prod_raw)
    assert [i.path for i in info.value.issues] == [field]
