"""hybrid/model/virtual_node.py: the version floor and form, the region list rules, the 100.64.0.0/10 check.

Sources: 100.64.0.0/10 is where Alibaba Cloud API domains resolve from inside a VPC
(alibabacloud.com/help/faq-detail/54484.htm): 100.64.0.0-100.127.255.255. The CS API reports
addon versions with a leading v (terraform-provider-alicloud resource_alicloud_cs_kubernetes_addon_test.go,
ack-virtual-node "v2.2.0"); v2.13.0 is the floor the platform needs (hybrid/virtual_node.py).
Cases edit dev (stacks/Pulumi.dev.yaml: one region cn-beijing, the default; idc ranges 10.8.0.0/20,
10.244.0.0/16, 10.9.0.0/24).
"""

from __future__ import annotations

import pytest

from hybrid.model import load
from tests.conftest import refusals

BLOCK_MSG = ("{cidr} lies in 100.64.0.0/10, where Alibaba Cloud API domains resolve; ack-virtual-node calls would "
             "route to the IDC over the leased line.")
BLOCK_FIX = "create PrivateLink endpoints for the VPC, ACS and ECI APIs and set virtualNode.privateLinkEndpoints: true."


# --- version -------------------------------------------------------------------

@pytest.mark.parametrize("version", ["v2.13.0", "v2.13.1", "v2.14.0", "v3.0.0", "v10.0.0"])
def test_the_floor_and_later_are_accepted(dev_raw, version):
    dev_raw["virtualNode"]["version"] = version
    assert load(dev_raw).virtual_node.version == version


@pytest.mark.parametrize("version", ["v2.12.99", "v2.12.0", "v1.99.99"])
def test_below_the_floor_is_refused_naming_it(dev_raw, version):
    dev_raw["virtualNode"]["version"] = version
    assert refusals(dev_raw) == [("virtualNode.version", f"ack-virtual-node {version} has no multi-region Serverless support.",
                                 "use v2.13.0 or later.")]


def test_a_version_without_the_v_is_refused_with_the_spelling_to_use(dev_raw):
    dev_raw["virtualNode"]["version"] = "2.14.1"
    ((path, msg, fix),) = refusals(dev_raw)
    assert path == "virtualNode.version"
    assert msg.startswith("'2.14.1' lacks the leading v")
    # the reason, in the user's words: the provider compares the version strings (the test file above
    # checks "v2.2.0" -> "v2.3.0" as read back from the API), so "2.14.1" would differ from "v2.14.1" forever
    assert msg.endswith("the provider compares the strings, so every preview would show a version change.")
    assert fix == "write it as v2.14.1."


@pytest.mark.parametrize("version", ["latest", "v2.13", "2.13.0-rc1"])
def test_other_forms_are_refused(dev_raw, version):
    dev_raw["virtualNode"]["version"] = version
    assert refusals(dev_raw) == [("virtualNode.version", f"{version!r} is not a vMAJOR.MINOR.PATCH version.",
                                 "write it like v2.13.0.")]


# --- regions -------------------------------------------------------------------

def test_enabled_without_regions_is_refused_once(dev_raw):
    dev_raw["virtualNode"]["regions"] = []
    assert refusals(dev_raw) == [("virtualNode.regions", "the virtual node is enabled but lists no region.",
                                 "list at least one region, exactly one with default: true, or set enabled: false.")]


def test_disabled_needs_no_regions_and_ignores_the_service_block(dev_raw):
    dev_raw["virtualNode"] = {"enabled": False}
    dev_raw["idc"]["extraRanges"].append("100.100.0.0/16")
    p = load(dev_raw)
    assert (p.virtual_node.enabled, p.virtual_node.regions) == (False, [])


def test_no_default_region(dev_raw):
    dev_raw["virtualNode"]["regions"][0]["default"] = False
    assert refusals(dev_raw) == [("virtualNode.regions", "exactly one region must be the default; found 0 (none).",
                                 "set default: true on exactly one region.")]


def test_two_default_regions_are_named(prod_raw):
    prod_raw["virtualNode"]["regions"][2]["default"] = True  # cn-beijing [0] is the default already
    assert refusals(prod_raw) == [("virtualNode.regions", "exactly one region must be the default; found 2 "
                                  "(regions[0], regions[2]).", "set default: true on exactly one region.")]


def test_prods_three_regions_one_default_are_accepted(prod_raw):
    vn = load(prod_raw).virtual_node
    assert [(r.id, r.default) for r in vn.regions] == [("cn-beijing", True), ("cn-hangzhou", False), ("cn-zhangjiakou", False)]


def test_a_region_listed_twice(prod_raw):
    prod_raw["virtualNode"]["regions"].append({"id": "cn-hangzhou"})
    assert refusals(prod_raw) == [("virtualNode.regions[3].id", "region cn-hangzhou is listed twice.", "list each region once.")]


def test_a_region_outside_the_stack_names_the_stacks_regions(prod_raw):
    prod_raw["virtualNode"]["regions"].append({"id": "cn-shanghai"})
    ((path, msg, fix),) = refusals(prod_raw)
    assert path == "virtualNode.regions[3].id"
    assert msg.startswith("cn-shanghai is not one of the stack's regions ['cn-beijing', 'cn-hangzhou', 'cn-zhangjiakou'];")
    assert fix == "add the region under regions (with serverlessOnly: true and a small VPC if it hosts no GPU pools)."


# --- the Alibaba service block ----------------------------------------------------

# a single address at either end of the block: the block's first and last address
@pytest.mark.parametrize("cidr", ["100.64.0.0/24", "100.127.255.0/24", "100.100.0.0/16", "100.0.0.0/8",
                                  "100.64.0.0/32", "100.127.255.255/32"])
def test_an_idc_range_touching_the_block_is_flagged(dev_raw, cidr):
    dev_raw["idc"]["extraRanges"].append(cidr)
    assert refusals(dev_raw) == [("idc.extraRanges[1]", BLOCK_MSG.format(cidr=cidr), BLOCK_FIX)]


@pytest.mark.parametrize("cidr", ["100.63.255.0/24", "100.128.0.0/24", "100.63.255.255/32", "100.128.0.0/32"])
def test_ranges_next_to_the_block_are_accepted(dev_raw, cidr):
    dev_raw["idc"]["extraRanges"].append(cidr)
    assert load(dev_raw).idc.extra_ranges[-1] == cidr


def test_the_node_range_is_checked_too(dev_raw):
    dev_raw["idc"]["nodeCidrs"].append("100.96.0.0/20")
    assert ("idc.nodeCidrs[1]", BLOCK_MSG.format(cidr="100.96.0.0/20"), BLOCK_FIX) in refusals(dev_raw)


def test_privatelink_endpoints_accept_the_block(dev_raw):
    dev_raw["idc"]["extraRanges"].append("100.100.0.0/16")
    dev_raw["virtualNode"]["privateLinkEndpoints"] = True
    assert load(dev_raw).virtual_node.private_link_endpoints is True
