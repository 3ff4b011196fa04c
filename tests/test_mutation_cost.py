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


# --- the text table, whole -----------------------------------------------------------

# prod's table by hand: the figures above; columns two spaces apart, each as wide as its widest
# cell, text columns left-aligned and the count and money columns right-aligned (hybrid/tables.py);
# a dashed rule under the head and again above the total; the Spot and elastic notes after it.
PROD_TABLE = """\
cost of stack 'prod': CNY, 730 hours a month; prices: price table (example figures, not list prices)

region          pool          instance type            count  billing        CNY/instance-h     CNY/h   CNY/month
--------------  ------------  -----------------------  -----  -------------  --------------  --------  ----------
cn-beijing      a10-train     ecs.gn7i-c32g1.8xlarge       4  pay-as-you-go         23.2220   92.8880   67,808.24
cn-beijing      a100-burst    ecs.gn7e-c16g1.16xlarge      2  spot <= limit         72.4380  144.8760  105,759.48
cn-hangzhou     t4-infer      ecs.gn6i-c16g1.4xlarge       4  pay-as-you-go         12.9000   51.6000   37,668.00
cn-zhangjiakou  a10-overflow  ecs.gn7i-c16g1.4xlarge       2  spot <= limit         13.5736   27.1472   19,817.46
--------------  ------------  -----------------------  -----  -------------  --------------  --------  ----------
total                                                     12                                 316.5112  231,053.18

Spot pools are priced at their spotPriceLimit: the totals are an upper bound.

elastic pools at their maxSize (dearest instance type; an upper bound):
  cn-beijing/a10-elastic: 8 x 35.2220/h = 205,696.48 CNY/month
total with elastic maximums: 436,749.66 CNY/month"""


def test_prod_table_whole_by_hand(prod_raw):
    assert compute(load(prod_raw)).table("prod") == PROD_TABLE


def test_notes_close_the_table(prod_raw):
    # what the caller notes (cost_cli: a fallback to the price table) follows the table, one line each
    text = compute(load(prod_raw), notes=["pricing API unreachable", "second"]).table("prod")
    assert text == PROD_TABLE + "\n\nnote: pricing API unreachable\nnote: second"


# --- compute's inputs and defaults -----------------------------------------------------

def test_no_price_table_message_names_the_config_key(prod_raw):
    prod_raw.pop("pricing")
    with pytest.raises(PricingUnavailable) as e:
        compute(load(prod_raw))
    assert str(e.value) == "the stack has no price table (hybrid-gpu-platform:pricing)"


def _quote(instance, currency_of=lambda region: "CNY"):
    from hybrid.cost import Quote

    return lambda region, pool: Quote(instance, Decimal("0.1"), Decimal("1"), currency_of(region))


def test_a_quote_without_an_instance_price_for_a_list_priced_pool(prod_raw):
    # a10-train (PayAsYouGo) is the first pool: a quote with no instance price cannot cost it
    with pytest.raises(PricingUnavailable) as e:
        compute(load(prod_raw), quote=_quote(None))
    assert str(e.value) == "no instance price for ecs.gn7i-c32g1.8xlarge in cn-beijing"


def test_quotes_in_two_currencies_are_refused(prod_raw):
    # cn-beijing in USD, the other regions in CNY: no sum means anything
    with pytest.raises(PricingUnavailable) as e:
        compute(load(prod_raw), quote=_quote(Decimal("10"), lambda r: "USD" if r == "cn-beijing" else "CNY"))
    assert str(e.value) == "prices come in several currencies ['CNY', 'USD']"


def test_a_pool_without_a_lease_has_no_owner_or_end(prod_raw):
    del prod_raw["regions"][1]["gpuPools"][0]["lease"]  # t4-infer
    pools = {p["pool"]: p for p in compute(load(prod_raw)).doc()["pools"]}
    assert (pools["t4-infer"]["owner"], pools["t4-infer"]["leaseEnd"]) == (None, None)
    assert (pools["a10-train"]["owner"], pools["a10-train"]["leaseEnd"]) == ("ml-platform", "2027-06-30")


def _no_fixed_pools(raw):
    for region in raw["regions"]:
        region["gpuPools"] = []


def test_no_fixed_pools_with_the_tables_currency_and_month(prod_raw):
    # No pool, so no quote names a currency: the table's (USD here); its 720-hour month.
    # The elastic maximum alone: 8 x 35.222 = 281.776 /h; x 720 = 202,878.72.
    _no_fixed_pools(prod_raw)
    prod_raw["pricing"].update(currency="USD", hoursPerMonth=720)
    report = compute(load(prod_raw))
    doc = report.doc()
    assert (doc["currency"], doc["hoursPerMonth"], doc["upperBound"], doc["pools"]) == ("USD", 720, False, [])
    assert doc["total"] == {"hourly": 0.0, "monthly": 0.0}
    assert doc["totalWithElasticMax"] == {"hourly": 281.776, "monthly": 202878.72, "complete": True}
    lines = report.table("prod").splitlines()
    assert lines[0] == "cost of stack 'prod': USD, 720 hours a month; prices: price table (example figures, not list prices)"
    assert lines[-1] == "total with elastic maximums: 202,878.72 USD/month"


