"""The lease rules (policy/rules/lease.py) over GPU instances shaped as prod's pools send them.

Each instance is built from a pool of stacks/Pulumi.prod.yaml (its instanceType, and the tags the
pool model writes: ``owner`` and ``lease-end`` from ``lease.owner`` / ``lease.end``, as in
build/plan/prod/resources.json), and run through the registered policy the way the analyzer runs
it. The expectations come from the stack (owner, last day), the pack's prod config
(policy/config/prod.json: warnDays) and the calendar worked by hand; messages are checked for
what the user needs (the fix, the owner, the day) and for STYLE.md's form (a full imperative
sentence).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests import policy_harness  # noqa: E402
from tests.policy_harness import ROOT, UNKNOWN, sentence  # noqa: E402

INSTANCE = "alicloud:ecs/instance:Instance"
PROD_WARN_DAYS = json.loads((ROOT / "policy" / "config" / "prod.json").read_text())["ecs-gpu-lease-ending-soon"]["warnDays"]


def _prod_pool(name: str) -> dict:
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"]
    for region in doc["hybrid-gpu-platform:regions"]:
        for pool in region.get("gpuPools", []):
            if pool["name"] == name:
                return pool
    raise LookupError(name)


A100 = _prod_pool("a100-burst")  # lease.owner llm-research, lease.end 2027-03-31, ecs.gn7e-c16g1.16xlarge


def instance(pool: dict = A100, **tag_changes) -> dict:
    """The inputs of one ECS instance of ``pool`` (the keys the provider gets; userData left out)."""
    tags = {"env": "prod", "managed-by": "pulumi", "platform": "hybrid-gpu", "pool": pool["name"],
            "owner": pool["lease"]["owner"], "lease-end": pool["lease"]["end"], "purpose": pool["lease"]["purpose"]}
    for k, v in tag_changes.items():
        k = k.replace("_", "-")
        if v is None:
            tags.pop(k, None)
        else:
            tags[k] = v
    return {"instanceType": pool["instanceType"], "instanceChargeType": "PostPaid", "systemDiskCategory": "cloud_essd",
            "tags": tags, "volumeTags": dict(tags)}


def run(policy: str, props: dict, config: dict | None = None) -> list[str]:
    return policy_harness.run(policy, INSTANCE, props, config)


def on(day: str, monkeypatch) -> None:
    monkeypatch.setenv("HYBRID_TODAY", day)  # hybrid_clock.today(): the day the pack judges on


def test_the_stack_pools_used_here_are_what_the_comments_say():
    assert (A100["lease"]["owner"], A100["lease"]["end"]) == ("llm-research", "2027-03-31")
    assert PROD_WARN_DAYS == 30


# --- ecs-gpu-lease-not-expired ------------------------------------------------------------------

def test_an_expired_lease_is_reported_with_its_owner_its_last_day_and_both_fixes(monkeypatch):
    on("2027-04-01", monkeypatch)  # the day after a100-burst's lease.end
    (msg,) = run("ecs-gpu-lease-not-expired", instance())
    sentence(msg)
    assert "owner llm-research" in msg and "ended on 2027-03-31" in msg
    assert "count to 0" in msg and "lease.end" in msg  # release the pool, or move the lease forward


def test_an_expired_lease_without_an_owner_tag_says_the_owner_is_unknown(monkeypatch):
    on("2027-04-01", monkeypatch)
    (msg,) = run("ecs-gpu-lease-not-expired", instance(owner=None))
    assert "owner unknown ended on 2027-03-31" in msg
    (msg,) = run("ecs-gpu-lease-not-expired", instance(owner=UNKNOWN))  # not known at preview: not a name either
    assert "owner unknown ended" in msg


@pytest.mark.parametrize("policy", ["ecs-gpu-lease-not-expired", "ecs-gpu-owner-tagged"])
def test_an_unknown_instance_type_is_not_passed_and_the_message_names_the_property(policy):
    # a mandatory rule must not pass on a value it cannot see (STYLE.md 7); the property is the
    # provider's input name (pulumi-alicloud ecs.Instance instance_type -> instanceType)
    props = instance()
    props["instanceType"] = UNKNOWN
    (msg,) = run(policy, props)
    sentence(msg)
    assert re.search(r"\binstanceType\b", msg) and "GPU node" in msg


def test_an_unknown_lease_end_is_not_passed_and_the_message_names_the_tag(monkeypatch):
    on("2027-04-01", monkeypatch)
    (msg,) = run("ecs-gpu-lease-not-expired", instance(lease_end=UNKNOWN))
    sentence(msg)
    assert "the lease-end tag" in msg
    assert run("ecs-gpu-lease-ending-soon", instance(lease_end=UNKNOWN), {"warnDays": PROD_WARN_DAYS}) == []


# --- ecs-gpu-lease-ending-soon ------------------------------------------------------------------

def test_the_warning_window_includes_the_lease_s_last_day(monkeypatch):
    # on its last day a lease has not ended (not-expired stays quiet), so only this rule can say so
    on("2027-03-31", monkeypatch)
    assert run("ecs-gpu-lease-not-expired", instance()) == []
    (msg,) = run("ecs-gpu-lease-ending-soon", instance(), {"warnDays": PROD_WARN_DAYS})
    sentence(msg)
    assert "owner llm-research" in msg and "ends on 2027-03-31, in 0 day(s) (window 30)" in msg


def test_the_warning_names_the_owner_or_says_it_is_unknown(monkeypatch):
    on("2027-03-20", monkeypatch)  # 11 days before the end, inside prod's 30
    (msg,) = run("ecs-gpu-lease-ending-soon", instance(), {"warnDays": PROD_WARN_DAYS})
    assert "owner llm-research ends on 2027-03-31, in 11 day(s)" in msg
    (msg,) = run("ecs-gpu-lease-ending-soon", instance(owner=None), {"warnDays": PROD_WARN_DAYS})
    assert "owner unknown ends on 2027-03-31" in msg


def test_a_gpu_instance_without_a_lease_tag_gets_no_warning(monkeypatch):
    on("2027-03-20", monkeypatch)
    assert run("ecs-gpu-lease-ending-soon", instance(lease_end=None), {"warnDays": PROD_WARN_DAYS}) == []
    assert run("ecs-gpu-lease-not-expired", instance(lease_end=None)) == []


# --- ecs-gpu-owner-tagged -------------------------------------------------------------------------

def test_an_unknown_owner_is_not_passed_and_the_message_names_the_tag():
    (msg,) = run("ecs-gpu-owner-tagged", instance(owner=UNKNOWN))
    sentence(msg)
    assert "the owner tag" in msg


@pytest.mark.parametrize("owner", [None, "", "  "])
def test_a_gpu_instance_without_an_owner_is_told_to_get_a_lease_with_one(owner):
    (msg,) = run("ecs-gpu-owner-tagged", instance(owner=owner))
    sentence(msg)
    assert "lease.owner" in msg
    assert run("ecs-gpu-owner-tagged", instance()) == []
