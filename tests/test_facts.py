"""Facts with one home, read the same way by the model, the renderers and the policy pack."""

from __future__ import annotations

import copy

import pytest

from hybrid.errors import ConfigError
from hybrid.instance_types import is_gpu_type
from hybrid.model import load


@pytest.mark.parametrize("instance_type, gpu", [
    # Families from Alibaba's GPU instance-family pages (compute, bare metal, vGPU).
    ("ecs.gn7i-c8g1.2xlarge", True), ("ecs.gn6i-c4g1.xlarge", True), ("ecs.ebmgn7ex.32xlarge", True),
    ("ecs.sgn7i-vws-m2.xlarge", True), ("ecs.vgn6i-m4-vws.xlarge", True), ("ecs.gn8is.2xlarge", True),
    ("ecs.g7.xlarge", False), ("ecs.c7.large", False), ("ecs.gnx.large", False), ("gn7i-c8g1.2xlarge", False),
])
def test_gpu_family_is_one_test_for_model_and_policy(instance_type, gpu):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "policy"))
    try:
        import rules
    finally:
        sys.path.pop(0)
    assert is_gpu_type(instance_type) is gpu
    assert rules.common.is_gpu_instance(instance_type) is gpu


def test_virtual_node_floor_is_shared_with_the_policy_default(dev_raw):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "policy"))
    try:
        import rules
    finally:
        sys.path.pop(0)
    assert rules.compute.VN_SCHEMA.properties["minVersion"]["default"] == "2.13.0"  # PrivateLink endpoints arrived in 2.13.0
    raw = copy.deepcopy(dev_raw)
    raw.setdefault("virtualNode", {})["version"] = "2.12.9"
    with pytest.raises(ConfigError, match="2.13.0"):
        load(raw)


@pytest.mark.parametrize("prefix, ok", [(15, False), (16, True), (29, True), (30, False)])
def test_vswitch_mask_range_is_16_to_29(dev_raw, prefix, ok):
    # Alibaba Cloud: a vSwitch's mask lies between /16 and /29.
    raw = copy.deepcopy(dev_raw)
    raw["regions"][0]["autoPlan"] = {"nodePrefix": prefix}
    try:
        load(raw)
        errors = ""
    except ConfigError as e:
        errors = str(e)
    # Other limits (the VPC's room) may still object; the range check names the allowed range.
    assert ("autoPlan.nodePrefix: Input should be" in errors) is (not ok), errors
