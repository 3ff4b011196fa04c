"""Offline-plan artifacts of the placement: in-cluster tiering patches, and Fleet objects not applied.

``tiering/``: per workload, the pod-template patch that orders the tiers inside the hybrid
cluster (every stack: the program does not own the workloads, their owner applies it).
``not-applied/``: with a Fleet target that does not apply (``registration.fleet.apply:
false``), the Fleet objects the program would declare, with a README saying so. With
``apply`` they are declared resources (``resources.json``, ``manifests/``); without a Fleet
there are none. All computed from the validated model alone (pure, deterministic).
"""

from __future__ import annotations

from hybrid.model import Platform
from hybrid.placement_platform import plan_placement
from hybrid_tools.artifacts import dump_yaml
from hybrid_tools.mockrun import ProgramRun

NOT_APPLIED = "not-applied"
README = (
    "NOT APPLIED: the stack's Fleet target does not apply (registration.fleet.apply: false), so nothing "
    "creates these Fleet objects; they show what the ACK One Fleet would receive. Cluster names are "
    "Fleet member names; applied, they become the members' cluster ids.\n"
)
TIERING_README = (
    "Pod-template patches that order the tiers inside the hybrid cluster (IDC, cloud pools, elastic pools, "
    "virtual node). The program does not own the workloads: their owner applies each patch with "
    "`kubectl patch <kind> <name> -n <namespace> --type strategic --patch-file <file>`. What they cannot "
    "guarantee is listed per workload in the stack output placement.<workload>.hybridCluster.notGuaranteed.\n"
)


def propagation_policies(platform: Platform, _: ProgramRun) -> dict[str, str]:
    """``tiering/``: the in-cluster patches (every stack); ``not-applied/``: the Fleet objects of a
    Fleet target that does not apply them (none without a Fleet)."""
    placement = plan_placement(platform)
    files = {path: dump_yaml(doc) for path, doc in sorted(placement.tiering().items())}
    if files:
        files["tiering/README.md"] = TIERING_README
    if not placement.applied:
        fleet = {f"{NOT_APPLIED}/{path}": dump_yaml(doc) for path, doc in sorted(placement.policies().items())}
        if fleet:
            fleet[f"{NOT_APPLIED}/README.md"] = README
        files.update(fleet)
    return files
