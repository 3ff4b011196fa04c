"""hybrid_tools/cost_artifacts.py: the plan's ``cost.json``, called directly on the stacks' models.

Expectations worked by hand from the stack files: dev has no price table (no file); prod's
a10-train pool is 4 x ecs.gn7i-c32g1.8xlarge at 20.00 CNY/h, each with a 2048 GiB cloud_essd PL1
data disk at 0.0015 CNY/GiB/h (stacks/Pulumi.prod.yaml, hybrid-gpu-platform:pricing).
"""

from __future__ import annotations

import json

import pytest

from hybrid.stack import load_platform
from hybrid_tools.cost_artifacts import cost
from tests.conftest import stack_raw


def test_a_stack_without_a_price_table_writes_no_cost_file():
    assert cost(load_platform(stack_raw("dev")), None) == {}


def test_prod_cost_json_prices_each_pool_from_the_stack_table():
    files = cost(load_platform(stack_raw("prod")), None)
    assert list(files) == ["cost.json"]
    doc = json.loads(files["cost.json"])
    assert doc["currency"] == "CNY" and doc["hoursPerMonth"] == 730
    train = next(p for p in doc["pools"] if p["pool"] == "a10-train")
    assert train["count"] == 4 and train["perInstanceHour"]["instance"] == pytest.approx(20.00)
    assert train["perInstanceHour"]["dataDisk"] == pytest.approx(2048 * 0.0015)
    per = 20.00 + 2048 * 0.0015 + train["perInstanceHour"]["systemDisk"]
    assert train["hourly"] == pytest.approx(4 * per) and train["monthly"] == pytest.approx(4 * per * 730)
