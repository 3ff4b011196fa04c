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
}


def value(key: str) -> str:
    """The value of an unconfirmed entry (modules import their values through this)."""
    return UNCONFIRMED[key].value


def table() -> list[dict[str, str]]:
    return [{"key": k, "value": u.value, "usedBy": u.used_by, "why": u.why, "confirmBy": u.confirm_by}
            for k, u in sorted(UNCONFIRMED.items())]
