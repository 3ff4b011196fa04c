"""Calico routing objects of the IDC cluster, as plain dicts (pure).

The practice: IDC nodes run Calico in pure BGP mode; route reflectors (or ToR
switches) learn every node's pod blocks and announce them to the data-center
network, which carries them over the leased line. What that takes from Calico:

* ``BGPConfiguration`` ``default`` (the global one): the node-to-node mesh off
  once route reflectors or ToR peers are given, and the nodes' AS number.
* one ``BGPPeer`` per route reflector / switch from stack config.
* the IDC pod pool declared with encapsulation off, so pod IPs travel as they
  are. ``CALICO_IPV4POOL_*`` on calico-node only takes effect when no pool exists
  (node/pkg/lifecycle/startup/startup.go), so a running cluster keeps whatever
  its pool says until the pool itself is changed.
* one *disabled* pool per cloud VPC CIDR. Felix masquerades traffic from a
  ``natOutgoing`` pool to any destination outside all pools (felix/rules/nat.go);
  a disabled pool counts as a pool but no address is ever assigned from it, so
  IDC pods reach cloud nodes and Terway pods with their own IP. Pod vSwitch CIDRs
  lie inside their VPC CIDR (the model checks it), and Calico's API rejects a
  pool that overlaps another (libcalico-go/lib/clientv3/ippool.go), so the VPC
  pool is the one pool per region.

Manifest installs get the pod pool as an ``IPPool``; operator installs get it in
the ``Installation`` (spec.calicoNetwork.ipPools, at most one per address family
in operator v1.34.5), while BGPConfiguration, BGPPeer and the disabled pools are
crd.projectcalico.org objects in both modes (the operator does not manage them).

Every field and value, with its upstream source at Calico v3.28.2 / operator
v1.34.5, is in the table of docs/network.md; tests validate the objects against
the CRD schemas of that tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from hybrid import cni as cni_plan
from hybrid.model.cni import Cni
from hybrid.model.network import Idc

Obj = dict[str, Any]

# The API group Calico's CRDs are served under when no Calico API server runs
# (libcalico-go/config/crd/crd.projectcalico.org_*.yaml at v3.28.2).
CRD_API = "crd.projectcalico.org/v1"
# The global BGP configuration is the one named "default" (confd/pkg/backends/calico/client.go, globalConfigName).
GLOBAL_BGP_CONFIG = "default"
LABELS = {"app.kubernetes.io/part-of": "hybrid-dual-cni", "app.kubernetes.io/component": "calico-routing"}


@dataclass(frozen=True)
class CloudRange:
    """A cloud region's VPC CIDR, for which IDC pods must not be SNATed."""

    region_id: str
    cidr: str


def _meta(name: str) -> Obj:
    return {"name": name, "labels": dict(LABELS)}


def bgp_configuration(cni: Cni) -> Obj:
    bgp = cni.calico.bgp
    return {
        "apiVersion": CRD_API,
        "kind": "BGPConfiguration",
        "metadata": _meta(GLOBAL_BGP_CONFIG),
        "spec": {"nodeToNodeMeshEnabled": bgp.mesh_enabled, "asNumber": bgp.as_number},
    }


def bgp_peers(cni: Cni) -> list[Obj]:
    return [{
        "apiVersion": CRD_API,
        "kind": "BGPPeer",
        "metadata": _meta(p.name),
        "spec": {"peerIP": p.peer_ip, "asNumber": p.as_number, "nodeSelector": p.node_selector},
    } for p in cni.calico.bgp.peers]


def pod_pool(cni: Cni, idc: Idc) -> Obj:
    """The IDC pod pool (manifest installs): routed, no overlay."""
    bgp = cni.calico.bgp
    return {
        "apiVersion": CRD_API,
        "kind": "IPPool",
        "metadata": _meta(bgp.pod_pool_name),
        "spec": {
            "cidr": idc.pod_cidr,
            "ipipMode": "Never",
            "vxlanMode": "Never",
            "natOutgoing": bgp.nat_outgoing,
            "disabled": False,
            "blockSize": bgp.block_size,
            "nodeSelector": "all()",
            "allowedUses": ["Workload", "Tunnel"],
        },
    }


def disabled_pool_name(region_id: str) -> str:
    return f"cloud-{region_id}-vpc"


def disabled_pools(cloud: Sequence[CloudRange]) -> list[Obj]:
    """One disabled pool per cloud VPC: no SNAT toward it, nothing assigned, nothing announced."""
    out = []
    for c in sorted(cloud, key=lambda c: c.region_id):
        out.append({
            "apiVersion": CRD_API,
            "kind": "IPPool",
            "metadata": _meta(disabled_pool_name(c.region_id)),
            "spec": {
                "cidr": c.cidr,
                "ipipMode": "Never",
                "vxlanMode": "Never",
                "natOutgoing": False,
                "disabled": True,
                # Written through the CRD, nothing applies the API's defaults: set them as the API would.
                "blockSize": 26,
                "nodeSelector": "all()",
                "allowedUses": ["Workload", "Tunnel"],
                # The IDC must not announce the cloud's ranges back: the VBR / transit router owns them.
                "disableBGPExport": True,
            },
        })
    return out


def installation_patch(cni: Cni, idc: Idc) -> Obj:
    """Operator installs: the calico-node affinity plus BGP on and the pod pool without encapsulation."""
    bgp = cni.calico.bgp
    patch = cni_plan.calico_installation_patch(cni)
    patch["spec"]["calicoNetwork"] = {
        "bgp": "Enabled",
        "ipPools": [{
            "name": bgp.pod_pool_name,
            "cidr": idc.pod_cidr,
            "encapsulation": "None",
            "natOutgoing": "Enabled" if bgp.nat_outgoing else "Disabled",
            "blockSize": bgp.block_size,
            "nodeSelector": "all()",
        }],
    }
    return patch


# Server-side apply takes over fields another manager (kubectl, calico-node, calicoctl)
# set on an adopted object instead of failing on the conflict (pulumi-kubernetes annotation).
PATCH_FORCE = "pulumi.com/patchForce"


def routing_objects(cni: Cni, idc: Idc, cloud: Sequence[CloudRange]) -> list[Obj]:
    """The crd.projectcalico.org objects this program declares, pod pool only for manifest installs."""
    objs = [bgp_configuration(cni), *bgp_peers(cni)]
    if cni.calico.install == "manifest":
        objs.append(pod_pool(cni, idc))
    objs.extend(disabled_pools(cloud))
    for o in objs:
        if adopted(o):
            o["metadata"]["annotations"] = {PATCH_FORCE: "true"}
    return objs


def adopted(obj: Obj) -> bool:
    """Objects the running IDC cluster may already have: adopted (upsert) and never deleted.

    The global BGPConfiguration and the pod pool exist in every Calico cluster; BGP
    peers exist already where the IDC peers with its route reflectors today, and must
    outlive the stack anyway, because the retained BGPConfiguration keeps the mesh off.
    The disabled cloud pools are this program's own: destroying them only brings back
    SNAT toward VPCs that are gone with the stack.
    """
    return obj["kind"] in ("BGPConfiguration", "BGPPeer") or (
        obj["kind"] == "IPPool" and not obj["spec"].get("disabled", False))
