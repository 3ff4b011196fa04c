"""hybrid_tools/cost_diff.py: the cost lines of ``hybrid-gpu diff``, called directly on two plan
directories holding hand-written cost.json files.

Every expected line is worked by hand from the two documents (counts, monthly figures, their
difference rounded to cents, thousands separators), not produced by the module.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybrid_tools import cost_diff
from hybrid_tools.errors import InputError


def _plan(tmp_path: Path, name: str, doc=None, text: str | None = None, data: bytes | None = None) -> Path:
    d = tmp_path / name
    d.mkdir()
    if data is not None:
        (d / "cost.json").write_bytes(data)
    elif text is not None or doc is not None:
        (d / "cost.json").write_text(text if text is not None else json.dumps(doc))
    return d


def _pool(region: str, pool: str, count: int, monthly: float, itype: str | None = None, basis: str = "payAsYouGo"):
    row = {"region": region, "pool": pool, "count": count, "monthly": monthly, "basis": basis}
    if itype:
        row["instanceType"] = itype
    return row


def test_fixed_pools_count_price_type_new_removed_spot_and_rounding(tmp_path):
    base = {"currency": "CNY", "total": {"monthly": 7424.19}, "pools": [
        _pool("cn-beijing", "a10-train", 4, 5874.19, "ecs.gn7i-c32g1.8xlarge"),
        _pool("cn-beijing", "a100-burst", 2, 1000.0, "ecs.gn7e-c16g1.16xlarge", basis="spotWithPriceLimit"),
        _pool("cn-hangzhou", "t4", 1, 300.0, "ecs.gn6i-c4g1.xlarge"),
        _pool("cn-hangzhou", "same", 1, 50.0, "ecs.gn6i-c4g1.xlarge"),
        _pool("cn-zhangjiakou", "gone", 2, 200.0, "ecs.gn7i-c8g1.2xlarge", basis="spotAsPriceGo"),
    ]}
    head = {"currency": "CNY", "total": {"monthly": 12260.33}, "pools": [
        _pool("cn-beijing", "a10-train", 7, 10279.83, "ecs.gn7i-c32g1.8xlarge"),
        _pool("cn-beijing", "a100-burst", 2, 1200.0, "ecs.gn7e-c16g1.16xlarge", basis="spotWithPriceLimit"),
        _pool("cn-hangzhou", "t4", 2, 700.0, "ecs.gn6i-c8g1.2xlarge"),
        _pool("cn-hangzhou", "same", 1, 50.004, "ecs.gn6i-c4g1.xlarge"),  # under a cent: no line
        _pool("cn-beijing", "new-pool", 3, 30.5, basis="spotWithPriceLimit"),  # no instanceType written
    ]}
    assert cost_diff.lines(_plan(tmp_path, "a", base), _plan(tmp_path, "b", head)) == [
        "+3 ecs.gn7i-c32g1.8xlarge (cn-beijing/a10-train, 4 -> 7): +4,405.64 CNY/month",
        "~ ecs.gn7e-c16g1.16xlarge (cn-beijing/a100-burst, 2 -> 2): +200.00 CNY/month (upper bound: spot)",
        "+3 ? (cn-beijing/new-pool, new pool): +30.50 CNY/month (upper bound: spot)",
        "+1 ecs.gn6i-c4g1.xlarge -> ecs.gn6i-c8g1.2xlarge (cn-hangzhou/t4, 1 -> 2): +400.00 CNY/month",
        "-2 ecs.gn7i-c8g1.2xlarge (cn-zhangjiakou/gone, pool removed): -200.00 CNY/month (upper bound: spot)",
        "total: 7,424.19 -> 12,260.33 CNY/month (+4,836.14 CNY/month)",
    ]


def test_a_pool_without_count_or_monthly_reads_as_zero(tmp_path):
    base = {"currency": "CNY", "pools": [{"region": "r", "pool": "p", "instanceType": "t"}]}
    head = {"currency": "CNY", "pools": [_pool("r", "p", 1, 10.0, "t")]}
    assert cost_diff.lines(_plan(tmp_path, "a", base), _plan(tmp_path, "b", head)) == [
        "+1 t (r/p, 0 -> 1): +10.00 CNY/month", "total: 0.00 -> 0.00 CNY/month (+0.00 CNY/month)"]


def test_a_count_change_at_the_same_price_is_a_line(tmp_path):
    base = {"currency": "CNY", "pools": [_pool("r", "p", 1, 10.0, "t")], "total": {"monthly": 10.0}}
    head = {"currency": "CNY", "pools": [_pool("r", "p", 2, 10.0, "t")], "total": {"monthly": 10.0}}
    assert cost_diff.lines(_plan(tmp_path, "a", base), _plan(tmp_path, "b", head)) == [
        "+1 t (r/p, 1 -> 2): +0.00 CNY/month", "total: 10.00 -> 10.00 CNY/month (+0.00 CNY/month)"]


def test_elastic_pools(tmp_path):
    base = {"currency": "CNY", "total": {"monthly": 100.0}, "elastic": [
        {"region": "cn-beijing", "pool": "e1", "maxSize": 8, "monthly": 800.0},
        {"region": "cn-beijing", "pool": "e2", "maxSize": 2, "monthly": 100.0},
        {"region": "cn-hangzhou", "pool": "e3", "maxSize": 4, "monthly": None, "unpriced": ["ecs.x"]},
        {"region": "cn-hangzhou", "pool": "e4", "maxSize": 1, "monthly": 10.0},
        {"region": "cn-hangzhou", "pool": "e6", "maxSize": 1, "monthly": None, "unpriced": ["ecs.z"]},
    ]}
    head = {"currency": "CNY", "total": {"monthly": 100.0}, "totalWithElasticMax": {"monthly": 1000.0}, "elastic": [
        {"region": "cn-beijing", "pool": "e1", "maxSize": 8, "monthly": 900.0},
        {"region": "cn-hangzhou", "pool": "e3", "maxSize": 6, "monthly": None, "unpriced": ["ecs.a", "ecs.b"]},
        {"region": "cn-hangzhou", "pool": "e4", "maxSize": 1, "monthly": 10.0},
        {"region": "cn-hangzhou", "pool": "e5", "maxSize": 3},
        {"region": "cn-hangzhou", "pool": "e6", "maxSize": 1, "monthly": 50.0, "unpriced": []},
    ]}
    assert cost_diff.lines(_plan(tmp_path, "a", base), _plan(tmp_path, "b", head)) == [
        "~ elastic (cn-beijing/e1, max 8 -> 8): +100.00 CNY/month at most",
        "-2 elastic (cn-beijing/e2, pool removed): -100.00 CNY/month at most",
        "+2 elastic (cn-hangzhou/e3, max 4 -> 6): no price for ecs.a, ecs.b",
        "+3 elastic (cn-hangzhou/e5, new pool): no price for its types",
        # the base had no price: the difference is unknown, whatever the head says
        "~ elastic (cn-hangzhou/e6, max 1 -> 1): no price for its types",
        "total: 100.00 -> 100.00 CNY/month (+0.00 CNY/month)",
        # the base has no figure with the maximums: its fixed total stands for it
        "total with elastic maximums: 100.00 -> 1,000.00 CNY/month (+900.00 CNY/month)",
    ]


def test_new_and_removed_elastic_pools_without_maxsize(tmp_path):
    base = {"currency": "CNY", "elastic": [{"region": "r", "pool": "old", "monthly": 5.0}]}
    head = {"currency": "CNY", "elastic": [{"region": "r", "pool": "new", "monthly": 7.0}],
            "totalWithElasticMax": {"monthly": 7.0}}
    assert cost_diff.lines(_plan(tmp_path, "a", base), _plan(tmp_path, "b", head)) == [
        "~ elastic (r/new, new pool): +7.00 CNY/month at most",
        "~ elastic (r/old, pool removed): -5.00 CNY/month at most",
        "total: 0.00 -> 0.00 CNY/month (+0.00 CNY/month)",
        "total with elastic maximums: 0.00 -> 7.00 CNY/month (+7.00 CNY/month)",
    ]


def test_elastic_maximums_of_both_plans(tmp_path):
    base = {"currency": "CNY", "total": {"monthly": 1.0}, "totalWithElasticMax": {"monthly": 2000.5},
            "elastic": [{"region": "r", "pool": "e", "maxSize": 2, "monthly": 1999.5}]}
    head = {"currency": "CNY", "total": {"monthly": 1.0},
            "elastic": [{"region": "r", "pool": "e", "maxSize": 1, "monthly": 999.75}]}
    assert cost_diff.lines(_plan(tmp_path, "a", base), _plan(tmp_path, "b", head)) == [
        "-1 elastic (r/e, max 2 -> 1): -999.75 CNY/month at most",
        "total: 1.00 -> 1.00 CNY/month (+0.00 CNY/month)",
        # the head has no figure with the maximums: its fixed total stands for it
        "total with elastic maximums: 2,000.50 -> 1.00 CNY/month (-1,999.50 CNY/month)",
    ]


def test_one_side_without_a_cost_json(tmp_path):
    doc = {"currency": "CNY", "pools": [_pool("r", "p", 2, 20.0, "t")], "total": {"monthly": 20.0}}
    none, some = _plan(tmp_path, "none"), _plan(tmp_path, "some", doc)
    assert cost_diff.lines(none, some) == ["+2 t (r/p, new pool): +20.00 CNY/month",
                                           "total: 0.00 -> 20.00 CNY/month (+20.00 CNY/month)"]
    assert cost_diff.lines(some, none) == ["-2 t (r/p, pool removed): -20.00 CNY/month",
                                           "total: 20.00 -> 0.00 CNY/month (-20.00 CNY/month)"]
    assert cost_diff.lines(none, _plan(tmp_path, "none2")) == []
    # a directory named cost.json is not a plan's file
    (tmp_path / "dir" / "cost.json").mkdir(parents=True)
    assert cost_diff.lines(none, tmp_path / "dir") == []


def test_only_the_total_or_nothing_changed(tmp_path):
    a = {"currency": "CNY", "total": {"monthly": 10.0}, "totalWithElasticMax": {"monthly": 10.0}}
    b = {"currency": "CNY", "total": {"monthly": 1234.5}, "totalWithElasticMax": {"monthly": 1234.5}}
    # a total that moved without a pool line still shows, and with it the total with the maximums
    assert cost_diff.lines(_plan(tmp_path, "a", a), _plan(tmp_path, "b", b)) == [
        "total: 10.00 -> 1,234.50 CNY/month (+1,224.50 CNY/month)",
        "total with elastic maximums: 10.00 -> 1,234.50 CNY/month (+1,224.50 CNY/month)"]
    # nothing moved: no line at all, not even the totals
    assert cost_diff.lines(_plan(tmp_path, "c", a), _plan(tmp_path, "d", a)) == []
    c = {"currency": "CNY", "total": {"monthly": 10.0}}
    assert cost_diff.lines(_plan(tmp_path, "e", c), _plan(tmp_path, "f", c)) == []


def test_a_currency_change_is_said_and_the_heads_currency_is_shown(tmp_path):
    a = {"currency": "CNY", "total": {"monthly": 10.0}}
    b = {"currency": "USD", "total": {"monthly": 10.0}}
    assert cost_diff.lines(_plan(tmp_path, "a", a), _plan(tmp_path, "b", b)) == [
        "currency changed CNY -> USD: the figures are not comparable",
        "total: 10.00 -> 10.00 USD/month (+0.00 USD/month)"]


def test_without_a_currency_the_unit_is_left_empty(tmp_path):
    a = {"total": {"monthly": 1.0}}
    b = {"total": {"monthly": 2.0}}
    assert cost_diff.lines(_plan(tmp_path, "a", a), _plan(tmp_path, "b", b)) == [
        "total: 1.00 -> 2.00 /month (+1.00 /month)"]


def _refused(tmp_path: Path, **kw) -> str:
    bad = _plan(tmp_path, "bad", **kw)
    good = _plan(tmp_path, "good", {"currency": "CNY"})
    with pytest.raises(InputError) as e:
        cost_diff.lines(good, bad)
    return str(e.value)


def test_the_refusal_names_the_file_the_problem_and_the_fix(tmp_path):
    msg = _refused(tmp_path, text='{"pools": {}}')
    assert msg == (f"{tmp_path / 'bad' / 'cost.json'}: not a plan's cost.json (pools is not a list). "
                   "Fix: re-run `hybrid-gpu plan` to rewrite it.")


@pytest.mark.parametrize("text, what", [
    ('{"pools": [{"region": "r", "pool": "p", "count": true}]}', "pools[0].count is not a number"),
    ('{"pools": [{"region": "r", "pool": "p"}, {"region": "r", "pool": "q", "monthly": "9"}]}',
     "pools[1].monthly is not a number"),
    ('{"pools": [{"region": "r", "pool": "p", "monthly": NaN}]}', "pools[0].monthly is not a number"),
    ('{"pools": [{"region": "r", "pool": "p", "monthly": -Infinity}]}', "pools[0].monthly is not a number"),
    ('{"pools": [{"region": "r", "pool": "p", "count": 1000000000000001}]}', "pools[0].count is not a number"),
    ('{"pools": [{"region": "r", "pool": "p", "monthly": -2e15}]}', "pools[0].monthly is not a number"),
    ('{"pools": [3]}', "pools[0] has no region/pool"),
    ('{"pools": [{"region": 1, "pool": "p"}]}', "pools[0] has no region/pool"),
    ('{"pools": [{"region": "r"}]}', "pools[0] has no region/pool"),
    ('{"pools": [{"pool": "p"}]}', "pools[0] has no region/pool"),
    ('{"elastic": 1}', "elastic is not a list"),
    ('{"elastic": [{"region": "r", "pool": "e", "maxSize": "8"}]}', "elastic[0].maxSize is not a number"),
    ('{"elastic": [{"region": "r", "pool": "e", "monthly": false}]}', "elastic[0].monthly is not a number"),
    ('{"total": 5}', "total is not an object"),
    ('{"total": {"monthly": "1"}}', "total.monthly is not a number"),
    ('{"totalWithElasticMax": []}', "totalWithElasticMax is not an object"),
    ('{"totalWithElasticMax": {"monthly": NaN}}', "totalWithElasticMax.monthly is not a number"),
    ('"cost"', "not an object"),
    ("{", "JSONDecodeError"),
])
def test_a_hand_edited_field_is_named(tmp_path, text, what):
    assert _refused(tmp_path, text=text) == (f"{tmp_path / 'bad' / 'cost.json'}: not a plan's cost.json ({what}). "
                                             "Fix: re-run `hybrid-gpu plan` to rewrite it.")


def test_differences_are_rounded_to_cents_once(tmp_path):
    # 0.0046 is 0.00 to the cent; rounded to a tenth of a cent first it would show as +0.01
    base = {"currency": "CNY", "total": {"monthly": 1.0}, "totalWithElasticMax": {"monthly": 11.0},
            "elastic": [{"region": "r", "pool": "e", "maxSize": 1, "monthly": 10.0}]}
    head = {"currency": "CNY", "total": {"monthly": 1.0046}, "totalWithElasticMax": {"monthly": 11.0046},
            "elastic": [{"region": "r", "pool": "e", "maxSize": 2, "monthly": 10.0046}]}
    assert cost_diff.lines(_plan(tmp_path, "a", base), _plan(tmp_path, "b", head)) == [
        "+1 elastic (r/e, max 1 -> 2): +0.00 CNY/month at most",
        "total: 1.00 -> 1.00 CNY/month (+0.00 CNY/month)",
        "total with elastic maximums: 11.00 -> 11.00 CNY/month (+0.00 CNY/month)",
    ]


def test_bytes_that_are_not_utf8_are_named(tmp_path):
    assert "cost.json (UnicodeDecodeError). Fix: " in _refused(tmp_path, data=b'{"currency": "\xff"}')


def test_the_largest_figures_and_an_unpriced_elastic_pool_are_accepted(tmp_path):
    doc = {"currency": "CNY", "total": {}, "pools": [
        {"region": "r", "pool": "p", "count": 1, "monthly": 1e15},
        {"region": "r", "pool": "q", "count": 1, "monthly": -1e15},
    ], "elastic": [{"region": "r", "pool": "e", "maxSize": 2, "monthly": None}]}
    out = cost_diff.lines(_plan(tmp_path, "a", {"currency": "CNY"}), _plan(tmp_path, "b", doc))
    assert out == ["+1 ? (r/p, new pool): +1,000,000,000,000,000.00 CNY/month",
                   "+1 ? (r/q, new pool): -1,000,000,000,000,000.00 CNY/month",
                   "+2 elastic (r/e, new pool): no price for its types",
                   "total: 0.00 -> 0.00 CNY/month (+0.00 CNY/month)"]


@pytest.mark.parametrize("row, what", [
    ({"region": "r", "pool": "p", "count": None}, "pools[0].count is not a number"),
    ({"region": "r", "pool": "p", "count": 1, "monthly": None}, "pools[0].monthly is not a number"),
])
def test_a_null_figure_of_a_fixed_pool_is_named(tmp_path, row, what):
    # a fixed pool always has a count and a price (hybrid/cost.py): null is a hand edit, refused in
    # one line, not a TypeError when the difference is taken
    assert f"cost.json ({what}). Fix: " in _refused(tmp_path, doc={"pools": [row]})


def test_a_null_elastic_size_is_named(tmp_path):
    doc = {"elastic": [{"region": "r", "pool": "e", "maxSize": None, "monthly": None}]}
    assert "cost.json (elastic[0].maxSize is not a number). Fix: " in _refused(tmp_path, doc=doc)
