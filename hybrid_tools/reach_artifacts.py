"""``reachability.json``: every endpoint a cloud GPU node contacts, who needs it, the path that serves it.

Computed from the model (``hybrid.model.node_access.report``); the plan only gets here when
every endpoint has a path (the load refuses a stack otherwise), so no row has ``path: null``.
"""

from __future__ import annotations

import json

from hybrid.model import Platform
from hybrid.model.node_access import report
from hybrid_tools.mockrun import ProgramRun


def reachability(platform: Platform, _: ProgramRun) -> dict[str, str]:
    return {"reachability.json": json.dumps(report(platform), indent=2, sort_keys=True) + "\n"}
