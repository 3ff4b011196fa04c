"""hybrid/model/gpu.py: a fixed GPU pool's zones, billing, preloads, taints, disks, rates and instance spec.

Sources: Alibaba's GPU instance tables (hybrid/instance_types.py: ecs.gn7i-c8g1.2xlarge 8 vCPU, 30 GiB,
1 A10, 16 Gbit/s; gn7i carries A10, gn6i T4); ECS RunInstances SpotStrategy SpotWithPriceLimit needs a
price limit (alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-runinstances); the API
server refuses a node whose taints repeat a key and effect (kubernetes validation of node.spec.taints).
Expected values are read off dev's a10-dev pool by hand (stacks/Pulumi.dev.yaml): zones [cn-beijing-g],
data disk 500 GiB at /data, system disk the default 100 GiB, rateLimits egress 500 / ingress 2000, one
preload sample-corpus -> /data/datasets/sample-corpus at 400 Mbit/s.
"""

from __future__ import annotations

import copy

from hybrid.model import load
from tests.conftest import refusals

POOL = "regions[0].gpuPools[0]"
PATH_FIX = ("use rsync://HOST[:PORT]/MODULE/PATH/ or /mnt/..., with letters, digits and _ . @ + - in names, "
            "no '.' or '..' components.")


def _pool(raw):
    return raw["regions"][0]["gpuPools"][0]


def _preload(raw, i=0):
    return _pool(raw)["preload"][i]


def _second_preload(raw, **fields):
    p = copy.deepcopy(_preload(raw))
    p.update(fields)
    _pool(raw)["preload"].append(p)


# --- zones, billing -------------------------------------------------------------------------

def test_a_zone_listed_twice_is_refused(dev_raw):
    _pool(dev_raw)["zones"] = ["cn-beijing-g", "cn-beijing-g"]
    assert refusals(dev_raw) == [(f"{POOL}.zones", "zones ['cn-beijing-g', 'cn-beijing-g'] list a zone twice.",
                                  "list each zone once.")]


def test_spot_without_a_price_limit_is_refused(dev_raw):
    _pool(dev_raw)["billing"] = {"strategy": "Spot"}
    assert refusals(dev_raw) == [(f"{POOL}.billing", "strategy Spot needs spotPriceLimit.",
                                  "set spotPriceLimit (CNY/hour): the pool buys spot as SpotWithPriceLimit.")]


def test_pay_as_you_go_needs_no_limit_and_spot_keeps_its_limit(dev_raw):
    b = load(dev_raw).regions[0].gpu_pools[0].billing
    assert (b.strategy, b.spot_price_limit) == ("Spot", 6.5)
    _pool(dev_raw)["billing"] = {}
    b = load(dev_raw).regions[0].gpu_pools[0].billing
    assert (b.strategy, b.spot_price_limit) == ("PayAsYouGo", None)


# --- preload sources and targets ------------------------------------------------------------

def test_a_source_that_is_neither_rsync_nor_a_path_is_refused(dev_raw):
    _preload(dev_raw)["source"] = "ftp://10.9.0.20/datasets/"
    assert refusals(dev_raw) == [(f"{POOL}.preload[0].source",
                                  "preload source 'ftp://10.9.0.20/datasets/' is neither rsync:// nor an absolute path.",
                                  "use rsync://HOST/MODULE/PATH/ or a mounted directory such as /mnt/idc/datasets/x/.")]


def test_rsync_urls_and_directories_are_accepted_as_written(dev_raw):
    _preload(dev_raw)["source"] = "/mnt/idc/datasets/sample-corpus/"  # the trailing '/' is rsync's "contents of"
    _second_preload(dev_raw, name="with-port", source="rsync://10.9.0.20:873/datasets/x", target="/data/datasets/x")
    pre = load(dev_raw).regions[0].gpu_pools[0].preload
    assert [p.source for p in pre] == ["/mnt/idc/datasets/sample-corpus/", "rsync://10.9.0.20:873/datasets/x"]


def test_a_source_with_shell_characters_names_them_sorted(dev_raw):
    _preload(dev_raw)["source"] = "/mnt/a b'$"
    # the set {' ', "'", '$'} sorted by code point: space 32, $ 36, ' 39
    assert refusals(dev_raw) == [(f"{POOL}.preload[0].source", "\"/mnt/a b'$\" contains [' ', '$', \"'\"].",
                                  "use a path without whitespace, quotes, backslashes or $.")]


