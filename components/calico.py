"""CalicoRouting: BGP configuration, BGP peers and IP pools of the IDC cluster's Calico.

Objects come from ``hybrid.calico`` (pure). Those the running cluster already
has (``hybrid.calico.adopted``) go through the *adopt* provider, whose
``upsertExistingObjects`` turns a create into an update of the existing object,
and carry ``retain_on_delete``: destroying the stack or dropping them from the
program never deletes the IDC cluster's routing. The pod pool is a
server-side patch of the live pool (``CustomResourcePatch``) naming only the
fields this program must own; its answer, the live pool, is compared with the
stack (cidr, blockSize) and a mismatch fails the run with both values.
Everything else goes through the ordinary IDC provider, which fails on an
object that already exists. Adopted objects apply in cut-over order
(``hybrid.calico.CUTOVER_ORDER``, docs/network.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from hybrid import calico as plan
from hybrid.model.cni import Cni
from hybrid.model.network import Idc


@dataclass
class CalicoRoutingArgs:
    cni: Cni
    idc: Idc
    cloud: list[plan.CloudRange]
    # The second Kubernetes provider, for objects the cluster already has (upsertExistingObjects);
    # the IDC cluster's ordinary provider comes through ``opts.providers`` (one per package).
    adopt_provider: Optional[k8s.Provider] = None
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class CalicoRouting(pulumi.ComponentResource):
    def __init__(self, name: str, args: CalicoRoutingArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:calico:Routing", name, None, opts)
        self.resources: dict[str, pulumi.CustomResource] = {}
        self.live_pool_check: Optional[pulumi.Output[str]] = None
        # The cut-over order of plan.routing_objects: each adopted object waits for the one before
        # it (peers -> mesh off -> pool encapsulation); the disabled cloud pools need no order.
        stage = {kind: n for n, kind in enumerate(plan.CUTOVER_ORDER)}
        done: dict[int, list[pulumi.Resource]] = {}
        for obj in plan.routing_objects(args.cni, args.idc, args.cloud):
            adopt = plan.adopted(obj)
            key = f"{obj['kind']}/{obj['metadata']['name']}"
            n = stage[obj["kind"]] if adopt else -1
            before = done.get(n - 1, []) if n > 0 else []
            opts_ = pulumi.ResourceOptions(
                parent=self,
                provider=args.adopt_provider if adopt else None,
                retain_on_delete=adopt,
                depends_on=[*args.depends_on, *before],
            )
            res_name = f"{name}-{obj['kind'].lower()}-{obj['metadata']['name']}"
            if plan.patched(obj):
                patch = k8s.apiextensions.CustomResourcePatch(
                    res_name, api_version=obj["apiVersion"], kind=obj["kind"],
                    metadata=obj["metadata"], spec=obj["spec"], opts=opts_)
                self.resources[key] = patch
                # The apply answers with the live object (fields of every manager): cidr and
                # blockSize as the cluster has them, compared with the stack's values.
                # the SDK sets each input as an output attribute (CustomResourcePatch.py __props__); its class declares none
                self.live_pool_check = patch.spec.apply(  # type: ignore[attr-defined]
                    lambda live, cni=args.cni, idc=args.idc: _check_pool(plan.live_pool_mismatch(live, cni, idc)))
                res: pulumi.Resource = patch
            else:
                res = k8s.apiextensions.CustomResource(
                    res_name, api_version=obj["apiVersion"], kind=obj["kind"],
                    metadata=obj["metadata"], spec=obj["spec"], opts=opts_)
                self.resources[key] = res
            if adopt:
                done.setdefault(n, []).append(res)
        self.register_outputs({"resources": sorted(self.resources), "livePool": self.live_pool_check})


def _check_pool(problem: Optional[str]) -> str:
    if problem is not None:
        raise pulumi.RunError(problem)
    return "matches"
