"""Plan artifacts of the GPU pools: the cloud-init each pool's instances receive, secrets redacted.

Read from the ``userData`` input the instances were registered with (the whole
document is a Pulumi secret because it embeds the CA hash, from secret config; the join
token is never in it): what the engine would send, not a second rendering from the model.
"""

from __future__ import annotations

from typing import Any

from hybrid import yamlio
from hybrid.model import Platform
from hybrid.redaction import REDACTED
from hybrid_tools.mockrun import ProgramRun, secret_payload

INSTANCE_TYPE = "alicloud:ecs/instance:Instance"
# A secret value inside a YAML document becomes the marker as a YAML scalar (quoted:
# a bare "[secret]" would read as a flow sequence).
_MARKER_SCALAR = yamlio.dump(REDACTED, default_flow_style=True, width=yamlio.NO_WRAP).split("\n")[0]


def redact_text(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret value replaced by the redaction marker, longest first."""
    for value in sorted(secrets, key=lambda v: (-len(v), v)):
        text = text.replace(value, _MARKER_SCALAR)
    return text


def _user_data(inputs: dict[str, Any], secrets: tuple[str, ...]) -> str:
    recorded = inputs.get("userData")
    clear = secret_payload(recorded)
    if not isinstance(clear, str):
        # User-data must reach the engine as a secret: it carries the CA hash from secret config.
        raise RuntimeError("an instance's userData was recorded in clear text; it must be a Pulumi secret")
    return redact_text(clear, secrets)


def gpu_cloud_init(_: Platform, run: ProgramRun) -> dict[str, str]:
    """``cloud-init/<region>-<pool>.yaml``: the recorded user-data of the pool's instances."""
    out: dict[str, str] = {}
    for reg in sorted(run.registrations.values(), key=lambda r: r.urn):
        if reg.type != INSTANCE_TYPE or "userData" not in reg.inputs:
            continue
        tags = reg.inputs.get("tags") or {}
        path = f"cloud-init/{tags['region']}-{tags['pool']}.yaml"
        text = _user_data(reg.inputs, run.secret_values)
        if out.setdefault(path, text) != text:
            raise RuntimeError(f"instances of one pool got different user-data ({path}); the pool's nodes must be alike")
    return out
