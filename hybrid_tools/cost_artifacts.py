"""Plan artifact ``cost.json``: per pool and in total, hourly and monthly (see hybrid/cost.py).

Computed from the model (the pools' shapes and leases), not a declared resource."""

from __future__ import annotations

from hybrid.model import Platform
from hybrid_tools import cost_cli
from hybrid_tools.mockrun import ProgramRun


def cost(platform: Platform, _: ProgramRun) -> dict[str, str]:
    return cost_cli.artifact(platform)
