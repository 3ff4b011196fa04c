"""The policy pack's policies, one module per area; each policy's name, severity, level,
description and check sit together there (``rules.common`` holds the decorators).

| module | policies on |
| --- | --- |
| ``network`` | security-group exposure, VPC flow logs and CIDRs, Terway's pod vSwitches, the cloud-node label |
| ``compute`` | GPU instances and node pools, disks, user data, OSS, ack-virtual-node, placement capacity |
| ``kubernetes`` | CNI DaemonSets off virtual nodes, hostPath mounts, privileged containers |
| ``identity`` | RAM policies and roles, AccessKeys, Terway's credentials, RBAC on Secrets |
| ``lease`` | owners and leases of cloud GPU instances |

Besides the standard library and pulumi-policy, the pack imports facts from the project's pure
``hybrid`` package (GPU families, the ack-virtual-node floor, tag keys, waiver annotations, the
redaction marker): its PulumiPolicy.yaml runs it with the project's venv (``../.venv``), where
the project is installed editable, so ``import hybrid`` works with cwd policy/ as the engine
starts it (tests/test_architecture.py starts it that way).
"""

from . import compute, identity, kubernetes, lease, network  # noqa: F401  (importing an area registers its policies)
from .common import POLICIES

__all__ = ["PACK_NAME", "POLICIES"]

PACK_NAME = "hybrid-gpu-policies"
