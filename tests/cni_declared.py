"""The dual CNI's Kubernetes objects as ``components/cni.py`` declares them under Pulumi's mocks.

Tests of the rendered CNI read these, never a composition of their own: what they check is
what a ``pulumi up`` would send, Terway's eni-config built from the network component's
outputs (vSwitch and security group ids in the forms the mocks give, hybrid_tools/provider_ids.py).
"""

from __future__ import annotations

from typing import Any, Callable

import pulumi

from hybrid.model import Platform, load
from tests.conftest import settle


def build(raw: dict[str, Any]):
    """The regions' networks and DualCni on an IDC provider, as components/platform.py wires them."""
    import pulumi_kubernetes as k8s

    from components.cni import DualCni, DualCniArgs
    from components.network import RegionNetwork, RegionNetworkArgs

    p = load(raw)
    provider = k8s.Provider("idc", kubeconfig="{}")
    nets = {r.id: RegionNetwork(r.id, RegionNetworkArgs(region=r, idc=p.idc, environment=p.environment)).outputs
            for r in p.regions}
    cni = DualCni("cni", DualCniArgs(cni=p.cni, idc=p.idc, regions=[nets[r.id] for r in p.regions]),
                  opts=pulumi.ResourceOptions(providers={"kubernetes": provider}))
    return p, nets, cni


def declared(configure: Callable[..., Any], raw: dict[str, Any], stack: str = "dev") -> tuple[Platform, list[dict], dict]:
    """(platform, the Kubernetes objects, {region: (pod vSwitch id per zone, pods SG id)}).

    The objects are sorted by kind, namespace and name: a resource whose inputs wait on Outputs
    registers when they resolve, so the engine's arrival order is not the program's."""
    rec = configure(raw, stack=stack)

    def program():
        _, nets, cni = build(raw)
        return {rid: (n.pod_vswitch_ids, n.pod_security_group_id) for rid, n in nets.items()}, list(cni.resources)

    ids, _ = settle(program)
    objs = sorted((dict(a.inputs) for a in rec.resources.values() if a.typ.startswith("kubernetes:")),
                  key=lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))
    return load(raw), objs, ids
