"""The private, server-side encrypted OSS bucket the node artifacts live in (node script, join token)."""

from __future__ import annotations

import pulumi
import pulumi_alicloud as alicloud


def private_bucket(name: str, acl_name: str, bucket: str, tags: dict[str, str], opts: pulumi.ResourceOptions,
                   versioned: bool) -> tuple[alicloud.oss.Bucket, alicloud.oss.BucketAcl]:
    """The bucket (AES256 at rest, LRS) and its private ACL, declared as ``name`` and ``acl_name``."""
    b = alicloud.oss.Bucket(
        name,
        bucket=bucket,
        storage_class="Standard",
        redundancy_type="LRS",
        server_side_encryption_rule=alicloud.oss.BucketServerSideEncryptionRuleArgs(sse_algorithm="AES256"),
        versioning=alicloud.oss.BucketVersioningArgs(status="Enabled") if versioned else None,
        tags=tags,
        opts=opts,
    )
    return b, alicloud.oss.BucketAcl(acl_name, bucket=b.bucket, acl="private", opts=opts)
