"""Shared pydantic plumbing: camelCase config keys, CIDR and id types."""

from __future__ import annotations

import re
from typing import Annotated

import netaddr
from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from hybrid.errors import FieldError


class Model(BaseModel):
    """Frozen, camelCase in config, unknown keys rejected (typos fail loudly)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


def _cidr(value: str) -> str:
    if not isinstance(value, str) or "/" not in value:
        raise FieldError(f"{value!r} is not a CIDR.", "write it as ADDRESS/PREFIX, e.g. 10.32.0.0/16.")
    try:
        net = netaddr.IPNetwork(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise FieldError(
            f"{value!r} is not a valid CIDR (bad address or prefix length).",
            "use an IPv4 network with a prefix from /0 to /32, e.g. 10.32.0.0/16.",
        ) from None
    if net.version != 4:
        raise FieldError(f"{value!r} is IPv6.", "give an IPv4 CIDR; IPv6 blocks are assigned by Alibaba Cloud (set ipv6: true).")
    if str(net.cidr) != value:
        raise FieldError(f"{value!r} has host bits set.", f"use the network address {net.cidr}.")
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]

_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+(-[0-9]+)?$")


def _region_id(value: str) -> str:
    if not _REGION_RE.match(value):
        raise FieldError(
            f"{value!r} is not an Alibaba Cloud region id.",
            "use an id such as cn-beijing, cn-hangzhou or ap-southeast-1.",
        )
    return value


RegionId = Annotated[str, AfterValidator(_region_id)]

_ZONE_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+(-[0-9]+)?-?[a-z]$")


def _zone_id(value: str) -> str:
    if not _ZONE_RE.match(value):
        raise FieldError(
            f"{value!r} is not an Alibaba Cloud zone id.",
            "use an id such as cn-beijing-g or ap-southeast-1a.",
        )
    return value


ZoneId = Annotated[str, AfterValidator(_zone_id)]


def zone_in_region(zone: str, region: str) -> bool:
    """``cn-beijing-g`` is in ``cn-beijing``; ``ap-southeast-1a`` is in ``ap-southeast-1``."""
    if not zone.startswith(region):
        return False
    rest = zone[len(region):]
    return bool(re.fullmatch(r"-?[a-z]", rest))


_DNS_LABEL_RE = re.compile(r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$")


def _dns_label(value: str) -> str:
    if not _DNS_LABEL_RE.match(value):
        raise FieldError(
            f"{value!r} is not a short DNS label.",
            "use 1-32 lower-case letters, digits and '-', starting with a letter.",
        )
    return value


Name = Annotated[str, AfterValidator(_dns_label)]


def net(cidr: str) -> netaddr.IPNetwork:
    return netaddr.IPNetwork(cidr)


def overlaps(a: str, b: str) -> bool:
    x, y = net(a), net(b)
    return x.first <= y.last and y.first <= x.last
