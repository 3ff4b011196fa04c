"""hybrid/model/base.py: the shared string, path, host and CIDR types, each judged on hand-picked values.

Sources: Kubernetes label syntax (kubernetes.io/docs/concepts/overview/working-with-objects/labels/
#syntax-and-character-set: optional DNS-subdomain prefix of at most 253 characters and '/', a name of at
most 63 of [A-Za-z0-9_.-] starting and ending alphanumeric); RFC 6890's special-purpose blocks
(0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4); RFC 3696 s2 (a top-level label starts
with a letter); RFC 1035 (a DNS name of at most 253 characters, labels of at most 63); Unicode general
categories Cc, Cf, Zl, Zp (U+000A LINE FEED is Cc, U+202E RIGHT-TO-LEFT OVERRIDE is Cf, U+2028 LINE
SEPARATOR is Zl, U+2029 PARAGRAPH SEPARATOR is Zp). Each value below is written out by hand.
"""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from hybrid.errors import FieldError
from hybrid.model.base import (AbsPath, Cidr, Host, LabelKey, PlainText, RegionId, RoutableCidr, net, overlaps,
                               whole_match, zone_in_region)

HOST_FIX = "give an IPv4 address such as 10.0.0.10 or a DNS name such as apiserver.idc.example.com, without scheme, port or spaces."
LABEL_FIX = ("use [prefix/]name: an optional DNS subdomain prefix, then up to 63 of A-Z a-z 0-9 - _ . starting and "
             "ending alphanumeric.")
PATH_FIX = "use /dir/sub with letters, digits and _ . @ + - only, no '.' or '..' components, no trailing '/'."
ROUTABLE_FIX = "use a private block such as 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16."


def ok(kind, value):
    return TypeAdapter(kind).validate_python(value)


def refused(kind, value) -> tuple[str, str]:
    """(message, fix) of the refusal."""
    with pytest.raises(ValidationError) as info:
        ok(kind, value)
    (err,) = info.value.errors()
    error = err["ctx"]["error"]
    assert isinstance(error, FieldError)
    return str(error).split(" Fix: ")[0], error.fix


# --- whole_match ------------------------------------------------------------------------

def test_whole_match_takes_the_whole_value():
    check = whole_match(r"[a-z]+", "a lower-case word", "use a-z only.")
    assert check("abc") == "abc"
    for value in ("abc1", "1abc", ""):
        with pytest.raises(FieldError) as info:
            check(value)
        assert (str(info.value), info.value.fix) == (f"{value!r} is not a lower-case word. Fix: use a-z only.", "use a-z only.")


def test_whole_match_quotes_80_characters():
    check = whole_match(r"[a-z]+", "a lower-case word", "use a-z only.")
    with pytest.raises(FieldError) as info:
        check("A" * 100)
    assert str(info.value) == f"'{'A' * 80}' is not a lower-case word. Fix: use a-z only."


# --- plain text -------------------------------------------------------------------------

def test_plain_text_keeps_printable_text():
    assert ok(PlainText, "Training data, 2026 (é, 中文)") == "Training data, 2026 (é, 中文)"


def test_each_control_category_is_refused_with_its_code_point():
    fix = "remove line breaks, tabs and other control characters."
    for char, code in (("\n", "U+000A"), ("\u202e", "U+202E"), ("\u2028", "U+2028"), ("\u2029", "U+2029")):
        assert refused(PlainText, f"a{char}b") == (f"{'a' + char + 'b'!r} contains control characters ['{code}'].", fix)


def test_control_characters_are_listed_sorted_once_and_at_most_five():
    # a NUL, then tab twice, ESC, LF, CR, DEL: six distinct, sorted by code point, the first five shown
    msg, _ = refused(PlainText, "x\x7f\t\x1b\n\r\t\x00")
    assert msg.endswith(" contains control characters ['U+0000', 'U+0009', 'U+000A', 'U+000D', 'U+001B'].")


