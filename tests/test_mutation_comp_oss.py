"""components.oss.private_bucket under Pulumi's mocks: the bucket and its ACL as the engine receives them.

Expected values are alicloud_oss_bucket / alicloud_oss_bucket_acl's schema
(terraform-provider-alicloud website/docs/r/oss_bucket.html.markdown, oss_bucket_acl.html.markdown):
storage_class Standard|IA|Archive|ColdArchive, redundancy_type LRS|ZRS,
server_side_encryption_rule.sse_algorithm AES256|KMS|SM4, versioning.status Enabled|Suspended,
acl private|public-read|public-read-write."""

from __future__ import annotations

import pulumi

from tests.component_graph import provider_urn, watch
from tests.conftest import settle

BUCKET = "alicloud:oss/bucket:Bucket"
ACL = "alicloud:oss/bucketAcl:BucketAcl"


def _declare(versioned: bool):
    import pulumi_alicloud as alicloud

    from components.oss import private_bucket

    region = alicloud.Provider("cn-beijing", region="cn-beijing")
    owner = pulumi.ComponentResource("test:oss:Owner", "owner")
    opts = pulumi.ResourceOptions(parent=owner, provider=region)
    bucket, acl = private_bucket("store", "store-acl", "hybrid-dev-cn-beijing-token", {"env": "dev", "role": "t"}, opts,
                                 versioned=versioned)
    return {"owner": owner.urn, "provider": region.urn, "bucket_urn": bucket.urn, "acl_urn": acl.urn,
            "bucket": bucket.bucket, "acl_bucket": acl.bucket, "acl": acl.acl}


def test_a_private_bucket_is_standard_lrs_aes256_with_a_private_acl_under_the_callers_options(pulumi_mocks):
    mon = watch(pulumi_mocks)
    got = settle(lambda: _declare(versioned=False))

    b = mon.one(BUCKET, "store")
    assert b.inputs["bucket"] == "hybrid-dev-cn-beijing-token"
    assert b.inputs["storageClass"] == "Standard"
    assert b.inputs["redundancyType"] == "LRS"
    assert b.inputs["serverSideEncryptionRule"] == {"sseAlgorithm": "AES256"}
    # unversioned: no versioning block at all (a rotated object must not linger as an old version)
    assert "versioning" not in b.inputs
    assert b.inputs["tags"] == {"env": "dev", "role": "t"}

    a = mon.one(ACL, "store-acl")
    assert a.inputs == {"bucket": "hybrid-dev-cn-beijing-token", "acl": "private"}
    # the ACL names the bucket through its output: it waits for the bucket to exist
    assert a.property_dependencies == {"bucket": [got["bucket_urn"]]}

    # both under the caller's parent and provider (the region's: OSS is regional)
    for reg in (b, a):
        assert reg.parent == got["owner"]
        assert provider_urn(reg.provider) == got["provider"]
    assert (got["bucket"], got["acl_bucket"], got["acl"]) == ("hybrid-dev-cn-beijing-token",) * 2 + ("private",)


def test_a_versioned_bucket_enables_versioning(pulumi_mocks):
    mon = watch(pulumi_mocks)
    settle(lambda: _declare(versioned=True))
    b = mon.one(BUCKET, "store")
    assert b.inputs["versioning"] == {"status": "Enabled"}
    assert b.inputs["serverSideEncryptionRule"] == {"sseAlgorithm": "AES256"}
