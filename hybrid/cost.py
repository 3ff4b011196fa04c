"""What the cloud GPU pools cost: per pool and in total, per hour and per month.

Every instance of a pool costs its instance price plus its system and data
disk (size x price per GiB-hour). The prices come from a :data:`QuoteFn`: the
stack's price table (:func:`table_quote`) or Alibaba's pricing API
(``hybrid.pricing_api``). A Spot pool's instance price is its
``spotPriceLimit`` whatever the source says: the most an hour can cost, so
the totals are an upper bound wherever a Spot pool is in them.

Sums are exact (Decimal) and rounded only for display and ``cost.json``:
hourly figures to 4 places, monthly to 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Optional

from hybrid import tables
from hybrid.model import Platform
from hybrid.model.gpu import GpuPool
from hybrid.model.pricing import Pricing, disks_of

HOURLY_PLACES, MONTHLY_PLACES = Decimal("0.0001"), Decimal("0.01")
BASIS_LIST = "pay-as-you-go"
BASIS_SPOT = "spot price limit (upper bound)"


class PricingUnavailable(Exception):
    """The price source cannot price this pool (no entry, API unreachable or refusing)."""


@dataclass(frozen=True)
class Quote:
    """Prices of one instance of a pool, per hour. ``instance`` is None for Spot pools priced at their limit."""

    instance: Optional[Decimal]
    system_disk: Decimal
    data_disk: Decimal
    currency: str


QuoteFn = Callable[[str, GpuPool], Quote]


def hourly(x: Decimal) -> float:
    return float(x.quantize(HOURLY_PLACES, rounding=ROUND_HALF_UP))


def monthly(x: Decimal) -> float:
    return float(x.quantize(MONTHLY_PLACES, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class PoolCost:
    region: str
    pool: str
    instance_type: str
    count: int
    billing: str
    basis: str
    instance: Decimal      # per instance-hour: list price or spot limit
    system_disk: Decimal   # per instance-hour
    data_disk: Decimal     # per instance-hour
    owner: Optional[str] = None
    lease_end: Optional[str] = None

    @property
    def per_instance_hour(self) -> Decimal:
        return self.instance + self.system_disk + self.data_disk

    @property
    def hour(self) -> Decimal:
        return self.per_instance_hour * self.count

    def doc(self, hours_per_month: int) -> dict[str, Any]:
        return {
            "region": self.region,
            "pool": self.pool,
            "instanceType": self.instance_type,
            "count": self.count,
            "billing": self.billing,
            "basis": self.basis,
            "owner": self.owner,
            "leaseEnd": self.lease_end,
            "perInstanceHour": {"instance": hourly(self.instance), "systemDisk": hourly(self.system_disk),
                                "dataDisk": hourly(self.data_disk), "total": hourly(self.per_instance_hour)},
            "hourly": hourly(self.hour),
            "monthly": monthly(self.hour * hours_per_month),
        }


BASIS_ELASTIC_MAX = "elastic: maxSize at the dearest instance type (upper bound)"


@dataclass(frozen=True)
class ElasticMax:
    """An elastic pool at its maxSize, each node at the dearest price it can have: the list price of
    its dearest instance type, or the spot limit where that is higher. None when a type has no price."""

    region: str
    pool: str
    instance_types: tuple[str, ...]
    max_size: int
    gpus_per_node: int
    per_instance_hour: Optional[Decimal]
    unpriced: tuple[str, ...] = ()

    @property
    def hour(self) -> Decimal:
        return (self.per_instance_hour or Decimal(0)) * self.max_size

    def doc(self, hours_per_month: int) -> dict[str, Any]:
        per = self.per_instance_hour
        return {"region": self.region, "pool": self.pool, "instanceTypes": list(self.instance_types),
                "maxSize": self.max_size, "basis": BASIS_ELASTIC_MAX,
                "perInstanceHour": hourly(per) if per is not None else None,
                "hourly": hourly(self.hour) if per is not None else None,
                "monthly": monthly(self.hour * hours_per_month) if per is not None else None,
                "unpriced": list(self.unpriced)}


def elastic_maxima(platform: Platform) -> list[ElasticMax]:
    """Every elastic pool at its maximum, priced from the stack's price table (regions and pools in order)."""
    pricing = platform.pricing
    out = []
    for region in platform.regions:
        prices = pricing.regions.get(region.id) if pricing else None
        for pool in region.elastic_pools:
            unpriced = tuple(t for t in pool.instance_types if prices is None or t not in prices.instance_hour)
            per: Optional[Decimal] = None
            disks: list[Decimal] = []
            disks_priced = True
            for _, category, level, size in disks_of(pool):
                key = pricing.disk_key(region.id, category, level) if pricing else None
                if key is None:
                    disks_priced = False
                    continue
                assert prices is not None, "disk_key finds a key only in the region's own price table"
                disks.append(prices.disk_gib_hour[key] * size)
            if not unpriced and disks_priced:
                assert prices is not None, "no instance type is unpriced, and a pool has at least one (min_length=1)"
                dearest = max(prices.instance_hour[t] for t in pool.instance_types)
                if pool.billing.uses_spot and pool.billing.spot_price_limit is not None:
                    dearest = max(dearest, Decimal(str(pool.billing.spot_price_limit)))
                per = dearest + sum(disks, Decimal(0))
            elif not disks_priced:
                unpriced += ("disks",)
            out.append(ElasticMax(region.id, pool.name, tuple(pool.instance_types), pool.max_size,
                                  pool.gpus_per_node, per, unpriced))
    return out


