"""hybrid/model/disk.py: the ESSD performance-level rule at each level's boundary.

Source: Alibaba Cloud ECS "ESSDs" (https://help.aliyun.com/document_detail/122389.html), capacity
range per performance level: PL0 40-32768 GiB, PL1 20-32768, PL2 461-32768, PL3 1261-32768; only
ESSDs (category cloud_essd) have performance levels. Each case loads dev with its first GPU
pool's data disk changed (500 GiB cloud_essd in stacks/Pulumi.dev.yaml).
"""

from __future__ import annotations

import copy

import pytest

from hybrid.errors import ConfigError
from hybrid.model import load

PATH = "regions[0].gpuPools[0].dataDisk"


def _load(dev_raw, **disk):
    dev_raw["regions"][0]["gpuPools"][0]["dataDisk"].update(disk)
    return load(dev_raw)


def _issue(dev_raw, **disk):
    with pytest.raises(ConfigError) as info:
        _load(dev_raw, **disk)
    (issue,) = info.value.issues
    assert issue.path == PATH
    return issue


@pytest.mark.parametrize("level,smallest", [("PL0", 40), ("PL1", 20), ("PL2", 461), ("PL3", 1261)])
def test_smallest_size_of_each_level_is_accepted(dev_raw, level, smallest):
    disk = _load(dev_raw, performanceLevel=level, size=smallest).regions[0].gpu_pools[0].data_disk
    assert (disk.performance_level, disk.size) == (level, smallest)


@pytest.mark.parametrize("level,smallest", [("PL0", 40), ("PL2", 461), ("PL3", 1261)])
def test_one_gib_less_is_refused_naming_the_minimum(dev_raw, level, smallest):
    issue = _issue(dev_raw, performanceLevel=level, size=smallest - 1)
    assert issue.message == f"an ESSD at {level} needs at least {smallest} GiB; size is {smallest - 1}."
    assert f"raise size to {smallest}" in issue.fix


@pytest.mark.parametrize("category", ["cloud_auto", "cloud_essd_entry", "cloud_ssd", "cloud_efficiency"])
def test_a_level_on_another_category_is_refused(dev_raw, category):
    issue = _issue(dev_raw, category=category, performanceLevel="PL1")
    assert issue.message == f"performanceLevel PL1 is set on a {category} disk; only cloud_essd has performance levels."
    assert "cloud_essd" in issue.fix


def test_other_categories_without_a_level_are_accepted(dev_raw):
    assert _load(dev_raw, category="cloud_auto").regions[0].gpu_pools[0].data_disk.category == "cloud_auto"


def test_a_kms_key_needs_encryption(dev_raw):
    issue = _issue(dev_raw, encrypted=False, kmsKeyId="key-abc123")
    assert issue.message == "kmsKeyId is set but encrypted is false."
    assert "encrypted: true" in issue.fix


def test_unencrypted_without_a_key_is_accepted(dev_raw):
    disk = _load(dev_raw, encrypted=False).regions[0].gpu_pools[0].data_disk
    assert (disk.encrypted, disk.kms_key_id) == (False, None)


def test_disks_are_encrypted_unless_the_stack_says_otherwise(dev_raw):
    disk = _load(dev_raw).regions[0].gpu_pools[0].data_disk
    assert disk.encrypted is True


# The fix names the keys as the stack file spells them (camelCase, as dataDisk's keys in
# stacks/Pulumi.dev.yaml), and following either alternative it offers loads the stack.

def test_the_fix_for_a_level_off_essd_names_the_keys_and_each_alternative_loads(dev_raw):
    issue = _issue(copy.deepcopy(dev_raw), category="cloud_ssd", performanceLevel="PL1")
    assert issue.fix == "drop performanceLevel or use category: cloud_essd."
    dropped = _load(copy.deepcopy(dev_raw), category="cloud_ssd").regions[0].gpu_pools[0].data_disk
    assert (dropped.category, dropped.performance_level) == ("cloud_ssd", None)
    essd = _load(copy.deepcopy(dev_raw), category="cloud_essd", performanceLevel="PL1").regions[0].gpu_pools[0].data_disk
    assert (essd.category, essd.performance_level) == ("cloud_essd", "PL1")


def test_the_fix_for_a_key_without_encryption_names_the_keys_and_each_alternative_loads(dev_raw):
    issue = _issue(copy.deepcopy(dev_raw), encrypted=False, kmsKeyId="key-abc123")
    assert issue.fix == "set encrypted: true or drop kmsKeyId."
    on = _load(copy.deepcopy(dev_raw), encrypted=True, kmsKeyId="key-abc123").regions[0].gpu_pools[0].data_disk
    assert (on.encrypted, on.kms_key_id) == (True, "key-abc123")
    off = _load(copy.deepcopy(dev_raw), encrypted=False).regions[0].gpu_pools[0].data_disk
    assert (off.encrypted, off.kms_key_id) == (False, None)
