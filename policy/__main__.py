"""Policy pack entry point: builds the PolicyPack and nothing else.

Constructing ``PolicyPack`` starts the analyzer gRPC server, prints its port and
blocks; the Pulumi engine (``--policy-pack policy``) and ``hybrid-gpu policy``
both start this file as a separate process. The rules live in ``rules/`` (one module per area).
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from rules import PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Guardrails of the hybrid GPU platform: network exposure, disk encryption, CNI placement, virtual node, placement.",
)
