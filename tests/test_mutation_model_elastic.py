"""hybrid/model/elastic.py: the node script's bucket and URL, the pool as its nodes' renderers see it, the refusals.

Sources: the script URL is the VPC-internal OSS form Alibaba's guide registers for a registered
cluster's node pool (https://<bucket>.oss-<region>-internal.aliyuncs.com/<key>, "Step 2" of
alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/create-a-node-pool);
OSS bucket names are 3-63 of a-z, 0-9 and '-'. pulumi-alicloud 4.0.0 cs NodePoolScalingConfigArgs.max_size
"has to be greater than min_size". Alibaba's gn7i table (instance_types.py): c32g1.8xlarge 1 A10 and
16 Gbit/s, c32g1.16xlarge 2 A10. Expected values are read off prod's a10-elastic (stacks/Pulumi.prod.yaml).
"""

from __future__ import annotations

import pytest

from hybrid.model import elastic, load
from tests.conftest import refusals

PATH = "regions[0].elasticPools[0]"


def _pool(raw):
    return raw["regions"][0]["elasticPools"][0]


# --- the node script's place ----------------------------------------------------------

def test_script_bucket_and_url_of_prod(prod_raw):
    bucket = elastic.bucket_name(load(prod_raw))
    assert bucket == "hybrid-prod-idc-bj-node-scripts"
    assert elastic.script_url(bucket, "cn-beijing") == (
        "https://hybrid-prod-idc-bj-node-scripts.oss-cn-beijing-internal.aliyuncs.com/elastic/hybrid-elastic-node.sh")


def test_the_longest_bucket_name_fits_oss(prod_raw):
    # staging (the longest environment) and a 32-character cluster name (the most clusterName allows): 60 characters
    prod_raw["environment"] = "staging"
    prod_raw["registration"]["clusterName"] = "c" * 32
    assert elastic.bucket_name(load(prod_raw)) == "hybrid-staging-" + "c" * 32 + "-node-scripts"


# --- the pool as the node renderers see it -----------------------------------------------

def test_the_node_pool_carries_every_node_shaping_field(prod_raw):
    _pool(prod_raw)["systemDisk"] = {"category": "cloud_essd", "size": 120}  # not the default 100, to be seen
    g = load(prod_raw).regions[0].elastic_pools[0].node_pool()
    assert (g.name, g.zones, g.instance_type, g.count) == (
        "a10-elastic", ["cn-beijing-h", "cn-beijing-g", "cn-beijing-i"], "ecs.gn7i-c32g1.8xlarge", 0)
    assert (g.image_id, g.driver.source, g.driver.branch, g.gpu_model_series) == (
        "ubuntu_22_04_x64_20G_alibase_20240926.vhd", "install", "535", "A10")
    assert (g.system_disk.category, g.system_disk.size) == ("cloud_essd", 120)
    d = g.data_disk
    assert (d.category, d.size, d.performance_level, d.encrypted, d.kms_key_id, d.mount_path) == (
        "cloud_essd", 2048, "PL1", True, "key-bjj6a7f1c2d3e4f5g6h7", "/data")
    assert (g.rate_limits.egress_mbit, g.rate_limits.ingress_mbit) == (4000, 10000)
    assert [(t.key, t.value, t.effect) for t in g.taints] == [("hybrid.example.com/cloud", "true", "PreferNoSchedule")]
    assert [(p.name, p.source, p.target, p.rate_mbit) for p in g.preload] == [
        ("imagenet-1k", "rsync://10.1.0.20/datasets/imagenet-1k/", "/data/datasets/imagenet-1k", 3000)]


def test_the_first_preference_is_the_rendered_type(prod_raw):
    _pool(prod_raw)["instanceTypes"] = ["ecs.gn7i-c48g1.12xlarge", "ecs.gn7i-c32g1.8xlarge"]
    assert load(prod_raw).regions[0].elastic_pools[0].node_pool().instance_type == "ecs.gn7i-c48g1.12xlarge"


def test_a_blank_data_disk_without_snapshot(prod_raw):
    disk = _pool(prod_raw)["dataDisk"]
    del disk["snapshotId"]
    disk["size"] = 800
    pool = load(prod_raw).regions[0].elastic_pools[0]
    assert (pool.data_disk.snapshot_id, pool.node_pool().data_disk.size) == (None, 800)


