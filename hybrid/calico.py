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

from hybrid import calico_selector
from hybrid.cni import VIRTUAL_KUBELET, match_expr
from hybrid.model.cni import Cni
from hybrid.model.network import Idc

Obj = dict[str, Any]

# The API group Calico's CRDs are served under when no Calico API server runs
# (libcalico-go/config/crd/crd.projectcalico.org_*.yaml at v3.28.2).
CRD_API = "crd.projectcalico.org/v1"
# The global BGP configuration is the one named "default" (confd/pkg/backends/calico/client.go, globalConfigName).
GLOBAL_BGP_CONFIG = "default"
# Server-side apply takes over the fields the object names from another manager (kubectl,
# calico-node, calicoctl) instead of failing on the conflict; fields it does not name stay
# with their managers (pulumi-kubernetes annotation, docs "Managing Resources with Server-Side Apply").
PATCH_FORCE = "pulumi.com/patchForce"
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
        # Calico's canonical form of the selector (the model checked it parses).
        "spec": {"peerIP": p.peer_ip, "asNumber": p.as_number, "nodeSelector": calico_selector.canonicalise(p.node_selector)},
    } for p in cni.calico.bgp.peers]


def pod_pool(cni: Cni, idc: Idc) -> Obj:
    """The IDC pod pool (manifest installs) as this program patches it: routed, no overlay.

    The pool exists (calico-node's startup made it, node/pkg/lifecycle/startup/startup.go)
    and is applied server-side with only the fields this program must own: encapsulation
    off and natOutgoing. ``cidr`` and ``blockSize`` are never written: libcalico-go's
    clientv3/ippool.go refuses to change them on an existing pool, and writing the CRD
    directly skips that check and corrupts IPAM (allocation blocks already carved from the
    old values). The live values are read back and compared instead (:func:`live_pool_mismatch`).
    ``disabled``, ``nodeSelector`` and ``allowedUses`` stay as the live pool has them.
    """
    bgp = cni.calico.bgp
    meta: Obj = {"name": bgp.pod_pool_name}
    # calico-node's startup owns ipipMode/vxlanMode (it wrote them when it created the pool): taking
    # them over is a conflict, forced for exactly the fields declared here (pulumi-kubernetes
    # annotation pulumi.com/patchForce, docs: "Managing Resources with Server-Side Apply").
    meta["annotations"] = {PATCH_FORCE: "true"}
    return {
        "apiVersion": CRD_API,
        "kind": "IPPool",
        "metadata": meta,
        "spec": {
            "ipipMode": "Never",
            "vxlanMode": "Never",
            "natOutgoing": bgp.nat_outgoing,
        },
    }


# Calico never changes cidr or blockSize on an existing pool (libcalico-go/lib/clientv3/ippool.go
# Update refuses both; the CRD schema names them spec.cidr / spec.blockSize): a stack that disagrees
# with the live pool is refused here rather than sent.
def live_pool_mismatch(live_spec: Any, cni: Cni, idc: Idc) -> str | None:
    """One line naming the stack field, both values and the fix, or None when the live pool agrees.

    ``live_spec`` is the pool's spec as the apiserver returned it; the IPPool CRD requires
    ``cidr`` (crd.projectcalico.org_ippools.yaml), so a spec without it is an answer this
    program does not understand, and is refused rather than passed.
    """
    bgp = cni.calico.bgp
    name = bgp.pod_pool_name
    if not isinstance(live_spec, dict) or "cidr" not in live_spec:
        return (f"IPPool {name}: the cluster returned no spec.cidr for the pool; "
                f"check that cni.calico.bgp.podPoolName names the live pool (kubectl get ippools.crd.projectcalico.org).")
    live_cidr = str(live_spec["cidr"])
    # blockSize is optional in the CRD; libcalico-go defaults an IPv4 pool to 26 (api/pkg/apis/projectcalico/v3/ippool.go).
    live_block = int(live_spec.get("blockSize", 26))
    problems = []
    if live_cidr != idc.pod_cidr:
        problems.append(f"idc.podCidr is {idc.pod_cidr} but the live pool's cidr is {live_cidr}")
    if live_block != bgp.block_size:
        problems.append(f"cni.calico.bgp.blockSize is {bgp.block_size} but the live pool's blockSize is {live_block}")
    if not problems:
        return None
    return (f"IPPool {name}: " + "; ".join(problems) +
            ": Calico cannot change either on an existing pool; set the stack values to the live pool's.")


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


