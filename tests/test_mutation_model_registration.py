"""hybrid/model/registration.py: the Fleet's name/id/enabled rules and what the stack has ACK do in the cluster.

What ACK does through the agent is read from the stack, by hand: prod enables ack-virtual-node
(virtualNode.enabled), keeps Terway as a manifest (cni.terway, no install: addon) and declares one
elastic pool, a10-elastic, as regions[0].elasticPools[0] (stacks/Pulumi.prod.yaml). Addon names are
the CS API's: ack-virtual-node, terway-eniip, cluster-autoscaler (the sources are next to
hybrid/virtual_node.py ADDON_NAME, hybrid/model/cni.py TERWAY_ADDON, hybrid/model/elastic.py
AUTOSCALER_ADDON). The refusals quote that list, so each case reads it from the message a user sees.
"""

from __future__ import annotations

import copy

import pytest

from hybrid.errors import ConfigError
from hybrid.model import load
from hybrid.model.registration import cluster_actions


def _issues(raw) -> list:
    with pytest.raises(ConfigError) as info:
        load(raw)
    return info.value.issues


def _only(raw, path):
    issues = _issues(raw)
    assert [i.path for i in issues] == [path]
    return issues[0]


def _restricted(raw):
    raw["registration"]["agent"] = {**raw["registration"].get("agent", {}), "mode": "restricted"}
    raw["registration"]["consoleAccess"] = "read-only"
    return raw


def _said(raw) -> str:
    """What the restricted-mode refusal says the stack does: 'the stack <this> through the CS API'."""
    (msg,) = [i.message for i in _issues(_restricted(raw)) if i.path == "registration.agent.mode"]
    assert msg.startswith("is restricted, but the stack ")
    return msg.removeprefix("is restricted, but the stack ").split(" through the CS API")[0]


# --- the Fleet -----------------------------------------------------------------

def test_an_enabled_fleet_without_name_or_id_names_both_fixes(dev_raw):
    dev_raw["registration"]["fleet"] = {"enabled": True}
    issue = _only(dev_raw, "registration.fleet")
    assert issue.message == "fleet.enabled is true but neither a fleet name nor an id is given."
    assert issue.fix == "set fleet.name (the ACK One fleet to create) or fleet.id (an existing one), or disable the fleet."


@pytest.mark.parametrize("fleet", [{"enabled": True, "name": "ai-fleet"}, {"enabled": True, "id": "c0123456789abcdef"}])
def test_an_enabled_fleet_with_a_name_or_an_id_is_accepted(dev_raw, fleet):
    dev_raw["registration"]["fleet"] = fleet
    f = load(dev_raw).registration.fleet
    assert (f.enabled, f.name, f.id) == (True, fleet.get("name"), fleet.get("id"))


def test_name_and_id_together_are_refused(dev_raw):
    dev_raw["registration"]["fleet"] = {"enabled": True, "name": "f", "id": "c0123456789abcdef"}
    issue = _only(dev_raw, "registration.fleet")
    assert issue.message == "fleet.name and fleet.id are both set."
    assert issue.fix == "set name to create a fleet, or id to reference one, not both."


def test_name_and_id_together_are_refused_on_a_disabled_fleet_too(dev_raw):
    dev_raw["registration"]["fleet"] = {"name": "f", "id": "c0123456789abcdef"}
    assert _only(dev_raw, "registration.fleet").message == "fleet.name and fleet.id are both set."


@pytest.mark.parametrize("fleet", [{"apply": True}, {"members": {"ack-sh": {"clusterId": "c0123456789abcdef",
                                                                            "availableReplicas": 2}}}])
def test_apply_or_members_need_an_enabled_fleet(dev_raw, fleet):
    dev_raw["registration"]["fleet"] = fleet
    issue = _only(dev_raw, "registration.fleet")
    assert issue.message == "fleet.apply or fleet.members is set but the fleet is not enabled."
    assert issue.fix == "set fleet.enabled: true or drop them."


def test_a_disabled_fleet_with_a_name_is_accepted(dev_raw):
    dev_raw["registration"]["fleet"] = {"name": "later"}
    assert load(dev_raw).registration.fleet.enabled is False


# --- what ACK does in the cluster ----------------------------------------------

def test_prod_installs_two_components_and_creates_one_node_pool(prod_raw):
    assert _said(prod_raw) == ("installs the components ack-virtual-node, cluster-autoscaler and creates the node pool "
                               "a10-elastic (regions[0].elasticPools[0])")


def test_two_node_pools_are_listed_with_their_paths(prod_raw):
    pools = prod_raw["regions"][0]["elasticPools"]
    second = copy.deepcopy(pools[0])
    second["name"] = "a10-elastic-b"
    pools.append(second)
    assert _said(prod_raw).endswith("and creates the node pools a10-elastic (regions[0].elasticPools[0]), "
                                    "a10-elastic-b (regions[0].elasticPools[1])")


def test_the_pools_region_index_is_its_place_in_regions(prod_raw):
    # cn-beijing (the registration region, the only one with elastic pools) moved to the end: regions[2]
    prod_raw["regions"].append(prod_raw["regions"].pop(0))
    assert _said(prod_raw).endswith("creates the node pool a10-elastic (regions[2].elasticPools[0])")


def test_one_component_alone(dev_raw):
    # dev: ack-virtual-node only (no elastic pools, Terway as a manifest)
    assert _said(dev_raw) == "installs the component ack-virtual-node"


def test_terway_as_an_addon_is_a_component(dev_raw):
    dev_raw["virtualNode"] = {"enabled": False}
    dev_raw["cni"]["terway"]["install"] = "addon"
    assert _said(dev_raw) == "installs the component terway-eniip"


def test_all_three_components_in_order(prod_raw):
    prod_raw["cni"]["terway"]["install"] = "addon"
    assert _said(prod_raw).startswith("installs the components ack-virtual-node, terway-eniip, cluster-autoscaler and ")


def test_read_only_console_with_admin_agent_names_the_same_actions(dev_raw):
    dev_raw["registration"]["consoleAccess"] = "read-only"  # agent.mode stays admin
    issue = _only(dev_raw, "registration.consoleAccess")
    assert issue.message.startswith("is read-only, but the stack installs the component ack-virtual-node through the agent")
    assert issue.fix == "set registration.consoleAccess: admin."


def test_nothing_to_do_is_no_action_and_restricted_mode_is_accepted(dev_raw):
    dev_raw["virtualNode"] = {"enabled": False}
    p = load(_restricted(dev_raw))
    actions = cluster_actions(p)
    assert not actions
    assert (actions.components, actions.node_pools) == ((), ())
    assert p.registration.agent.mode == "restricted"


def test_actions_of_prod_are_truthy_and_listed(prod_raw):
    actions = cluster_actions(load(prod_raw))
    assert actions
    assert actions.components == ("ack-virtual-node", "cluster-autoscaler")
    assert actions.node_pools == ("a10-elastic (regions[0].elasticPools[0])",)