@dataclass(frozen=True)
class CostReport:
    currency: str
    source: str
    hours_per_month: int
    pools: list[PoolCost]
    notes: list[str] = field(default_factory=list)
    elastic: list[ElasticMax] = field(default_factory=list)

    @property
    def hour(self) -> Decimal:
        return sum((p.hour for p in self.pools), Decimal(0))

    @property
    def hour_with_elastic_max(self) -> Decimal:
        return self.hour + sum((e.hour for e in self.elastic), Decimal(0))

    def doc(self) -> dict[str, Any]:
        """``cost.json``: no date, no wall clock; same inputs, same bytes."""
        return {
            "currency": self.currency,
            "source": self.source,
            "hoursPerMonth": self.hours_per_month,
            "upperBound": any(p.basis == BASIS_SPOT and p.count for p in self.pools),
            "pools": [p.doc(self.hours_per_month) for p in self.pools],
            "total": {"hourly": hourly(self.hour), "monthly": monthly(self.hour * self.hours_per_month)},
            **({"elastic": [e.doc(self.hours_per_month) for e in self.elastic],
                "totalWithElasticMax": {"hourly": hourly(self.hour_with_elastic_max),
                                        "monthly": monthly(self.hour_with_elastic_max * self.hours_per_month),
                                        "complete": all(e.per_instance_hour is not None for e in self.elastic)}}
               if self.elastic else {}),
        }

    def table(self, stack: str) -> str:
        cur, h = self.currency, self.hours_per_month
        head = ("region", "pool", "instance type", "count", "billing", f"{cur}/instance-h", f"{cur}/h", f"{cur}/month")
        rows = [(p.region, p.pool, p.instance_type, str(p.count), "spot <= limit" if p.basis == BASIS_SPOT else p.basis,
                 f"{hourly(p.per_instance_hour):,.4f}", f"{hourly(p.hour):,.4f}", f"{monthly(p.hour * h):,.2f}")
                for p in self.pools]
        total = ("total", "", "", str(sum(p.count for p in self.pools)), "", "",
                 f"{hourly(self.hour):,.4f}", f"{monthly(self.hour * h):,.2f}")
        *body, last = tables.text(head, [*rows, total], right={3, 5, 6, 7}, rule=True)
        out = [f"cost of stack {stack!r}: {cur}, {h} hours a month; prices: {self.source}", "", *body, body[1], last]
        if any(p.basis == BASIS_SPOT and p.count for p in self.pools):
            out += ["", "Spot pools are priced at their spotPriceLimit: the totals are an upper bound."]
        if self.elastic:
            out += ["", "elastic pools at their maxSize (dearest instance type; an upper bound):"]
            for e in self.elastic:
                what = (f"{e.max_size} x {hourly(e.per_instance_hour):,.4f}/h = {monthly(e.hour * h):,.2f} {cur}/month"
                        if e.per_instance_hour is not None else f"{e.max_size} x (no price for {', '.join(e.unpriced)})")
                out.append(f"  {e.region}/{e.pool}: {what}")
            complete = "" if all(e.per_instance_hour is not None for e in self.elastic) else " (without the unpriced pools)"
            out.append(f"total with elastic maximums: {monthly(self.hour_with_elastic_max * h):,.2f} {cur}/month{complete}")
        out += [""] + [f"note: {n}" for n in self.notes] if self.notes else []
        return "\n".join(out)


def table_quote(pricing: Pricing) -> QuoteFn:
    """Quotes from the stack's price table (the model has checked every entry exists)."""

    def quote(region: str, pool: GpuPool) -> Quote:
        prices = pricing.regions.get(region)
        if prices is None:
            raise PricingUnavailable(f"the price table has no region {region}")
        parts = []
        for _, category, level, size in disks_of(pool):
            key = pricing.disk_key(region, category, level)
            if key is None:
                raise PricingUnavailable(f"the price table has no disk price for {category} in {region}")
            parts.append(prices.disk_gib_hour[key] * size)
        instance = None
        if pool.billing.strategy != "Spot":
            if pool.instance_type not in prices.instance_hour:
                raise PricingUnavailable(f"the price table has no price for {pool.instance_type} in {region}")
            instance = prices.instance_hour[pool.instance_type]
        return Quote(instance, parts[0], parts[1], pricing.currency)

    return quote