def test_plain_text_refusal_quotes_60_characters():
    value = "a" * 70 + "\n"
    assert refused(PlainText, value)[0] == f"'{'a' * 60}' contains control characters ['U+000A']."


# --- label keys ---------------------------------------------------------------------------

def test_label_keys_with_and_without_prefix():
    for key in ("gpu", "hybrid.example.com/cloud", "a" * 63, "a" * 253 + "/x", "k8s.io/A_b.c-d"):
        assert ok(LabelKey, key) == key


def test_bad_label_keys_are_refused():
    for key in ("", "a" * 64, "-gpu", "gpu-", "a/b/c", "/gpu", "Example.com/gpu", "a" * 254 + "/x", "example.com/",
                "ex_ample.com/gpu"):
        assert refused(LabelKey, key) == (f"{key[:80]!r} is not a Kubernetes label/taint key.", LABEL_FIX), key


# --- absolute paths -----------------------------------------------------------------------

def test_plain_absolute_paths_up_to_255_characters():
    for path in ("/data", "/mnt/idc/data_sets/v1.2@x+y-z", "/" + "a" * 254):
        assert ok(AbsPath, path) == path


def test_paths_that_are_not_plain_are_refused():
    for path in ("data", "/data/", "/", "/a/../b", "/a/./b", "/..", "/.", "/a b", "/a$b", "/" + "a" * 255):
        assert refused(AbsPath, path) == (f"{path[:80]!r} is not a plain absolute path.", PATH_FIX), path


# --- hosts ----------------------------------------------------------------------------------

