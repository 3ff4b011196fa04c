"""Offline-plan artifact: the placement's Karmada objects when the stack does not apply them.

With ``registration.fleet.apply`` the program declares the PropagationPolicies,
FederatedHPAs, PriorityClasses and their ClusterPropagationPolicy on the Fleet: they are
in ``resources.json`` and ``manifests/`` like every declared object, and this writer adds
nothing. Without it (a stack with no Fleet target, e.g. dev) nothing applies them, so the
plan writes the same documents under ``not-applied/`` with a README saying so: they are
computed from the validated model alone (pure, deterministic), as the program computes
the ``placement`` stack output.
"""

from __future__ import annotations

from hybrid.model import Platform
from hybrid.placement_platform import plan_placement
from hybrid_tools.artifacts import dump_yaml
from hybrid_tools.mockrun import ProgramRun

NOT_APPLIED = "not-applied"
README = (
    "NOT APPLIED: the stack declares no Fleet target (registration.fleet.enabled and apply), so nothing "
    "creates these Karmada objects; they show what the ACK One Fleet would receive. Cluster names are "
    "placement names; applied, they become the Fleet members' cluster ids.\n"
)


def propagation_policies(platform: Platform, _: ProgramRun) -> dict[str, str]:
    placement = plan_placement(platform)
    if placement.applied:
        return {}
    files = {f"{NOT_APPLIED}/{path}": dump_yaml(doc) for path, doc in sorted(placement.policies().items())}
    if files:
        files[f"{NOT_APPLIED}/README.md"] = README
    return files