def test_a_month_of_other_than_730_hours(prod_raw):
    # 744 hours (a 31-day month): a10-train 92.888 x 744 = 69,108.672 -> 69,108.67; total 316.5112 x 744 = 235,484.3328
    prod_raw["pricing"]["hoursPerMonth"] = 744
    doc = compute(load(prod_raw)).doc()
    assert doc["hoursPerMonth"] == 744 and doc["pools"][0]["monthly"] == 69108.67
    assert doc["total"]["monthly"] == 235484.33


def test_no_pools_and_no_price_table_is_cny(prod_raw):
    # Nothing names a currency (no quote was asked, no table): CNY, the program's default; 730 hours.
    _no_fixed_pools(prod_raw)
    prod_raw.pop("pricing")
    doc = compute(load(prod_raw), quote=_quote(Decimal("10"))).doc()
    assert (doc["currency"], doc["hoursPerMonth"], doc["total"]["monthly"]) == ("CNY", 730, 0.0)


# --- table_quote ----------------------------------------------------------------------------

def test_table_quote_of_a_spot_pool_has_no_instance_price(prod_raw):
    # a100-burst is Spot: the table's 75.00 is not its price (its limit is), so the quote leaves it out
    p = load(prod_raw)
    q = table_quote(p.pricing)("cn-beijing", p.region("cn-beijing").gpu_pools[1])
    assert q.instance is None
    assert (q.system_disk, q.data_disk) == (Decimal("0.15"), Decimal("12.288"))  # 100 x 0.0015, 4096 x 0.003


def test_table_quote_names_a_missing_disk_price(prod_raw):
    # cn-zhangjiakou's table prices only cloud_essd; a pool with cloud_auto disks has no price there
    p = load(prod_raw)
    pool = p.region("cn-beijing").gpu_pools[0]
    auto = pool.model_copy(update={"data_disk": pool.data_disk.model_copy(update={"category": "cloud_auto",
                                                                                  "performance_level": None})})
    with pytest.raises(PricingUnavailable) as e:
        table_quote(p.pricing)("cn-zhangjiakou", auto)
    assert str(e.value) == "the price table has no disk price for cloud_auto in cn-zhangjiakou"


# --- placement_costs: beyond one GPU per replica and per node ------------------------------

def _placement(raw, quote=None):
    from hybrid.cost import placement_costs

    p = load(raw)
    return placement_costs(p, compute(p, quote=quote))


def test_clusters_are_listed_by_tier_then_name(placement_raw):
    # cost.json keeps this order (same config, same bytes): the IDC, the cloud regions, the elastic
    # tier, Serverless, then the member clusters; by name inside a tier.
    assert list(_placement(placement_raw)["divided-train"]["clusters"]) == [
        "idc-bj", "cn-beijing", "cn-hangzhou", "cn-zhangjiakou", "cn-beijing-elastic", "cn-beijing-serverless",
        "cn-hangzhou-serverless", "cn-zhangjiakou-serverless", "ack-sh-infer", "ack-wlcb-train"]


def test_a_replica_of_two_gpus_costs_two_gpu_shares(placement_raw):
    # Per GPU as in test_placement_costs_of_prod_by_hand, times 2: cn-beijing 2 x 237.764 / 12 = 39.627333;
    # cn-hangzhou 2 x 12.9; cn-zhangjiakou 2 x 13.5736; elastic 2 x 35.222; Serverless 2 x 18, 2 x 18, 2 x 16.
    placement_raw["placement"]["workloads"][0]["request"]["nvidia.com/gpu"] = 2
    out = _placement(placement_raw)["divided-train"]
    rates = {name: c["perReplicaHour"] for name, c in out["clusters"].items()}
    assert out["gpusPerReplica"] == 2.0
    assert rates == {"idc-bj": 0.0, "cn-beijing": 39.6273, "cn-hangzhou": 25.8, "cn-zhangjiakou": 27.1472,
                     "cn-beijing-elastic": 70.444, "cn-beijing-serverless": 36.0, "cn-hangzhou-serverless": 36.0,
                     "cn-zhangjiakou-serverless": 32.0, "ack-sh-infer": None, "ack-wlcb-train": None}


def test_a_workload_without_gpus_has_no_cloud_price(placement_raw):
    # The rates are GPU shares: a CPU-only replica has none, so no cloud tier prices it; it fits the
    # IDC (4 replicas of 1 CPU), nothing runs in the cloud, there is no cheapest tier to compare with.
    placement_raw["placement"]["workloads"].insert(0, {"name": "cpu-only", "replicas": 4,
                                                       "request": {"cpu": "1", "memory": "1Gi"}})
    out = _placement(placement_raw)["cpu-only"]
    assert out["gpusPerReplica"] == 0.0
    assert out["clusters"]["idc-bj"] == {"tier": "idc", "replicas": 4, "perReplicaHour": 0.0, "monthly": 0.0}
    assert all(c["perReplicaHour"] is None for name, c in out["clusters"].items() if name != "idc-bj")
    assert (out["monthly"], out["idcSavesPerMonth"]) == (0.0, None)


