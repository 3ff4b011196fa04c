"""The price table the cost view works from when the pricing API is not asked.

Prices per region: instance types per instance-hour, disks per GiB-hour by
category (``cloud_essd``) or category and performance level
(``cloud_essd/PL2``; the more specific key wins), and Serverless GPU pods per
GPU-hour (what a replica on the Serverless tier costs). Spot pools are priced
at their ``spotPriceLimit``: the most an hour can cost, not what it will.
The figures are the stack's own (``source`` says where they come from); the
cost view can take them from Alibaba's pricing API instead
(``hybrid-gpu cost --pricing-api``).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Iterable, Literal, Optional

from pydantic import BeforeValidator, Field

from hybrid.errors import ConfigIssue, FieldError
from hybrid.model.base import Model, PlainText, RegionId

if TYPE_CHECKING:
    from hybrid.model.elastic import AnyPool
    from hybrid.model.platform import Platform

def _price(value: Any) -> Any:
    # The model is strict, and a price arrives as a YAML/JSON number: take int and finite float
    # (through its shortest repr, so 0.0015 stays 0.0015), never bool or text (Decimal would read
    # full-width digits and '1e999999999').
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(f"{str(value)[:40]!r} is not a number.", "write a plain number such as 20.00.")
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(f"{value!r} is not a finite number.", "write a plain number such as 20.00.")
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


Price = Annotated[Decimal, BeforeValidator(_price), Field(ge=0, le=1_000_000)]


class RegionPrices(Model):
    instance_hour: dict[str, Price] = Field(default_factory=dict, description="Instance type -> price per instance-hour (pay-as-you-go).")
    disk_gib_hour: dict[str, Price] = Field(default_factory=dict, description="Disk category, or category/performance level (cloud_essd/PL1) -> price per GiB-hour.")
    serverless_gpu_hour: Optional[Price] = Field(default=None, description="Serverless GPU pods (ack-virtual-node): price per GPU-hour; without it the placement cost of the region's Serverless tier is unknown.")


class Pricing(Model):
    currency: Literal["CNY", "USD"] = "CNY"
    source: PlainText = Field(min_length=1, description="Where the figures come from (price list and date, a quote, or 'example figures').")
    hours_per_month: int = Field(default=730, ge=1, le=744, description="Hours a month is billed for (730 = 8760 / 12).")
    regions: dict[RegionId, RegionPrices] = Field(default_factory=dict)

    def disk_key(self, region: str, category: str, level: Optional[str]) -> Optional[str]:
        """The price-table key a disk is priced under, or None if the region has no price for it."""
        table = self.regions[region].disk_gib_hour if region in self.regions else {}
        for key in ((f"{category}/{level}",) if level else ()) + (category,):
            if key in table:
                return key
        return None


def disks_of(pool: "AnyPool") -> list[tuple[str, str, Optional[str], int]]:
    """(field, category, performance level, GiB) of each disk every instance of the pool has."""
    s, d = pool.system_disk, pool.data_disk
    return [("systemDisk", s.category, s.performance_level, s.size), ("dataDisk", d.category, d.performance_level, d.size)]


def check(p: "Platform") -> Iterable[ConfigIssue]:
    """Cross check: with a price table, every running pool's instance type and disks have a price."""
    pricing = p.pricing
    if pricing is None:
        return
    for ri, region in enumerate(p.regions):
        prices = pricing.regions.get(region.id)
        base = f"pricing.regions.{region.id}"
        for pi, pool in enumerate(region.gpu_pools):
            where = f"regions[{ri}].gpuPools[{pi}]"
            if prices is None:
                yield ConfigIssue(base, f"no prices for region {region.id}, where pool {pool.name} runs.",
                                  f"add pricing.regions.{region.id} with instanceHour and diskGibHour.")
                break
            if pool.billing.strategy != "Spot" and pool.instance_type not in prices.instance_hour:
                yield ConfigIssue(f"{base}.instanceHour", f"no price for {pool.instance_type} ({where}).",
                                  f"add {pool.instance_type}: <price per hour>.")
            for field, category, level, _ in disks_of(pool):
                if pricing.disk_key(region.id, category, level) is None:
                    want = f"{category}/{level}" if level else category
                    either = f"{want} (or {category})" if level else want
                    yield ConfigIssue(f"{base}.diskGibHour", f"no price for {want} ({where}.{field}).",
                                      f"add {either}: <price per GiB-hour>.")