CALICO_NODE = "calico-node"  # the DaemonSet's name in calico.yaml (manifests/calico.yaml at v3.28.2)


def calico_affinity(cni: Cni) -> Obj:
    """calico-node runs on every Linux node but the cloud nodes (Terway's) and virtual nodes."""
    label = cni.cloud_node_label
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
        "matchExpressions": [
            match_expr(label.key, "NotIn", label.value),
            match_expr(VIRTUAL_KUBELET[0], "NotIn", VIRTUAL_KUBELET[1]),
            match_expr("kubernetes.io/os", "In", "linux"),
        ]}]}}}


def calico_node_patch(cni: Cni) -> Obj:
    """Manifest installs: the running calico-node DaemonSet gets its node affinity, nothing else.

    Applied server-side as a patch (pulumi-kubernetes ``apps.v1.DaemonSetPatch``): the
    apiserver merges only the fields named here and records this program as their sole
    manager; image, env, volumes and everything else stay as the cluster's Calico
    install made them and keep their managers. The v3.28.2 manifest sets no affinity,
    so nothing conflicts and no force is needed; a conflict (someone else manages the
    affinity) fails the run instead of taking the field over. ``nodeSelectorTerms``
    is an atomic list (k8s.io/api core/v1 types.go ``+listType=atomic``): the patch owns
    the whole term list.
    """
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": CALICO_NODE, "namespace": cni.calico.namespace},
        "spec": {"template": {"spec": {"affinity": calico_affinity(cni)}}},
    }


def installation_patch(cni: Cni, idc: Idc) -> Obj:
    """Operator installs: the tigera Installation 'default' gets the calico-node affinity and BGP on;
    nothing of the pool.

    The Installation's ``calicoNetwork.ipPools`` entries carry ``cidr`` and ``blockSize``, and
    the operator changes an existing pool only through the Calico API server
    (operator:pkg/controller/ippool/pool_controller.go): the pool's encapsulation goes through
    the same IPPool patch as in manifest installs, which leaves cidr and blockSize alone.
    """
    return {
        "apiVersion": "operator.tigera.io/v1",
        "kind": "Installation",
        "metadata": {"name": "default"},
        "spec": {"calicoNodeDaemonSet": {"spec": {"template": {"spec": {"affinity": calico_affinity(cni)}}}},
                 "calicoNetwork": {"bgp": "Enabled"}},
    }


def routing_objects(cni: Cni, idc: Idc, cloud: Sequence[CloudRange]) -> list[Obj]:
    """The crd.projectcalico.org objects this program declares, in cut-over order.

    Peers first, then the BGPConfiguration that turns the mesh off (a node that loses
    the mesh before its peers exist loses every route), then the pod pool's
    encapsulation change (pod traffic without IPIP needs the routes BGP now carries), in
    both install modes. ``components/calico.py`` chains them with
    ``depends_on`` in this order.
    """
    objs = [*bgp_peers(cni), bgp_configuration(cni)]
    for o in objs:
        o["metadata"]["annotations"] = {PATCH_FORCE: "true"}
    objs.append(pod_pool(cni, idc))
    objs.extend(disabled_pools(cloud))
    return objs


# Adopted kinds in cut-over order: every peer, then the mesh off, then the pool's encapsulation.
CUTOVER_ORDER = ("BGPPeer", "BGPConfiguration", "IPPool")


def patched(obj: Obj) -> bool:
    """Objects applied as a server-side patch of a live object: only the fields they name are owned."""
    return obj["kind"] == "IPPool" and not obj["spec"].get("disabled", False)


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
