"""hybrid/instance_types.py: which ECS types are GPU types, their family, and the near-miss hint.

Type names as Alibaba Cloud's instance-family pages and the ECI GPU page spell them
(help.aliyun.com/en/eci/user-guide/create-an-instance-by-specifying-the-gpu-type:
gn5..gn8is, sgn7i-vws, vgn6i/7i-vws; ebmgn7ex bare metal).
"""

from __future__ import annotations

import pytest

from hybrid import instance_types


@pytest.mark.parametrize("name", ["ecs.gn7i-c8g1.2xlarge", "ecs.gn5-c4g1.xlarge", "ecs.gn8is.2xlarge",
                                  "ecs.ebmgn7ex.32xlarge", "ecs.sgn7i-vws-m2.xlarge", "ecs.vgn6i-m4-vws.xlarge",
                                  "ecs.gn6i-c4g1.xlarge"])
def test_gpu_types(name):
    assert instance_types.is_gpu_type(name) is True


@pytest.mark.parametrize("name", ["ecs.g7.large", "ecs.c7.xlarge", "ecs.gn", "ecs.gna.large", "gn7i-c8g1.2xlarge",
                                  "ecs.ebmg7.32xlarge", "ecs.hfc7.large", "xecs.gn7i-c8g1.2xlarge", ""])
def test_not_gpu_types(name):
    assert instance_types.is_gpu_type(name) is False


@pytest.mark.parametrize("name, fam", [("ecs.gn7i-c32g1.8xlarge", "gn7i"), ("ecs.ebmgn7ex.32xlarge", "ebmgn7ex"),
                                       ("gn6i-c4g1.xlarge", "gn6i"), ("ecs.sgn7i-vws-m2.xlarge", "sgn7i"),
                                       ("ecs.g7.large", "g7")])
def test_family(name, fam):
    assert instance_types.family(name) == fam


@pytest.mark.parametrize("name, gpu", [("ecs.gn6i-c4g1.xlarge", "T4"), ("ecs.gn7i-c8g1.2xlarge", "A10"),
                                       ("ecs.gn7e-c16g1.4xlarge", "A100"), ("ecs.ebmgn7ex.32xlarge", "A100"),
                                       # a size the table does not list, of a family it does
                                       ("ecs.gn7i-c8g1.64xlarge", "A10"), ("ecs.gn8is.2xlarge", None),
                                       ("ecs.g7.large", None)])
def test_family_gpu(name, gpu):
    # gn6i: NVIDIA T4, gn7i: A10, gn7e and ebmgn7ex: A100 (the instance-family pages)
    assert instance_types.family_gpu(name) == gpu


def test_did_you_mean_names_the_two_closest_known_types():
    # a dropped last letter: the type meant comes first, then the next closest (difflib ratio 0.93)
    assert instance_types.did_you_mean("ecs.gn7i-c8g1.2xlarg") == (
        " Did you mean ecs.gn7i-c8g1.2xlarge or ecs.gn7i-c48g1.12xlarge?")
    # several sizes at a ratio of 0.95 or more: only two are named
    assert instance_types.did_you_mean("ecs.gn6i-c24g1.xlarge") == (
        " Did you mean ecs.gn6i-c24g1.6xlarge or ecs.gn6i-c4g1.xlarge?")


def test_did_you_mean_is_silent_for_a_type_far_from_every_known_one():
    # closest ratio 0.73, under the cutoff 0.8
    assert instance_types.did_you_mean("ecs.g7.large") == ""
