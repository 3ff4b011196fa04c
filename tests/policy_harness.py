"""Run one policy of the pack the way the analyzer does: its registered check over resources
deserialized by pulumi-policy and wrapped in its unknown-checking proxy, as the engine sends them.

The pack imports its rules as the top-level package ``rules`` (cwd policy/, policy/__main__.py);
so do these helpers.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "policy"))

import rules  # noqa: E402  (policy/rules/, as the pack imports it)
from pulumi_policy import (  # noqa: E402
    PolicyResource, PolicyResourceOptions, ResourceValidationArgs, StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties  # noqa: E402
from pulumi_policy.proxy import unknown_checking_proxy  # noqa: E402

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown sentinel (pulumi-policy proxy)


def opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], None, [], None)


def _urn(rtype: str, name: str) -> str:
    return f"urn:pulumi:prod::hybrid-gpu-platform::{rtype}::{name}"


def _policy(name: str) -> Any:
    return next(p for p in rules.POLICIES if p.name == name)


def res(rtype: str, name: str, props: dict, deps: list | None = None, parent: PolicyResource | None = None) -> PolicyResource:
    """One resource of the stack, for a stack policy."""
    r = PolicyResource(rtype, unknown_checking_proxy(deserialize_properties(props)), _urn(rtype, name), name, opts(),
                       None, None, [], {})
    r.dependencies = deps or []
    r.parent = parent
    return r


def run(policy: str, rtype: str, props: dict, config: dict | None = None) -> list[str]:
    """The violation messages of resource policy ``policy`` for one resource."""
    got: list[str] = []
    args = ResourceValidationArgs(rtype, unknown_checking_proxy(deserialize_properties(props)), _urn(rtype, "x"), "x",
                                  opts(), None, config)
    _policy(policy).validate(args, lambda msg, urn=None: got.append(msg))
    return got


def stack(policy: str, resources: list, config: dict | None = None) -> list[tuple[str, str]]:
    """(message, urn) of each violation of stack policy ``policy``."""
    got: list = []
    _policy(policy).validate(StackValidationArgs(resources, config), lambda msg, urn=None: got.append((msg, urn)))
    return got


def sentence(msg: str, paren: bool = False) -> str:
    """STYLE.md 7: a violation message is a full imperative sentence (``paren``: a closing parenthesis may
    follow its period)."""
    assert re.match(r"[A-Z][a-z]+ ", msg), msg
    assert msg.endswith(".") or (paren and msg.endswith(".)")), msg
    return msg
