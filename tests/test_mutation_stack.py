"""hybrid/stack.py: the platform every entry point loads runs the Fleet-topology and jobs checks after
the model, and reports their problems together."""

from __future__ import annotations

import copy

import pytest

from hybrid.errors import ConfigError
from hybrid.model import load
from hybrid.stack import load_platform
from tests.conftest import stack_raw

PROD = stack_raw("prod")


def _with_duplicate_member(raw: dict) -> dict:
    # a second entry for the ACK cluster of ack-sh-infer (stacks/Pulumi.prod.yaml registration.fleet.members)
    members = raw["registration"]["fleet"]["members"]
    members["ack-sh-again"] = dict(members["ack-sh-infer"])
    return raw


def _with_duplicate_tenant(raw: dict) -> dict:
    raw["jobs"]["tenants"].append(copy.deepcopy(raw["jobs"]["tenants"][0]))
    return raw


def test_a_valid_stack_loads_as_the_model_reads_it():
    for stack in ("prod", "dev"):
        raw = stack_raw(stack)
        assert load_platform(raw) == load(raw)


def test_a_fleet_topology_problem_is_refused():
    raw = _with_duplicate_member(copy.deepcopy(PROD))
    load(raw)  # the model alone accepts it
    with pytest.raises(ConfigError) as e:
        load_platform(raw)
    assert [(i.path, i.message) for i in e.value.issues] == [
        ("registration.fleet.members.ack-sh-infer.clusterId", "c5e7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d is already member 'ack-sh-again'.")]


def test_a_jobs_problem_is_refused():
    raw = _with_duplicate_tenant(copy.deepcopy(PROD))
    load(raw)
    with pytest.raises(ConfigError) as e:
        load_platform(raw)
    assert ("jobs.tenants", "a tenant name is listed twice.") in [(i.path, i.message) for i in e.value.issues]


def test_problems_of_both_checks_come_in_one_error():
    raw = _with_duplicate_tenant(_with_duplicate_member(copy.deepcopy(PROD)))
    with pytest.raises(ConfigError) as e:
        load_platform(raw)
    paths = [i.path for i in e.value.issues]
    assert "registration.fleet.members.ack-sh-infer.clusterId" in paths and "jobs.tenants" in paths