def compute(platform: Platform, quote: Optional[QuoteFn] = None, source: Optional[str] = None,
            currency: Optional[str] = None, notes: Optional[list[str]] = None) -> CostReport:
    """Cost of every GPU pool of the stack (regions and pools in declared order)."""
    pricing = platform.pricing
    if quote is None:
        if pricing is None:
            raise PricingUnavailable("the stack has no price table (hybrid-gpu-platform:pricing)")
        quote = table_quote(pricing)
    pools = []
    seen_currency = set()
    for region in platform.regions:
        for pool in region.gpu_pools:
            q = quote(region.id, pool)
            seen_currency.add(q.currency)
            spot = pool.billing.strategy == "Spot"
            instance = Decimal(str(pool.billing.spot_price_limit)) if spot else q.instance
            if instance is None:
                raise PricingUnavailable(f"no instance price for {pool.instance_type} in {region.id}")
            lease = pool.lease
            pools.append(PoolCost(
                region.id, pool.name, pool.instance_type, pool.count, pool.billing.strategy,
                BASIS_SPOT if spot else BASIS_LIST, instance, q.system_disk, q.data_disk,
                owner=lease.owner if lease else None, lease_end=lease.end.isoformat() if lease else None,
            ))
    if len(seen_currency) > 1:
        raise PricingUnavailable(f"prices come in several currencies {sorted(seen_currency)}")
    cur = currency or (seen_currency.pop() if seen_currency else (pricing.currency if pricing else "CNY"))
    src = source or (f"price table ({pricing.source})" if pricing else "price table")
    return CostReport(cur, src, pricing.hours_per_month if pricing else 730, pools, list(notes or []), elastic_maxima(platform))


# --- where the placement puts the money ---------------------------------------

def _gpus(request: dict[str, Any]) -> Decimal:
    from hybrid.placement_capacity import normalise_request

    return Decimal(str(normalise_request(request).get("nvidia.com/gpu", 0)))


def placement_costs(platform: Platform, report: CostReport) -> dict[str, Any]:
    """Per workload: replicas per cluster with the marginal cost of one more replica-hour there.

    IDC: 0 (the hardware is paid for whether a replica runs or not). A cloud
    region: the GPU share of its pools, i.e. their hourly cost over their
    GPUs, times the replica's GPUs. Serverless: ``serverlessGpuHour`` times
    the replica's GPUs. ``idcSavesPerMonth`` prices the IDC's replicas at the
    cheapest cloud tier the workload could otherwise use: what the IDC-first
    rule keeps off the bill.
    """
    from hybrid.placement_platform import TIER_NAMES, plan_placement

    per_gpu: dict[str, Decimal] = {}
    for region in platform.regions:
        cost = sum((p.hour for p in report.pools if p.region == region.id), Decimal(0))
        region_gpus = sum(pool.spec.gpus * pool.count for pool in region.gpu_pools)
        if region_gpus:
            per_gpu[region.id] = cost / region_gpus
    from hybrid.placement_platform import ELASTIC_SUFFIX

    for e in report.elastic:  # the elastic tier at its dearest node, per GPU (one pool per region prices it)
        if e.per_instance_hour is not None and e.gpus_per_node:
            elastic_rate = e.per_instance_hour / e.gpus_per_node
            key = e.region + ELASTIC_SUFFIX
            per_gpu[key] = max(per_gpu.get(key, elastic_rate), elastic_rate)
    pricing = platform.pricing
    for region_id in platform.placement.serverless_replicas:
        prices = pricing.regions.get(region_id) if pricing else None
        if prices is not None and prices.serverless_gpu_hour is not None:
            per_gpu[region_id + "-serverless"] = prices.serverless_gpu_hour
    out: dict[str, Any] = {}
    h = report.hours_per_month
    for wp in plan_placement(platform).workloads:
        gpus = _gpus(wp.workload.request)
        clusters, total, idc_replicas = {}, Decimal(0), 0
        cloud_rates = []
        for name in sorted(wp.result.assignments, key=lambda n: (wp.tiers[n], n)):
            n, tier = wp.result.assignments[name], wp.tiers[name]
            rate = Decimal(0) if tier == 0 else (per_gpu[name] * gpus if gpus and name in per_gpu else None)
            if tier == 0:
                idc_replicas += n
            elif rate is not None and wp.result.capacity.get(name, 0) > 0:
                cloud_rates.append(rate)
            entry: dict[str, Any] = {"tier": TIER_NAMES.get(tier, str(tier)), "replicas": n,
                                     "perReplicaHour": None if rate is None else hourly(rate)}
            if rate is not None:
                entry["monthly"] = monthly(rate * n * h)
                total += rate * n
            clusters[name] = entry
        cheapest = min(cloud_rates) if cloud_rates else None
        out[wp.key] = {
            "gpusPerReplica": float(gpus),
            "clusters": clusters,
            "monthly": monthly(total * h),
            "idcSavesPerMonth": None if cheapest is None else monthly(cheapest * idc_replicas * h),
        }
    return out
