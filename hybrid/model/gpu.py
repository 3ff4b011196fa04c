"""Cloud GPU node pools that join the IDC cluster."""

from __future__ import annotations

import posixpath
from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from hybrid.errors import FieldError
from hybrid.instance_types import KNOWN, InstanceSpec, is_gpu_type
from hybrid.model.base import Model, Name, ZoneId

DiskCategory = Literal["cloud_essd", "cloud_auto", "cloud_essd_entry", "cloud_ssd", "cloud_efficiency"]


class SystemDisk(Model):
    category: DiskCategory = "cloud_essd"
    size: int = Field(default=100, ge=20, le=2048, description="GiB")
    performance_level: Optional[Literal["PL0", "PL1", "PL2", "PL3"]] = None
    kms_key_id: Optional[str] = None


class DataDisk(Model):
    category: DiskCategory = "cloud_essd"
    size: int = Field(ge=20, le=32768, description="GiB")
    performance_level: Optional[Literal["PL0", "PL1", "PL2", "PL3"]] = None
    encrypted: bool = True
    kms_key_id: Optional[str] = None
    mount_path: str = "/data"

    @field_validator("mount_path")
    @classmethod
    def _abs(cls, v: str) -> str:
        if not v.startswith("/") or posixpath.normpath(v) != v or v == "/":
            raise FieldError(f"mount path {v!r} is not a normalised absolute directory.", "use a path such as /data.")
        return v

    @model_validator(mode="after")
    def _kms_needs_encryption(self) -> "DataDisk":
        if self.kms_key_id and not self.encrypted:
            raise FieldError("kmsKeyId is set but encrypted is false.", "set encrypted: true or drop kmsKeyId.")
        return self


class Billing(Model):
    strategy: Literal["PayAsYouGo", "Spot"] = "PayAsYouGo"
    spot_price_limit: Optional[float] = Field(default=None, gt=0, description="CNY per hour")

    @model_validator(mode="after")
    def _spot_limit(self) -> "Billing":
        if self.strategy == "Spot" and self.spot_price_limit is None:
            raise FieldError("strategy Spot needs spotPriceLimit.", "set spotPriceLimit (CNY/hour) so a price spike cannot run up the bill.")
        if self.strategy == "PayAsYouGo" and self.spot_price_limit is not None:
            raise FieldError("spotPriceLimit is set but strategy is PayAsYouGo.", "set strategy: Spot or drop spotPriceLimit.")
        return self


class RateLimits(Model):
    egress_mbit: int = Field(description="eth0 egress ceiling, Mbit/s")
    ingress_mbit: int = Field(description="eth0 ingress ceiling, Mbit/s")


class Taint(Model):
    key: str = Field(min_length=1)
    value: str = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class Preload(Model):
    name: Name
    source: str = Field(min_length=1, description="rsync:// URL or directory on the IDC storage reachable over the leased line.")
    target: str
    rate_mbit: int = Field(gt=0, description="copy rate limit, Mbit/s")

    @field_validator("source")
    @classmethod
    def _source_kind(cls, v: str) -> str:
        if not (v.startswith("rsync://") or v.startswith("/")):
            raise FieldError(f"preload source {v!r} is neither rsync:// nor an absolute path.", "use rsync://HOST/MODULE/PATH/ or a mounted directory such as /mnt/idc/datasets/x/.")
        return v


class InstanceSpecOverride(Model):
    vcpu: int = Field(gt=0)
    memory_gib: int = Field(gt=0)
    gpus: int = Field(gt=0)
    gpu_model: str
    bandwidth_mbit: int = Field(gt=0)


class GpuPool(Model):
    name: Name
    zones: list[ZoneId] = Field(min_length=1)
    instance_type: str
    count: int = Field(ge=0, le=1000)
    image_id: str = Field(min_length=1)
    gpu_model_series: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    system_disk: SystemDisk = SystemDisk()
    data_disk: DataDisk
    billing: Billing = Billing()
    rate_limits: RateLimits
    taints: list[Taint] = Field(default_factory=list)
    preload: list[Preload] = Field(default_factory=list)
    ram_role: Optional[str] = None
    instance_spec: Optional[InstanceSpecOverride] = None

    @property
    def spec(self) -> InstanceSpec:
        if self.instance_spec is not None:
            s = self.instance_spec
            return InstanceSpec(s.vcpu, s.memory_gib, s.gpus, s.gpu_model, s.bandwidth_mbit)
        return KNOWN[self.instance_type]

    @field_validator("zones")
    @classmethod
    def _unique_zones(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise FieldError(f"zones {v} list a zone twice.", "list each zone once.")
        return v

    @field_validator("instance_type")
    @classmethod
    def _gpu_type(cls, v: str) -> str:
        if not is_gpu_type(v):
            raise FieldError(
                f"{v!r} is not a GPU instance type.",
                "use a GPU family such as ecs.gn7i-c32g1.8xlarge, ecs.gn6i-*, ecs.gn7e-* or ecs.ebmgn7ex-*.",
            )
        return v

    @model_validator(mode="after")
    def _checks(self) -> "GpuPool":
        if self.instance_spec is None and self.instance_type not in KNOWN:
            raise FieldError(
                f"instance type {self.instance_type} is not in the known-spec table.",
                "add instanceSpec {vcpu, memoryGib, gpus, gpuModel, bandwidthMbit} to the pool.",
            )
        bw = self.spec.bandwidth_mbit
        for name in ("egress_mbit", "ingress_mbit"):
            rate = getattr(self.rate_limits, name)
            if not 0 < rate <= bw:
                raise FieldError(
                    f"rateLimits.{'egressMbit' if name == 'egress_mbit' else 'ingressMbit'} = {rate} is outside 1..{bw} Mbit/s (the bandwidth of {self.instance_type}).",
                    f"set a rate between 1 and {bw}.",
                )
        mount = self.data_disk.mount_path
        for p in self.preload:
            target = posixpath.normpath(p.target)
            if not p.target.startswith("/") or not target.startswith(mount + "/"):
                raise FieldError(
                    f"preload {p.name!r} targets {p.target!r}, outside the data disk mount {mount}.",
                    f"put the target under {mount}/, e.g. {mount}/datasets/{p.name}.",
                )
            if p.rate_mbit > self.rate_limits.ingress_mbit:
                raise FieldError(
                    f"preload {p.name!r} rateMbit {p.rate_mbit} exceeds the node's ingress limit {self.rate_limits.ingress_mbit}.",
                    "lower rateMbit to at most rateLimits.ingressMbit.",
                )
        return self
