"""hybrid/model/bgp.py: the node mesh's default, peer addresses and selectors, the routes-carried rule.

Sources: Calico's BGPConfiguration nodeToNodeMeshEnabled (docs.tigera.io, "BGP configuration"):
with route reflectors or ToR peers the full mesh goes off, otherwise every node must mesh or no
node learns another's pod routes. Calico's BGPPeer peerIP is an IP address
(libcalico-go api bgppeer.go). Selector syntax: libcalico-go lib/selector (parser_test.go's
badSelectors include a bare label and `label == label`). Cases edit prod's bgp section
(stacks/Pulumi.prod.yaml: AS 64512, peers rr-a 10.2.0.1, rr-b 10.2.0.2, tor-gpu-r12 10.0.63.254)
or dev's (no bgp section).
"""

from __future__ import annotations

import pytest

from hybrid import calico
from hybrid.model import load
from tests.conftest import refusals

BGP = "cni.calico.bgp"


def _mesh(raw) -> bool:
    return calico.bgp_configuration(load(raw).cni)["spec"]["nodeToNodeMeshEnabled"]


def _bgp(raw):
    return raw["cni"]["calico"].setdefault("bgp", {})


# --- the node mesh ----------------------------------------------------------------

@pytest.mark.parametrize("stack,mesh,expected", [
    ("prod", None, False),   # peers, nothing said: the reflectors carry the routes
    ("prod", True, True),    # peers and the mesh, as asked
    ("prod", False, False),
    ("dev", None, True),     # no peers, nothing said: the mesh carries them
    ("dev", True, True),
])
def test_the_mesh_is_on_without_peers_unless_the_stack_says(request, stack, mesh, expected):
    raw = request.getfixturevalue(f"{stack}_raw")
    if mesh is not None:
        _bgp(raw)["nodeToNodeMesh"] = mesh
    assert _mesh(raw) is expected


def test_no_mesh_and_no_peers_is_refused_naming_both_fixes(dev_raw):
    _bgp(dev_raw)["nodeToNodeMesh"] = False
    assert refusals(dev_raw) == [(BGP, "nodeToNodeMesh is off and no peers are given, so no node would learn another "
                                      "node's pod routes.",
                                 "add the route reflectors or ToR switches under peers, or drop nodeToNodeMesh.")]


def test_peer_names_used_twice_are_listed_once_each_sorted(prod_raw):
    peers = _bgp(prod_raw)["peers"]
    peers[0]["name"] = "tor-gpu-r12"     # twice
    peers.append({**peers[1], "peerIp": "10.2.0.3"})  # rr-b twice
    assert refusals(prod_raw) == [(BGP, "peer names ['rr-b', 'tor-gpu-r12'] are used twice.", "give each peer its own name.")]


def test_distinct_peer_names_are_accepted(prod_raw):
    _bgp(prod_raw)["peers"].append({"name": "rr-c", "peerIp": "10.2.0.3", "asNumber": 64512})
    peers = calico.bgp_peers(load(prod_raw).cni)
    assert [p["metadata"]["name"] for p in peers] == ["rr-a", "rr-b", "tor-gpu-r12", "rr-c"]
    assert peers[3]["spec"] == {"peerIP": "10.2.0.3", "asNumber": 64512, "nodeSelector": "all()"}


# --- peer address and selector ---------------------------------------------------

@pytest.mark.parametrize("ip", ["10.2.0.300", "fd00::1", "10.2.0", "010.2.0.1", "rr-a.idc.local", ""])
def test_a_peer_ip_that_is_not_ipv4_is_refused(prod_raw, ip):
    _bgp(prod_raw)["peers"][0]["peerIp"] = ip
    assert refusals(prod_raw) == [(f"{BGP}.peers[0].peerIp", f"{ip!r} is not an IPv4 address.",
                                  "give the peer's address, e.g. 10.2.0.1.")]


def test_the_peer_ip_reaches_the_bgppeer(prod_raw):
    _bgp(prod_raw)["peers"][1]["peerIp"] = "10.2.0.9"
    assert calico.bgp_peers(load(prod_raw).cni)[1]["spec"]["peerIP"] == "10.2.0.9"


@pytest.mark.parametrize("selector", ["rack", "rack == gpu-r12", "all(", "has(rack"])
def test_a_selector_calico_cannot_parse_is_refused_with_examples(prod_raw, selector):
    _bgp(prod_raw)["peers"][2]["nodeSelector"] = selector
    ((path, msg, fix),) = refusals(prod_raw)
    assert path == f"{BGP}.peers[2].nodeSelector"
    assert msg.startswith(f"{selector!r} is not a Calico selector (")
    assert fix == ("write it in Calico's selector syntax, e.g. all(), rack == 'r1', has(bgp-peer), "
                   "zone in {'a', 'b'} && !has(gpu).")


def test_a_long_bad_selector_is_quoted_to_80_characters(prod_raw):
    selector = "rack == " + "r" * 100
    _bgp(prod_raw)["peers"][2]["nodeSelector"] = selector
    ((_, msg, _),) = refusals(prod_raw)
    assert msg.startswith(repr(selector[:80]) + " is not a Calico selector (")


@pytest.mark.parametrize("selector", ["has(bgp-peer)", "zone in {'a', 'b'} && !has(gpu)", "rack == 'r1'"])
def test_the_fixs_examples_parse(prod_raw, selector):
    _bgp(prod_raw)["peers"][2]["nodeSelector"] = selector
    assert load(prod_raw).cni.calico.bgp.peers[2].node_selector == selector
