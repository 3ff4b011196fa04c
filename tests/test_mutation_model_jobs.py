"""hybrid/model/jobs.py: the ranges a jobs entry must respect, each at both sides of its limit, and
the field path, message and fix of each refusal.

Hand-worked from prod (stacks/Pulumi.prod.yaml, jobs): tenants llm-research 64..160, inference
32..96, data 8..32 GPUs; service llm-serve at 4 replicas, autoscaling 2..16 with cron rules
weekday-peak 8..16 and night 2..16; jobs llm-finetune (PyTorchJob, 4 pods), embed-corpus (Job, 8
pods of {8 CPU, 32Gi, 1 GPU} in the elastic tier). A limit "at most" is inclusive: equal is
accepted, one past it is refused.
"""

from __future__ import annotations

import pytest

from hybrid.model import load
from tests.conftest import refusals

SPARK = {"type": "Python", "sparkVersion": "3.5.5", "mainApplicationFile": "local:///opt/spark/work-dir/embed.py"}


def _spark(raw, replicas):
    """embed-corpus as a SparkApplication of ``replicas`` pods (1 driver + replicas-1 executors)."""
    raw["jobs"]["sparkOperator"] = {"version": "v2.5.2"}
    raw["jobs"]["jobs"][1].update(kind="SparkApplication", gang=False, spark=dict(SPARK), replicas=replicas)
    return raw


# --- Tenant: minGpus <= maxGpus ------------------------------------------------------

def test_a_tenant_whose_floor_is_its_ceiling_is_accepted(prod_raw):
    prod_raw["jobs"]["tenants"][2].update(minGpus=32, maxGpus=32)
    t = load(prod_raw).jobs.tenants[2]
    assert (t.min_gpus, t.max_gpus) == (32, 32)


def test_a_tenant_floor_one_above_its_ceiling_is_refused(prod_raw):
    prod_raw["jobs"]["tenants"][1]["minGpus"] = 97  # inference's ceiling is 96
    assert refusals(prod_raw) == [("jobs.tenants[1]", "minGpus 97 is more than maxGpus 96.", "lower minGpus or raise maxGpus.")]


# --- Job: spark given exactly for SparkApplication, which needs 2 pods ----------------

def test_spark_on_a_pytorchjob_is_refused(prod_raw):
    prod_raw["jobs"]["jobs"][0]["spark"] = dict(SPARK)
    assert refusals(prod_raw) == [("jobs.jobs[0]", "spark is given exactly for kind SparkApplication.",
                                   "give spark {type, sparkVersion, mainApplicationFile} with kind SparkApplication, and only then.")]


def test_a_spark_application_without_spark_is_refused(prod_raw):
    _spark(prod_raw, 8)
    del prod_raw["jobs"]["jobs"][1]["spark"]
    assert refusals(prod_raw) == [("jobs.jobs[1]", "spark is given exactly for kind SparkApplication.",
                                   "give spark {type, sparkVersion, mainApplicationFile} with kind SparkApplication, and only then.")]


def test_a_spark_application_of_a_driver_and_one_executor_is_accepted(prod_raw):
    job = load(_spark(prod_raw, 2)).jobs.jobs[1]
    assert (job.kind, job.replicas, job.spark.type) == ("SparkApplication", 2, "Python")


def test_a_spark_application_of_a_driver_alone_is_refused(prod_raw):
    assert refusals(_spark(prod_raw, 1)) == [
        ("jobs.jobs[1]", "a SparkApplication needs a driver and at least one executor (replicas >= 2).", "set replicas to 2 or more.")]


# --- ServiceAutoscaling: minReplicas <= maxReplicas, and per cron rule -----------------

def _autoscaling(raw):
    return raw["jobs"]["services"][0]["autoscaling"]


def test_autoscaling_with_min_equal_to_max_is_accepted(prod_raw):
    prod_raw["jobs"]["services"][0]["replicas"] = 4
    _autoscaling(prod_raw).update(minReplicas=4, maxReplicas=4)
    a = load(prod_raw).jobs.services[0].autoscaling
    assert (a.min_replicas, a.max_replicas) == (4, 4)


def test_autoscaling_min_one_above_max_is_refused(prod_raw):
    _autoscaling(prod_raw)["minReplicas"] = 17  # maxReplicas 16
    assert refusals(prod_raw) == [("jobs.services[0].autoscaling", "minReplicas 17 is more than maxReplicas 16.",
                                   "lower minReplicas or raise maxReplicas.")]


def test_a_cron_rule_with_min_equal_to_max_is_accepted(prod_raw):
    _autoscaling(prod_raw)["cron"][1].update(targetMinReplicas=16, targetMaxReplicas=16)
    c = load(prod_raw).jobs.services[0].autoscaling.cron[1]
    assert (c.target_min_replicas, c.target_max_replicas) == (16, 16)


@pytest.mark.parametrize("i", [0, 1])
def test_a_cron_rule_min_above_max_is_refused_naming_that_rule(prod_raw, i):
    # Both rules end at 16: the refusal names the index of the rule that is wrong, not the first.
    _autoscaling(prod_raw)["cron"][i]["targetMinReplicas"] = 17
    assert refusals(prod_raw) == [("jobs.services[0].autoscaling", f"cron[{i}] targetMinReplicas 17 is more than targetMaxReplicas 16.",
                                   "lower targetMinReplicas or raise targetMaxReplicas.")]


# --- Service: replicas within [minReplicas, maxReplicas] -------------------------------

@pytest.mark.parametrize("replicas", [2, 16])
def test_a_service_starting_at_either_end_of_its_range_is_accepted(prod_raw, replicas):
    prod_raw["jobs"]["services"][0]["replicas"] = replicas
    assert load(prod_raw).jobs.services[0].replicas == replicas


@pytest.mark.parametrize("replicas", [1, 17])
def test_a_service_starting_outside_its_range_is_refused(prod_raw, replicas):
    prod_raw["jobs"]["services"][0]["replicas"] = replicas
    assert refusals(prod_raw) == [("jobs.services[0]", f"replicas {replicas} is outside autoscaling [2, 16].",
                                   "start at a replica count the FederatedHPA can reach.")]


def test_a_service_without_autoscaling_has_no_range(prod_raw):
    svc = prod_raw["jobs"]["services"][0]
    del svc["autoscaling"]
    svc["replicas"] = 17  # outside the dropped [2, 16]; 17 GPUs, under inference's 96
    assert load(prod_raw).jobs.services[0].replicas == 17
