"""hybrid/model/pricing.py: what a price may be, which table key a disk is priced under, and the
cross check that every running pool has its prices.

Cases edit prod (stacks/Pulumi.prod.yaml), worked out by hand from its pools and price table:
regions[0] cn-beijing runs a10-train (ecs.gn7i-c32g1.8xlarge, PayAsYouGo, system disk cloud_essd
without level, data disk cloud_essd PL1) and a100-burst (ecs.gn7e-c16g1.16xlarge, Spot, data disk
cloud_essd PL2); its table prices both types and cloud_essd, cloud_essd/PL1, cloud_essd/PL2. A Spot
pool is priced at its spotPriceLimit (the module's docstring), so its instance price is not needed.
A price arrives as a YAML number (int or float); text, booleans and non-finite floats are refused.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from hybrid.model import load
from hybrid.model.pricing import Pricing
from tests.conftest import refusals

BJ = "pricing.regions.cn-beijing"
TYPE = "ecs.gn7i-c32g1.8xlarge"


def _bj(raw):
    return raw["pricing"]["regions"]["cn-beijing"]


# --- a price -------------------------------------------------------------------

@pytest.mark.parametrize("value,exact", [(20, Decimal("20")), (0.0015, Decimal("0.0015")), (0, Decimal("0")),
                                         (0.1, Decimal("0.1"))])
def test_a_number_is_read_as_the_decimal_it_is_written_as(prod_raw, value, exact):
    # 0.1 and 0.0015 have no exact binary form: the price is the written figure, not the float's expansion
    _bj(prod_raw)["instanceHour"][TYPE] = value
    price = load(prod_raw).pricing.regions["cn-beijing"].instance_hour[TYPE]
    assert (price, str(price)) == (exact, str(exact))


@pytest.mark.parametrize("value,quoted", [(True, "'True'"), ("20", "'20'"), (None, "'None'"),
                                          ("9" * 41, "'" + "9" * 40 + "'")])
def test_anything_but_a_number_is_refused_quoting_at_most_40_characters(prod_raw, value, quoted):
    _bj(prod_raw)["instanceHour"][TYPE] = value
    assert refusals(prod_raw) == [(f"{BJ}.instanceHour.{TYPE}", f"{quoted} is not a number.",
                                  "write a plain number such as 20.00.")]


@pytest.mark.parametrize("value,shown", [(float("inf"), "inf"), (float("-inf"), "-inf"), (float("nan"), "nan")])
def test_a_float_that_is_not_finite_is_refused(prod_raw, value, shown):
    _bj(prod_raw)["instanceHour"][TYPE] = value
    assert refusals(prod_raw) == [(f"{BJ}.instanceHour.{TYPE}", f"{shown} is not a finite number.",
                                  "write a plain number such as 20.00.")]


def test_a_decimal_is_taken_as_it_is():
    p = Pricing(source="quote", regions={"cn-beijing": {"instance_hour": {TYPE: Decimal("19.99")}}})
    assert p.regions["cn-beijing"].instance_hour[TYPE] == Decimal("19.99")


# --- the key a disk is priced under -------------------------------------------

def test_the_level_key_wins_then_the_category_then_nothing():
    p = Pricing(source="s", regions={"cn-beijing": {"disk_gib_hour": {"cloud_essd": 1, "cloud_essd/PL2": 2}}})
    assert p.disk_key("cn-beijing", "cloud_essd", "PL2") == "cloud_essd/PL2"
    assert p.disk_key("cn-beijing", "cloud_essd", "PL1") == "cloud_essd"  # no PL1 entry: the category's
    assert p.disk_key("cn-beijing", "cloud_essd", None) == "cloud_essd"
    assert p.disk_key("cn-beijing", "cloud_auto", None) is None
    assert p.disk_key("cn-shanghai", "cloud_essd", None) is None  # a region without prices


def test_a_disk_without_level_is_priced_under_its_category_only():
    # a key is a category or category/level (PL0..PL3): "cloud_essd/None" names no level a disk can have
    p = Pricing(source="s", regions={"cn-beijing": {"disk_gib_hour": {"cloud_essd/None": 9, "cloud_essd": 1}}})
    assert p.disk_key("cn-beijing", "cloud_essd", None) == "cloud_essd"


def test_a_level_entry_alone_does_not_price_a_disk_without_level():
    p = Pricing(source="s", regions={"cn-beijing": {"disk_gib_hour": {"cloud_essd/PL1": 1}}})
    assert p.disk_key("cn-beijing", "cloud_essd", None) is None
    assert p.disk_key("cn-beijing", "cloud_essd", "PL1") == "cloud_essd/PL1"


# --- every running pool has its prices ------------------------------------------

def test_prod_is_fully_priced(prod_raw):
    assert load(prod_raw).pricing.regions["cn-beijing"].instance_hour[TYPE] == Decimal("20.0")


def test_a_region_without_prices_is_reported_once_naming_its_first_pool(prod_raw):
    del prod_raw["pricing"]["regions"]["cn-beijing"]
    assert refusals(prod_raw) == [(BJ, "no prices for region cn-beijing, where pool a10-train runs.",
                                  "add pricing.regions.cn-beijing with instanceHour and diskGibHour.")]


def test_every_region_without_prices_is_reported(prod_raw):
    # one issue per region (regions[0] cn-beijing, regions[1] cn-hangzhou), the later region still checked
    del prod_raw["pricing"]["regions"]["cn-beijing"]
    del prod_raw["pricing"]["regions"]["cn-hangzhou"]
    assert refusals(prod_raw) == [
        (BJ, "no prices for region cn-beijing, where pool a10-train runs.",
         "add pricing.regions.cn-beijing with instanceHour and diskGibHour."),
        ("pricing.regions.cn-hangzhou", "no prices for region cn-hangzhou, where pool t4-infer runs.",
         "add pricing.regions.cn-hangzhou with instanceHour and diskGibHour.")]


def test_a_pay_as_you_go_pool_needs_its_instance_price(prod_raw):
    del _bj(prod_raw)["instanceHour"][TYPE]
    assert refusals(prod_raw) == [(f"{BJ}.instanceHour", f"no price for {TYPE} (regions[0].gpuPools[0]).",
                                  f"add {TYPE}: <price per hour>.")]


def test_a_spot_pool_needs_no_instance_price(prod_raw):
    del _bj(prod_raw)["instanceHour"]["ecs.gn7e-c16g1.16xlarge"]
    assert "ecs.gn7e-c16g1.16xlarge" not in load(prod_raw).pricing.regions["cn-beijing"].instance_hour


def test_every_unpriced_disk_is_named_with_the_key_to_add(prod_raw):
    # without cloud_essd and cloud_essd/PL2: both system disks (no level) and a100-burst's PL2 data disk are
    # unpriced; a10-train's PL1 data disk keeps cloud_essd/PL1
    del _bj(prod_raw)["diskGibHour"]["cloud_essd"]
    del _bj(prod_raw)["diskGibHour"]["cloud_essd/PL2"]
    assert refusals(prod_raw) == [
        (f"{BJ}.diskGibHour", "no price for cloud_essd (regions[0].gpuPools[0].systemDisk).",
         "add cloud_essd: <price per GiB-hour>."),
        (f"{BJ}.diskGibHour", "no price for cloud_essd (regions[0].gpuPools[1].systemDisk).",
         "add cloud_essd: <price per GiB-hour>."),
        (f"{BJ}.diskGibHour", "no price for cloud_essd/PL2 (regions[0].gpuPools[1].dataDisk).",
         "add cloud_essd/PL2 (or cloud_essd): <price per GiB-hour>."),
    ]


def test_without_a_price_table_nothing_is_checked(prod_raw):
    del prod_raw["pricing"]
    assert load(prod_raw).pricing is None
