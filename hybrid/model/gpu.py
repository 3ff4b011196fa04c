"""Cloud GPU node pools that join the IDC cluster."""

from __future__ import annotations

import posixpath
import re
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from hybrid.errors import FieldError
from hybrid.instance_types import KNOWN, InstanceSpec, did_you_mean, family_gpu, is_gpu_type
from hybrid.model.base import AbsPath, ImageId, LabelKey, LabelValue, Model, Name, PlainText, ZoneId
from hybrid.model.disk import Disk
from hybrid.model.lease import Lease
from hybrid.model.gpu_driver import GpuDriver, check_driver


def _zones_once(v: list[str]) -> list[str]:
    if len(set(v)) != len(v):
        raise FieldError(f"zones {v} list a zone twice.", "list each zone once.")
    return v


# A pool's zones (fixed and elastic pools), each once.
ZoneList = Annotated[list[ZoneId], AfterValidator(_zones_once)]


class SystemDisk(Disk):
    # Encrypted by default (Disk): the system disk caches cloud-init user-data with the bootstrap token.
    size: int = Field(default=100, ge=20, le=2048, description="GiB")


class DataDisk(Disk):
    size: int = Field(ge=20, le=32768, description="GiB")
    mount_path: AbsPath = "/data"


class Billing(Model):
    strategy: Literal["PayAsYouGo", "Spot"] = "PayAsYouGo"
    # Bounded so a typo (1e308, inf) is not read as "no limit"; the largest GPU instances cost a few hundred CNY/hour.
    spot_price_limit: Optional[float] = Field(default=None, gt=0, le=10_000, allow_inf_nan=False, description="CNY per hour")

    @model_validator(mode="after")
    def _spot_limit(self) -> "Billing":
        # components/gpu_pool.py renders Spot as spot_strategy SpotWithPriceLimit, which needs spot_price_limit
        # (ECS RunInstances SpotStrategy: "SpotWithPriceLimit: a preemptible instance with a user-defined maximum
        # hourly price", https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-runinstances).
        # A limit without Spot does nothing: a warning (platform._spot_limit_unused).
        if self.strategy == "Spot" and self.spot_price_limit is None:
            raise FieldError("strategy Spot needs spotPriceLimit.", "set spotPriceLimit (CNY/hour): the pool buys spot as SpotWithPriceLimit.")
        return self


class RateLimits(Model):
    egress_mbit: int = Field(gt=0, description="eth0 egress ceiling, Mbit/s")
    ingress_mbit: int = Field(gt=0, description="eth0 ingress ceiling, Mbit/s")


class Taint(Model):
    key: LabelKey
    value: LabelValue = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class Preload(Model):
    name: Name
    source: PlainText = Field(min_length=1, description="rsync:// URL or directory on the IDC storage reachable over the leased line.")
    target: AbsPath
    rate_mbit: int = Field(gt=0, le=1_000_000, description="copy rate limit, Mbit/s")

    @field_validator("source")
    @classmethod
    def _source_kind(cls, v: str) -> str:
        if not (v.startswith("rsync://") or v.startswith("/")):
            raise FieldError(f"preload source {v!r} is neither rsync:// nor an absolute path.", "use rsync://HOST/MODULE/PATH/ or a mounted directory such as /mnt/idc/datasets/x/.")
        _plain_path(v)
        # rsync reads the trailing '/' (copy the contents), so it is allowed here, unlike AbsPath.
        if not _SOURCE_RE.fullmatch(v) or "/../" in v + "/" or "/./" in v + "/":
            raise FieldError(f"preload source {v[:80]!r} is not a plain rsync URL or path.",
                             "use rsync://HOST[:PORT]/MODULE/PATH/ or /mnt/..., with letters, digits and _ . @ + - in names, no '.' or '..' components.")
        return v

    @field_validator("target")
    @classmethod
    def _target_plain(cls, v: str) -> str:
        return _plain_path(v)


_SOURCE_RE = re.compile(r"(rsync://[A-Za-z0-9.-]+(:[0-9]{1,5})?)?(/[A-Za-z0-9_.@+-]+)+/?")


def _plain_path(v: str) -> str:
    # The node reads these from a systemd EnvironmentFile and passes them to rsync as
    # single words: keep them free of whitespace, quotes, backslashes and $.
    bad = sorted({c for c in v if c.isspace() or c in "\"'\\$`"})
    if bad:
        raise FieldError(f"{v!r} contains {bad}.", "use a path without whitespace, quotes, backslashes or $.")
    return v


class InstanceSpecOverride(Model):
    vcpu: int = Field(gt=0, le=100_000)
    memory_gib: int = Field(gt=0, le=100_000_000)
    gpus: int = Field(gt=0, le=1_024)
    gpu_model: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    bandwidth_mbit: int = Field(gt=0, le=10_000_000)


