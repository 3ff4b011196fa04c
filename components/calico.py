"""CalicoRouting: BGP configuration, BGP peers and IP pools of the IDC cluster's Calico.

Objects come from ``hybrid.calico`` (pure). Those the running cluster already
has (``hybrid.calico.adopted``) go through the *adopt* provider, whose
``upsertExistingObjects`` turns a create into an update of the existing object,
and carry ``retain_on_delete``: destroying the stack or dropping them from the
program never deletes the IDC cluster's routing. Everything else goes through
the ordinary IDC provider, which fails on an object that already exists.
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
        self.resources: dict[str, k8s.apiextensions.CustomResource] = {}
        for obj in plan.routing_objects(args.cni, args.idc, args.cloud):
            adopt = plan.adopted(obj)
            key = f"{obj['kind']}/{obj['metadata']['name']}"
            self.resources[key] = k8s.apiextensions.CustomResource(
                f"{name}-{obj['kind'].lower()}-{obj['metadata']['name']}",
                api_version=obj["apiVersion"],
                kind=obj["kind"],
                metadata=obj["metadata"],
                spec=obj["spec"],
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=args.adopt_provider if adopt else None,
                    retain_on_delete=adopt,
                    depends_on=args.depends_on,
                ),
            )
        self.register_outputs({"resources": sorted(self.resources)})
