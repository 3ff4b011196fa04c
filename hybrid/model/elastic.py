"""Elastic GPU pools: node pools of the registered cluster that ACK scales with demand.

Next to the fixed ``gpuPools`` (a count of ECS instances the program declares one by one), an
``elasticPools`` entry becomes one ACK node pool on the registered cluster
(``cs.NodePool``, ESS-backed, auto scaling on). Its nodes are created by ACK at scale-out and
join the IDC cluster through the custom node script registered in ``ack-agent-config``
(:mod:`hybrid.elastic`); they run the same boot units as the fixed pools, so every field that
shapes a node (driver, data disk, rate limits, taints, preload) means the same thing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

from hybrid.errors import FieldError, format_loc
from hybrid.instance_types import KNOWN, did_you_mean, is_gpu_type
from hybrid.model.base import ImageId, LabelKey, LabelValue, Model, Name
from hybrid.model.gpu import DataDisk, GpuPool, Preload, RateLimits, SystemDisk, Taint, ZoneList
from hybrid.model.gpu_driver import GpuDriver, check_driver, kubelet_may_set

if TYPE_CHECKING:
    from hybrid.model.platform import Platform

# Object key of the one node script every elastic pool's nodes run (hybrid/elastic.py renders it).
SCRIPT_KEY = "elastic/hybrid-elastic-node.sh"
# ACK's name of the component that scales the pools (ack-ram-tool scanaddon CheckAddons: "cluster-autoscaler").
AUTOSCALER_ADDON = "cluster-autoscaler"


def bucket_name(platform: "Platform") -> str:
    """Private bucket of the node script, in the registration region (bucket names are global)."""
    return f"hybrid-{platform.environment}-{platform.registration.cluster_name}-node-scripts"[:63].rstrip("-")


def script_url(bucket: str, region_id: str) -> str:
    """The VPC-internal OSS endpoint of the script: the form Alibaba's guide registers
    (``https://<bucket>.oss-<region>-internal.aliyuncs.com/<key>``, "Step 2" of
    alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/create-a-node-pool)."""
    return f"https://{bucket}.oss-{region_id}-internal.aliyuncs.com/{SCRIPT_KEY}"

class ElasticDataDisk(DataDisk):
    # ACK creates each node's data disk from this snapshot; the disk is then as large as the
    # snapshot (the provider ignores the size when a snapshot is given, pulumi-alicloud 4.0.0
    # cs/_inputs.py NodePoolDataDiskArgs.snapshot_id). ``size`` must be that size: the node
    # finds its data disk by size, and mounts it by the ext4 label the fixed pools' disks carry.
    snapshot_id: Optional[str] = Field(default=None, pattern=r"^s-[a-z0-9]{8,40}$",
                                       description="snapshot holding the datasets (taken from a data disk formatted by a fixed pool); empty = blank disk")
    size: int = Field(ge=40, le=32768, description="GiB; equal to the snapshot's size when snapshotId is set")


class Billing(Model):
    """Pay-as-you-go / spot mix of the scaling group (ESS's on-demand base and percentage)."""

    on_demand_base_capacity: int = Field(default=0, ge=0, le=1000, description="nodes always bought pay-as-you-go")
    on_demand_percentage_above_base: int = Field(default=100, ge=0, le=100, description="pay-as-you-go share of nodes above the base, %")
    # The fixed pools' bound (hybrid/model/gpu.py Billing): the cost of an elastic maximum is priced at it.
    spot_price_limit: Optional[float] = Field(default=None, gt=0, le=10_000, allow_inf_nan=False,
                                              description="CNY per hour and instance, for every instance type")

    @property
    def uses_spot(self) -> bool:
        return self.on_demand_percentage_above_base < 100

    @model_validator(mode="after")
    def _limit_iff_spot(self) -> "Billing":
        # components/elastic.py renders spot as spot_strategy SpotWithPriceLimit, which takes its limits from
        # spot_price_limit (pulumi-alicloud 4.0.0 cs/_inputs.py NodePoolSpotPriceLimitArgs). A limit without
        # spot does nothing: a warning (platform._spot_limit_unused).
        if self.uses_spot and self.spot_price_limit is None:
            raise FieldError("onDemandPercentageAboveBase below 100 buys spot instances but spotPriceLimit is not set.",
                             "set spotPriceLimit (CNY/hour): the pool buys spot as SpotWithPriceLimit.")
        return self


class ElasticPool(Model):
    name: Name
    zones: ZoneList = Field(min_length=1, max_length=32, description="in order of preference (PRIORITY multi-zone policy)")
    instance_types: list[Annotated[str, Field(max_length=64, pattern=r"^ecs\.[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+$")]] = Field(
        min_length=1, max_length=10, description="in order of preference, for stock shortages")
    min_size: int = Field(ge=0, le=1000)
    max_size: int = Field(ge=1, le=1000)
    image_id: ImageId
    driver: Optional[GpuDriver] = Field(default=None, validate_default=True)
    gpu_model_series: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    system_disk: SystemDisk = SystemDisk()
    data_disk: ElasticDataDisk
    billing: Billing = Billing()
    rate_limits: RateLimits
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict, max_length=32, description="node pool labels (beside the platform's own)")
    taints: list[Taint] = Field(default_factory=list, max_length=32)
    preload: list[Preload] = Field(default_factory=list, max_length=64, description="tops up the snapshot's data over the leased line")

    @field_validator("instance_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise FieldError(f"instanceTypes {v} list a type twice.", "list each instance type once.")
        for t in v:
            if not is_gpu_type(t):
                raise FieldError(f"{t!r} is not a GPU instance type.{did_you_mean(t)}", "use GPU families such as ecs.gn7i-*, ecs.gn7e-*.")
            if t not in KNOWN:
                raise FieldError(f"instance type {t} is not in the known-spec table.{did_you_mean(t)}",
                                 "use a type from hybrid/instance_types.py (placement and the driver check need its GPUs).")
        # Every node runs one rendered driver script that expects a GPU count and one GPU model.
        shapes = {(KNOWN[t].gpus, KNOWN[t].gpu_model) for t in v}
        if len(shapes) > 1:
            raise FieldError(f"instanceTypes {v} differ in GPU count or model {sorted(shapes)}.",
                             "keep types with the same GPUs per node in one pool; declare another pool for the others.")
        return v

    @field_validator("max_size")
    @classmethod
    def _max_above_min(cls, v: int, info: ValidationInfo) -> int:
        # pulumi-alicloud 4.0.0 cs/_inputs.py NodePoolScalingConfigArgs.max_size: "has to be greater than min_size".
        lo = info.data.get("min_size")
        if lo is not None and v <= lo:
            raise FieldError(f"maxSize {v} is not above minSize {lo}.", f"set maxSize above {lo} (equal sizes make a fixed pool: use gpuPools).")
        return v

    @field_validator("driver")
    @classmethod
    def _driver_path(cls, v: Optional[GpuDriver], info: ValidationInfo) -> Optional[GpuDriver]:
        types = info.data.get("instance_types") or []
        for t in types:
            v = check_driver(v, t)
        return v

    @field_validator("rate_limits")
    @classmethod
    def _rates_within_bandwidth(cls, v: RateLimits, info: ValidationInfo) -> RateLimits:
        types = info.data.get("instance_types") or []
        if not types or any(t not in KNOWN for t in types):
            return v
        bw = min(KNOWN[t].bandwidth_mbit for t in types)
        for key, rate in (("egressMbit", v.egress_mbit), ("ingressMbit", v.ingress_mbit)):
            if rate > bw:
                raise FieldError(f"{key} = {rate} exceeds {bw} Mbit/s, the smallest bandwidth of the pool's instance types.",
                                 f"set {key} between 1 and {bw}.")
        return v

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        # The kubelet registers the node with these labels (ALIBABA_CLOUD_LABELS -> --node-labels).
        for k in v:
            if not kubelet_may_set(k):
                raise FieldError(f"label key {k!r} is in a namespace the kubelet may not set (NodeRestriction).",
                                 "use your own prefix, e.g. example.com/" + k.split("/")[-1] + ".")
        return v

    @property
    def gpus_per_node(self) -> int:
        return KNOWN[self.instance_types[0]].gpus

    def node_pool(self) -> GpuPool:
        """The pool as the node renderers see it: the same boot units, scripts and checks as a fixed pool.

        ``count`` is 0 (ACK creates the instances) and the instance type is the first preference;
        every type of the pool has the same GPUs, and the rate limits fit the smallest bandwidth.
        """
        disk = DataDisk(**{k: getattr(self.data_disk, k) for k in DataDisk.model_fields})
        return GpuPool(name=self.name, zones=self.zones, instance_type=self.instance_types[0], count=0,
                       image_id=self.image_id, driver=self.driver, gpu_model_series=self.gpu_model_series,
                       system_disk=self.system_disk, data_disk=disk, rate_limits=self.rate_limits,
                       taints=self.taints, preload=self.preload)

    @model_validator(mode="after")
    def _renderable(self) -> "ElasticPool":
        # The fixed-pool checks (disk sizes differ, preload targets on the data disk) in one place.
        try:
            self.node_pool()
        except ValidationError as err:
            e = err.errors()[0]
            ctx_err = (e.get("ctx") or {}).get("error")
            # the path as the stack spells it (camelCase keys, [i] for list items), as every refusal names it
            field = format_loc([to_camel(x) if isinstance(x, str) else x for x in e["loc"]])
            if isinstance(ctx_err, FieldError):
                raise FieldError(f"{field}: {str(ctx_err).split(' Fix: ')[0]}", ctx_err.fix) from None
            raise FieldError(f"{field}: {e['msg']}.", "see docs/config.md for the field.") from None
        return self


# A region's GPU pools of either kind: both carry name, taints, labels, billing and the same disk
# fields, so code that reads only those takes either.
AnyPool = GpuPool | ElasticPool


class Autoscaler(Model):
    """Cluster autoscaling of the registered cluster (ACK's cluster-autoscaler component)."""

    scale_down_unneeded_minutes: int = Field(default=60, ge=1, le=1440,
                                             description="a node must be unneeded this long before it is removed (keeps preloaded nodes for bursts)")
    scale_down_delay_after_add_minutes: int = Field(default=10, ge=0, le=1440, description="no scale-down this long after a scale-out")
    utilization_threshold: float = Field(default=0.5, gt=0, le=1)
    gpu_utilization_threshold: float = Field(default=0.5, gt=0, le=1)
    scan_interval_seconds: int = Field(default=30, ge=10, le=600)
    expander: str = Field(default="least-waste", pattern=r"^(least-waste|random|priority)$")
    ram_user: Optional[str] = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$",
                                    description="RAM user whose AccessKey is in alibaba-addon-secret; gets the autoscaler policy attached")
