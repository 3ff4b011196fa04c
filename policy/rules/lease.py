"""Lease policies: who owns each cloud GPU instance and until when."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Mapping, Optional

from pulumi_policy import PolicyConfigSchema, Severity

import hybrid_clock as clock
from hybrid.model.lease import TAG_LEASE_END, TAG_OWNER
from .common import A, INSTANCE, M, UNKNOWN, cannot_verify, config_of, get, is_gpu_instance, resource_policy


# The pool model tags every GPU instance with its owner and lease (hybrid/model/lease.py
# TAG_OWNER, TAG_LEASE_END). The model never reads the calendar; these rules do, at preview and up,
# through hybrid_clock.today(): the UTC date, or HYBRID_TODAY (YYYY-MM-DD) when set.

LEASE_WINDOW_SCHEMA = PolicyConfigSchema(
    properties={
        "warnDays": {"type": "integer", "minimum": 0, "default": 30,
                     "description": "Report GPU instances whose lease ends within this many days."},
    },
)


def _lease_end(props: Mapping) -> Any:
    """(end date | None | UNKNOWN, problem message or None) of a GPU instance; (None, None) for other types."""
    end = get(props, "tags", TAG_LEASE_END)
    if end is UNKNOWN:
        return UNKNOWN, cannot_verify(f"the {TAG_LEASE_END} tag")
    if end is None:
        return None, None
    try:
        return _dt.date.fromisoformat(str(end)), None
    except ValueError:
        return None, f"Set the {TAG_LEASE_END} tag to the lease's last day as YYYY-MM-DD: {end!r} is not a date."


def _gpu(props: Mapping) -> Any:
    itype = get(props, "instanceType")
    if itype is UNKNOWN:
        return UNKNOWN
    return is_gpu_instance(itype)


@resource_policy(name="ecs-gpu-lease-not-expired", severity=Severity.HIGH, level=M, types=[INSTANCE],
                 description="Run no GPU instance past the end of its pool's lease: release it or renew the lease.")
def check_lease_not_expired(props: Mapping, config: Optional[Mapping] = None, today: Optional[_dt.date] = None) -> list[str]:
    gpu = _gpu(props)
    if gpu is UNKNOWN:
        return [cannot_verify("instanceType (needed to tell whether this is a GPU node)")]
    if not gpu:
        return []
    end, problem = _lease_end(props)
    if problem:
        return [problem]
    if end is None:
        return []
    try:
        day = today or clock.today()
    except ValueError as e:
        return [str(e)]
    if end < day:
        owner = get(props, "tags", TAG_OWNER)
        return [f"Release this GPU instance (set its pool's count to 0) or renew the lease (move lease.end forward): "
                f"the lease of owner {owner if isinstance(owner, str) else 'unknown'} ended on {end.isoformat()}."]
    return []


@resource_policy(name="ecs-gpu-lease-ending-soon", severity=Severity.LOW, level=A, types=[INSTANCE], config_schema=LEASE_WINDOW_SCHEMA,
                 description="Report GPU instances whose lease ends within the stack's warning window.")
def check_lease_ending_soon(props: Mapping, config: Optional[Mapping] = None, today: Optional[_dt.date] = None) -> list[str]:
    if _gpu(props) is not True:
        return []  # an unknown type is reported by the mandatory lease rule
    end, problem = _lease_end(props)
    if problem or end is None or end is UNKNOWN:
        return []
    try:
        day = today or clock.today()
    except ValueError:
        return []  # reported by the mandatory lease rule
    days = int(config_of(config, LEASE_WINDOW_SCHEMA)["warnDays"])
    left = (end - day).days
    if 0 <= left <= days:
        owner = get(props, "tags", TAG_OWNER)
        return [f"Renew or plan the release of this GPU instance: the lease of owner {owner if isinstance(owner, str) else 'unknown'} "
                f"ends on {end.isoformat()}, in {left} day(s) (window {days})."]
    return []


@resource_policy(name="ecs-gpu-owner-tagged", severity=Severity.MEDIUM, level=M, types=[INSTANCE],
                 description="Tag every GPU instance with the team that owns its pool.")
def check_gpu_owner(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    gpu = _gpu(props)
    if gpu is UNKNOWN:
        return [cannot_verify("instanceType (needed to tell whether this is a GPU node)")]
    if not gpu:
        return []
    owner = get(props, "tags", TAG_OWNER)
    if owner is UNKNOWN:
        return [cannot_verify(f"the {TAG_OWNER} tag")]
    if not isinstance(owner, str) or not owner.strip():
        return ["Give this GPU instance's pool a lease with an owner (lease.owner, lease.purpose, lease.end): "
                "cloud GPU capacity without an owner has no one to renew or release it."]
    return []
