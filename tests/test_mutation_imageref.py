"""hybrid.imageref errors against upstream's error values, and the path a reference names.

Expectations: github:distribution/reference reference_test.go TestReferenceParse pairs each
error case with an error value; errors.go gives their text (ErrReferenceInvalidFormat
"invalid reference format", ErrTagInvalidFormat "invalid tag format", ErrNameEmpty
"repository name must have at least one component", ErrNameContainsUppercase "repository
name must be lowercase", ErrNameTooLong "repository name must not be more than 255
characters"); github:opencontainers/go-digest digest.go gives ErrDigestUnsupported
"unsupported digest algorithm" and ErrDigestInvalidLength "invalid checksum digest length".
"""

from __future__ import annotations

import re

import pytest

from hybrid import imageref

F64 = "f" * 64
INVALID = "invalid reference format"
UPPER = "repository name must be lowercase"

UPSTREAM_ERRORS = [
    ("", "repository name must have at least one component"),
    (":justtag", INVALID),
    (f"@sha256:{F64}", INVALID),
    ("repo@sha256:" + "f" * 34, "invalid checksum digest length"),
    (f"validname@invaliddigest:{F64}", "unsupported digest algorithm"),
    ("Uppercase:tag", UPPER),
    ("test:5000/Uppercase/lowercase:tag", UPPER),
    ("a/" * 128 + "a:tag", "must not be more than 255 characters"),
    ("aa/asdf$$^/aa", INVALID),
    ("[2001:db8::1]", INVALID),
    ("[2001:db8::1]:5000", INVALID),
    ("[2001:db8::1]:tag", INVALID),
    ("[fe80::1%eth0]:5000/repo", INVALID),
    ("[fe80::1%@invalidzone]:5000/repo", INVALID),
]


@pytest.mark.parametrize("ref,upstream", UPSTREAM_ERRORS)
def test_error_carries_upstream_error_text(ref, upstream):
    with pytest.raises(imageref.ReferenceError, match=re.escape(upstream)):
        imageref.parse(ref)


@pytest.mark.parametrize("ref,domain,path", [
    # reference.go: Path() is the name without its domain.
    ("test_com", "", "test_com"),
    ("test:5000/repo:tag", "test:5000", "repo"),
    ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux"),
    ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo"),
    (f"nvcr.io/nvidia/k8s-device-plugin@sha256:{F64}", "nvcr.io", "nvidia/k8s-device-plugin"),
])
def test_path_is_the_name_without_its_domain(ref, domain, path):
    r = imageref.parse(ref)
    assert (r.domain, r.path) == (domain, path)


def test_repository_refusal_names_what_the_reference_carries_and_the_fix():
    with pytest.raises(imageref.ReferenceError, match=r"already carries a tag;.*version field"):
        imageref.parse_repository("nvcr.io/nvidia/k8s-device-plugin:v0.17.4")
    with pytest.raises(imageref.ReferenceError, match=r"already carries a digest;.*version field"):
        imageref.parse_repository(f"nvcr.io/nvidia/k8s-device-plugin@sha256:{F64}")


@pytest.mark.parametrize("tag", ["-bad", ".bad", "x" * 129, "v1/2", ""])
def test_bad_tag_is_refused_with_upstream_text(tag):
    # regexp.go: tag = [\w][\w.-]{0,127}
    with pytest.raises(imageref.ReferenceError, match="invalid tag format"):
        imageref.with_tag("nvcr.io/nvidia/k8s-device-plugin", tag)


def test_longest_tag_is_accepted():
    assert imageref.with_tag("busybox", "a" * 128) == "busybox:" + "a" * 128


def test_empty_reference_is_exactly_upstreams_error():
    # ErrNameEmpty carries no reference to quote: the message is upstream's text alone.
    with pytest.raises(imageref.ReferenceError) as info:
        imageref.parse("")
    assert str(info.value) == "repository name must have at least one component"
