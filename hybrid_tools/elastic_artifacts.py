"""Plan artifacts of the elastic pools, read from the recorded run (what the engine would be sent).

* ``elastic/hybrid-elastic-node.sh``: the node script object's recorded content (a Pulumi
  secret: it carries the join token), with the bundle array shown as a count: the bundles are
  gzip'd tar archives in base64, where no redaction could find the token;
* ``elastic/<pool>/<path>``: each bundle unpacked, every file redacted, so reviewers
  read exactly the files a node of that pool gets;
* ``elastic/snapshots.yaml``: which node pool creates its data disks from which snapshot, from
  the recorded ``cs.NodePool`` inputs.
"""

from __future__ import annotations

import base64
import io
import re
import shlex
import tarfile
from typing import Any

from hybrid import shtemplate, yamlio
from hybrid.model import Platform
from hybrid_tools.gpu_artifacts import redact_text
from hybrid_tools.mockrun import ProgramRun, secret_payload

OBJECT_TYPE = "alicloud:oss/bucketObject:BucketObject"
NODE_POOL_TYPE = "alicloud:cs/nodePool:NodePool"
_ARRAY_RE = re.compile(r"^(POOLS|BUNDLES)=\((.*)\)$", re.M)


def _arrays(script: str) -> dict[str, list[str]]:
    """The POOLS and BUNDLES arrays of the rendered header (shlex-quoted words)."""
    head = script[script.index(shtemplate.BEGIN):script.index(shtemplate.END)]
    return {m.group(1): _words(m.group(2)) for m in _ARRAY_RE.finditer(head)}


# shlex's whitespace, and the characters that make it do more than split on it.
_BLANKS_RE = re.compile(r"[ \t\r\n]+")
_QUOTING = frozenset("'\"\\")


def _words(text: str) -> list[str]:
    """``shlex.split(text)``. Words shlex.quote left bare (base64 bundles: tens of KB that shlex
    reads a character at a time) are only split on shlex's whitespace, which is all shlex does
    with a text without quotes or backslashes."""
    if _QUOTING.isdisjoint(text):
        return [w for w in _BLANKS_RE.split(text) if w]
    return shlex.split(text)


def _unpack(bundle: str) -> list[tuple[str, str]]:
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(bundle)), mode="r:gz") as tar:
        return [(m.name, tar.extractfile(m).read().decode()) for m in tar.getmembers() if m.isfile()]


def _whole(x: Any) -> Any:
    """Recorded numbers come back as floats; a disk size is a whole number of GiB."""
    return int(x) if isinstance(x, float) and x.is_integer() else x


def elastic_pools(_: Platform, run: ProgramRun) -> dict[str, str]:
    out: dict[str, str] = {}
    pools: list[dict[str, Any]] = []
    for reg in sorted(run.registrations.values(), key=lambda r: r.urn):
        if reg.type == NODE_POOL_TYPE:
            tags = reg.inputs.get("tags") or {}
            disks = reg.inputs.get("dataDisks") or [{}]
            labels = {x["key"]: x.get("value", "") for x in reg.inputs.get("labels") or []}
            pools.append({"nodePool": reg.inputs.get("nodePoolName"), "pool": tags.get("pool"),
                          "snapshotId": disks[0].get("snapshotId", ""), "dataDiskGib": _whole(disks[0].get("size")),
                          "labels": labels})
        if reg.type != OBJECT_TYPE or "content" not in reg.inputs:
            continue
        script = secret_payload(reg.inputs["content"])
        if not isinstance(script, str):
            raise RuntimeError("the node script object's content was recorded in clear text; it must be a Pulumi secret")
        arrays = _arrays(script)
        names, bundles = arrays["POOLS"], arrays["BUNDLES"]
        summary = f"BUNDLES=(...)  # {len(bundles)} bundle(s), unpacked under elastic/<pool>/"
        shown = _ARRAY_RE.sub(lambda m, summary=summary: m.group(0) if m.group(1) == "POOLS" else summary, script)
        out["elastic/hybrid-elastic-node.sh"] = redact_text(shown, run.secret_values)
        for name, bundle in zip(names, bundles):
            for path, text in _unpack(bundle):
                out[f"elastic/{name}/{path}"] = redact_text(text, run.secret_values)
    if pools:
        out["elastic/snapshots.yaml"] = yamlio.dump(sorted(pools, key=lambda p: p["pool"] or ""), sort_keys=True,
                                                    default_flow_style=False, width=yamlio.NO_WRAP)
    return out
