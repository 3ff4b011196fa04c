"""FleetPlacement: the placement's Karmada objects declared on the ACK One Fleet.

Declared only with ``registration.fleet.apply``, through a Kubernetes provider for the
Fleet's apiserver (the kubeconfig file HYBRID_FLEET_KUBECONFIG names). The documents come from
:meth:`hybrid.placement_platform.PlatformPlacement.objects`, the same ones the offline
plan writes under ``not-applied/`` when the stack does not apply them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import RegisteredClusterOutputs
from hybrid.placement_platform import PlatformPlacement


@dataclass
class FleetPlacementArgs:
    placement: PlatformPlacement
    cluster: RegisteredClusterOutputs  # the IDC cluster's member; objects wait for the memberships
    idc_name: str  # the IDC cluster's name in the placement
    # the stack's other Fleet members: member name -> cluster id
    members: Mapping[str, str] = field(default_factory=dict)


class FleetPlacement(pulumi.ComponentResource):
    """PropagationPolicies, FederatedHPAs, PriorityClasses (+ their ClusterPropagationPolicy) on the Fleet."""

    def __init__(self, name: str, args: FleetPlacementArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:fleet:Placement", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.cluster.memberships))
        # placement cluster name -> Fleet member name: ACK One names members by their cluster id
        # (source: Alibaba Cloud help, "Propagation policies and override policies":
        # clusterAffinity.clusterNames lists cluster IDs).
        names: dict[str, pulumi.Input[str]] = {args.idc_name: args.cluster.cluster_id, **dict(sorted(args.members.items()))}
        self.objects: list[pulumi.CustomResource] = []
        classes: list[pulumi.Resource] = []
        for doc in args.placement.objects(names=names):
            self.objects.append(self._declare(name, doc, child, classes))
        self.register_outputs({"objects": len(self.objects)})

    @staticmethod
    def _declare(prefix: str, doc: dict[str, Any], opts: pulumi.ResourceOptions, classes: list[pulumi.Resource]) -> pulumi.CustomResource:
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
