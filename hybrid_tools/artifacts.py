"""Extra plan artifacts beside resources.json / outputs.json: shared helpers and the
generic ``manifests/`` writer.

Each writer gets the validated model and the recorded program run and returns
``{relative path: text}``. Writers must be deterministic and must never put a
secret in clear text. The plan calls exactly the writers listed in
:data:`hybrid_tools.plan.WRITERS` (tests/test_architecture.py fails on a
writer that is defined but not listed).
"""

from __future__ import annotations

from typing import Callable

from hybrid import yamlio

from hybrid.model import Platform
from hybrid_tools.mockrun import REDACTED, ProgramRun, redact, secret_payload

Writer = Callable[[Platform, ProgramRun], dict[str, str]]


def dump_yaml(doc) -> str:
    return yamlio.dump(doc, yamlio.BlockDumper, sort_keys=True, default_flow_style=False, width=yamlio.NO_WRAP)


def k8s_objects(run: ProgramRun, patches: bool = False) -> list[dict]:
    """Every Kubernetes object the program declares, as the API server would receive it.

    ``patches``: the ``*Patch`` resources instead, server-side apply configurations of objects
    the cluster already has (only the fields the program owns, so not valid objects on their own).
    """
    objs = []
    for reg in sorted(run.registrations.values(), key=lambda r: r.urn):
        if not reg.custom or not reg.type.startswith("kubernetes:") or reg.type.startswith("kubernetes:yaml"):
            continue
        if reg.type.endswith("Patch") != patches:
            continue
        obj = redact(reg.inputs)
        if obj.get("kind") == "Secret":
            obj.update(_secret_maps(reg.inputs))
        if "apiVersion" in obj and "kind" in obj:
            objs.append(obj)
    return objs


def _secret_maps(inputs: dict) -> dict:
    """A Secret's data/stringData recorded as one Pulumi secret: the keys with every value
    redacted, so the manifest is still a valid Secret (keys are names, not secrets)."""
    out = {}
    for field in ("data", "stringData"):
        payload = secret_payload(inputs.get(field))
        if isinstance(payload, dict):
            out[field] = {k: REDACTED for k in sorted(payload)}
    return out


def manifest_path(obj: dict, top: str = "manifests") -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or "cluster"
    return f"{top}/{ns}/{obj['kind'].lower()}-{meta.get('name', 'unnamed')}.yaml"


def manifests(_: Platform, run: ProgramRun) -> dict[str, str]:
    """manifests/: whole objects; patches/: the fields applied server-side to objects the cluster has."""
    out = {manifest_path(o): dump_yaml(o) for o in k8s_objects(run)}
    out.update({manifest_path(o, "patches"): dump_yaml(o) for o in k8s_objects(run, patches=True)})
    return out
