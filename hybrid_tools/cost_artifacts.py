"""Plan artifact ``cost.json``: per pool and in total, hourly and monthly (see hybrid/cost.py)."""

from __future__ import annotations

from hybrid.model import Platform
from hybrid_tools import cost_cli
from hybrid_tools.artifacts import writer
from hybrid_tools.mockrun import ProgramRun


@writer
def cost(platform: Platform, _: ProgramRun) -> dict[str, str]:
    return cost_cli.artifact(platform)
