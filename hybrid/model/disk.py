"""Cloud disk settings shared by every disk the model describes (system and data disks of the
GPU pools): category, size, performance level, encryption. One home for the rule that ties a
performance level to its category and size."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import model_validator

from hybrid.errors import FieldError
from hybrid.model.base import Model, VendorId

DiskCategory = Literal["cloud_essd", "cloud_auto", "cloud_essd_entry", "cloud_ssd", "cloud_efficiency"]
PerformanceLevel = Literal["PL0", "PL1", "PL2", "PL3"]

# Performance levels exist only for ESSDs (API value cloud_essd), each with a minimum size in GiB.
# source: ECS "ESSDs" https://help.aliyun.com/document_detail/122389.html (capacity range per PL:
# PL0 40-32768, PL1 20-32768, PL2 461-32768, PL3 1261-32768).
ESSD_MIN_GIB = {"PL0": 40, "PL1": 20, "PL2": 461, "PL3": 1261}


class Disk(Model):
    """A cloud disk; each kind sets its own size bounds (and default) by redeclaring ``size``."""

    category: DiskCategory = "cloud_essd"
    size: int
    performance_level: Optional[PerformanceLevel] = None
    # Disks of GPU nodes hold the cloud-init cache (with the bootstrap token) or training data:
    # encrypted unless the stack says otherwise.
    encrypted: bool = True
    kms_key_id: Optional[VendorId] = None

    @model_validator(mode="after")
    def _level_and_encryption(self) -> "Disk":
        level = self.performance_level
        if level is not None:
            if self.category != "cloud_essd":
                raise FieldError(f"performanceLevel {level} is set on a {self.category} disk; only cloud_essd has performance levels.",
                                 "drop performanceLevel or use category: cloud_essd.")
            if self.size < ESSD_MIN_GIB[level]:
                raise FieldError(f"an ESSD at {level} needs at least {ESSD_MIN_GIB[level]} GiB; size is {self.size}.",
                                 f"raise size to {ESSD_MIN_GIB[level]} or pick a lower performance level.")
        if self.kms_key_id and not self.encrypted:
            raise FieldError("kmsKeyId is set but encrypted is false.", "set encrypted: true or drop kmsKeyId.")
        return self
