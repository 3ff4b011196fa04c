"""components.join_token.JoinTokenStore under Pulumi's mocks: the bucket, the read policy, who gets it.

Expected values from upstream: RAM policy language (Alibaba Cloud help "Policy elements"; OSS resources
as acs:oss:*:*:<bucket>/<object>, action oss:GetObject reads one object); RAM PolicyName 1-128 characters
(CreatePolicy API); alicloud_ram_policy rotate_strategy None|DeleteOldestNonDefaultVersionWhenLimitExceeded,
alicloud_ram_role_policy_attachment policy_type System|Custom (terraform-provider-alicloud
website/docs/r/ram_policy.html.markdown, ram_role_policy_attachment.html.markdown); the OSS VPC endpoint
oss-<region>-internal.aliyuncs.com (OSS help "Regions and endpoints"). The object key is join-token
(hybrid/scripts/hybrid-join-token.sh reads it)."""

from __future__ import annotations

import json

import pulumi

from tests.component_graph import provider_urn, watch
from tests.conftest import settle

COMP = "hybrid:identity:JoinTokenStore"
POLICY = "alicloud:ram/policy:Policy"
ATTACH = "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment"
BUCKET = "alicloud:oss/bucket:Bucket"
ACL = "alicloud:oss/bucketAcl:BucketAcl"
NAME = "hybrid-dev-cn-beijing-1a2b3c-token"
READ_DOC = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oss:GetObject"],
                                           "Resource": [f"acs:oss:*:*:{NAME}/join-token"]}]}


def _program(environment="dev", roles=2):
    import pulumi_alicloud as alicloud

    from components.join_token import JoinTokenStore, JoinTokenStoreArgs

    bj = alicloud.Provider("cn-beijing", region="cn-beijing")
    role = alicloud.ram.Role("node-role", role_name="hybrid-dev-cn-beijing-gpu-node", assume_role_policy_document="{}")
    names = [role.role_name, "hybrid-dev-cn-beijing-elastic"][:roles]
    store = JoinTokenStore("jt", JoinTokenStoreArgs(environment=environment, region_id="cn-beijing", bucket=NAME,
                                                    role_names=names, tags={"team": "ml", "env": "overridden"}),
                           opts=pulumi.ResourceOptions(provider=bj))
    return {"store": store, "bj": bj.urn, "role": role.urn}


def test_read_policy_reads_the_one_token_object_and_nothing_else():
    from components.join_token import read_policy

    assert read_policy(NAME) == READ_DOC


def test_the_store_declares_a_private_bucket_a_read_only_policy_and_gives_it_to_every_node_role(pulumi_mocks):
    mon = watch(pulumi_mocks)
    got = settle(lambda: _program())
    comp = mon.one(COMP, "jt")
    tags = {"team": "ml", "env": "dev", "managed-by": "pulumi", "role": "join-token"}

    b = mon.one(BUCKET, "jt-bucket")
    assert b.inputs["bucket"] == NAME and b.inputs["tags"] == tags
    assert "versioning" not in b.inputs  # a rotated token must not linger as an old version
    assert mon.one(ACL, "jt-acl").inputs["acl"] == "private"

    pol = mon.one(POLICY, "jt-read")
    assert pol.inputs["policyName"] == "hybrid-dev-cn-beijing-join-token-read"
    assert json.loads(pol.inputs["policyDocument"]) == READ_DOC
    assert pol.inputs["description"] == \
        "GPU nodes of cn-beijing read their join token object and nothing else in the bucket."
    assert pol.inputs["rotateStrategy"] == "DeleteOldestNonDefaultVersionWhenLimitExceeded"
    assert pol.inputs["tags"] == tags

    att = mon.of_type(ATTACH)
    assert [a.name for a in att] == ["jt-read-0", "jt-read-1"]
    assert [a.inputs["roleName"] for a in att] == ["hybrid-dev-cn-beijing-gpu-node", "hybrid-dev-cn-beijing-elastic"]
    for a in att:
        assert a.inputs["policyName"] == "hybrid-dev-cn-beijing-join-token-read"
        assert a.inputs["policyType"] == "Custom"
        # attached once the policy exists (its name comes from the policy resource)
        assert pol.urn in a.property_dependencies["policyName"]
    assert att[0].property_dependencies["roleName"] == [got["role"]]

    for reg in (b, mon.one(ACL, "jt-acl"), pol, *att):
        assert reg.parent == comp.urn
        assert provider_urn(reg.provider) == got["bj"]
    assert len(got["store"].attachments) == 2 and got["store"].bucket_name == NAME
    assert mon.outputs_of(COMP, "jt") == {"bucket": NAME, "key": "join-token",
                                          "internalHost": f"{NAME}.oss-cn-beijing-internal.aliyuncs.com"}


def test_a_long_policy_name_is_cut_to_rams_128_characters(pulumi_mocks):
    mon = watch(pulumi_mocks)
    settle(lambda: _program(environment="e" * 130, roles=0))
    # "hybrid-" (7) + 130 e's + the rest: the first 128 characters are "hybrid-" and 121 e's
    assert mon.one(POLICY, "jt-read").inputs["policyName"] == "hybrid-" + "e" * 121
    assert mon.of_type(ATTACH) == []
