"""Elastic pools in the cost: each at its maxSize and dearest node, in cost.json, the table, placement and the diff."""

import json
import re

import pytest

from hybrid.cost import compute
from hybrid.model import load
from hybrid_tools import cost_diff
from hybrid_tools.errors import InputError

# prod's a10-elastic, by hand: dearest type ecs.gn7i-c56g1.14xlarge 32.00 (above the spot limit 20),
# system disk 100 GiB x 0.0015 = 0.15, data disk 2048 GiB PL1 x 0.0015 = 3.072 -> 35.222 per node-hour;
# 8 nodes x 35.222 x 730 hours = 205,696.48 a month.
PER_NODE, MONTHLY = 35.222, 205696.48


def test_elastic_pool_at_its_maximum(placement_raw):
    doc = compute(load(placement_raw)).doc()
    (e,) = doc["elastic"]
    assert (e["region"], e["pool"], e["maxSize"]) == ("cn-beijing", "a10-elastic", 8)
    assert e["perInstanceHour"] == PER_NODE and e["monthly"] == MONTHLY and e["unpriced"] == []
    assert doc["totalWithElasticMax"]["monthly"] == round(doc["total"]["monthly"] + MONTHLY, 2)
    assert doc["totalWithElasticMax"]["complete"] is True


def test_a_spot_limit_above_every_list_price_is_the_bound(placement_raw):
    pool = placement_raw["regions"][0]["elasticPools"][0]
    pool["billing"]["spotPriceLimit"] = 40  # above 32.00: a spot node may cost 40 an hour
    (e,) = compute(load(placement_raw)).doc()["elastic"]
    assert e["perInstanceHour"] == round(40 + 0.15 + 3.072, 4)


def test_an_unpriced_type_leaves_the_maximum_open(placement_raw):
    del placement_raw["pricing"]["regions"]["cn-beijing"]["instanceHour"]["ecs.gn7i-c48g1.12xlarge"]
    doc = compute(load(placement_raw)).doc()
    (e,) = doc["elastic"]
    assert e["monthly"] is None and e["unpriced"] == ["ecs.gn7i-c48g1.12xlarge"]
    assert doc["totalWithElasticMax"]["complete"] is False
    assert doc["totalWithElasticMax"]["monthly"] == doc["total"]["monthly"]


def test_placement_prices_the_elastic_tier(placement_raw):
    from hybrid.cost import placement_costs

    p = load(placement_raw)
    pl = placement_costs(p, compute(p))["divided-train"]["clusters"]["cn-beijing-elastic"]
    assert pl["perReplicaHour"] == PER_NODE  # one GPU per gn7i node, one GPU per replica


def _plan_dir(tmp_path, name, doc):
    d = tmp_path / name
    d.mkdir()
    (d / "cost.json").write_text(json.dumps(doc))
    return d


def test_diff_lines_for_an_elastic_maximum(tmp_path):
    base = {"currency": "CNY", "pools": [], "total": {"monthly": 100.0},
            "elastic": [{"region": "cn-beijing", "pool": "e", "maxSize": 8, "monthly": 800.0}],
            "totalWithElasticMax": {"monthly": 900.0}}
    head = json.loads(json.dumps(base))
    head["elastic"][0].update(maxSize=10, monthly=1000.0)
    head["totalWithElasticMax"]["monthly"] = 1100.0
    out = cost_diff.lines(_plan_dir(tmp_path, "a", base), _plan_dir(tmp_path, "b", head))
    assert out == ["+2 elastic (cn-beijing/e, max 8 -> 10): +200.00 CNY/month at most",
                   "total: 100.00 -> 100.00 CNY/month (+0.00 CNY/month)",
                   "total with elastic maximums: 900.00 -> 1,100.00 CNY/month (+200.00 CNY/month)"]


@pytest.mark.parametrize("text, names", [
    ("{", "JSONDecodeError"), ("[]", "not an object"), ('{"pools": 3}', "pools is not a list"),
    ('{"pools": [{"region": "r"}]}', "pools[0] has no region/pool"),
    ('{"pools": [{"region": "r", "pool": "p", "monthly": "x"}]}', "pools[0].monthly is not a number"),
    ('{"total": []}', "total is not an object"), ("[" * 100000 + "]" * 100000, "RecursionError"),
    ('{"pools": [{"region": "r", "pool": "p", "count": 1e308}]}', "pools[0].count is not a number"),
])
def test_a_hand_edited_cost_json_is_one_line(tmp_path, text, names):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "cost.json").write_text(text)
    good = _plan_dir(tmp_path, "good", {"currency": "CNY", "pools": [], "total": {"monthly": 0}})
    with pytest.raises(InputError, match=re.escape(names)) as e:
        cost_diff.lines(good, bad)
    assert str(bad / "cost.json") in str(e.value)


def test_plan_summary_ends_with_unplaced_replicas_and_cost(tmp_path):
    from hybrid_tools import plan

    (tmp_path / "outputs.json").write_text(json.dumps({"placement": {"train": {"unplaced": 166}, "infer": {"unplaced": 0}}}))
    (tmp_path / "cost.json").write_text(json.dumps({
        "currency": "CNY", "upperBound": False, "total": {"monthly": 1000.0},
        "elastic": [{"region": "cn-beijing", "pool": "e", "monthly": None}],
        "totalWithElasticMax": {"monthly": 1000.0, "complete": False}}))
    assert plan.review_lines(tmp_path) == [
        "  unplaced replicas: infer 0, train 166",
        "  monthly cost: 1,000.00 CNY (fixed pools); with elastic pools at their maximum: 1,000.00 CNY "
        "(no price for cn-beijing/e: add their instance types to pricing)"]
    (tmp_path / "cost.json").unlink()
    assert plan.review_lines(tmp_path)[-1].startswith("  monthly cost: no price table")


def test_cost_stays_bounded_at_the_largest_values_the_model_accepts(placement_raw):
    # Every price at its ceiling (1,000,000 an hour), the elastic pool at maxSize 1000 with 32 TiB disks.
    prices = placement_raw["pricing"]["regions"]["cn-beijing"]
    for table in (prices["instanceHour"], prices["diskGibHour"]):
        for k in table:
            table[k] = 1_000_000
    pool = placement_raw["regions"][0]["elasticPools"][0]
    pool["maxSize"] = 1000
    pool["dataDisk"].update(size=32768)
    pool["dataDisk"].pop("snapshotId", None)
    doc = compute(load(placement_raw)).doc()
    (e,) = doc["elastic"]
    # per node: 1e6 (instance) + 100 GiB and 32768 GiB at 1e6 each; 1000 nodes; 730 hours
    assert e["monthly"] == (1_000_000 + 100 * 1_000_000 + 32768 * 1_000_000) * 1000 * 730
    json.dumps(doc)  # finite numbers only


@pytest.mark.parametrize("limit", [1e300, float("inf"), 10_000.01])
def test_an_elastic_spot_limit_past_the_bound_is_a_config_error(placement_raw, limit):
    from hybrid.errors import ConfigError

    placement_raw["regions"][0]["elasticPools"][0]["billing"]["spotPriceLimit"] = limit
    with pytest.raises(ConfigError) as err:
        load(placement_raw)
    assert [i.path for i in err.value.issues] == ["regions[0].elasticPools[0].billing.spotPriceLimit"]
