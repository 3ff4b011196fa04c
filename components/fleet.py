"""FleetPlacement: the placement's Karmada objects declared on the ACK One Fleet.

Declared only with ``registration.fleet.apply``, through a Kubernetes provider for the
Fleet's apiserver (the ``fleetKubeconfig`` secret). The documents come from
:meth:`hybrid.placement_platform.PlatformPlacement.objects`, the same ones the offline
plan writes under ``not-applied/`` when the stack does not apply them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from hybrid.placement_platform import PlatformPlacement


@dataclass
class FleetPlacementArgs:
    placement: PlatformPlacement
    # placement cluster name -> Fleet member name (ACK One names members by cluster id)
    member_names: Mapping[str, pulumi.Input[str]]
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)  # the memberships


class FleetPlacement(pulumi.ComponentResource):
    """PropagationPolicies, FederatedHPAs, PriorityClasses (+ their ClusterPropagationPolicy) on the Fleet."""

    def __init__(self, name: str, args: FleetPlacementArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:fleet:Placement", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        members = list(args.member_names.values())
        self.objects: list[pulumi.CustomResource] = []
        classes: list[pulumi.Resource] = []
        for doc in args.placement.objects(names=args.member_names, members=members):
            self.objects.append(self._declare(name, doc, child, classes))
        self.register_outputs({"objects": len(self.objects)})

    @staticmethod
    def _declare(prefix: str, doc: dict[str, Any], opts: pulumi.ResourceOptions, classes: list) -> pulumi.CustomResource:
        meta = doc["metadata"]
        rname = f"{prefix}-{doc['kind'].lower()}-{meta.get('namespace', 'cluster')}-{meta['name']}"
        if doc["kind"] == "PriorityClass":
            pc = k8s.scheduling.v1.PriorityClass(
                rname, metadata=meta, value=doc["value"], preemption_policy=doc["preemptionPolicy"],
                global_default=doc["globalDefault"], description=doc.get("description"), opts=opts)
            classes.append(pc)
            return pc
        if doc["kind"] == "ClusterPropagationPolicy":
            # Propagates the classes: declared after them so the first sync finds them.
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(classes)))
        return k8s.apiextensions.CustomResource(
            rname, api_version=doc["apiVersion"], kind=doc["kind"], metadata=meta, spec=doc["spec"], opts=opts)