def test_rsync_url_with_shell_characters_is_refused_by_character(dev_raw):
    _preload(dev_raw)["source"] = "rsync://h/x`id`"
    assert refusals(dev_raw) == [(f"{POOL}.preload[0].source", "'rsync://h/x`id`' contains ['`'].",
                                  "use a path without whitespace, quotes, backslashes or $.")]


def test_dot_components_anywhere_are_refused(dev_raw):
    for source in ("/mnt/idc/../x", "/mnt/idc/..", "/mnt/./x/", "rsync://h/m/."):
        _preload(dev_raw)["source"] = source
        assert refusals(dev_raw) == [(f"{POOL}.preload[0].source",
                                      f"preload source {source!r} is not a plain rsync URL or path.", PATH_FIX)], source


def test_a_long_bad_source_is_quoted_to_80_characters(dev_raw):
    source = "rsync://h/" + "a" * 100 + "/%"  # '%' is outside the name characters
    _preload(dev_raw)["source"] = source
    assert refusals(dev_raw) == [(f"{POOL}.preload[0].source",
                                  "preload source 'rsync://h/" + "a" * 70 + "' is not a plain rsync URL or path.",
                                  PATH_FIX)]


# --- preloads on the data disk -----------------------------------------------------------------

def test_a_preload_name_used_twice_is_refused(dev_raw):
    _second_preload(dev_raw, target="/data/other")
    assert refusals(dev_raw) == [(f"{POOL}.preload", "preload[1].name 'sample-corpus' is used twice.",
                                  "give every preload its own name.")]


def test_targets_outside_the_mount_or_on_it_are_refused(dev_raw):
    for target in ("/datasets/x", "/data", "/database/x"):
        _preload(dev_raw)["target"] = target
        assert refusals(dev_raw) == [(f"{POOL}.preload", f"preload[0].target {target!r} is outside the data disk mount /data.",
                                      "put the target under /data/, e.g. /data/datasets/sample-corpus.")], target


def test_the_mount_of_the_data_disk_is_the_one_read(dev_raw):
    _pool(dev_raw)["dataDisk"]["mountPath"] = "/scratch"
    _preload(dev_raw)["target"] = "/scratch/datasets/sample-corpus"
    assert load(dev_raw).regions[0].gpu_pools[0].preload[0].target == "/scratch/datasets/sample-corpus"
    _preload(dev_raw)["target"] = "/data/datasets/sample-corpus"
    assert refusals(dev_raw) == [(f"{POOL}.preload",
                                  "preload[0].target '/data/datasets/sample-corpus' is outside the data disk mount /scratch.",
                                  "put the target under /scratch/, e.g. /scratch/datasets/sample-corpus.")]


def test_nested_or_equal_targets_are_refused_either_way_round(dev_raw):
    fix = "give every dataset its own directory; the completion markers would clash."
    for second in ("/data/datasets/sample-corpus/sub", "/data/datasets", "/data/datasets/sample-corpus"):
        raw = copy.deepcopy(dev_raw)
        _second_preload(raw, name="second", target=second)
        assert refusals(raw) == [(f"{POOL}.preload", f"preload[1].target {second} overlaps preload[0].target "
                                                     "/data/datasets/sample-corpus.", fix)], second


def test_the_third_target_is_compared_with_each_earlier_one(dev_raw):
    _second_preload(dev_raw, name="second", target="/data/models")
    _second_preload(dev_raw, name="third", target="/data/models/llama")
    assert refusals(dev_raw) == [(f"{POOL}.preload", "preload[2].target /data/models/llama overlaps preload[1].target "
                                                     "/data/models.",
                                  "give every dataset its own directory; the completion markers would clash.")]


def test_sibling_targets_sharing_a_prefix_are_accepted(dev_raw):
    _second_preload(dev_raw, name="second", target="/data/datasets/sample-corpus2")
    assert [p.target for p in load(dev_raw).regions[0].gpu_pools[0].preload] == [
        "/data/datasets/sample-corpus", "/data/datasets/sample-corpus2"]


def test_preload_rate_up_to_the_ingress_limit(dev_raw):
    _preload(dev_raw)["rateMbit"] = 2000  # rateLimits.ingressMbit of a10-dev
    assert load(dev_raw).regions[0].gpu_pools[0].preload[0].rate_mbit == 2000
    _preload(dev_raw)["rateMbit"] = 2001
    assert refusals(dev_raw) == [(f"{POOL}.preload", "preload[0].rateMbit 2001 exceeds rateLimits.ingressMbit 2000.",
                                  "lower rateMbit to at most rateLimits.ingressMbit.")]


