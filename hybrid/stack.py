"""The platform as every entry point loads it: the model, then the checks that build on placement.

``hybrid.model.load`` validates the stack config on its own terms. Two checks need more than the
model and so cannot live in it without an import cycle: the Fleet topology
(``hybrid.placement_platform.check_topology``) and the AI jobs' capacity, tiers and Fleet forms
(``hybrid.jobs.check``), which build on placement. Both run here, after the model, and their
problems come together in one ConfigError.
"""

from __future__ import annotations

from typing import Any, Mapping

from hybrid import jobs
from hybrid.errors import ConfigError
from hybrid.model import load
from hybrid.model.platform import Platform
from hybrid.placement_platform import check_topology


def load_platform(raw: Mapping[str, Any]) -> Platform:
    """The validated platform, or a ConfigError naming every problem of the post-model checks."""
    p = load(raw)
    issues = [*check_topology(p), *jobs.check(p)]
    if issues:
        raise ConfigError(issues)
    return p
