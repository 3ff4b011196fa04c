"""RegionNetwork: VPC, node and pod vSwitches per zone, least-privilege security groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_alicloud as alicloud

from components.contracts import RegionNetworkOutputs
from hybrid import transit
from hybrid.model.network import Idc, Region

KUBELET_PORT = 10250


def _slug(cidr: str) -> str:
    return cidr.replace(".", "-").replace("/", "-")


@dataclass
class RegionNetworkArgs:
    region: Region
    idc: Idc
    environment: str
    # The other regions: their VPCs get routes here (hybrid/transit.py) and their pod vSwitches
    # are admitted by this region's pods group.
    peers: list[Region] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


class RegionNetwork(pulumi.ComponentResource):
    """One cloud region's network for cloud GPU nodes that join the IDC cluster.

    Two security groups keep node and pod traffic apart: ``workers`` sits on the
    instances' primary ENI and admits only kubelet (and NodePorts if configured)
    from the IDC and the VPC; ``pods`` sits on the ENIs Terway creates for pods
    and admits TCP/UDP only from the IDC's node and pod ranges and from pod
    vSwitches. Neither has a rule from 0.0.0.0/0 or ::/0; egress stays default.
    """

    outputs: RegionNetworkOutputs

    def __init__(self, name: str, args: RegionNetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:network:RegionNetwork", name, None, opts)
        self._name = name
        self._args = args
        r = args.region
        self._tags = {**args.tags, "region": r.id}

        ll = r.leased_line
        existing = ll.existing_vpc if ll is not None else None
        self.vpc = alicloud.vpc.Network(
            f"{name}-vpc",
            vpc_name=f"hybrid-{args.environment}-{r.id}",
            cidr_block=r.vpc_cidr,
            enable_ipv6=r.ipv6,
            description=f"Cloud GPU nodes of the {args.idc.name} cluster ({args.environment}).",
            tags=self._tags,
            # enableIpv6 too: an adopted VPC keeps the IPv6 setting its team chose; toggling it from here
            # would add or remove the VPC's IPv6 block under every workload in it.
            opts=self._adopt(existing.vpc_id if existing else None, ["vpcName", "description", "tags", "enableIpv6"]),
        )
        self.node_vswitches = {z.id: self._create_vswitch(z.id, z.node_vswitch_cidr, "nodes") for z in r.zones if z.node_vswitch_cidr}
        self.pod_vswitches = {z.id: self._create_vswitch(z.id, z.pod_vswitch_cidr, "pods") for z in r.zones if z.pod_vswitch_cidr}
        self.attachment: Optional[alicloud.cen.TransitRouterVpcAttachment] = None
        self.inter_region: Optional[pulumi.CustomResource] = None
        self._vbr_region_provider: Optional[alicloud.Provider] = None
        self.idc_routes = self._create_leased_line()
        self.workers_sg = self._create_workers_sg()
        self.pods_sg = self._create_pods_sg()
        if r.flow_logs:
            self._create_flow_log()

        self.outputs = RegionNetworkOutputs(
            region_id=r.id,
            ipv6=r.ipv6,
            vpc_id=self.vpc.id,
            vswitch_ids=pulumi.Output.all(**{z: v.id for z, v in self.node_vswitches.items()}),
            pod_vswitch_ids=pulumi.Output.all(**{z: v.id for z, v in self.pod_vswitches.items()}),
            security_group_id=self.workers_sg.id,
            pod_security_group_id=self.pods_sg.id,
            idc_routes=self.idc_routes,
        )
        self.register_outputs(self.outputs.exported())

    # -- children ---------------------------------------------------------

    def _adopt(self, import_id: Optional[str], ignore: list[str], parent: Optional[pulumi.Resource] = None) -> pulumi.ResourceOptions:
        """Options of a child; for an existing object, import it and never change, replace or delete it.

        Since pulumi 3.17x an import whose inputs differ updates the resource to the
        program's inputs: names, descriptions and tags of an adopted object are
        ignored so they stay as they are. ``protect`` turns a replacement (a CIDR
        that does not match) into an error instead of a second VPC, and
        ``retain_on_delete`` keeps it when the stack is destroyed
        (``pulumi destroy --exclude-protected``).
        """
        if import_id is None:
            return pulumi.ResourceOptions(parent=parent or self)
        return pulumi.ResourceOptions(parent=parent or self, import_=import_id, protect=True, retain_on_delete=True,
                                      ignore_changes=list(ignore))

    def _create_vswitch(self, zone: str, cidr: str, role: str) -> alicloud.vpc.Switch:
        r = self._args.region
        ll = r.leased_line
        existing = ll.existing_vswitch(zone, role) if ll is not None else None
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
            opts=self._adopt(existing, ["vswitchName", "description", "tags"]),
        )

    def _create_leased_line(self) -> pulumi.Output[dict[str, Any]]:
        """The region's path to the IDC and to the other VPCs (hybrid/transit.py); returns what the routes point at."""
        a = self._args
        ll = a.region.leased_line
        path = transit.region_path(a.idc, a.region, [a.region, *a.peers])
        if ll is None or path is None:  # the model only allows this while idc.leasedLine is false
            return pulumi.Output.from_input({"kind": "none", "routes": {}})
        if ll.transit_router is not None:
            tr = ll.transit_router
            # The transit router's VPC connection takes one vSwitch per zone; the node vSwitches
            # serve, so the attachment is in every zone the nodes are.
            self.attachment = alicloud.cen.TransitRouterVpcAttachment(
                f"{self._name}-tr-attachment",
                cen_id=tr.cen_id,
                transit_router_id=tr.transit_router_id,
                vpc_id=self.vpc.id,
                zone_mappings=[alicloud.cen.TransitRouterVpcAttachmentZoneMappingArgs(zone_id=z, vswitch_id=v.id)
                               for z, v in sorted(self.node_vswitches.items())],
                transit_router_vpc_attachment_name=f"hybrid-{a.environment}-{a.region.id}",
                transit_router_attachment_description=f"VPC of {a.region.id} to the leased line of {a.idc.name}.",
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            # The resource's id is "<cen id>:<attachment id>" (terraform-provider-alicloud
            # resource_alicloud_cen_transit_router_vpc_attachment.go d.SetId); route tables and route
            # entries take the bare tr-attach-... (transit_router_attachment_id).
            vpc_attachment = self.attachment.transit_router_attachment_id
            link_id = self._create_inter_region(tr.cen_id, path.inter_region) if path.inter_region is not None else None
            for b in path.bindings:
                attachment_id = vpc_attachment if b.attachment == "vpc" else link_id
                parent = self.attachment if b.attachment == "vpc" else self.inter_region
                suffix = "tr" if b.attachment == "vpc" else f"link-{b.region_id}"
                opts = pulumi.ResourceOptions(parent=parent)
                if b.region_id != a.region.id:  # the VBR's transit router: its own region's API
                    opts = pulumi.ResourceOptions(parent=parent, provider=self._vbr_provider())
                alicloud.cen.TransitRouterRouteTableAssociation(
                    f"{self._name}-{suffix}-association", transit_router_attachment_id=attachment_id,
                    transit_router_route_table_id=b.route_table_id, opts=opts)
                alicloud.cen.TransitRouterRouteTablePropagation(
                    f"{self._name}-{suffix}-propagation", transit_router_attachment_id=attachment_id,
                    transit_router_route_table_id=b.route_table_id, opts=opts)
            route_table = self.vpc.route_table_id
            hop_type, hop_id, managed = "Attachment", vpc_attachment, True
        else:
            ev = ll.existing_vpc
            assert ev is not None  # LeasedLine: exactly one of transitRouter or existingVpc
            route_table = pulumi.Output.from_input(ev.route_table_id)
            hop_type, hop_id, managed = ev.next_hop.type, pulumi.Output.from_input(ev.next_hop.id), ev.create_routes
        if managed:
            for field, cidr in a.idc.ranges:
                self._route(f"idc-route-{_slug(cidr)}", route_table, cidr, hop_type, hop_id, f"IDC idc.{field} over the leased line")
            for peer, cidr in path.vpc_routes:
                self._route(f"vpc-route-{_slug(cidr)}", route_table, cidr, hop_type, hop_id,
                            f"VPC of {peer} through the transit routers")
        routes = {cidr: "managed" if managed else "existing" for _, cidr in a.idc.ranges}
        vpc_routes = {cidr: "managed" if managed else "existing" for _, cidr in path.vpc_routes}
        # The attachment's provider id ("<cen id>:<attachment id>": what `pulumi import` takes) beside the hop.
        attachment_id = self.attachment.id if self.attachment is not None else None
        return pulumi.Output.all(route_table, hop_id, attachment_id).apply(lambda v: {
            "kind": ll.kind,
            "routeTableId": v[0],
            "nextHop": {"type": hop_type, "id": v[1]},
            "routes": routes,
            "vpcRoutes": vpc_routes,
            **({"attachmentId": v[2]} if v[2] is not None else {}),
        })

    def _route(self, key: str, route_table: pulumi.Input[str], cidr: str, hop_type: str, hop_id: pulumi.Input[str], why: str) -> None:
        alicloud.vpc.RouteEntry(
            f"{self._name}-{key}",
            route_table_id=route_table,
            destination_cidrblock=cidr,
            nexthop_type=hop_type,
            nexthop_id=hop_id,
            description=why,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _vbr_provider(self) -> alicloud.Provider:
        if self._vbr_region_provider is None:
            vbr = self._args.idc.vbr
            assert vbr is not None  # a binding in another region is the VBR's (hybrid.transit.region_path needs idc.vbr)
            self._vbr_region_provider = alicloud.Provider(f"{self._name}-vbr-region", region=vbr.region_id,
                                                          opts=pulumi.ResourceOptions(parent=self))
        return self._vbr_region_provider

    def _create_inter_region(self, cen_id: str, ir: transit.InterRegionLink) -> pulumi.Input[str]:
        """The connection from this region's transit router to the VBR's: declared, or referenced by id."""
        a = self._args
        if ir.existing_attachment_id is not None:
            self.inter_region = self.attachment  # parent of its route-table bindings
            return ir.existing_attachment_id
        self.inter_region = alicloud.cen.TransitRouterPeerAttachment(
            f"{self._name}-inter-region",
            cen_id=cen_id,
            transit_router_id=ir.local_transit_router_id,
            peer_transit_router_id=ir.peer_transit_router_id,
            peer_transit_router_region_id=ir.peer_region_id,
            # Pay by data transfer: no bandwidth plan; bandwidth is the throttling threshold
            # (pulumi-alicloud 4.0.0 cen/transit_router_peer_attachment.py).
            bandwidth_type="DataTransfer",
            bandwidth=ir.bandwidth_mbps,
            transit_router_peer_attachment_name=f"hybrid-{a.environment}-{a.region.id}-to-{ir.peer_region_id}",
            transit_router_attachment_description=f"{a.region.id} to the leased line's transit router in {ir.peer_region_id}.",
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Composite id "<cen id>:<attachment id>" as for the VPC attachment: bindings take the bare id.
        return self.inter_region.transit_router_attachment_id

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
        self._rule(sg, f"{self._name}-{key}-{protocol}-{_slug(cidr)}", protocol, ports, why, cidr_ip=cidr)

    def _ingress_v6(self, sg: alicloud.ecs.SecurityGroup, key: str, protocol: str, ports: str, why: str) -> None:
        self._rule(sg, f"{self._name}-{key}-{protocol}-vpc-ipv6", protocol, ports, why + " (IPv6, VPC block only)",
                   ipv6_cidr_ip=self.vpc.ipv6_cidr_block)

    def _rule(self, sg: alicloud.ecs.SecurityGroup, name: str, protocol: str, ports: str, why: str,
              cidr_ip: Optional[str] = None, ipv6_cidr_ip: Optional[pulumi.Input[str]] = None) -> None:
        alicloud.ecs.SecurityGroupRule(
            name,
            security_group_id=sg.id,
            type="ingress",
            ip_protocol=protocol,
            port_range=ports,
            cidr_ip=cidr_ip,
            ipv6_cidr_ip=ipv6_cidr_ip,
            policy="accept",
            priority=1,
            nic_type="intranet",
            description=why,
            opts=pulumi.ResourceOptions(parent=sg),
        )

    def _create_workers_sg(self) -> alicloud.ecs.SecurityGroup:
        a = self._args
        sg = self._sg("workers", "Cloud GPU workers: kubelet from the IDC and the VPC only; no SSH, no BGP, nothing from the internet.")
        # The IDC apiserver (node ranges), in-cluster scrapers (pod range) and the VPC itself.
        sources = list(a.idc.node_cidrs) + [a.idc.pod_cidr, a.region.vpc_cidr]
        for cidr in sources:
            self._ingress(sg, "kubelet", "tcp", f"{KUBELET_PORT}/{KUBELET_PORT}", cidr, "kubelet API for the IDC apiserver, metrics and logs")
        self._icmp_from_idc(sg, "icmp")
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
        peer_pods = sorted(z.pod_vswitch_cidr for r in a.peers for z in r.zones if z.pod_vswitch_cidr)
        sources = list(a.idc.node_cidrs) + [a.idc.pod_cidr] + own_pods + peer_pods
        for cidr in sources:
            for proto in ("tcp", "udp"):
                self._ingress(sg, "pod", proto, "1/65535", cidr, "pod-to-pod and node-to-pod traffic inside the hybrid cluster")
        # Cloud nodes' own traffic to a Service lands on a pod ENI from the node's address: kube-proxy
        # masquerades what does not come from a pod veth (``! -i cali+``, hybrid/cni.py
        # kube_proxy_cloud_config) - the kubelet, hostNetwork pods (Terway, the device plugin) -
        # and the endpoint may be a Terway pod on another cloud node (terway release-1.16
        # plugin/datapath/policy_router_linux.go: pod IPs live on secondary ENIs, which carry this group).
        node_vswitches = sorted([z.node_vswitch_cidr for z in a.region.zones if z.node_vswitch_cidr]
                                + [z.node_vswitch_cidr for r in a.peers for z in r.zones if z.node_vswitch_cidr])
        for cidr in node_vswitches:
            for proto in ("tcp", "udp"):
                self._ingress(sg, "pod-from-node", proto, "1/65535", cidr,
                              "cloud nodes' own traffic to Services whose endpoints are Terway pods (kube-proxy masquerades it)")
        if a.region.ipv6:
            for proto in ("tcp", "udp"):
                self._ingress_v6(sg, "pod", proto, "1/65535", "pod traffic inside the VPC")
        self._icmp_from_idc(sg, "pod-icmp")
        return sg

    def _icmp_from_idc(self, sg: alicloud.ecs.SecurityGroup, key: str) -> None:
        """ICMP from every IDC range, for "fragmentation needed" (type 3 code 4).

        Path-MTU discovery over the leased line needs the routers and hosts of every IDC range
        to reach the nodes' and the pods' ENIs with ICMP type 3 code 4; without it TCP stalls
        on full-size packets. Security-group rules cannot name an ICMP type: for ip_protocol
        icmp the port range is -1/-1 (Alibaba AuthorizeSecurityGroup, PortRange), so all of
        ICMP from these ranges is admitted.
        """
        for _, cidr in self._args.idc.ranges:
            self._ingress(sg, key, "icmp", "-1/-1", cidr, "ICMP (fragmentation needed, path-MTU discovery) from the IDC over the leased line")

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
        alicloud.vpc.FlowLog(
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