def test_preload_rate_is_compared_with_ingress_not_egress(dev_raw):
    _pool(dev_raw)["rateLimits"] = {"egressMbit": 3000, "ingressMbit": 1000}
    _preload(dev_raw)["rateMbit"] = 1500
    assert refusals(dev_raw) == [(f"{POOL}.preload", "preload[0].rateMbit 1500 exceeds rateLimits.ingressMbit 1000.",
                                  "lower rateMbit to at most rateLimits.ingressMbit.")]


def test_without_valid_rate_limits_only_the_rate_limits_are_reported(dev_raw):
    _pool(dev_raw)["rateLimits"] = {"egressMbit": 0, "ingressMbit": 100}
    assert [path for path, _, _ in refusals(dev_raw)] == [f"{POOL}.rateLimits.egressMbit"]


def test_without_a_valid_data_disk_the_preload_is_not_reported(dev_raw):
    _pool(dev_raw)["dataDisk"]["size"] = 10
    assert [path for path, _, _ in refusals(dev_raw)] == [f"{POOL}.dataDisk.size"]


# --- taints ----------------------------------------------------------------------------------

def test_a_taint_repeating_key_and_effect_names_both_indices(dev_raw):
    _pool(dev_raw)["taints"] = [{"key": "a"}, {"key": "b"}, {"key": "a", "effect": "NoExecute"},
                                {"key": "b", "value": "x", "effect": "NoSchedule"}]
    assert refusals(dev_raw) == [(f"{POOL}.taints", "taints[3] repeats taints[1] (b:NoSchedule).",
                                  "list each key and effect once.")]


def test_one_key_with_different_effects_is_accepted(dev_raw):
    _pool(dev_raw)["taints"] = [{"key": "a"}, {"key": "a", "effect": "NoExecute"}, {"key": "b", "effect": "NoExecute"}]
    t = load(dev_raw).regions[0].gpu_pools[0].taints
    assert [(x.key, x.effect) for x in t] == [("a", "NoSchedule"), ("a", "NoExecute"), ("b", "NoExecute")]


# --- instance type, driver, disks, rates ------------------------------------------------------------

def test_a_cpu_type_is_refused_with_close_gpu_types(dev_raw):
    _pool(dev_raw)["instanceType"] = "ecs.gm7i-c8g1.2xlarge"  # one letter off gn7i
    (issue,) = refusals(dev_raw)
    assert issue[:2] == (f"{POOL}.instanceType", "'ecs.gm7i-c8g1.2xlarge' is not a GPU instance type. "
                                                 "Did you mean ecs.gn7i-c8g1.2xlarge or ecs.gn7i-c48g1.12xlarge?")
    assert issue[2] == "use a GPU family such as ecs.gn7i-c32g1.8xlarge, ecs.gn6i-*, ecs.gn7e-* or ecs.ebmgn7ex-*."


def test_a_pool_without_driver_names_its_instance_type(dev_raw):
    del _pool(dev_raw)["driver"]
    ((path, message, _),) = refusals(dev_raw)
    assert (path, message.split(" is a GPU")[0]) == (f"{POOL}.driver", "ecs.gn7i-c8g1.2xlarge")


def test_equal_disk_sizes_are_refused_against_the_given_system_disk(dev_raw):
    _pool(dev_raw)["dataDisk"]["size"] = 100  # the system disk's default
    assert refusals(dev_raw) == [(f"{POOL}.dataDisk", "size 100 GiB equals systemDisk.size, so the node could not tell "
                                                      "the data disk apart.",
                                  "give the data disk a different size than the system disk.")]
    _pool(dev_raw)["systemDisk"] = {"size": 120}
    assert load(dev_raw).regions[0].gpu_pools[0].data_disk.size == 100
    _pool(dev_raw)["dataDisk"]["size"] = 120
    assert [path for path, _, _ in refusals(dev_raw)] == [f"{POOL}.dataDisk"]


def test_an_invalid_system_disk_is_reported_alone(dev_raw):
    _pool(dev_raw)["systemDisk"] = {"size": 10}
    assert [path for path, _, _ in refusals(dev_raw)] == [f"{POOL}.systemDisk.size"]


def test_rates_up_to_the_instance_bandwidth(dev_raw):
    _pool(dev_raw)["rateLimits"] = {"egressMbit": 16000, "ingressMbit": 16000}  # gn7i-c8g1.2xlarge: 16 Gbit/s
    assert load(dev_raw).regions[0].gpu_pools[0].rate_limits.egress_mbit == 16000
    for key in ("egressMbit", "ingressMbit"):
        raw = copy.deepcopy(dev_raw)
        _pool(raw)["rateLimits"][key] = 16001
        assert refusals(raw) == [(f"{POOL}.rateLimits",
                                  f"{key} = 16001 exceeds the 16000 Mbit/s bandwidth of ecs.gn7i-c8g1.2xlarge.",
                                  f"set {key} between 1 and 16000.")]


