"""The pack's entry point (policy/__main__.py) as the engine starts it: its own process, cwd policy/.

``policy/__main__.py`` only builds the ``PolicyPack`` (which serves the analyzer gRPC protocol and
blocks), so it is observed from outside: the gate starts it (hybrid_tools/policy_gate.py
PolicyAnalyzer) and asks ``GetAnalyzerInfo``, the first call the engine makes. The expectation is
the pack's documentation, not its code: the name in policy/README.md's title, and the README's
table of policies with each one's severity and default level.
"""

from __future__ import annotations

import re
from pathlib import Path

from google.protobuf import empty_pb2

from hybrid_tools import policy_gate as pg

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "policy" / "README.md").read_text()


def documented() -> tuple[str, dict[str, tuple[str, str]]]:
    """The pack's name and {policy: (severity, default level)} as policy/README.md states them."""
    name = re.match(r"# Policy pack `([a-z0-9-]+)`\n", README).group(1)
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (\w+) \| (\w+)", README, re.MULTILINE)
    return name, {p: (sev, level) for p, sev, level in rows}


def test_the_pack_process_serves_every_documented_policy_under_the_documented_name():
    name, policies = documented()
    assert len(policies) > 20  # the table was read, not a stray row
    with pg.PolicyAnalyzer() as analyzer:
        info = analyzer.stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == name
    served = {p.name: (pg.SEVERITY_NAMES[p.severity], pg.LEVEL_NAMES[p.enforcementLevel]) for p in info.policies}
    assert served == policies
