"""Who holds a cloud GPU pool, what for, and until when.

Cloud GPU capacity is bought for weeks or months, not forever: every pool may
name its owner (a team), its purpose, the day its lease ends and what happens
then. The instances carry these as tags (``LEASE_TAGS``), so the bill, the
console and the policy pack see the same facts as the stack config.

The model never reads the calendar: the same config is valid on every day,
so preview, refresh and destroy of a stack keep working past a lease's end.
Running a pool past its end is the policy pack's mandatory rule
``ecs-gpu-lease-not-expired`` (policy/rules/lease.py), judged at preview and up
against the day they run: the owner renews (moves ``end`` forward once the
renewal is agreed) or releases the pool (``count: 0``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from hybrid.errors import FieldError
from hybrid.model.base import Model, PlainText

# Tag keys on every instance and disk of a leased pool (the policy pack reads the same keys).
TAG_OWNER, TAG_PURPOSE, TAG_LEASE_END, TAG_RENEWAL = "owner", "purpose", "lease-end", "lease-renewal"

# ECS tag values: at most 128 characters, not starting with "aliyun" or "acs:", no http:// or https://.
# source: Alibaba Cloud ECS API reference, TagResources (Tag.N.Value), alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-tagresources
TAG_VALUE_MAX = 128
_TAG_VALUE_BAD = re.compile(r"^(aliyun|acs:)|https?://", re.I)


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
    end: Day = Field(description="Last day of the lease (YYYY-MM-DD). Past it, preview and up stop (policy ecs-gpu-lease-not-expired) unless count is 0.")
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