def _custom(raw, gpu_model="A10", bandwidth=1500):
    _pool(raw).update(instanceType="ecs.gn7i-c9g1.3xlarge", instanceSpec={
        "vcpu": 9, "memoryGib": 32, "gpus": 1, "gpuModel": gpu_model, "bandwidthMbit": bandwidth})


def test_a_custom_spec_is_the_pools_spec_and_bandwidth(dev_raw):
    _custom(dev_raw)
    _pool(dev_raw)["rateLimits"]["ingressMbit"] = 1500
    spec = load(dev_raw).regions[0].gpu_pools[0].spec
    assert (spec.vcpu, spec.memory_gib, spec.gpus, spec.gpu_model, spec.bandwidth_mbit) == (9, 32, 1, "A10", 1500)
    _pool(dev_raw)["rateLimits"]["ingressMbit"] = 2000
    assert refusals(dev_raw) == [(f"{POOL}.rateLimits",
                                  "ingressMbit = 2000 exceeds the 1500 Mbit/s bandwidth of ecs.gn7i-c9g1.3xlarge.",
                                  "set ingressMbit between 1 and 1500.")]


def test_a_known_type_is_its_table_spec(dev_raw):
    spec = load(dev_raw).regions[0].gpu_pools[0].spec
    assert (spec.vcpu, spec.memory_gib, spec.gpus, spec.gpu_model, spec.bandwidth_mbit) == (8, 30, 1, "A10", 16000)


def test_an_unknown_type_without_spec_is_refused(dev_raw):
    _pool(dev_raw)["instanceType"] = "ecs.gn7i-c9g1.3xlarge"
    assert refusals(dev_raw) == [(POOL, "instance type ecs.gn7i-c9g1.3xlarge is not in the known-spec table. "
                                        "Did you mean ecs.gn7i-c32g1.32xlarge or ecs.gn7i-c8g1.2xlarge?",
                                  "add instanceSpec {vcpu, memoryGib, gpus, gpuModel, bandwidthMbit} to the pool.")]


def test_a_custom_spec_contradicting_its_family_is_refused(dev_raw):
    _custom(dev_raw, gpu_model="T4", bandwidth=2000)
    assert refusals(dev_raw) == [(POOL, "instanceSpec.gpuModel T4 contradicts ecs.gn7i-c9g1.3xlarge, whose family carries A10.",
                                  "set instanceSpec.gpuModel: A10.")]


def test_a_custom_spec_of_a_family_outside_the_table_is_taken_as_given(dev_raw):
    _pool(dev_raw).update(instanceType="ecs.gn8is-c9g1.3xlarge", gpuModelSeries="L20", instanceSpec={
        "vcpu": 9, "memoryGib": 32, "gpus": 1, "gpuModel": "L20", "bandwidthMbit": 2000})
    _pool(dev_raw)["driver"] = {"source": "image", "branch": "535"}  # no Tesla table row for gn8is: image only
    assert load(dev_raw).regions[0].gpu_pools[0].spec.gpu_model == "L20"


def test_gpu_model_series_must_match_the_instance_type(dev_raw):
    _pool(dev_raw)["gpuModelSeries"] = "T4"
    assert refusals(dev_raw) == [(POOL, "gpuModelSeries T4 contradicts ecs.gn7i-c8g1.2xlarge, which carries A10 GPUs.",
                                  "set gpuModelSeries: A10.")]


def test_rates_are_checked_against_the_spec_when_the_type_is_invalid(dev_raw):
    _pool(dev_raw).update(instanceType="gpu-large", instanceSpec={
        "vcpu": 9, "memoryGib": 32, "gpus": 1, "gpuModel": "A10", "bandwidthMbit": 1500})
    assert (f"{POOL}.rateLimits", "ingressMbit = 2000 exceeds the 1500 Mbit/s bandwidth of the instance type.",
            "set ingressMbit between 1 and 1500.") in refusals(dev_raw)


def test_letters_of_any_case_are_plain_in_a_source(dev_raw):
    _preload(dev_raw)["source"] = "rsync://10.9.0.20/datasets/X-corpus/"  # upper case, no shell character
    assert load(dev_raw).regions[0].gpu_pools[0].preload[0].source == "rsync://10.9.0.20/datasets/X-corpus/"
