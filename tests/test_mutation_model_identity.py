"""hybrid/model/identity.py: which secret config keys a stack's settings need, and the RAM role every
GPU node needs (for Terway's ENI calls and to read its join token).

Worked from the stack files: dev runs ack-virtual-node with credentials addonSecret (the default), one
fixed pool a10-dev (cn-beijing, count 1, no ramRole), Terway with credentials instanceRole (the default)
and no elastic pool; prod adds the elastic pool a10-elastic (regions[0].elasticPools[0]), whose
cluster-autoscaler takes its AccessKey from alibaba-addon-secret too. terwayd tries an AccessKey, then a
credential file, then the instance RAM role (eni_conf's access_key / credential_path, ALIBABA-NOTES); a node reads
its join token with its instance role's STS credentials, so a node without one never joins.
"""

from __future__ import annotations

import pytest

from hybrid.model import load
from hybrid.model.identity import required_secrets
from tests.conftest import refusals

ADDON = ["addonAccessKeyId", "addonAccessKeySecret"]
POOL = "regions[0].gpuPools[0].ramRole"
TERWAY = ("Terway on the nodes of pool a10-dev (cn-beijing) has no credentials: cni.terway.credentials is "
          "instanceRole, identity.nodeRole is false and the pool names no ramRole.",
          "set identity.nodeRole: true (recommended), give the pool a ramRole with Terway's actions, "
          "or set cni.terway.credentials to accessKey or credentialFile with its secret config.")
TOKEN = ("the nodes of pool a10-dev (cn-beijing) have no RAM role to read the join token with "
         "(identity.nodeRole is false and the pool names no ramRole).",
         "set identity.nodeRole: true (recommended), or give the pool a ramRole (the program grants it the token read).")


def _no_node_role(raw):
    raw["identity"] = {"nodeRole": False}
    return raw


# --- secret config ----------------------------------------------------------------

def test_the_virtual_nodes_addon_secret_needs_its_access_key(dev_raw):
    assert required_secrets(load(dev_raw)) == ADDON


@pytest.mark.parametrize("virtual_node", [{"credentials": "external"}, {"enabled": False}])
def test_no_addon_key_when_the_secret_is_managed_elsewhere_or_the_virtual_node_is_off(dev_raw, virtual_node):
    dev_raw["virtualNode"].update(virtual_node)
    assert required_secrets(load(dev_raw)) == []


def test_an_elastic_pool_needs_the_addon_key_even_without_the_virtual_node(prod_raw):
    prod_raw["virtualNode"]["enabled"] = False
    assert required_secrets(load(prod_raw)) == ADDON


@pytest.mark.parametrize("mode,keys", [("accessKey", ["terwayAccessKeyId", "terwayAccessKeySecret"]),
                                       ("credentialFile", ["terwayCredentialFile"]), ("instanceRole", [])])
def test_terways_credentials_add_their_keys(dev_raw, mode, keys):
    dev_raw["cni"]["terway"]["credentials"] = mode
    assert required_secrets(load(dev_raw)) == ADDON + keys


# --- the nodes' RAM role ----------------------------------------------------------

def test_the_node_role_gives_every_node_its_credentials(dev_raw):
    assert load(dev_raw).identity.node_role is True


def test_without_node_role_a_pool_without_ram_role_has_neither_terway_nor_token_credentials(dev_raw):
    assert refusals(_no_node_role(dev_raw)) == [(POOL, *TERWAY), (POOL, *TOKEN)]


def test_a_pools_own_ram_role_is_enough(dev_raw):
    dev_raw["regions"][0]["gpuPools"][0]["ramRole"] = "hybrid-gpu-node"
    assert load(_no_node_role(dev_raw)).regions[0].gpu_pools[0].ram_role == "hybrid-gpu-node"


def test_a_pool_of_no_nodes_needs_no_role(dev_raw):
    dev_raw["regions"][0]["gpuPools"][0]["count"] = 0
    assert load(_no_node_role(dev_raw)).regions[0].gpu_pools[0].count == 0


@pytest.mark.parametrize("mode", ["accessKey", "credentialFile"])
def test_terway_with_its_own_credentials_leaves_only_the_token_read(dev_raw, mode):
    dev_raw["cni"]["terway"]["credentials"] = mode
    assert refusals(_no_node_role(dev_raw)) == [(POOL, *TOKEN)]


def test_an_elastic_pools_terway_is_reported_on_the_credentials_setting(prod_raw):
    for region in prod_raw["regions"]:
        for pool in region["gpuPools"]:
            pool["ramRole"] = "hybrid-gpu-node"  # fixed pools covered: only the elastic pool is left
    assert refusals(_no_node_role(prod_raw)) == [(
        "cni.terway.credentials",
        "Terway on the nodes of elastic pool a10-elastic (cn-beijing, regions[0].elasticPools[0]) has no credentials: "
        "cni.terway.credentials is instanceRole and identity.nodeRole is false, so the node pool's RAM role only reads "
        "the node script.",
        "set identity.nodeRole: true (the node pool then uses the GPU node role), or cni.terway.credentials: accessKey or "
        "credentialFile with its secret config.")]
