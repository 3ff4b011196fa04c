"""hybrid.imageref against the cases of github:distribution/reference@4894124 reference_test.go
(TestReferenceParse; expectations copied from there: domain as Parse reports it, tag, digest, or
an error), plus where a pull goes (normalize.go splitDockerDomain) and the never-append rule."""

import pytest

from hybrid import imageref

F64 = "f" * 64

# (input, domain, repository, tag, digest); None for the error cases.
PARSE_CASES = [
    ("test_com", "", "test_com", None, None),
    ("test.com:tag", "", "test.com", "tag", None),
    ("test.com:5000", "", "test.com", "5000", None),
    ("test.com/repo:tag", "test.com", "test.com/repo", "tag", None),
    ("test:5000/repo", "test:5000", "test:5000/repo", None, None),
    ("test:5000/repo:tag", "test:5000", "test:5000/repo", "tag", None),
    (f"test:5000/repo@sha256:{F64}", "test:5000", "test:5000/repo", None, f"sha256:{F64}"),
    (f"test:5000/repo:tag@sha256:{F64}", "test:5000", "test:5000/repo", "tag", f"sha256:{F64}"),
    ("lowercase:Uppercase", "", "lowercase", "Uppercase", None),
    ("a/" * 127 + "a:tag-puts-this-over-max", "a", "a/" * 127 + "a", "tag-puts-this-over-max", None),
    ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "sub-dom1.foo.com/bar/baz/quux", None, None),
    ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "sub-dom1.foo.com/bar/baz/quux", "some-long-tag", None),
    ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "b.gcr.io/test.example.com/my-app", "test.example.com", None),
    ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "xn--n3h.com/myimage", "xn--n3h.com", None),
    ("xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + "f" * 128, "xn--7o8h.com", "xn--7o8h.com/myimage", "xn--7o8h.com", "sha512:" + "f" * 128),
    ("foo_bar.com:8080", "", "foo_bar.com", "8080", None),
    ("foo/foo_bar.com:8080", "foo", "foo/foo_bar.com", "8080", None),
    ("192.168.1.1", "", "192.168.1.1", None, None),
    ("192.168.1.1:tag", "", "192.168.1.1", "tag", None),
    ("192.168.1.1:5000", "", "192.168.1.1", "5000", None),
    ("192.168.1.1/repo", "192.168.1.1", "192.168.1.1/repo", None, None),
    ("192.168.1.1:5000/repo", "192.168.1.1:5000", "192.168.1.1:5000/repo", None, None),
    ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "192.168.1.1:5000/repo", "5050", None),
    ("[2001:db8::1]/repo", "[2001:db8::1]", "[2001:db8::1]/repo", None, None),
    ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "[2001:db8:1:2:3:4:5:6]/repo", "tag", None),
    ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "[2001:db8::1]:5000/repo", None, None),
    ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "[2001:db8::1]:5000/repo", "tag", None),
    (f"[2001:db8::1]:5000/repo@sha256:{F64}", "[2001:db8::1]:5000", "[2001:db8::1]:5000/repo", None, f"sha256:{F64}"),
    ("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "[2001:db8::]:5000/repo", None, None),
    ("[::1]:5000/repo", "[::1]:5000", "[::1]:5000/repo", None, None),
]

ERROR_CASES = [
    "", ":justtag", f"@sha256:{F64}", "repo@sha256:" + "f" * 34,
    f"validname@invaliddigest:{F64}", "Uppercase:tag", "test:5000/Uppercase/lowercase:tag",
    "a/" * 128 + "a:tag", "aa/asdf$$^/aa", "[2001:db8::1]", "[2001:db8::1]:5000", "[2001:db8::1]:tag",
    "[fe80::1%eth0]:5000/repo", "[fe80::1%@invalidzone]:5000/repo",
]


@pytest.mark.parametrize("ref,domain,repository,tag,digest", PARSE_CASES)
def test_upstream_parse_cases(ref, domain, repository, tag, digest):
    r = imageref.parse(ref)
    assert (r.domain, r.name, r.tag, r.digest) == (domain, repository, tag, digest)
    assert str(r) == ref


@pytest.mark.parametrize("ref", ERROR_CASES)
def test_upstream_error_cases(ref):
    with pytest.raises(imageref.ReferenceError):
        imageref.parse(ref)


@pytest.mark.parametrize("ref,registry", [
    # normalize.go: a bare first component is a docker.io path, not a registry.
    ("foo/foo_bar.com:8080", "docker.io"),
    ("nginx:1.27", "docker.io"),
    ("calico/node:v3.28.2", "docker.io"),
    ("registry.k8s.io/kube-proxy:v1.30.4", "registry.k8s.io"),
    ("localhost/x", "localhost"),
    ("10.1.0.30:5000/mirror/kube-proxy:v1.30.4", "10.1.0.30:5000"),
    ("mirror:5000/team/app:1", "mirror:5000"),  # a port alone makes it a registry (a ":" in the first component)
    ("nvcr.io/nvidia/k8s-device-plugin:v0.17.4", "nvcr.io"),
])
def test_registry_a_pull_goes_to(ref, registry):
    assert imageref.parse(ref).registry == registry


def test_tag_is_never_appended_to_a_tagged_or_digested_reference():
    assert imageref.with_tag("nvcr.io/nvidia/k8s-device-plugin", "v0.17.4") == "nvcr.io/nvidia/k8s-device-plugin:v0.17.4"
    for ref in ("nvcr.io/nvidia/k8s-device-plugin:v0.17.4", f"nvcr.io/nvidia/k8s-device-plugin@sha256:{F64}"):
        with pytest.raises(imageref.ReferenceError, match="already carries"):
            imageref.with_tag(ref, "v0.17.4")
    with pytest.raises(imageref.ReferenceError):
        imageref.with_tag("nvcr.io/nvidia/k8s-device-plugin", "-bad")
