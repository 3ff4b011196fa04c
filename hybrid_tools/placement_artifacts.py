"""Offline-plan artifact: one Karmada / ACK One Fleet PropagationPolicy per workload.

Written to ``build/plan/<stack>/manifests/<namespace>/propagationpolicy-<name>.yaml``.
The policies are computed from the validated model alone (pure, deterministic),
exactly as the program computes the ``placement`` stack output.
"""

from __future__ import annotations

from hybrid.model import Platform
from hybrid.placement_platform import plan_placement
from hybrid_tools.artifacts import dump_yaml, writer
from hybrid_tools.mockrun import ProgramRun


@writer
def propagation_policies(platform: Platform, _: ProgramRun) -> dict[str, str]:
    return {path: dump_yaml(doc) for path, doc in sorted(plan_placement(platform).policies().items())}
