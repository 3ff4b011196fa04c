"""hybrid/identity.py: the node role's documents and names, worked by hand."""

from __future__ import annotations

import re

import pytest

from hybrid import identity

# RAM naming rules (Alibaba RAM "CreateRole" / "CreatePolicy" API docs): a role name is 1-64 characters of
# letters, digits, '.', '-' and '_'; a policy name 1-128 characters of letters, digits and '-'.
ROLE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
POLICY_NAME = re.compile(r"^[A-Za-z0-9-]{1,128}$")


def test_region_scoped_policy_of_an_ipv4_region_worked_by_hand():
    doc = identity.terway_policy("cn-hangzhou", ipv6=False)
    # Statements sorted by service (ecs, vpc); Terway's documented actions in its order (docs/ecs.md).
    assert doc == {"Version": "1", "Statement": [
        {"Action": ["ecs:CreateNetworkInterface", "ecs:DescribeNetworkInterfaces", "ecs:AttachNetworkInterface",
                    "ecs:DetachNetworkInterface", "ecs:DeleteNetworkInterface", "ecs:DescribeInstanceTypes",
                    "ecs:AssignPrivateIpAddresses", "ecs:UnassignPrivateIpAddresses"],
         "Effect": "Allow", "Resource": ["acs:ecs:cn-hangzhou:*:*"]},
        {"Action": ["vpc:DescribeVSwitches"], "Effect": "Allow", "Resource": ["acs:vpc:cn-hangzhou:*:*"]},
    ]}
    assert identity.terway_actions(True)["ecs"][-2:] == ("ecs:AssignIpv6Addresses", "ecs:UnassignIpv6Addresses")
    assert identity.region_resource("vpc", "cn-beijing") == "acs:vpc:cn-beijing:*:*"


def test_an_unknown_scope_is_refused():
    with pytest.raises(ValueError, match="^unknown node role scope 'account'$"):
        identity.terway_policy("cn-beijing", ipv6=False, scope="account")
    assert all(s["Resource"] == ["*"] for s in identity.terway_policy("cn-beijing", False, "all")["Statement"])


def test_policy_json_is_canonical():
    # Sorted keys, no spaces: the same document is the same bytes.
    assert identity.policy_json({"Version": "1", "Statement": [{"b": 1, "a": [1, 2]}]}) == \
        '{"Statement":[{"a":[1,2],"b":1}],"Version":"1"}'


def test_role_and_policy_names_fit_rams_rules_for_the_longest_region():
    # cn-zhangjiakou is the longest region id prod uses; "staging" the longest environment word.
    role = identity.node_role_name("staging", "cn-zhangjiakou")
    policy = identity.node_policy_name("staging", "cn-zhangjiakou")
    assert role == "hybrid-staging-gpu-node-cn-zhangjiakou" and ROLE_NAME.match(role)
    assert policy == "hybrid-staging-terway-eni-cn-zhangjiakou" and POLICY_NAME.match(policy)