def test_addresses_and_names_that_are_hosts():
    for host in ("10.0.0.10", "1.2.3.4", "223.255.255.254", "apiserver.idc.example.com",
                 "idc.local.", "k8s-api", "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61):
        assert ok(Host, host) == host


def test_scheme_port_path_space_and_control_characters_are_refused():
    for host in ("https://10.0.0.10", "10.0.0.10:6443", "api/v1", "api server", "api\tserver", "api\u202eserver"):
        assert refused(Host, host) == (f"{host[:80]!r} is not a bare host (scheme, port, path or whitespace found).",
                                       HOST_FIX), host


def test_a_long_host_with_a_port_is_quoted_to_80_characters():
    host = "a" * 90 + ":6443"
    assert refused(Host, host)[0] == f"'{'a' * 80}' is not a bare host (scheme, port, path or whitespace found)."


def test_dotted_values_that_are_not_ipv4_are_refused():
    for host in ("10.0.0", "10.0.0.0.1", "10..0.1", "10.0.0.256", "10.0.0.01", "1000.0.0.1", "10.0.0.00"):
        assert refused(Host, host) == (f"{host!r} is not a valid IPv4 address.", HOST_FIX), host


def test_ipv4_addresses_in_special_blocks_are_refused():
    for host, kind in (("127.0.0.1", "loopback (127.0.0.0/8)"), ("169.254.10.1", "link-local (169.254.0.0/16)"),
                       ("0.0.0.0", "in 0.0.0.0/8 ('this network')"), ("224.0.0.1", "multicast (224.0.0.0/4)"),
                       ("255.255.255.255", "reserved (240.0.0.0/4, incl. broadcast)")):
        assert refused(Host, host) == (f"{host} is {kind}; cloud nodes cannot reach the apiserver there.", HOST_FIX), host


def test_names_that_are_not_dns_names_are_refused():
    long = "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 62  # 254 characters
    for host in ("", "Api.example.com", "api.example.comX", "api.example.X.", "-api.example", "api-.example", "host.123a", "10.0.0.1a", "a..b", long,
                 "a" * 64 + ".com"):
        assert refused(Host, host) == (f"{host[:80]!r} is not a DNS name.", HOST_FIX), host


# --- CIDRs -----------------------------------------------------------------------------------

def test_cidrs_written_as_their_network():
    for cidr in ("10.32.0.0/16", "0.0.0.0/0", "192.168.1.7/32"):
        assert ok(Cidr, cidr) == cidr


def test_values_that_are_not_ipv4_networks_are_refused():
    assert refused(Cidr, "10.32.0.0") == ("'10.32.0.0' is not a CIDR.", "write it as ADDRESS/PREFIX, e.g. 10.32.0.0/16.")
    bad = "use an IPv4 network with a prefix from /0 to /32, e.g. 10.32.0.0/16."
    for cidr in ("10.32.0.0/33", "10.32.0/16x", "abc/8", "10.32.0.0/-1"):
        assert refused(Cidr, cidr) == (f"{cidr!r} is not a valid CIDR (bad address or prefix length).", bad), cidr
    assert refused(Cidr, "fd00::/8") == (
        "'fd00::/8' is IPv6.", "give an IPv4 CIDR; IPv6 blocks are assigned by Alibaba Cloud (set ipv6: true).")
    assert refused(Cidr, "10.32.1.0/16") == ("'10.32.1.0/16' has host bits set.", "use the network address 10.32.0.0/16.")


def test_routable_cidrs_end_where_the_special_blocks_begin():
    for cidr in ("1.0.0.0/8", "126.255.255.0/24", "128.0.0.0/8", "169.253.0.0/16", "169.255.0.0/16", "223.255.255.0/24"):
        assert ok(RoutableCidr, cidr) == cidr


def test_cidrs_touching_a_special_block_are_refused():
    for cidr, kind in (("0.0.0.0/8", "in 0.0.0.0/8 ('this network')"), ("126.0.0.0/7", "loopback (127.0.0.0/8)"),
                       ("127.255.255.255/32", "loopback (127.0.0.0/8)"), ("169.254.255.0/24", "link-local (169.254.0.0/16)"),
                       ("224.0.0.0/24", "multicast (224.0.0.0/4)"), ("240.0.0.0/4", "reserved (240.0.0.0/4, incl. broadcast)"),
                       ("0.0.0.0/0", "in 0.0.0.0/8 ('this network')")):
        assert refused(RoutableCidr, cidr) == (f"{cidr} overlaps {kind}.", ROUTABLE_FIX), cidr


def test_overlaps_on_hand_worked_ranges():
    assert overlaps("10.0.0.0/24", "10.0.0.255/32")      # last address shared
    assert overlaps("10.0.1.0/32", "10.0.0.0/23")        # contained
    assert overlaps("10.0.0.0/8", "10.200.0.0/16")
    assert overlaps("10.0.0.255/32", "10.0.0.0/24")      # starts on the other's last address
    assert not overlaps("10.0.0.0/24", "10.0.1.0/24")    # adjacent
    assert not overlaps("10.0.1.0/24", "10.0.0.0/24")
    assert (net("10.0.0.0/30").first, net("10.0.0.0/30").last) == (167772160, 167772163)


# --- regions and zones ----------------------------------------------------------------------

def test_region_ids_known_misspelt_and_unknown():
    assert ok(RegionId, "ap-southeast-1") == "ap-southeast-1"
    assert refused(RegionId, "cn-bejing") == (
        "'cn-bejing' is not an Alibaba Cloud region.",
        "did you mean cn-beijing or cn-nanjing or cn-qingdao? regions known: hybrid/regions.py.")
    assert refused(RegionId, "xx-nowhere") == ("'xx-nowhere' is not an Alibaba Cloud region.", "regions known: hybrid/regions.py.")
    assert refused(RegionId, "Beijing") == ("'Beijing' is not an Alibaba Cloud region id.",
                                            "use an id such as cn-beijing, cn-hangzhou or ap-southeast-1.")


def test_zone_in_region():
    assert zone_in_region("cn-beijing-g", "cn-beijing")
    assert zone_in_region("ap-southeast-1a", "ap-southeast-1")
    assert not zone_in_region("cn-beijing-g", "cn-hangzhou")
    assert not zone_in_region("cn-beijing-gh", "cn-beijing")
    assert not zone_in_region("cn-beijingx-g", "cn-beijing")
    assert not zone_in_region("xcn-beijing-g", "cn-beijing")
