"""RegionNetwork: VPC, node and pod vSwitches per zone, least-privilege security groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_alicloud as alicloud

from hybrid.model.network import Idc, Region

KUBELET_PORT = 10250


def _slug(cidr: str) -> str:
    return cidr.replace(".", "-").replace("/", "-")


@dataclass
class RegionNetworkArgs:
    region: Region
    idc: Idc
    environment: str
    # Pod vSwitch CIDRs of the other regions: cross-region pod traffic over the leased line.
    peer_pod_cidrs: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


class RegionNetwork(pulumi.ComponentResource):
    """One cloud region's network for cloud GPU nodes that join the IDC cluster.

    Two security groups keep node and pod traffic apart: ``workers`` sits on the
    instances' primary ENI and admits only kubelet (and NodePorts if configured)
    from the IDC and the VPC; ``pods`` sits on the ENIs Terway creates for pods
    and admits TCP/UDP only from the IDC's node and pod ranges and from pod
    vSwitches. Neither has a rule from 0.0.0.0/0 or ::/0; egress stays default.
    """

    vpc_id: pulumi.Output[str]
    vswitch_ids: pulumi.Output[dict]
    pod_vswitch_ids: pulumi.Output[dict]
    security_group_id: pulumi.Output[str]
    pod_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: RegionNetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:network:RegionNetwork", name, None, opts)
        self._name = name
        self._args = args
        r = args.region
        self._tags = {**args.tags, "region": r.id}

        self.vpc = alicloud.vpc.Network(
            f"{name}-vpc",
            vpc_name=f"hybrid-{args.environment}-{r.id}",
            cidr_block=r.vpc_cidr,
            enable_ipv6=r.ipv6,
            description=f"Cloud GPU nodes of the {args.idc.name} cluster ({args.environment}).",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.node_vswitches = {z.id: self._create_vswitch(z.id, z.node_vswitch_cidr, "nodes") for z in r.zones if z.node_vswitch_cidr}
        self.pod_vswitches = {z.id: self._create_vswitch(z.id, z.pod_vswitch_cidr, "pods") for z in r.zones if z.pod_vswitch_cidr}
        self.rules: list[alicloud.ecs.SecurityGroupRule] = []
        self.flow_log: Optional[alicloud.vpc.FlowLog] = None
        self.workers_sg = self._create_workers_sg()
        self.pods_sg = self._create_pods_sg()
        if r.flow_logs:
            self._create_flow_log()

        self.vpc_id = self.vpc.id
        self.vswitch_ids = pulumi.Output.all(**{z: v.id for z, v in self.node_vswitches.items()})
        self.pod_vswitch_ids = pulumi.Output.all(**{z: v.id for z, v in self.pod_vswitches.items()})
        self.security_group_id = self.workers_sg.id
        self.pod_security_group_id = self.pods_sg.id
        self.register_outputs({
            "vpcId": self.vpc_id,
            "vswitchIds": self.vswitch_ids,
            "podVswitchIds": self.pod_vswitch_ids,
            "securityGroupId": self.security_group_id,
            "podSecurityGroupId": self.pod_security_group_id,
        })

    # -- children ---------------------------------------------------------

    def _create_vswitch(self, zone: str, cidr: str, role: str) -> alicloud.vpc.Switch:
        r = self._args.region
        return alicloud.vpc.Switch(
            f"{self._name}-{zone}-{role}",
            vpc_id=self.vpc.id,
            zone_id=zone,
            cidr_block=cidr,
            vswitch_name=f"hybrid-{self._args.environment}-{zone}-{role}",
            description=f"{'Node ENIs' if role == 'nodes' else 'Terway pod IPs'} in {zone}.",
            enable_ipv6=r.ipv6 or None,
            ipv6_cidr_block_mask=(self._ipv6_mask(zone, role) if r.ipv6 else None),
            tags={**self._tags, "zone": zone, "role": role},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _ipv6_mask(self, zone: str, role: str) -> int:
        # The VPC gets a /56; each vSwitch a distinct /64 index (0..255), stable by zone order.
        zones = self._args.region.zone_ids
        return zones.index(zone) * 2 + (0 if role == "nodes" else 1)

    def _sg(self, suffix: str, description: str) -> alicloud.ecs.SecurityGroup:
        return alicloud.ecs.SecurityGroup(
            f"{self._name}-{suffix}-sg",
            vpc_id=self.vpc.id,
            security_group_name=f"hybrid-{self._args.environment}-{self._args.region.id}-{suffix}",
            description=description,
            inner_access_policy="Drop",
            tags={**self._tags, "role": suffix},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _ingress(self, sg: alicloud.ecs.SecurityGroup, key: str, protocol: str, ports: str, cidr: str, why: str) -> None:
        self.rules.append(alicloud.ecs.SecurityGroupRule(
            f"{self._name}-{key}-{protocol}-{_slug(cidr)}",
            security_group_id=sg.id,
            type="ingress",
            ip_protocol=protocol,
            port_range=ports,
            cidr_ip=cidr,
            policy="accept",
            priority=1,
            nic_type="intranet",
            description=why,
            opts=pulumi.ResourceOptions(parent=sg),
        ))

    def _ingress_v6(self, sg: alicloud.ecs.SecurityGroup, key: str, protocol: str, ports: str, why: str) -> None:
        self.rules.append(alicloud.ecs.SecurityGroupRule(
            f"{self._name}-{key}-{protocol}-vpc-ipv6",
            security_group_id=sg.id,
            type="ingress",
            ip_protocol=protocol,
            port_range=ports,
            ipv6_cidr_ip=self.vpc.ipv6_cidr_block,
            policy="accept",
            priority=1,
            nic_type="intranet",
            description=why + " (IPv6, VPC block only)",
            opts=pulumi.ResourceOptions(parent=sg),
        ))

    def _create_workers_sg(self) -> alicloud.ecs.SecurityGroup:
        a = self._args
        sg = self._sg("workers", "Cloud GPU workers: kubelet from the IDC and the VPC only; no SSH, no BGP, nothing from the internet.")
        # The IDC apiserver (node ranges), in-cluster scrapers (pod range) and the VPC itself.
        sources = list(a.idc.node_cidrs) + [a.idc.pod_cidr, a.region.vpc_cidr]
        for cidr in sources:
            self._ingress(sg, "kubelet", "tcp", f"{KUBELET_PORT}/{KUBELET_PORT}", cidr, "kubelet API for the IDC apiserver, metrics and logs")
        for cidr in a.idc.node_cidrs:
            self._ingress(sg, "icmp", "icmp", "-1/-1", cidr, "ICMP from IDC nodes for path-MTU discovery over the leased line")
        if a.region.node_port_range is not None:
            npr = a.region.node_port_range
            for cidr in sources:
                for proto in ("tcp", "udp"):
                    self._ingress(sg, "nodeport", proto, f"{npr.start}/{npr.end}", cidr, "NodePort Services, reachable from the IDC and the VPC only")
        if a.region.ipv6:
            self._ingress_v6(sg, "kubelet", "tcp", f"{KUBELET_PORT}/{KUBELET_PORT}", "kubelet API")
        return sg

    def _create_pods_sg(self) -> alicloud.ecs.SecurityGroup:
        a = self._args
        sg = self._sg("pods", "Terway pod ENIs: pod traffic from IDC nodes and pods and from pod vSwitches only.")
        own_pods = [z.pod_vswitch_cidr for z in a.region.zones if z.pod_vswitch_cidr]
        sources = list(a.idc.node_cidrs) + [a.idc.pod_cidr] + own_pods + sorted(a.peer_pod_cidrs)
        for cidr in sources:
            for proto in ("tcp", "udp"):
                self._ingress(sg, "pod", proto, "1/65535", cidr, "pod-to-pod and node-to-pod traffic inside the hybrid cluster")
        if a.region.ipv6:
            for proto in ("tcp", "udp"):
                self._ingress_v6(sg, "pod", proto, "1/65535", "pod traffic inside the VPC")
        return sg

    def _create_flow_log(self) -> None:
        a = self._args
        project_name = f"hybrid-{a.environment}-{a.region.id}-flowlog"
        project = alicloud.log.Project(
            f"{self._name}-flowlog-project",
            project_name=project_name,
            description=f"VPC flow logs of {a.region.id} ({a.environment}).",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        store = alicloud.log.Store(
            f"{self._name}-flowlog-store",
            project_name=project.project_name,
            logstore_name="vpc-flowlog",
            retention_period=180,
            shard_count=2,
            opts=pulumi.ResourceOptions(parent=project),
        )
        self.flow_log = alicloud.vpc.FlowLog(
            f"{self._name}-flowlog",
            flow_log_name=f"hybrid-{a.environment}-{a.region.id}",
            resource_type="VPC",
            resource_id=self.vpc.id,
            traffic_type="All",
            project_name=project.project_name,
            log_store_name=store.logstore_name,
            aggregation_interval="10",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
