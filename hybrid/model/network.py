"""IDC cluster and cloud region networks."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, field_validator, model_validator

from hybrid.cidr import MAX_VSWITCH_PREFIX, MIN_VSWITCH_PREFIX
from hybrid.errors import FieldError
from hybrid.model.base import Cidr, Host, Model, Name, RegionId, RoutableCidr, ZoneId
from hybrid.model.base import overlaps
from hybrid.model.elastic import ElasticPool
from hybrid.model.gpu import GpuPool
from hybrid.model.leased_line import LeasedLine, Vbr
from hybrid.model.virtual_node import ALIBABA_SERVICE_BLOCK


class ApiServer(Model):
    host: Host = Field(description="IDC apiserver address reachable from cloud nodes over the leased line: IPv4 address or DNS name, no scheme or port.")
    port: int = Field(default=6443, ge=1, le=65535)


class Idc(Model):
    """The on-premise cluster: control plane in the data center."""

    name: Name
    kubernetes_version: str = Field(max_length=16, pattern=r"^1\.[0-9]{2}\.[0-9]+$")
    apiserver: ApiServer
    node_cidrs: list[RoutableCidr] = Field(min_length=1, max_length=64)
    pod_cidr: RoutableCidr
    service_cidr: Cidr = Field(description="The IDC cluster's existing Service CIDR (kube-apiserver --service-cluster-ip-range; kubeadm's default is 10.96.0.0/12).")
    extra_ranges: list[RoutableCidr] = Field(max_length=64, default_factory=list, description="Other on-prem ranges routed over the leased line (storage, ...).")
    leased_line: bool = True
    vbr: Optional[Vbr] = Field(
        default=None,
        description="The transit router the leased line's VBR is attached to; required when a region uses leasedLine.transitRouter.")

    @property
    def ranges(self) -> list[tuple[str, str]]:
        """(field name, CIDR) of every on-prem range reachable over the leased line."""
        out = [(f"nodeCidrs[{i}]", c) for i, c in enumerate(self.node_cidrs)]
        out.append(("podCidr", self.pod_cidr))
        out += [(f"extraRanges[{i}]", c) for i, c in enumerate(self.extra_ranges)]
        return out


class Zone(Model):
    id: ZoneId
    node_vswitch_cidr: Optional[RoutableCidr] = None
    pod_vswitch_cidr: Optional[RoutableCidr] = None

    @model_validator(mode="after")
    def _node_needs_pod(self) -> "Zone":
        if self.node_vswitch_cidr and not self.pod_vswitch_cidr:
            raise FieldError(
                f"zone {self.id} has a node vSwitch but no pod vSwitch, so Terway would hand out pod IPs from the node vSwitch.",
                "add podVswitchCidr to this zone, or drop both CIDRs to let the planner carve them.",
            )
        return self


# Ports a NodePort range must not cover: well-known ports (< 1024: ssh 22, BGP 179, ...) and the
# control-plane and node ports Kubernetes documents (apiserver 6443, etcd 2379-2380, kubelet 10250,
# kube-scheduler 10259, kube-controller-manager 10257, kube-proxy 10256).
# source: https://kubernetes.io/docs/reference/networking/ports-and-protocols/
RESERVED_PORTS = {6443: "kube-apiserver", 2379: "etcd", 2380: "etcd", 10250: "kubelet",
                  10256: "kube-proxy", 10257: "kube-controller-manager", 10259: "kube-scheduler"}


class NodePortRange(Model):
    start: int = Field(ge=1, le=65535, alias="from")
    end: int = Field(ge=1, le=65535, alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> "NodePortRange":
        if self.start > self.end:
            raise FieldError(f"from {self.start} is above to {self.end}.", "swap them, e.g. from: 30000, to: 32767.")
        if self.start < 1024:
            raise FieldError(f"the range {self.start}-{self.end} covers well-known ports below 1024 (ssh 22, BGP 179, ...).",
                             "keep NodePorts at 1024 or above; the Kubernetes default is 30000-32767.")
        hit = [f"{p} ({name})" for p, name in sorted(RESERVED_PORTS.items()) if self.start <= p <= self.end]
        if hit:
            raise FieldError(f"the range {self.start}-{self.end} covers control-plane ports {', '.join(hit)}.",
                             "pick a range clear of them; the Kubernetes default is 30000-32767.")
        return self


class AutoPlan(Model):
    node_prefix: Optional[int] = Field(default=None, ge=MIN_VSWITCH_PREFIX, le=MAX_VSWITCH_PREFIX)
    pod_prefix: Optional[int] = Field(default=None, ge=MIN_VSWITCH_PREFIX, le=MAX_VSWITCH_PREFIX)


class Region(Model):
    id: RegionId
    vpc_cidr: RoutableCidr
    zones: list[Zone] = Field(min_length=1, max_length=32)
    ipv6: bool = False
    flow_logs: bool = False
    node_port_range: Optional[NodePortRange] = None
    auto_plan: AutoPlan = AutoPlan()
    serverless_only: bool = Field(default=False, description="Region exists only for Serverless pods of ack-virtual-node: no GPU pools.")
    gpu_pools: list[GpuPool] = Field(default_factory=list, max_length=64)
    elastic_pools: list[ElasticPool] = Field(default_factory=list, max_length=16,
                                             description="ACK node pools that scale with demand (registration region only)")
    leased_line: Optional[LeasedLine] = Field(
        default=None,
        description="How this region's VPC reaches the IDC (transitRouter or existingVpc); required while idc.leasedLine is true. See docs/network.md.")

    @model_validator(mode="after")
    def _existing_vswitches_have_cidrs(self) -> "Region":
        # An imported vSwitch must be declared with its real CIDR, or the import does not match.
        ll = self.leased_line
        if ll is None or ll.existing_vpc is None:
            return self
        zones = {z.id: z for z in self.zones}
        for v in ll.existing_vpc.vswitches:
            z = zones.get(v.zone)
            cidr = None if z is None else (z.node_vswitch_cidr if v.role == "nodes" else z.pod_vswitch_cidr)
            if cidr is None:
                field = "nodeVswitchCidr" if v.role == "nodes" else "podVswitchCidr"
                raise FieldError(
                    f"existing {v.role} vSwitch {v.id} is in zone {v.zone}, which has no {field} in this region's zones.",
                    f"add zone {v.zone} with {field} set to the vSwitch's CIDR.")
        return self

    @field_validator("zones", mode="before")
    @classmethod
    def _zone_shorthand(cls, v: Any) -> Any:
        # `zones: [cn-beijing-g, cn-beijing-h]` is shorthand for auto-planned zones.
        if isinstance(v, list):
            return [{"id": z} if isinstance(z, str) else z for z in v]
        return v

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_mask(cls, v: str) -> str:
        prefix = int(v.split("/")[1])
        if not 8 <= prefix <= 24:
            raise FieldError(f"VPC CIDR {v} has a /{prefix} mask.", "Alibaba Cloud VPCs take /8../24; use e.g. a /16.")
        if overlaps(v, ALIBABA_SERVICE_BLOCK):
            raise FieldError(f"VPC CIDR {v} overlaps {ALIBABA_SERVICE_BLOCK}, which Alibaba Cloud reserves for its service addresses "
                             "(API domains resolve there from inside a VPC, and VPC routing sends it to cloud services).",
                             "use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.")
        return v

    @property
    def zone_ids(self) -> list[str]:
        return [z.id for z in self.zones]