def test_a_fixed_pool_refusal_is_reported_on_the_elastic_pool(prod_raw):
    _pool(prod_raw)["preload"][0]["target"] = "/mnt/elsewhere"
    assert refusals(prod_raw) == [(PATH, "preload: preload[0].target '/mnt/elsewhere' is outside the data disk mount /data.",
                                  "put the target under /data/, e.g. /data/datasets/imagenet-1k.")]


def test_equal_disk_sizes_are_refused_naming_the_field_as_the_stack_spells_it(prod_raw):
    # the node finds its data disk by size: it must differ from the system disk
    _pool(prod_raw)["systemDisk"] = {"category": "cloud_essd", "size": 2048}
    assert refusals(prod_raw) == [(PATH, "dataDisk: size 2048 GiB equals systemDisk.size, so the node could not tell the "
                                        "data disk apart.", "give the data disk a different size than the system disk.")]


# --- the refusals of the pool's own fields ---------------------------------------------------

def test_max_size_must_be_above_min_size(prod_raw):
    _pool(prod_raw).update(minSize=3, maxSize=3)
    assert refusals(prod_raw) == [(f"{PATH}.maxSize", "maxSize 3 is not above minSize 3.",
                                  "set maxSize above 3 (equal sizes make a fixed pool: use gpuPools).")]


def test_max_size_one_above_min_size_is_accepted(prod_raw):
    _pool(prod_raw).update(minSize=3, maxSize=4)
    pool = load(prod_raw).regions[0].elastic_pools[0]
    assert (pool.min_size, pool.max_size) == (3, 4)


def test_a_type_listed_twice(prod_raw):
    types = ["ecs.gn7i-c32g1.8xlarge", "ecs.gn7i-c32g1.8xlarge"]
    _pool(prod_raw)["instanceTypes"] = types
    assert refusals(prod_raw) == [(f"{PATH}.instanceTypes", f"instanceTypes {types} list a type twice.",
                                  "list each instance type once.")]


def test_types_with_different_gpus(prod_raw):
    types = ["ecs.gn7i-c32g1.8xlarge", "ecs.gn7i-c32g1.16xlarge"]
    _pool(prod_raw)["instanceTypes"] = types
    ((path, msg, fix),) = refusals(prod_raw)
    assert path == f"{PATH}.instanceTypes"
    assert msg.startswith(f"instanceTypes {types} differ in GPU count or model [(1, ")
    assert fix == "keep types with the same GPUs per node in one pool; declare another pool for the others."


def test_a_rate_above_the_smallest_bandwidth(prod_raw):
    # c32g1.8xlarge: 16 Gbit/s, the smallest of the three types
    _pool(prod_raw)["rateLimits"]["ingressMbit"] = 16001
    assert refusals(prod_raw) == [(f"{PATH}.rateLimits",
                                  "ingressMbit = 16001 exceeds 16000 Mbit/s, the smallest bandwidth of the pool's instance types.",
                                  "set ingressMbit between 1 and 16000.")]


def test_a_rate_at_the_smallest_bandwidth_is_accepted(prod_raw):
    _pool(prod_raw)["rateLimits"]["egressMbit"] = 16000
    assert load(prod_raw).regions[0].elastic_pools[0].rate_limits.egress_mbit == 16000


def test_a_label_the_kubelet_may_not_set_names_a_prefix_of_your_own(prod_raw):
    _pool(prod_raw)["labels"] = {"node-role.kubernetes.io/gpu": ""}
    assert refusals(prod_raw) == [(f"{PATH}.labels",
                                  "label key 'node-role.kubernetes.io/gpu' is in a namespace the kubelet may not set (NodeRestriction).",
                                  "use your own prefix, e.g. example.com/gpu.")]


def test_spot_without_a_limit(prod_raw):
    _pool(prod_raw)["billing"] = {"onDemandPercentageAboveBase": 99}
    assert refusals(prod_raw) == [(f"{PATH}.billing",
                                  "onDemandPercentageAboveBase below 100 buys spot instances but spotPriceLimit is not set.",
                                  "set spotPriceLimit (CNY/hour): the pool buys spot as SpotWithPriceLimit.")]


def test_all_pay_as_you_go_needs_no_limit(prod_raw):
    _pool(prod_raw)["billing"] = {"onDemandPercentageAboveBase": 100}
    assert load(prod_raw).regions[0].elastic_pools[0].billing.uses_spot is False


