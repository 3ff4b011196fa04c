"""Every vendor-facing value the program renders that no upstream source confirmed yet.

One place, on purpose: a value that could not be checked against the component's
source or its vendor doc at the version the program renders is *defined here* and
imported by the module that uses it, so the list below is complete by construction
and a confirmation is a one-line move (take the value out of this table, put it next
to its use with the citation).

The offline plan writes this table to ``unconfirmed.json`` and prints how many values
of the stack are unconfirmed; ``hybrid-gpu unconfirmed`` prints the table.

Confirmed values live next to their use with their source (``repo@ref:path`` or a
URL), and the per-concern tables in ``docs/`` gather them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unconfirmed:
    value: str
    used_by: str  # module that renders it
    why: str  # what was looked for and not found
    confirm_by: str  # how an operator with access confirms it before the first real run


UNCONFIRMED: dict[str, Unconfirmed] = {
    "cloudinit.pauseImage": Unconfirmed(
        value="registry-vpc.@REGION@.aliyuncs.com/acs/pause:3.9",
        used_by="hybrid/cloudinit.py",
        why="no public source names the VPC-internal path of the pause image in the regional ACS registry",
        confirm_by="`crictl pull` the rendered reference on one ECS node of the region",
    ),
    "agent.credentialKeys": Unconfirmed(
        value="ca,cert,key,token,url",
        used_by="hybrid/agent.py",
        why="the connector reads these files from /ack-credentials; the key set of the Secret in a "
            "DescribeExternalAgent manifest was not seen",
        confirm_by="compare with the Secret in the manifest DescribeExternalAgent returns for the cluster",
    ),
    "fleet.karmadaVersion": Unconfirmed(
        value="v1.18.2",
        used_by="hybrid/fleet.py",
        why="no Alibaba doc or release note found names the Karmada version an ACK One Fleet instance runs; "
            "v1.18.2 is the newest patch of the first Karmada minor with overflowAffinities, which the dynamic "
            "policies use (tests validate against its CRDs and its static-weight division)",
        confirm_by="`kubectl --kubeconfig <fleet> get crd propagationpolicies.policy.karmada.io -o yaml` and compare "
                   "with tests/data/karmada-v1.18.2/, or read the karmada-scheduler image tag in the Fleet console",
    ),
    "fleet.propagationPolicyApiVersion": Unconfirmed(
        value="policy.karmada.io/v1alpha1",
        used_by="hybrid/fleet.py",
        why="Alibaba's 'Propagation policies and override policies' page shows policy.one.alibabacloud.com/v1alpha1 "
            "and says the Fleet is compatible with the Karmada API; whether it serves policy.karmada.io itself was not seen",
        confirm_by="`kubectl --kubeconfig <fleet> api-resources | grep -i propagationpolic`",
    ),
    "fleet.federatedHpaApiVersion": Unconfirmed(
        value="autoscaling.karmada.io/v1alpha1",
        used_by="hybrid/fleet.py",
        why="no Alibaba doc found that lists FederatedHPA among the Fleet's APIs",
        confirm_by="`kubectl --kubeconfig <fleet> api-resources | grep -i federatedhpa`",
    ),
    "pricing.instanceQuoteIncludesSystemDisk": Unconfirmed(
        value="true",
        used_by="hybrid/pricing_api.py",
        why="the DescribePrice reference says an instance quote takes SystemDisk.* but not whether its TradePrice "
            "includes the system disk; with true the cost view adds no separate system-disk price for pay-as-you-go pools",
        confirm_by="call DescribePrice (ResourceType=instance) for one type with SystemDisk.Size 40 and 500 and compare TradePrice",
    ),
}


def value(key: str) -> str:
    """The value of an unconfirmed entry (modules import their values through this)."""
    return UNCONFIRMED[key].value


def table() -> list[dict[str, str]]:
    return [{"key": k, "value": u.value, "usedBy": u.used_by, "why": u.why, "confirmBy": u.confirm_by}
            for k, u in sorted(UNCONFIRMED.items())]
