"""The lease rule and the report's layouts (pure; the figures from Prometheus are tested in test_usage_prometheus.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hybrid import usage


def pool(busy: float, count: int = 4, per: int = 1, hours: float = 168) -> usage.PoolUsage:
    return usage.PoolUsage("p", "team", "fixed", count * per, per, count, paid=count * per * hours, reporting=count * per * hours,
                           busy=busy, allocated=0, used=0, cost=Decimal("1000"), lease_end=date(2027, 1, 10))


def test_rule_by_hand():
    today = date(2027, 1, 1)
    # 420 / 672 = 62.5 % >= 50 %: renew at the same size.
    assert (usage.recommend(pool(420), 168, today).action, usage.recommend(pool(420), 168, today).new_count) == ("renew", 4)
    # 50 / 672 = 7.4 % < 10 %: release.
    assert usage.recommend(pool(50), 168, today).action == "release"
    # 200 / 672 = 29.8 %: mean busy 200 / 168 = 1.19 GPUs; / 0.5 = 2.38; ceil -> 3 instances of 1 GPU.
    r = usage.recommend(pool(200), 168, today)
    assert (r.action, r.count, r.new_count, r.days_left) == ("shrink", 4, 3, 9)
    # 2 instances of 4 GPUs, 1344 paid, 300 busy (22.3 %): 300 / 168 = 1.79 GPUs / 0.5 = 3.57 GPUs -> 1 instance.
    r = usage.recommend(pool(300, count=2, per=4), 168, today)
    assert (r.action, r.new_count) == ("shrink", 1)


def test_cost_per_busy_hour_and_idle():
    u = pool(400)
    assert u.idle_share == 1 - 400 / 672 and u.cost_per_busy_hour == Decimal("2.5")
    assert pool(0).cost_per_busy_hour is None


def test_markdown_layout():
    rep = usage.UsageReport("prod", "a", "b", 168, 10, 60, "CNY", [pool(420)], [], [], 30)
    md = usage.render(rep, md=True).splitlines()
    assert md[0].startswith("## GPU usage of stack 'prod'")
    i = md.index("per pool:")
    assert md[i + 1].startswith("| pool | owner | GPUs |") and md[i + 2].startswith("|---|---|---:|")
    assert md[i + 3].split(" | ")[5] == "420.00"