class GpuPool(Model):
    # Field order matters: the field validators below read earlier fields from
    # ``info.data`` so that their errors carry the most specific path pydantic allows.
    name: Name
    zones: ZoneList = Field(min_length=1, max_length=32)
    instance_type: str = Field(max_length=64, pattern=r"^ecs\.[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+$")
    instance_spec: Optional[InstanceSpecOverride] = None
    count: int = Field(ge=0, le=1000)
    image_id: ImageId
    driver: Optional[GpuDriver] = Field(default=None, validate_default=True,
                                        description="NVIDIA driver path; required (every pool is a GPU instance type).")
    gpu_model_series: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    system_disk: SystemDisk = SystemDisk()
    data_disk: DataDisk
    billing: Billing = Billing()
    rate_limits: RateLimits
    taints: list[Taint] = Field(default_factory=list, max_length=32)
    preload: list[Preload] = Field(default_factory=list, max_length=64)
    ram_role: Optional[str] = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    lease: Optional[Lease] = Field(default=None, description="Owner, purpose and lease end of the pool; the instances carry them as tags.")

    @property
    def spec(self) -> InstanceSpec:
        if self.instance_spec is not None:
            s = self.instance_spec
            return InstanceSpec(s.vcpu, s.memory_gib, s.gpus, s.gpu_model, s.bandwidth_mbit)
        return KNOWN[self.instance_type]

    @field_validator("taints")
    @classmethod
    def _unique_taints(cls, v: list[Taint]) -> list[Taint]:
        # The API server refuses a node whose taints repeat a key and effect.
        seen: dict[tuple[str, str], int] = {}
        for i, t in enumerate(v):
            if (t.key, t.effect) in seen:
                raise FieldError(f"taints[{i}] repeats taints[{seen[(t.key, t.effect)]}] ({t.key}:{t.effect}).",
                                 "list each key and effect once.")
            seen[(t.key, t.effect)] = i
        return v

    @field_validator("instance_type")
    @classmethod
    def _gpu_type(cls, v: str) -> str:
        if not is_gpu_type(v):
            raise FieldError(
                f"{v!r} is not a GPU instance type.{did_you_mean(v)}",
                "use a GPU family such as ecs.gn7i-c32g1.8xlarge, ecs.gn6i-*, ecs.gn7e-* or ecs.ebmgn7ex-*.",
            )
        return v

    @field_validator("driver")
    @classmethod
    def _driver_path(cls, v: Optional[GpuDriver], info: ValidationInfo) -> Optional[GpuDriver]:
        return check_driver(v, info.data.get("instance_type"))

    @field_validator("data_disk")
    @classmethod
    def _disk_sizes_differ(cls, v: DataDisk, info: ValidationInfo) -> DataDisk:
        # The node finds its data disk by size (it is attached after first boot and
        # its device name is not known in advance), so the two sizes must differ.
        system = info.data.get("system_disk")
        if system is not None and system.size == v.size:
            raise FieldError(
                f"size {v.size} GiB equals systemDisk.size, so the node could not tell the data disk apart.",
                "give the data disk a different size than the system disk.",
            )
        return v

    @field_validator("rate_limits")
    @classmethod
    def _rates_within_bandwidth(cls, v: RateLimits, info: ValidationInfo) -> RateLimits:
        bw = _bandwidth(info.data)
        if bw is None:  # instance type invalid or unknown: reported on its own field
            return v
        for key, rate in (("egressMbit", v.egress_mbit), ("ingressMbit", v.ingress_mbit)):
            if rate > bw:
                raise FieldError(
                    f"{key} = {rate} exceeds the {bw} Mbit/s bandwidth of {info.data.get('instance_type', 'the instance type')}.",
                    f"set {key} between 1 and {bw}.",
                )
        return v

    @field_validator("preload")
    @classmethod
    def _preload_on_data_disk(cls, v: list[Preload], info: ValidationInfo) -> list[Preload]:
        disk = info.data.get("data_disk")
        limits = info.data.get("rate_limits")
        names: set[str] = set()
        targets: list[tuple[int, str]] = []
        for i, p in enumerate(v):
            if p.name in names:
                raise FieldError(f"preload[{i}].name {p.name!r} is used twice.", "give every preload its own name.")
            names.add(p.name)
            target = posixpath.normpath(p.target)
            if disk is not None:
                mount = disk.mount_path
                if not p.target.startswith("/") or not target.startswith(mount + "/"):
                    raise FieldError(
                        f"preload[{i}].target {p.target!r} is outside the data disk mount {mount}.",
                        f"put the target under {mount}/, e.g. {mount}/datasets/{p.name}.",
                    )
            for j, other in targets:
                if target == other or target.startswith(other + "/") or other.startswith(target + "/"):
                    raise FieldError(
                        f"preload[{i}].target {target} overlaps preload[{j}].target {other}.",
                        "give every dataset its own directory; the completion markers would clash.",
                    )
            targets.append((i, target))
            if limits is not None and p.rate_mbit > limits.ingress_mbit:
                raise FieldError(
                    f"preload[{i}].rateMbit {p.rate_mbit} exceeds rateLimits.ingressMbit {limits.ingress_mbit}.",
                    "lower rateMbit to at most rateLimits.ingressMbit.",
                )
        return v

    @model_validator(mode="after")
    def _known_spec(self) -> "GpuPool":
        if self.instance_spec is None and self.instance_type not in KNOWN:
            raise FieldError(
                f"instance type {self.instance_type} is not in the known-spec table.{did_you_mean(self.instance_type)}",
                "add instanceSpec {vcpu, memoryGib, gpus, gpuModel, bandwidthMbit} to the pool.",
            )
        family = family_gpu(self.instance_type)
        if family is not None and self.instance_spec is not None and self.instance_spec.gpu_model != family:
            raise FieldError(f"instanceSpec.gpuModel {self.instance_spec.gpu_model} contradicts {self.instance_type}, whose family carries {family}.",
                             f"set instanceSpec.gpuModel: {family}.")
        if self.gpu_model_series != self.spec.gpu_model:
            raise FieldError(f"gpuModelSeries {self.gpu_model_series} contradicts {self.instance_type}, which carries {self.spec.gpu_model} GPUs.",
                             f"set gpuModelSeries: {self.spec.gpu_model}.")
        return self


def _bandwidth(data: dict[str, Any]) -> Optional[int]:
    """Bandwidth of the pool's instance type from already-validated fields, if known."""
    spec = data.get("instance_spec")
    if spec is not None:
        bandwidth: Optional[int] = spec.bandwidth_mbit
        return bandwidth
    known = KNOWN.get(data.get("instance_type", ""))
    return known.bandwidth_mbit if known else None
