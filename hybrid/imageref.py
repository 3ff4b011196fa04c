"""Container image references: the distribution reference grammar, ported.

Source: github:distribution/reference@00a09fa3 ``regexp.go`` (the grammar, built from the same
pieces in the same order) and ``reference.go`` / ``normalize.go`` (``NameTotalLengthMax = 255``;
a first path component is a registry domain when it contains ``.`` or ``:`` or is ``localhost``;
a name without one is on ``docker.io``). Digests: the algorithms go-digest registers
(github:opencontainers/go-digest ``algorithm.go``: sha256, sha384, sha512) with their hex lengths.
Tests: ``tests/test_imageref.py`` runs the cases of ``reference_test.go`` ``TestReferenceParse``.
Error messages carry upstream's error text (``errors.go``: ErrReferenceInvalidFormat, ErrTagInvalidFormat,
ErrNameEmpty, ErrNameContainsUppercase, ErrNameTooLong; go-digest ``digest.go``: ErrDigestUnsupported,
ErrDigestInvalidLength), so a message can be matched against upstream's.

Every image reference a user can set is parsed here before anything renders it, and a tag is
only ever added to a reference that has neither a tag nor a digest (:func:`with_tag`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_LOCALHOST = "localhost"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_OPTIONAL_PORT = r"(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_NAME = _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*"
_HOST = r"(?:" + _DOMAIN_NAME + "|" + _IPV6 + ")"
_DOMAIN_AND_PORT = _HOST + _OPTIONAL_PORT
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_NAME = r"(?:" + _DOMAIN_AND_PORT + r"/)?" + _REMOTE_NAME

# Go's \w is ASCII-only; Python's is Unicode unless re.ASCII.
REFERENCE_RE = re.compile(r"^(" + _NAME + r")(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?$", re.ASCII)
_ANCHORED_NAME_RE = re.compile(r"^(?:(" + _DOMAIN_AND_PORT + r")/)?(" + _REMOTE_NAME + r")$", re.ASCII)
DOMAIN_RE = re.compile(r"^" + _DOMAIN_AND_PORT + r"$", re.ASCII)
TAG_RE = re.compile(r"^" + _TAG + r"$", re.ASCII)

NAME_TOTAL_LENGTH_MAX = 255
DEFAULT_DOMAIN = "docker.io"
# go-digest: algorithm -> hex length of its encoded part.
DIGEST_ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128}


class ReferenceError(ValueError):
    """A string outside the grammar; the message says which rule it breaks."""


@dataclass(frozen=True)
class Reference:
    name: str            # as written, e.g. registry.k8s.io/kube-proxy
    domain: str          # the domain Parse captures ("" when none); see registry for where a pull goes
    path: str
    tag: Optional[str]
    digest: Optional[str]

    @property
    def registry(self) -> str:
        """The registry host namespace a pull goes to (containerd's hosts.toml directory name).

        normalize.go ``splitDockerDomain``: the first component is a registry only if it has a
        ``.`` or ``:``, is ``localhost``, or is not all lower case; otherwise the image is on docker.io.
        """
        first, sep, _ = self.name.partition("/")
        if sep and ("." in first or ":" in first or first == _LOCALHOST or first != first.lower()):
            return first
        return DEFAULT_DOMAIN

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def _split_domain(name: str) -> tuple[str, str]:
    """reference.go ``Parse``: the domain is what the anchored name grammar captures before the first ``/``."""
    m = _ANCHORED_NAME_RE.match(name)
    if not m:
        raise ReferenceError(f"{name!r} is not a repository name")
    return m.group(1) or "", m.group(2)


def parse(ref: str) -> Reference:
    """``ref`` split into name, domain, path, tag and digest, or :class:`ReferenceError`."""
    if ref == "":
        raise ReferenceError("repository name must have at least one component")
    m = REFERENCE_RE.match(ref)
    if not m:
        if REFERENCE_RE.match(ref.lower()):
            raise ReferenceError(f"{ref!r}: repository name must be lowercase")
        raise ReferenceError(f"{ref!r}: invalid reference format (distribution reference grammar)")
    name, tag, digest = m.group(1), m.group(2), m.group(3)
    if len(name) > NAME_TOTAL_LENGTH_MAX:
        raise ReferenceError(f"repository name {name[:40]!r}... must not be more than {NAME_TOTAL_LENGTH_MAX} characters")
    if digest is not None:
        algorithm, _, encoded = digest.partition(":")
        if algorithm not in DIGEST_ALGORITHMS:
            raise ReferenceError(f"{ref!r}: unsupported digest algorithm {algorithm}")
        if len(encoded) != DIGEST_ALGORITHMS[algorithm]:
            raise ReferenceError(f"{ref!r}: invalid checksum digest length")
    domain, path = _split_domain(name)
    return Reference(name, domain, path, tag, digest)


def parse_repository(repo: str) -> Reference:
    """A reference that must name a repository only (no tag, no digest): the program adds the tag."""
    r = parse(repo)
    if r.tag is not None or r.digest is not None:
        raise ReferenceError(f"{repo!r} already carries a {'tag' if r.tag else 'digest'}; give the repository without it "
                             "(the version field supplies the tag)")
    return r


def with_tag(repo: str, tag: str) -> str:
    """``repo:tag`` after checking both; never appends to a reference that has a tag or digest."""
    r = parse_repository(repo)
    if not TAG_RE.match(tag):
        raise ReferenceError(f"tag {tag!r}: invalid tag format")
    return f"{r.name}:{tag}"
