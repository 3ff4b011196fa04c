"""hybrid/usage.py: the lease rule at its edges, the per-owner sums and the report's cells, worked by hand.

The rule (docs/usage.md, the module's doc): busy share = busy / paid; >= 50 %: renew; < 10 %:
release; between: shrink to ceil(mean busy GPUs / 0.5 / GPUs per instance) instances, at least
one, never more than today. A week is 168 hours. The report below has three pools, two of one
lease owner, every figure chosen so it can be checked by hand:

=============  ===========  =======  ====  ======  ======  =====  =========  ======
pool           owner        kind     GPUs  paid    busy    idle   cost       kWh
=============  ===========  =======  ====  ======  ======  =====  =========  ======
a10-train      ml-platform  fixed    8     1344    672     50 %   13440      123.456
a100-infer     ml-platform  fixed    16    2688    268.8   90 %   26880.5    (none)
l20-elastic    research     elastic  -     10      0       100 %  (unknown)  5
=============  ===========  =======  ====  ======  ======  =====  =========  ======
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hybrid import usage

TODAY = date(2027, 1, 1)


def _pool(busy: float, count: int = 4, per: int = 1, hours: float = 168, end: date = date(2027, 1, 10)) -> usage.PoolUsage:
    return usage.PoolUsage("p", "team", "fixed", count * per, per, count, paid=count * per * hours,
                           reporting=count * per * hours, busy=busy, allocated=0, used=0, cost=Decimal("1000"), lease_end=end)


# --- the lease rule at its edges -------------------------------------------------------------

def test_exactly_half_busy_is_renewed():
    # 4 GPUs x 168 h = 672 paid; 336 busy = 50 %
    r = usage.recommend(_pool(336), 168, TODAY)
    assert (r.action, r.count, r.new_count, r.busy_share) == ("renew", 4, 4, 0.5)


def test_exactly_ten_percent_busy_is_shrunk_not_released():
    # 67.2 / 672 = 10 %: mean busy 0.4 GPUs / 0.5 = 0.8 -> 1 instance
    r = usage.recommend(_pool(67.2), 168, TODAY)
    assert (r.action, r.new_count) == ("shrink", 1)
    # just under 10 %: release, nothing kept
    r = usage.recommend(_pool(67.1), 168, TODAY)
    assert (r.action, r.new_count) == ("release", 0)


def test_a_pool_that_paid_nothing_is_released():
    u = _pool(0, count=0)
    assert (u.busy_share, u.idle_share) == (None, None)
    r = usage.recommend(u, 168, TODAY)
    assert (r.action, r.busy_share, r.new_count) == ("release", 0.0, 0)


def test_a_shrink_to_a_whole_number_of_instances_is_not_rounded_up():
    # 8 instances of 1 GPU, 1344 paid; busy 336 (25 %): mean 2 GPUs / 0.5 = exactly 4 instances, not 5
    r = usage.recommend(_pool(336, count=8), 168, TODAY)
    assert (r.action, r.count, r.new_count) == ("shrink", 8, 4)
    # a hair more busy needs a fifth
    r = usage.recommend(_pool(336.5, count=8), 168, TODAY)
    assert r.new_count == 5


def test_a_shrink_counts_gpus_per_instance():
    # 4 instances of 2 GPUs (1344 paid), 235.2 busy (17.5 %): mean 1.4 GPUs / 0.5 = 2.8 GPUs -> 2 instances
    r = usage.recommend(_pool(235.2, count=4, per=2), 168, TODAY)
    assert (r.action, r.new_count) == ("shrink", 2)


def test_between_the_bounds_needing_every_instance_is_a_renewal():
    # 2 instances of 1 GPU (336 paid), 164 busy (48.8 %): mean 0.976 GPUs / 0.5 = 1.95 -> 2 = today
    r = usage.recommend(_pool(164, count=2), 168, TODAY)
    assert (r.action, r.new_count) == ("renew", 2)


def test_days_left_and_the_end():
    r = usage.recommend(_pool(400, end=date(2027, 3, 1)), 168, TODAY)
    assert (r.end, r.days_left, r.pool, r.owner) == (date(2027, 3, 1), 59, "p", "team")


def test_cost_per_busy_hour_is_exact_in_decimal():
    # 1000 / 0.1 busy GPU-hours is exactly 10,000 (a binary 0.1 would give 9,999.99...)
    assert _pool(0.1).cost_per_busy_hour == Decimal("10000")
    u = _pool(400)
    u.cost = None
    assert u.cost_per_busy_hour is None


# --- the report --------------------------------------------------------------------------------

def _report(leases: bool = True, notes: tuple[str, ...] = ("a note",)) -> usage.UsageReport:
    a10 = usage.PoolUsage("a10-train", "ml-platform", "fixed", 8, 1, 8, paid=1344, reporting=1300.5, busy=672,
                          allocated=1000, used=500.25, cost=Decimal("13440"), energy_kwh=123.456, lease_end=date(2027, 1, 10))
    a100 = usage.PoolUsage("a100-infer", "ml-platform", "fixed", 16, 8, 2, paid=2688, reporting=2688, busy=268.8,
                           allocated=2000, used=200, cost=Decimal("26880.5"))
    l20 = usage.PoolUsage("l20-elastic", "research", "elastic", 0, 1, 0, paid=10, reporting=10, busy=0,
                          allocated=0, used=0, cost=None, energy_kwh=5.0)
    ns = [usage.NamespaceUsage("inference", "vllm", allocated=336, busy=168, used=100.8)]
    recs = [usage.recommend(a10, 168, TODAY)] if leases else []
    return usage.UsageReport("prod", "2027-01-01T00:00:00Z", "2027-01-08T00:00:00Z", 168, 10, 60, "CNY",
                             [a10, a100, l20], ns, recs, 30, notes=list(notes))


def test_owners_sum_their_pools():
    ml, research = _report().owners()
    assert (ml.owner, ml.pool, ml.kind, ml.gpus) == ("ml-platform", "a10-train, a100-infer", "owner", 24)
    assert (ml.paid, ml.reporting, ml.busy, ml.allocated, ml.used) == (4032, 3988.5, 940.8, 3000, 700.25)
    assert ml.cost == Decimal("40320.5")
    assert ml.energy_kwh is None  # a100-infer has no energy figure: the sum would understate
    assert (research.owner, research.pool, research.cost, research.energy_kwh) == ("research", "l20-elastic", None, 5.0)


def test_owners_sum_energy_when_every_pool_has_it():
    rep = _report()
    rep.pools[1].energy_kwh = 10.0
    assert rep.owners()[0].energy_kwh == pytest.approx(133.456)


def test_doc_rows_by_hand():
    doc = _report().doc()
    assert (doc["stack"], doc["start"], doc["end"], doc["hours"]) == ("prod", "2027-01-01T00:00:00Z", "2027-01-08T00:00:00Z", 168)
    assert (doc["busyThresholdPercent"], doc["ruleIntervalSeconds"], doc["currency"]) == (10, 60, "CNY")
    a10, a100, l20 = doc["pools"]
    assert a10 == {"pool": "a10-train", "owner": "ml-platform", "kind": "fixed", "gpus": 8, "gpuHoursPaid": 1344,
                   "gpuHoursReporting": 1300.5, "gpuHoursBusy": 672, "gpuHoursAllocated": 1000, "gpuHoursUsed": 500.25,
                   "idleShare": 0.5, "cost": 13440.0, "costPerBusyGpuHour": 20.0, "energyKwh": 123.456}
    # 26880.5 / 268.8 = 100.00186...: four places
    assert (a100["idleShare"], a100["cost"], a100["costPerBusyGpuHour"], a100["energyKwh"]) == (0.9, 26880.5, 100.0019, None)
    assert (l20["idleShare"], l20["cost"], l20["costPerBusyGpuHour"]) == (1.0, None, None)
    ml, research = doc["owners"]
    # 940.8 / 4032 = 0.23333...: idle 0.76667; 40320.5 / 940.8 = 42.85767...
    assert (ml["pool"], ml["gpus"], ml["idleShare"], ml["cost"], ml["costPerBusyGpuHour"]) == (
        "a10-train, a100-infer", 24, 0.7667, 40320.5, 42.8577)
    assert research["energyKwh"] == 5.0
    assert doc["namespaces"] == [{"namespace": "inference", "workload": "vllm", "gpuHoursAllocated": 336, "gpuHoursBusy": 168,
                                  "gpuHoursUsed": 100.8, "meanGpusAllocated": 2.0, "meanGpusUsed": 0.6}]
    leases = doc["leases"]
    assert leases["withinDays"] == 30 and leases["rule"] == (
        "busy share = busy / paid GPU-hours; >= 50%: renew; < 10%: release; "
        "otherwise shrink to ceil(mean busy GPUs / 0.5 / GPUs per instance) instances")
    assert leases["endingSoon"] == [{"pool": "a10-train", "owner": "ml-platform", "end": "2027-01-10", "daysLeft": 9,
                                     "busyShare": 0.5, "recommendation": "renew", "count": 8, "newCount": 8}]
    assert doc["notes"] == ["a note"]


def test_doc_rounds_to_four_places_and_cost_to_cents():
    u = usage.PoolUsage("p", "o", "fixed", 1, 1, 1, paid=1.23456, reporting=0.000049, busy=0.333333,
                        allocated=0, used=0, cost=Decimal("1.23456"))
    row = usage.UsageReport("s", "a", "b", 1, 10, 60, "CNY", [u], [], [], 30).doc()["pools"][0]
    assert (row["gpuHoursPaid"], row["gpuHoursReporting"], row["gpuHoursBusy"], row["cost"]) == (1.2346, 0.0, 0.3333, 1.23)
    assert row["costPerBusyGpuHour"] == 3.7037  # 1.23456 / 0.333333 = 3.70368...


def _md_rows(lines: list[str], title: str) -> list[list[str]]:
    i = lines.index(title)
    out = []
    for line in lines[i + 3:]:
        if not line.startswith("| "):
            break
        out.append(line[2:-2].split(" | "))
    return out


def test_markdown_cells_by_hand():
    md = usage.render(_report(), md=True).splitlines()
    assert md[0] == ("## GPU usage of stack 'prod': 2027-01-01T00:00:00Z .. 2027-01-08T00:00:00Z (168 h); "
                     "busy = utilisation above 10 %; GPU-hours = recorded samples x 60 s")
    i = md.index("per pool:")
    assert md[i + 1] == ("| pool | owner | GPUs | GPU-h paid | GPU-h reporting | GPU-h busy | idle | CNY paid | CNY/busy GPU-h | kWh |")
    assert md[i + 2] == "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    assert _md_rows(md, "per pool:") == [
        ["a10-train", "ml-platform", "8", "1,344.00", "1,300.50", "672.00", "50.0%", "13,440.00", "20.00", "123.46"],
        ["a100-infer", "ml-platform", "16", "2,688.00", "2,688.00", "268.80", "90.0%", "26,880.50", "100.00", "-"],
        ["l20-elastic", "research", "-", "10.00", "10.00", "0.00", "100.0%", "-", "-", "5.00"],
    ]
    assert _md_rows(md, "per lease owner:") == [
        ["a10-train, a100-infer", "ml-platform", "24", "4,032.00", "3,988.50", "940.80", "76.7%", "40,320.50", "42.86", "-"],
        ["l20-elastic", "research", "-", "10.00", "10.00", "0.00", "100.0%", "-", "-", "5.00"],
    ]
    j = md.index("per namespace / workload (GPUs a pod holds):")
    assert md[j + 1] == "| namespace | workload | GPU-h allocated | GPU-h busy | GPU-h used | mean GPUs allocated | mean GPUs used |"
    assert md[j + 2] == "|---|---|---:|---:|---:|---:|---:|"
    assert _md_rows(md, "per namespace / workload (GPUs a pod holds):") == [
        ["inference", "vllm", "336.00", "168.00", "100.80", "2.00", "0.60"]]
    k = next(n for n, line in enumerate(md) if line.startswith("leases ending within 30 days (rule: busy share"))
    assert md[k + 1] == "| pool | owner | end | days left | busy share | recommendation | count |"
    assert md[k + 2] == "|---|---|---|---:|---:|---|---|"
    assert _md_rows(md, md[k]) == [["a10-train", "ml-platform", "2027-01-10", "9", "50.0%", "renew", "8 -> 8"]]
    assert md[-2:] == ["", "note: a note"]


def test_text_layout_has_a_rule_and_no_markdown():
    text = usage.render(_report()).splitlines()
    assert text[0].startswith("GPU usage of stack 'prod': ")
    i = text.index("per pool:")
    assert text[i + 1].split() [:3] == ["pool", "owner", "GPUs"] and set(text[i + 2].replace(" ", "")) == {"-"}
    assert text[i + 3].split()[0] == "a10-train" and not any(line.startswith("|") for line in text)


def test_no_lease_ending_and_no_notes():
    text = usage.render(_report(leases=False, notes=())).splitlines()
    assert text[-2:] == ["leases ending within 30 days (rule: " + usage.RULE + "):", "  none"]


def test_a_zero_energy_figure_is_a_figure():
    rep = _report()
    rep.pools[0].energy_kwh = 0.0  # a pool whose GPUs drew nothing measurable still reported
    rep.pools[1].energy_kwh = 2.5
    assert rep.owners()[0].energy_kwh == 2.5


def test_a_pool_that_paid_nothing_shows_no_idle_share():
    rep = _report(leases=False, notes=())
    rep.pools.append(usage.PoolUsage("gone", "team-z", "not in stack", 0, 0, 0, paid=0, reporting=3, busy=0,
                                     allocated=0, used=0, cost=None))
    md = usage.render(rep, md=True).splitlines()
    gone = next(row for row in _md_rows(md, "per pool:") if row[0] == "gone")
    assert gone == ["gone", "team-z", "-", "0.00", "3.00", "0.00", "-", "-", "-", "-"]
    assert rep.doc()["pools"][-1]["idleShare"] is None


def test_sections_are_separated_by_one_blank_line_and_numbers_align_right():
    md = usage.render(_report(), md=True).splitlines()
    for title in ("per pool:", "per lease owner:", "per namespace / workload (GPUs a pod holds):"):
        assert md[md.index(title) - 1] == ""
    k = next(n for n, line in enumerate(md) if line.startswith("leases ending within"))
    assert md[1] == "" and md[k - 1] == ""
    i = md.index("per lease owner:")
    assert md[i + 2] == "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    # without notes the report ends with the lease table, no trailing blank line
    text = usage.render(_report(notes=()), md=True)
    assert text.endswith("| 8 -> 8 |")
