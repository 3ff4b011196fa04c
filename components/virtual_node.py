"""VirtualNode: ack-virtual-node on the registered cluster, Serverless compute in several regions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_alicloud as alicloud

from components.contracts import RegionNetworkOutputs, RegisteredClusterOutputs
from hybrid.model.network import Idc
from hybrid.model.virtual_node import VirtualNode as VirtualNodeSettings
from hybrid.virtual_node import ADDON_NAME, RegionEntry, addon_config_json


@dataclass
class VirtualNodeArgs:
    settings: VirtualNodeSettings
    idc: Idc
    cluster: RegisteredClusterOutputs  # installed once the agent is connected
    networks: dict[str, RegionNetworkOutputs]  # region id -> its network
    # What else must exist before the addon installs (the credential Secret it reads, if any).
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class VirtualNode(pulumi.ComponentResource):
    """Installs ack-virtual-node with one Serverless region entry per configured region.

    Each entry's VPC, vSwitches and security group come from that region's network outputs:
    the pod vSwitches (Serverless pods are pods, their IPs belong there) and the pod
    security group (which already admits IDC node and pod traffic). No id is typed by hand.
    """

    config: pulumi.Output[str]

    def __init__(self, name: str, args: VirtualNodeArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:vnode:VirtualNode", name, None, opts)
        s = args.settings
        per_region = []
        for r in s.regions:
            net = args.networks[r.id]
            per_region.append(pulumi.Output.all(r.id, r.default, net.vpc_id, net.pod_vswitch_ids, net.pod_security_group_id))

        def render(entries: list[list[Any]]) -> str:
            regions = [
                RegionEntry(region_id=rid, vpc_id=vpc, vswitch_ids=tuple(v for _, v in sorted(vsw.items())),
                            security_group_id=sg, default=default)
                for rid, default, vpc, vsw, sg in entries
            ]
            return addon_config_json(args.idc.apiserver.host, args.idc.apiserver.port, regions)

        self.config = pulumi.Output.all(*per_region).apply(render)
        self.addon = alicloud.cs.KubernetesAddon(
            f"{name}-addon",
            cluster_id=args.cluster.cluster_id,
            name=ADDON_NAME,
            version=s.version,
            config=self.config,
            # Uninstall safety: with cleanup on, removing the addon also deletes the Serverless
            # instances (and their ENIs) it created. Left behind, they would keep running and
            # billing with nothing in the cluster managing them any more: GPU instances cost far
            # more than a restart of pods that lose their node anyway. Stacks that must keep
            # them (e.g. a migration) set virtualNode.cleanupCloudResources: false deliberately.
            cleanup_cloud_resources=s.cleanup_cloud_resources,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.cluster.connected, *args.depends_on]),
        )
        self.register_outputs({"config": self.config, "addonId": self.addon.id})
