"""How well each pool, lease owner and namespace uses its GPUs over a range: pure arithmetic.

Inputs are the recorded series of ``hybrid.gpu_metrics`` summed per window (the CLI reads them
from Prometheus) and the stack's cost report (``hybrid.cost``). Definitions:

- GPU-hours paid: a fixed pool's GPUs (count x GPUs per instance) x the range's hours, whether
  its nodes report or not (the instances are billed either way); an elastic pool's paid hours
  are the hours its GPUs reported (its nodes exist only while scaled up), and its price is
  unknown here (``hybrid.cost`` prices fixed pools only).
- GPU-hours busy: evaluations with utilisation above the threshold x the rule interval.
- idle share: 1 - busy / paid. Cost per busy GPU-hour: the pool's cost over the range / busy.
- Recommendation for a lease ending within the window, from busy / paid (the busy share):
  at least RENEW_AT: renew; below RELEASE_BELOW: release; between: shrink to the instances
  that would have been RENEW_AT busy, i.e. ceil(mean busy GPUs / RENEW_AT / GPUs per instance).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Optional

from hybrid import tables

RENEW_AT = 0.5
RELEASE_BELOW = 0.1
RULE = (f"busy share = busy / paid GPU-hours; >= {RENEW_AT:.0%}: renew; < {RELEASE_BELOW:.0%}: release; "
        f"otherwise shrink to ceil(mean busy GPUs / {RENEW_AT:g} / GPUs per instance) instances")


@dataclass
class PoolUsage:
    pool: str
    owner: str
    kind: str                      # fixed | elastic | not in stack
    gpus: int                      # configured GPUs (fixed), 0 otherwise
    gpus_per_instance: int
    count: int
    paid: float                    # GPU-hours
    reporting: float               # GPU-hours the exporter reported
    busy: float
    allocated: float
    used: float                    # utilisation-weighted GPU-hours
    cost: Optional[Decimal]        # over the range
    energy_kwh: Optional[float] = None
    lease_end: Optional[date] = None

    @property
    def busy_share(self) -> Optional[float]:
        return self.busy / self.paid if self.paid else None

    @property
    def idle_share(self) -> Optional[float]:
        return None if self.busy_share is None else 1 - self.busy_share

    @property
    def cost_per_busy_hour(self) -> Optional[Decimal]:
        if self.cost is None or not self.busy:
            return None
        return self.cost / Decimal(repr(self.busy))


@dataclass
class Recommendation:
    pool: str
    owner: str
    end: date
    days_left: int
    busy_share: float
    action: str
    count: int
    new_count: int


def recommend(u: PoolUsage, hours: float, today: date) -> Recommendation:
    share = u.busy_share or 0.0
    if share >= RENEW_AT:
        action, new = "renew", u.count
    elif share < RELEASE_BELOW:
        action, new = "release", 0
    else:
        mean_busy = u.busy / hours
        new = max(1, math.ceil(mean_busy / RENEW_AT / u.gpus_per_instance - 1e-9))
        action = "shrink" if new < u.count else "renew"
        new = min(new, u.count)
    assert u.lease_end is not None
    return Recommendation(u.pool, u.owner, u.lease_end, (u.lease_end - today).days, share, action, u.count, new)


@dataclass
class NamespaceUsage:
    namespace: str
    workload: str
    allocated: float
    busy: float
    used: float


@dataclass
class UsageReport:
    stack: str
    start: str
    end: str
    hours: float
    threshold: float
    interval_s: int
    currency: str
    pools: list[PoolUsage]
    namespaces: list[NamespaceUsage]
    leases: list[Recommendation]
    lease_days: int
    notes: list[str] = field(default_factory=list)
    series: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # pool -> what -> mean GPUs per window
    times: list[float] = field(default_factory=list)

    def owners(self) -> list[PoolUsage]:
        by: dict[str, list[PoolUsage]] = {}
        for u in self.pools:
            by.setdefault(u.owner, []).append(u)
        out = []
        for owner, us in sorted(by.items()):
            costs = [u.cost for u in us]
            known = [c for c in costs if c is not None]
            out.append(PoolUsage(
                pool=", ".join(u.pool for u in us), owner=owner, kind="owner", gpus=sum(u.gpus for u in us),
                gpus_per_instance=0, count=0, paid=sum(u.paid for u in us), reporting=sum(u.reporting for u in us),
                busy=sum(u.busy for u in us), allocated=sum(u.allocated for u in us), used=sum(u.used for u in us),
                cost=None if len(known) < len(costs) else sum(known, Decimal(0)),
                energy_kwh=None if any(u.energy_kwh is None for u in us) else sum(u.energy_kwh or 0 for u in us)))
        return out

    def doc(self) -> dict[str, Any]:
        def row(u: PoolUsage) -> dict[str, Any]:
            return {
                "pool": u.pool, "owner": u.owner, "kind": u.kind, "gpus": u.gpus,
                "gpuHoursPaid": r(u.paid), "gpuHoursReporting": r(u.reporting), "gpuHoursBusy": r(u.busy),
                "gpuHoursAllocated": r(u.allocated), "gpuHoursUsed": r(u.used),
                "idleShare": r(u.idle_share), "cost": None if u.cost is None else r(float(u.cost), 2),
                "costPerBusyGpuHour": None if u.cost_per_busy_hour is None else r(float(u.cost_per_busy_hour), 4),
                "energyKwh": r(u.energy_kwh),
            }
        return {
            "stack": self.stack, "start": self.start, "end": self.end, "hours": r(self.hours),
            "busyThresholdPercent": self.threshold, "ruleIntervalSeconds": self.interval_s, "currency": self.currency,
            "pools": [row(u) for u in self.pools],
            "owners": [row(u) for u in self.owners()],
            "namespaces": [{"namespace": n.namespace, "workload": n.workload, "gpuHoursAllocated": r(n.allocated),
                            "gpuHoursBusy": r(n.busy), "gpuHoursUsed": r(n.used),
                            "meanGpusAllocated": r(n.allocated / self.hours), "meanGpusUsed": r(n.used / self.hours)}
                           for n in self.namespaces],
            "leases": {"withinDays": self.lease_days, "rule": RULE,
                       "endingSoon": [{"pool": x.pool, "owner": x.owner, "end": x.end.isoformat(), "daysLeft": x.days_left,
                                       "busyShare": r(x.busy_share), "recommendation": x.action, "count": x.count,
                                       "newCount": x.new_count} for x in self.leases]},
            "notes": self.notes,
        }


def r(x: Optional[float], places: int = 4) -> Optional[float]:
    return None if x is None else round(x, places)


def _pct(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:.1%}"


def _money(x: Optional[Decimal]) -> str:
    return "-" if x is None else f"{float(x):,.2f}"


def render(rep: UsageReport, md: bool = False) -> str:
    cur = rep.currency
    tab = tables.md if md else functools.partial(tables.text, rule=True)
    head = ("pool", "owner", "GPUs", "GPU-h paid", "GPU-h reporting", "GPU-h busy", "idle", f"{cur} paid",
            f"{cur}/busy GPU-h", "kWh")

    def rows(us: list[PoolUsage]) -> list[tuple[str, ...]]:
        return [(u.pool, u.owner, str(u.gpus) if u.gpus else "-", f"{u.paid:,.2f}", f"{u.reporting:,.2f}", f"{u.busy:,.2f}",
                 _pct(u.idle_share), _money(u.cost), _money(u.cost_per_busy_hour),
                 "-" if u.energy_kwh is None else f"{u.energy_kwh:,.2f}") for u in us]

    right = {2, 3, 4, 5, 6, 7, 8, 9}
    h = "## " if md else ""
    out = [f"{h}GPU usage of stack {rep.stack!r}: {rep.start} .. {rep.end} ({rep.hours:g} h); busy = utilisation above "
           f"{rep.threshold:g} %; GPU-hours = recorded samples x {rep.interval_s} s", "", "per pool:"]
    out += tab(head, rows(rep.pools), right)
    out += ["", "per lease owner:"] + tab(head, rows(rep.owners()), right)
    out += ["", "per namespace / workload (GPUs a pod holds):"]
    out += tab(("namespace", "workload", "GPU-h allocated", "GPU-h busy", "GPU-h used", "mean GPUs allocated", "mean GPUs used"),
               [(n.namespace, n.workload, f"{n.allocated:,.2f}", f"{n.busy:,.2f}", f"{n.used:,.2f}",
                 f"{n.allocated / rep.hours:,.2f}", f"{n.used / rep.hours:,.2f}") for n in rep.namespaces], {2, 3, 4, 5, 6})
    out += ["", f"leases ending within {rep.lease_days} days (rule: {RULE}):"]
    if rep.leases:
        out += tab(("pool", "owner", "end", "days left", "busy share", "recommendation", "count"),
                   [(x.pool, x.owner, x.end.isoformat(), str(x.days_left), _pct(x.busy_share), x.action,
                     f"{x.count} -> {x.new_count}") for x in rep.leases], {3, 4})
    else:
        out.append("  none")
    out += [""] + [f"note: {n}" for n in rep.notes] if rep.notes else []
    return "\n".join(out)
