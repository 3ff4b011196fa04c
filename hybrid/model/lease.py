"""Who holds a cloud GPU pool, what for, and until when.

Cloud GPU capacity is bought for weeks or months, not forever: every pool may
name its owner (a team), its purpose, the day its lease ends and what happens
then. The instances carry these as tags (``LEASE_TAGS``), so the bill, the
console and the policy pack see the same facts as the stack config.

A lease whose end day has passed is an error unless the pool is being
released (``count: 0``): the owner either renews (moves ``end`` forward after
the renewal is agreed) or lets the capacity go. "Today" is the UTC date, or
``HYBRID_TODAY`` (YYYY-MM-DD) when set, so tests and reruns can pin it; no
plan artifact contains today's date, only the lease's own.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, Iterable, Literal

from pydantic import BeforeValidator, Field, field_validator

from hybrid.errors import ConfigError, ConfigIssue, FieldError
from hybrid.model.base import Model, PlainText

if TYPE_CHECKING:
    from hybrid.model.platform import Platform

TODAY_ENV = "HYBRID_TODAY"

# Tag keys on every instance and disk of a leased pool (the policy pack reads the same keys).
TAG_OWNER, TAG_PURPOSE, TAG_LEASE_END, TAG_RENEWAL = "owner", "purpose", "lease-end", "lease-renewal"

# ECS tag values: at most 128 characters, not starting with "aliyun" or "acs:", no http:// or https://.
# source: Alibaba Cloud ECS API reference, TagResources (Tag.N.Value), alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-tagresources
TAG_VALUE_MAX = 128
_TAG_VALUE_BAD = re.compile(r"^(aliyun|acs:)|https?://", re.I)


def today() -> date:
    """The date leases are checked against: ``HYBRID_TODAY`` if set, else today in UTC."""
    pinned = os.environ.get(TODAY_ENV, "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise ConfigError([ConfigIssue(TODAY_ENV, f"{pinned!r} is not a date.", f"set {TODAY_ENV} to YYYY-MM-DD or unset it.")]) from None
    return datetime.now(timezone.utc).date()


def _iso_day(value: Any) -> Any:
    # YAML reads an unquoted 2027-03-31 as a date, the Pulumi CLI hands the program a string:
    # accept both, but only the plain YYYY-MM-DD form (no timestamps, no epoch numbers).
    if isinstance(value, datetime):
        raise FieldError(f"{value} is a timestamp.", "give the day only, as YYYY-MM-DD.")
    if isinstance(value, date):
        return value
    # A YAML layer that read an unquoted day as a timestamp hands on midnight UTC: that is the day.
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}(T00:00:00Z)?", value):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise FieldError(f"{value!r} is not a date.", "write the lease's last day as YYYY-MM-DD, e.g. 2027-03-31.")


Day = Annotated[date, BeforeValidator(_iso_day)]


def _tag_value(v: str) -> str:
    if len(v) > TAG_VALUE_MAX:
        raise FieldError(f"{len(v)} characters; it becomes an instance tag, which holds at most {TAG_VALUE_MAX}.", "shorten it.")
    if _TAG_VALUE_BAD.search(v):
        raise FieldError(f"{v!r} starts with aliyun / acs: or contains http(s)://, which ECS tag values reject.", "reword it.")
    return v


class Lease(Model):
    owner: str = Field(pattern=r"^[a-z][a-z0-9-]{0,62}$", description="Team that asked for the pool and pays for it (a slug, e.g. ml-research).")
    purpose: PlainText = Field(min_length=1, description="What the capacity is for; at most 128 characters (an instance tag).")
    end: Day = Field(description="Last day of the lease (YYYY-MM-DD). Past it the plan stops unless count is 0.")
    renewal: Literal["request", "release"] = Field(
        default="request",
        description="request: the owner asks for an extension before the end and moves `end`; release: the pool goes to count 0 at the end.",
    )

    @field_validator("purpose")
    @classmethod
    def _purpose_is_a_tag(cls, v: str) -> str:
        return _tag_value(v)

    def tags(self) -> dict[str, str]:
        return {TAG_OWNER: self.owner, TAG_PURPOSE: self.purpose, TAG_LEASE_END: self.end.isoformat(), TAG_RENEWAL: self.renewal}


def check(p: "Platform", on: date | None = None) -> Iterable[ConfigIssue]:
    """Cross check: no pool runs past its lease end."""
    day = on or today()
    for ri, region in enumerate(p.regions):
        for pi, pool in enumerate(region.gpu_pools):
            lease = pool.lease
            if lease is None or pool.count == 0 or lease.end >= day:
                continue
            path = f"regions[{ri}].gpuPools[{pi}].lease.end"
            what = f"the lease of pool {pool.name} ({region.id}, owner {lease.owner}) ended on {lease.end.isoformat()}, but count is {pool.count}."
            if lease.renewal == "release":
                fix = "the lease ends with release: set count: 0 to release the pool."
            else:
                fix = "set count: 0 to release the pool, or move lease.end forward once the renewal is agreed."
            yield ConfigIssue(path, what, fix)