def _add_price(raw, instance_type, price):
    raw["pricing"]["regions"]["cn-beijing"]["instanceHour"][instance_type] = price


def test_an_elastic_node_of_two_gpus_is_priced_per_gpu(placement_raw):
    # ecs.gn7i-c32g1.16xlarge: 2 A10 (hybrid/instance_types.py); at 40.00 (above the spot limit 20):
    # 40 + 0.15 + 3.072 = 43.222 per node-hour, 21.611 per GPU, the price of a one-GPU replica.
    _add_price(placement_raw, "ecs.gn7i-c32g1.16xlarge", 40.0)
    placement_raw["regions"][0]["elasticPools"][0]["instanceTypes"] = ["ecs.gn7i-c32g1.16xlarge"]
    assert _placement(placement_raw)["divided-train"]["clusters"]["cn-beijing-elastic"]["perReplicaHour"] == 21.611


def test_two_elastic_pools_in_a_region_price_the_tier_at_the_dearer(placement_raw):
    # a10-elastic at 35.222 per GPU, then a second pool of 2-GPU nodes at 21.611 per GPU: the tier
    # is one cluster of the placement, priced at the dearer GPU, whatever the order of the pools.
    import copy

    _add_price(placement_raw, "ecs.gn7i-c32g1.16xlarge", 40.0)
    second = copy.deepcopy(placement_raw["regions"][0]["elasticPools"][0])
    second.update(name="a10-elastic-x2", instanceTypes=["ecs.gn7i-c32g1.16xlarge"])
    placement_raw["regions"][0]["elasticPools"].append(second)
    assert _placement(placement_raw)["divided-train"]["clusters"]["cn-beijing-elastic"]["perReplicaHour"] == 35.222


def test_an_unpriced_elastic_pool_leaves_its_tier_unpriced(placement_raw):
    del placement_raw["pricing"]["regions"]["cn-beijing"]["instanceHour"]["ecs.gn7i-c48g1.12xlarge"]
    clusters = _placement(placement_raw)["divided-train"]["clusters"]
    assert clusters["cn-beijing-elastic"]["perReplicaHour"] is None and "monthly" not in clusters["cn-beijing-elastic"]


def test_serverless_without_a_table_price_is_unpriced(placement_raw):
    del placement_raw["pricing"]["regions"]["cn-hangzhou"]["serverlessGpuHour"]
    clusters = _placement(placement_raw)["divided-train"]["clusters"]
    assert clusters["cn-hangzhou-serverless"]["perReplicaHour"] is None
    assert clusters["cn-zhangjiakou-serverless"]["perReplicaHour"] == 16.0


def test_placement_costs_without_a_price_table(placement_raw):
    # Pools quoted from elsewhere (10 + 0.1 + 1 per instance-hour, spot pools at their limits): the
    # regions still get their GPU share; Serverless and the elastic tier have no table to price them.
    # cn-hangzhou: 4 x 11.1 / 4 GPUs = 11.1.
    placement_raw.pop("pricing")
    clusters = _placement(placement_raw, quote=_quote(Decimal("10")))["divided-train"]["clusters"]
    assert clusters["cn-hangzhou"]["perReplicaHour"] == 11.1
    assert clusters["cn-beijing-serverless"]["perReplicaHour"] is None
    assert clusters["cn-beijing-elastic"]["perReplicaHour"] is None


def test_idc_savings_count_a_cloud_tier_with_room_for_one(placement_raw):
    # cn-beijing cut to one a10-train node (no a100-burst) at 5.00: 5 + 0.15 + 3.072 = 8.222 per
    # GPU-hour, and room for exactly one divided-train replica (one GPU). Still the cheapest tier
    # with room, so the IDC's 16 replicas save 16 x 8.222 x 730 = 96,032.96 a month.
    pools = placement_raw["regions"][0]["gpuPools"]
    pools[0]["count"], pools[1]["count"] = 1, 0
    _add_price(placement_raw, "ecs.gn7i-c32g1.8xlarge", 5.0)
    out = _placement(placement_raw)["divided-train"]
    assert out["clusters"]["cn-beijing"]["replicas"] == 1 and out["clusters"]["idc-bj"]["replicas"] == 16
    assert out["idcSavesPerMonth"] == 96032.96


def test_an_elastic_pool_missing_several_prices_names_each(prod_raw):
    # no price for one of its types and none for its ESSD disks: both named, in that order
    _no_fixed_pools_in_beijing(prod_raw)
    prices = prod_raw["pricing"]["regions"]["cn-beijing"]
    prices["diskGibHour"] = {"cloud_auto": 0.001}
    del prices["instanceHour"]["ecs.gn7i-c48g1.12xlarge"]
    lines = compute(load(prod_raw)).table("prod").splitlines()
    assert "  cn-beijing/a10-elastic: 8 x (no price for ecs.gn7i-c48g1.12xlarge, disks)" in lines