def test_a_driver_branch_one_type_lacks_is_refused(prod_raw):
    _pool(prod_raw)["driver"]["branch"] = "580"
    assert refusals(prod_raw) == [(f"{PATH}.driver", "driver branch 580 is not offered for family gn7i (Alibaba lists 470, 535, 550).",
                                  "set branch to one of 470, 535, 550.")]


def test_the_rate_limit_is_the_smallest_bandwidth_of_mixed_types(prod_raw):
    # gn6i: c24g1.6xlarge 7.5 Gbit/s, c4g1.xlarge 4 Gbit/s, one T4 each (Alibaba's gn6i table, instance_types.py)
    _pool(prod_raw).update(instanceTypes=["ecs.gn6i-c24g1.6xlarge", "ecs.gn6i-c4g1.xlarge"], gpuModelSeries="T4",
                           rateLimits={"egressMbit": 3000, "ingressMbit": 4001})
    assert refusals(prod_raw) == [(f"{PATH}.rateLimits",
                                  "ingressMbit = 4001 exceeds 4000 Mbit/s, the smallest bandwidth of the pool's instance types.",
                                  "set ingressMbit between 1 and 4000.")]


def test_every_type_is_checked_against_the_driver_table(prod_raw):
    # eight A100 each: gn7e is in Alibaba's driver table, ebmgn7ex is not, so an install cannot be checked
    _pool(prod_raw).update(instanceTypes=["ecs.gn7e-c16g1.32xlarge", "ecs.ebmgn7ex.32xlarge"], gpuModelSeries="A100")
    ((path, msg, _),) = refusals(prod_raw)
    assert path == f"{PATH}.driver"
    assert msg == "Alibaba's driver table lists no driver branch for family ebmgn7ex, so an install cannot be checked."


# --- instance types outside the GPU families or the known-spec table, egress, GPUs per node ---------

def test_a_type_outside_the_gpu_families_is_refused_naming_them(prod_raw):
    # ecs.g7 is a general-purpose family (no GPU): the pool's nodes could never offer nvidia.com/gpu
    _pool(prod_raw)["instanceTypes"] = ["ecs.g7.2xlarge"]
    ((path, msg, fix),) = refusals(prod_raw)
    assert path == f"{PATH}.instanceTypes"
    assert msg.startswith("'ecs.g7.2xlarge' is not a GPU instance type.")
    assert fix == "use GPU families such as ecs.gn7i-*, ecs.gn7e-*."


def test_a_gpu_type_outside_the_known_spec_table_suggests_its_near_neighbour(prod_raw):
    # a one-character slip of c32g1.8xlarge, which the table lists: the refusal points at it
    _pool(prod_raw)["instanceTypes"] = ["ecs.gn7i-c32g1.9xlarge"]
    ((path, msg, fix),) = refusals(prod_raw)
    assert path == f"{PATH}.instanceTypes"
    assert msg.startswith("instance type ecs.gn7i-c32g1.9xlarge is not in the known-spec table. "
                          "Did you mean ecs.gn7i-c32g1.8xlarge")
    assert fix == "use a type from hybrid/instance_types.py (placement and the driver check need its GPUs)."


def test_an_egress_above_the_smallest_bandwidth_names_egress(prod_raw):
    # c32g1.8xlarge: 16 Gbit/s, the smallest of prod's three types
    _pool(prod_raw)["rateLimits"]["egressMbit"] = 16001
    assert refusals(prod_raw) == [(f"{PATH}.rateLimits",
                                  "egressMbit = 16001 exceeds 16000 Mbit/s, the smallest bandwidth of the pool's instance types.",
                                  "set egressMbit between 1 and 16000.")]


@pytest.mark.parametrize("types,series,gpus", [(["ecs.gn7i-c32g1.8xlarge"], "A10", 1),
                                               (["ecs.gn7i-c32g1.16xlarge"], "A10", 2)])
def test_gpus_per_node_of_a_pool_of_one_type(prod_raw, types, series, gpus):
    # Alibaba's gn7i table: c32g1.8xlarge one A10, c32g1.16xlarge two (instance_types.py)
    _pool(prod_raw).update(instanceTypes=types, gpuModelSeries=series)
    assert load(prod_raw).regions[0].elastic_pools[0].gpus_per_node == gpus
