"""hybrid.cost on prod, every figure worked out by hand from stacks/Pulumi.prod.yaml's price table.

Per instance-hour = instance (list price, or spotPriceLimit for a Spot pool) + system disk
(100 GiB default, cloud_essd) + data disk (size x the price of its category/level), CNY:

  a10-train    20 + 100x0.0015 + 2048x0.0015 (PL1) = 20 + 0.15 + 3.072  = 23.222  x4 = 92.888
  a100-burst   60 (spot limit) + 0.15 + 4096x0.003 (PL2) = 72.438         x2 = 144.876
  t4-infer     12 + 0.15 + 500x0.0015 = 12.9                              x4 = 51.6
  a10-overflow 12 (spot limit) + 100x0.0014 + 1024x0.0014 = 13.5736       x2 = 27.1472
  total 316.5112 /h; x 730 h = 231,053.176 -> 231,053.18 a month.
  a10-elastic at maxSize 8: dearest type 32 (> spot limit 20) + 0.15 + 3.072 = 35.222 -> 281.776 /h.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from hybrid.cost import PricingUnavailable, compute, hourly, monthly, table_quote
from hybrid.model import load
from tests.conftest import with_divided

POOLS = [  # region, pool, count, basis, instance, system, data, total, hourly, monthly, owner, leaseEnd
    ("cn-beijing", "a10-train", 4, "pay-as-you-go", 20.0, 0.15, 3.072, 23.222, 92.888, 67808.24, "ml-platform", "2027-06-30"),
    ("cn-beijing", "a100-burst", 2, "spot price limit (upper bound)", 60.0, 0.15, 12.288, 72.438, 144.876, 105759.48,
     "llm-research", "2027-03-31"),
    ("cn-hangzhou", "t4-infer", 4, "pay-as-you-go", 12.0, 0.15, 0.75, 12.9, 51.6, 37668.0, "inference", "2027-12-31"),
    ("cn-zhangjiakou", "a10-overflow", 2, "spot price limit (upper bound)", 12.0, 0.14, 1.4336, 13.5736, 27.1472,
     19817.46, "ml-platform", "2027-02-28"),
]


TYPES = {"a10-train": ("ecs.gn7i-c32g1.8xlarge", "PayAsYouGo"), "a100-burst": ("ecs.gn7e-c16g1.16xlarge", "Spot"),
         "t4-infer": ("ecs.gn6i-c16g1.4xlarge", "PayAsYouGo"), "a10-overflow": ("ecs.gn7i-c16g1.4xlarge", "Spot")}


def test_prod_pools_by_hand(prod_raw):
    doc = compute(load(prod_raw)).doc()
    want = [{"region": r, "pool": n, "instanceType": TYPES[n][0], "count": c, "billing": TYPES[n][1], "basis": b,
             "owner": o, "leaseEnd": end,
             "perInstanceHour": {"instance": i, "systemDisk": sd, "dataDisk": dd, "total": t},
             "hourly": h, "monthly": m} for r, n, c, b, i, sd, dd, t, h, m, o, end in POOLS]
    assert doc["pools"] == want
    assert (doc["currency"], doc["hoursPerMonth"], doc["upperBound"]) == ("CNY", 730, True)
    assert doc["source"] == "price table (example figures, not list prices)"
    assert doc["total"] == {"hourly": 316.5112, "monthly": 231053.18}


def test_prod_elastic_maximum_by_hand(prod_raw):
    doc = compute(load(prod_raw)).doc()
    assert doc["elastic"] == [{
        "region": "cn-beijing", "pool": "a10-elastic",
        "instanceTypes": ["ecs.gn7i-c32g1.8xlarge", "ecs.gn7i-c48g1.12xlarge", "ecs.gn7i-c56g1.14xlarge"],
        "maxSize": 8, "basis": "elastic: maxSize at the dearest instance type (upper bound)",
        "perInstanceHour": 35.222, "hourly": 281.776, "monthly": 205696.48, "unpriced": []}]
    # 316.5112 + 281.776 = 598.2872 /h; x 730 = 436,749.656 -> 436,749.66
    assert doc["totalWithElasticMax"] == {"hourly": 598.2872, "monthly": 436749.66, "complete": True}


def test_no_spot_pool_running_is_no_upper_bound(prod_raw):
    for region in prod_raw["regions"]:
        for pool in region["gpuPools"]:
            if (pool.get("billing") or {}).get("strategy") == "Spot":
                pool["count"] = 0
    report = compute(load(prod_raw))
    assert report.doc()["upperBound"] is False
    assert "upper bound." not in report.table("prod").split("elastic pools")[0]


def test_prod_table_rows_by_hand(prod_raw):
    text = compute(load(prod_raw)).table("prod")
    lines = text.splitlines()
    assert lines[0] == "cost of stack 'prod': CNY, 730 hours a month; prices: price table (example figures, not list prices)"
    rows = [line.split() for line in lines[4:8]]
    assert rows == [
        ["cn-beijing", "a10-train", "ecs.gn7i-c32g1.8xlarge", "4", "pay-as-you-go", "23.2220", "92.8880", "67,808.24"],
        ["cn-beijing", "a100-burst", "ecs.gn7e-c16g1.16xlarge", "2", "spot", "<=", "limit", "72.4380", "144.8760",
         "105,759.48"],
        ["cn-hangzhou", "t4-infer", "ecs.gn6i-c16g1.4xlarge", "4", "pay-as-you-go", "12.9000", "51.6000", "37,668.00"],
        ["cn-zhangjiakou", "a10-overflow", "ecs.gn7i-c16g1.4xlarge", "2", "spot", "<=", "limit", "13.5736", "27.1472",
         "19,817.46"],
    ]
    assert lines[9].split() == ["total", "12", "316.5112", "231,053.18"]  # 4 + 2 + 4 + 2 instances
    assert "Spot pools are priced at their spotPriceLimit: the totals are an upper bound." in lines
    assert "  cn-beijing/a10-elastic: 8 x 35.2220/h = 205,696.48 CNY/month" in lines
    assert lines[-1] == "total with elastic maximums: 436,749.66 CNY/month"


def test_rounding_is_half_up():
    # ROUND_HALF_UP, not Python's round-half-even: 0.00005 -> 0.0001, 0.005 -> 0.01, 0.00025 -> 0.0003
    assert hourly(Decimal("0.00005")) == 0.0001
    assert hourly(Decimal("0.00025")) == 0.0003
    assert monthly(Decimal("0.005")) == 0.01
    assert monthly(Decimal("0.025")) == 0.03


def test_table_quote_names_what_is_missing(prod_raw):
    p = load(prod_raw)
    pool = p.region("cn-beijing").gpu_pools[0]
    quote = table_quote(p.pricing)
    q = quote("cn-beijing", pool)
    assert (q.instance, q.system_disk, q.data_disk, q.currency) == (Decimal("20.0"), Decimal("0.15"), Decimal("3.072"), "CNY")
    with pytest.raises(PricingUnavailable, match="no region cn-shanghai"):
        quote("cn-shanghai", pool)
    with pytest.raises(PricingUnavailable, match="no price for ecs.gn7i-c32g1.8xlarge in cn-zhangjiakou"):
        quote("cn-zhangjiakou", pool)


def test_a_stack_without_a_price_table_cannot_be_costed(prod_raw):
    prod_raw.pop("pricing")
    with pytest.raises(PricingUnavailable, match="no price table"):
        compute(load(prod_raw))


def test_placement_costs_of_prod_by_hand(prod_raw):
    """Per GPU-hour, from the figures above: cn-beijing (92.888 + 144.876) / (4 x 1 + 2 x 4 GPUs) =
    19.8137; cn-hangzhou 51.6 / 4 = 12.9; cn-zhangjiakou 27.1472 / 2 = 13.5736; the elastic tier
    35.222 / 1 GPU; Serverless at the table's serverlessGpuHour (18, 18, 16); the IDC 0; member
    clusters without a price: None. The replica counts are the placement's (its own tests check
    them); the money follows by hand, for tests/conftest.py's DIVIDED_WORKLOAD (48 replicas of
    {cpu 24, memory 160Gi, 1 GPU}) next to prod's batch-infer: divided-train = 8 x 237.764 / 12 x 730 + 12 x 18 x 730
    + 6 x 18 x 730 + 6 x 16 x 730 = 115,711.81 + 157,680 + 78,840 + 70,080 = 422,311.81 a month.
    idcSavesPerMonth prices the IDC's 16 replicas at the cheapest cloud tier that has room for the
    workload: cn-hangzhou and cn-zhangjiakou (16 vCPU nodes) cannot hold a 24-CPU replica, so
    cn-zhangjiakou-serverless at 16: 16 x 16 x 730 = 186,880."""
    from hybrid.cost import placement_costs

    p = load(with_divided(prod_raw))
    out = placement_costs(p, compute(p))
    llm = out["divided-train"]
    rates = {name: c["perReplicaHour"] for name, c in llm["clusters"].items()}
    assert rates == {"idc-bj": 0.0, "cn-beijing": 19.8137, "cn-hangzhou": 12.9, "cn-zhangjiakou": 13.5736,
                     "cn-beijing-elastic": 35.222, "cn-beijing-serverless": 18.0, "cn-hangzhou-serverless": 18.0,
                     "cn-zhangjiakou-serverless": 16.0, "ack-sh-infer": None, "ack-wlcb-train": None}
    replicas = {name: c["replicas"] for name, c in llm["clusters"].items()}
    assert replicas["idc-bj"] == 16 and replicas["cn-beijing"] == 8
    assert llm["clusters"]["cn-beijing"]["monthly"] == 115711.81
    assert llm["clusters"]["cn-zhangjiakou-serverless"]["monthly"] == 70080.0
    assert "monthly" not in llm["clusters"]["ack-sh-infer"]
    assert llm["clusters"]["idc-bj"]["tier"] == "idc" and llm["clusters"]["cn-beijing-elastic"]["tier"] == "elastic"
    assert (llm["gpusPerReplica"], llm["monthly"], llm["idcSavesPerMonth"]) == (1.0, 422311.81, 186880.0)
    # batch-infer keeps nothing in the IDC: it saves 0 there (a cheapest tier exists, so not None).
    assert out["batch-infer"]["idcSavesPerMonth"] == 0.0
    assert out["batch-infer"]["monthly"] == 280865.46  # 37,668 + 19,817.46 + 9 x 18 x 730 + 9 x 16 x 730


def _no_fixed_pools_in_beijing(raw):
    raw["regions"][0]["gpuPools"] = []


def test_elastic_disk_priced_at_its_level_when_the_table_has_it(prod_raw):
    # cloud_essd/PL1 at 0.002 (cloud_essd stays 0.0015): 32 + 100 x 0.0015 + 2048 x 0.002 = 36.246
    prod_raw["pricing"]["regions"]["cn-beijing"]["diskGibHour"]["cloud_essd/PL1"] = 0.002
    (e,) = compute(load(prod_raw)).doc()["elastic"]
    assert e["perInstanceHour"] == 36.246


def test_elastic_pool_with_unpriced_disks_stays_open(prod_raw):
    # No ESSD price in cn-beijing (without its fixed pools nothing else needs one): the elastic
    # maximum cannot be priced, and says why.
    _no_fixed_pools_in_beijing(prod_raw)
    prod_raw["pricing"]["regions"]["cn-beijing"]["diskGibHour"] = {"cloud_auto": 0.001}
    report = compute(load(prod_raw))
    (e,) = report.doc()["elastic"]
    assert (e["perInstanceHour"], e["hourly"], e["monthly"], e["unpriced"]) == (None, None, None, ["disks"])
    assert report.doc()["totalWithElasticMax"]["complete"] is False
    lines = report.table("prod").splitlines()
    assert "  cn-beijing/a10-elastic: 8 x (no price for disks)" in lines
    assert lines[-1].endswith("CNY/month (without the unpriced pools)")


def test_elastic_spot_limit_counts_only_when_the_pool_buys_spot(prod_raw):
    # onDemandPercentageAboveBase 100: no spot instance is ever bought, so a limit of 40 (above the
    # dearest list price 32) bounds nothing: 32 + 0.15 + 3.072 = 35.222
    billing = prod_raw["regions"][0]["elasticPools"][0]["billing"]
    billing.update(onDemandPercentageAboveBase=100, spotPriceLimit=40)
    (e,) = compute(load(prod_raw)).doc()["elastic"]
    assert e["perInstanceHour"] == 35.222


def test_without_elastic_pools_the_report_has_no_elastic_part(prod_raw):
    prod_raw["regions"][0]["elasticPools"] = []
    report = compute(load(prod_raw))
    assert "elastic" not in report.doc() and "totalWithElasticMax" not in report.doc()
    assert "elastic pools" not in report.table("prod")


def test_quotes_from_elsewhere_without_a_price_table(prod_raw):
    # A quote function (the pricing API's place) and no price table: every pool priced by the
    # quote, 730 hours a month (8,760 hours a year / 12, the default without a table), the currency
    # the quotes carry; the elastic maximum has no table to read, so nothing of it is priced.
    from hybrid.cost import Quote

    prod_raw.pop("pricing")
    p = load(prod_raw)
    quote = lambda region, pool: Quote(Decimal("10"), Decimal("0.1"), Decimal("1"), "USD")  # noqa: E731
    report = compute(p, quote=quote)
    doc = report.doc()
    assert (doc["currency"], doc["hoursPerMonth"], doc["source"]) == ("USD", 730, "price table")
    # 12 instances: 10 x 8 non-spot (a10-train 4, t4-infer 4) + spot limits 60 x 2 + 12 x 2, disks 1.1 each
    assert doc["total"]["hourly"] == round(8 * 11.1 + 2 * 61.1 + 2 * 13.1, 4)
    (e,) = doc["elastic"]
    assert e["perInstanceHour"] is None
    assert e["unpriced"] == ["ecs.gn7i-c32g1.8xlarge", "ecs.gn7i-c48g1.12xlarge", "ecs.gn7i-c56g1.14xlarge", "disks"]
