"""hybrid/model/join_token.py: the token buckets' names, their hosts, and which regions have one.

Sources: OSS bucket naming (help.aliyun.com/document_detail/31827.html): 3-63 characters of
lower-case letters, digits and '-', starting and ending with a letter or digit. OSS "Regions and
endpoints" (alibabacloud.com/help/en/oss/user-guide/regions-and-endpoints): the public endpoint of
cn-hangzhou is oss-cn-hangzhou.aliyuncs.com, the VPC-internal one
oss-cn-hangzhou-internal.aliyuncs.com; virtual-hosted style puts the bucket first
(<bucket>.<endpoint>). Names below are written out by hand from stacks/Pulumi.{dev,prod}.yaml.
"""

from __future__ import annotations

import re

from hybrid.model import join_token, load

OSS_BUCKET = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")


def test_dev_has_one_bucket_named_after_environment_region_and_cluster(dev_raw):
    p = load(dev_raw)
    assert join_token.regions(p) == ["cn-beijing"]
    assert join_token.bucket_name(p, "cn-beijing") == "hybrid-dev-cn-beijing-join-idc-bj-dev"


def test_prod_has_a_bucket_per_gpu_region(prod_raw):
    p = load(prod_raw)
    assert {r: join_token.bucket_name(p, r) for r in join_token.regions(p)} == {
        "cn-beijing": "hybrid-prod-cn-beijing-join-idc-bj",
        "cn-hangzhou": "hybrid-prod-cn-hangzhou-join-idc-bj",
        "cn-zhangjiakou": "hybrid-prod-cn-zhangjiakou-join-idc-bj",
    }


def test_a_region_without_gpu_nodes_has_no_bucket(prod_raw):
    assert prod_raw["regions"][1]["id"] == "cn-hangzhou" and not prod_raw["regions"][1].get("elasticPools")
    prod_raw["regions"][1]["gpuPools"] = []
    assert join_token.regions(load(prod_raw)) == ["cn-beijing", "cn-zhangjiakou"]


def test_a_region_with_only_elastic_pools_has_a_bucket(prod_raw):
    assert prod_raw["regions"][0]["id"] == "cn-beijing" and prod_raw["regions"][0]["elasticPools"]
    prod_raw["regions"][0]["gpuPools"] = []
    assert join_token.regions(load(prod_raw)) == ["cn-beijing", "cn-hangzhou", "cn-zhangjiakou"]


def test_a_name_over_63_characters_is_cut_to_63(prod_raw):
    # "hybrid-prod-cn-zhangjiakou-join-" is 32 characters; a 32-character cluster name makes 64
    prod_raw["registration"]["clusterName"] = "c" * 32
    p = load(prod_raw)
    name = join_token.bucket_name(p, "cn-zhangjiakou")
    assert name == "hybrid-prod-cn-zhangjiakou-join-" + "c" * 31
    assert OSS_BUCKET.fullmatch(name)
    assert join_token.bucket_name(p, "cn-beijing") == "hybrid-prod-cn-beijing-join-" + "c" * 32


def test_a_cut_that_ends_on_a_hyphen_drops_it(prod_raw):
    # the 63rd character is the cluster name's 31st, here '-': OSS names end with a letter or digit
    prod_raw["registration"]["clusterName"] = "c" * 30 + "-d"
    name = join_token.bucket_name(load(prod_raw), "cn-zhangjiakou")
    assert name == "hybrid-prod-cn-zhangjiakou-join-" + "c" * 30
    assert OSS_BUCKET.fullmatch(name)


def test_internal_host_is_virtual_hosted_on_the_regions_internal_endpoint():
    assert join_token.internal_host("b1", "cn-hangzhou") == "b1.oss-cn-hangzhou-internal.aliyuncs.com"


def test_public_endpoint_of_a_region():
    assert join_token.public_endpoint("cn-hangzhou") == "https://oss-cn-hangzhou.aliyuncs.com"


def test_the_token_key_and_form():
    # kubeadm's bootstrap token: [a-z0-9]{6}.[a-z0-9]{16} (k8s.io/cluster-bootstrap token/api/types.go)
    assert join_token.TOKEN_RE.match("abcdef.0123456789abcdef")
    assert not join_token.TOKEN_RE.match("abcdef.0123456789abcde")
    assert not join_token.TOKEN_RE.match("ABCDEF.0123456789abcdef")
