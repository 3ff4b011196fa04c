"""Shared pydantic plumbing: camelCase config keys, CIDR and id types."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Annotated, Callable

import netaddr
from pydantic import AfterValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hybrid import regions
from hybrid.errors import FieldError
from hybrid.partial import Recording


class Model(Recording):
    """Frozen, camelCase in config, unknown keys rejected (typos fail loudly), strict
    types: ``"7"`` is not an integer and ``true`` is not 1 (the program reads nested
    config objects as JSON, so their numbers and booleans arrive typed)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
    )


# --- strings that end up in scripts, unit files, labels and API fields -------

def whole_match(pattern: str, what: str, fix: str) -> Callable[[str], str]:
    """A check that a value matches ``pattern`` whole, else "'<value>' is not <what>." with ``fix``."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise FieldError(f"{value[:80]!r} is not {what}.", fix)
        return value
    return check


def _control_chars(value: str) -> list[str]:
    """Control, format and line/paragraph-separator characters (newline, NUL, ESC, U+202E, U+2028...)."""
    return sorted({f"U+{ord(c):04X}" for c in value if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")})


def _plain_text(value: str) -> str:
    bad = _control_chars(value)
    if bad:
        raise FieldError(f"{value[:60]!r} contains control characters {bad[:5]}.", "remove line breaks, tabs and other control characters.")
    return value


PlainText = Annotated[str, Field(max_length=256), AfterValidator(_plain_text)]

# Kubernetes label/taint syntax: optional DNS-subdomain prefix (<= 253) + '/' + name (<= 63);
# values empty or <= 63 of [A-Za-z0-9_.-] starting and ending alphanumeric.
# source: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
_LABEL_NAME_RE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_DNS_SUBDOMAIN_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _label_key(value: str) -> str:
    prefix, _, name = value.rpartition("/")
    ok = bool(_LABEL_NAME_RE.fullmatch(name)) and (
        not value.count("/") or (value.count("/") == 1 and len(prefix) <= 253 and bool(_DNS_SUBDOMAIN_RE.fullmatch(prefix))))
    if not ok:
        raise FieldError(f"{value[:80]!r} is not a Kubernetes label/taint key.",
                         "use [prefix/]name: an optional DNS subdomain prefix, then up to 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric.")
    return value


_label_value = whole_match(f"({_LABEL_NAME_RE.pattern})?", "a Kubernetes label/taint value",
                           "use at most 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric (or empty).")
LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]

# Paths written into systemd units (Where=, mount units), fstab and shell: absolute, normalised,
# no '..', only characters that need no quoting or escaping in any of those.
_PATH_RE = re.compile(r"(/[A-Za-z0-9_.@+-]+)+")


def _abs_path(value: str) -> str:
    parts = value.split("/")
    if not _PATH_RE.fullmatch(value) or len(value) > 255 or any(p in (".", "..") for p in parts):
        raise FieldError(f"{value[:80]!r} is not a plain absolute path.",
                         "use /dir/sub with letters, digits and _ . @ + - only, no '.' or '..' components, no trailing '/'.")
    return value


AbsPath = Annotated[str, AfterValidator(_abs_path)]

# ECS image ids: ids such as m-bp1g7004ksh0oeuc**** and public image names such as
# ubuntu_22_04_x64_20G_alibase_20240926.vhd (ECS DescribeImages ImageId examples).
_image_id = whole_match(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", "an ECS image id",
                        "use an id such as m-bp1abc... or ubuntu_22_04_x64_20G_alibase_20240926.vhd.")
ImageId = Annotated[str, AfterValidator(_image_id)]

# A resource id of the vendor (KMS key id, ...): letters, digits and - _ : / . only.
_vendor_id = whole_match(r"[A-Za-z0-9][A-Za-z0-9_:/.-]{0,254}", "a resource id",
                         "use the id as the console shows it (letters, digits, - _ : / .).")
VendorId = Annotated[str, AfterValidator(_vendor_id)]


# --- hosts and address ranges ------------------------------------------------

_HOST_LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DOTTED_RE = re.compile(r"[0-9.]+")


def _host(value: str) -> str:
    fix = "give an IPv4 address such as 10.0.0.10 or a DNS name such as apiserver.idc.example.com, without scheme, port or spaces."
    if "://" in value or ":" in value or "/" in value or any(c.isspace() for c in value) or _control_chars(value):
        raise FieldError(f"{value[:80]!r} is not a bare host (scheme, port, path or whitespace found).", fix)
    if _DOTTED_RE.fullmatch(value):
        octets = value.split(".")
        if len(octets) != 4 or any(not o or len(o) > 3 or int(o) > 255 or (len(o) > 1 and o[0] == "0") for o in octets):
            raise FieldError(f"{value!r} is not a valid IPv4 address.", fix)
        kind = _special_kind(netaddr.IPNetwork(f"{value}/32"))
        if kind:
            raise FieldError(f"{value} is {kind}; cloud nodes cannot reach the apiserver there.", fix)
        return value
    labels = value.rstrip(".").split(".") if value else [""]
    # The last label (top-level domain, or a single-label name) starts with a letter (RFC 3696 s2).
    if len(value) > 253 or not all(_HOST_LABEL_RE.fullmatch(lbl) for lbl in labels) or not labels[-1][:1].isalpha():
        raise FieldError(f"{value[:80]!r} is not a DNS name.", fix)
    return value


Host = Annotated[str, AfterValidator(_host)]

# Blocks no VPC, vSwitch or routed on-prem range may use: the address plan would route
# them nowhere useful. source: RFC 6890 special-purpose address registry.
SPECIAL_BLOCKS = {
    "0.0.0.0/8": "in 0.0.0.0/8 ('this network')",
    "127.0.0.0/8": "loopback (127.0.0.0/8)",
    "169.254.0.0/16": "link-local (169.254.0.0/16)",
    "224.0.0.0/4": "multicast (224.0.0.0/4)",
    "240.0.0.0/4": "reserved (240.0.0.0/4, incl. broadcast)",
}


# Their first and last addresses, parsed once (every CIDR and address of a stack is checked against them).
_SPECIAL_RANGES = tuple((netaddr.IPNetwork(block).first, netaddr.IPNetwork(block).last, kind) for block, kind in SPECIAL_BLOCKS.items())


def _special_kind(n: netaddr.IPNetwork) -> str:
    for first, last, kind in _SPECIAL_RANGES:
        if n.first <= last and first <= n.last:
            return kind
    return ""


def _routable_cidr(value: str) -> str:
    kind = _special_kind(netaddr.IPNetwork(value))
    if kind:
        raise FieldError(f"{value} overlaps {kind}.", "use a private block such as 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.")
    return value


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
# A CIDR that traffic is routed to (VPC, vSwitch, on-prem range): not loopback, link-local,
# multicast or reserved.
RoutableCidr = Annotated[str, AfterValidator(_cidr), AfterValidator(_routable_cidr)]

_region_form = whole_match(r"[a-z]{2}(-[a-z]+)+(-[0-9]+)?", "an Alibaba Cloud region id",
                           "use an id such as cn-beijing, cn-hangzhou or ap-southeast-1.")


def _region_id(value: str) -> str:
    if not regions.known_region(_region_form(value)):
        near = regions.closest(value)
        raise FieldError(f"{value!r} is not an Alibaba Cloud region.",
                         (f"did you mean {' or '.join(near)}? " if near else "") + "regions known: hybrid/regions.py.")
    return value


RegionId = Annotated[str, AfterValidator(_region_id)]

_zone_id = whole_match(r"[a-z]{2}(-[a-z]+)+(-[0-9]+)?-?[a-z]", "an Alibaba Cloud zone id",
                       "use an id such as cn-beijing-g or ap-southeast-1a.")
ZoneId = Annotated[str, AfterValidator(_zone_id)]


def zone_in_region(zone: str, region: str) -> bool:
    """``cn-beijing-g`` is in ``cn-beijing``; ``ap-southeast-1a`` is in ``ap-southeast-1``."""
    if not zone.startswith(region):
        return False
    rest = zone[len(region):]
    return bool(re.fullmatch(r"-?[a-z]", rest))


_dns_label = whole_match(r"[a-z]([-a-z0-9]{0,30}[a-z0-9])?", "a short DNS label",
                         "use 1-32 lower-case letters, digits and '-', starting with a letter.")
Name = Annotated[str, AfterValidator(_dns_label)]


# Member-cluster names as Karmada accepts them: a DNS-1123 label of at most 48 characters.
# source: karmada-io/karmada pkg/apis/cluster/validation/validation.go (clusterNameMaxLength = 48,
# ValidateClusterName -> IsDNS1123Label)
_cluster_name = whole_match(r"[a-z0-9]([-a-z0-9]{0,46}[a-z0-9])?", "a cluster name",
                            "use 1-48 lower-case letters, digits and '-', starting and ending with a letter or digit (Karmada's rule).")
ClusterName = Annotated[str, AfterValidator(_cluster_name)]


def net(cidr: str) -> netaddr.IPNetwork:
    return netaddr.IPNetwork(cidr)


@functools.lru_cache(maxsize=4096)
def _span(cidr: str) -> tuple[int, int]:
    """First and last address of ``cidr``: the cross checks compare each CIDR with every
    other, so each string is parsed once."""
    n = net(cidr)
    return n.first, n.last


def overlaps(a: str, b: str) -> bool:
    (a_first, a_last), (b_first, b_last) = _span(a), _span(b)
    return a_first <= b_last and b_first <= a_last
