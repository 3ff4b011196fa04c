"""Per-stack policy config (the file `pulumi preview --policy-pack-config` reads).

A stack's policy config holds two kinds of values:

* decisions, written by hand in ``policy/config/<stack>.json``: enforcement
  levels and requirements such as ``requireFlowLogs`` or ``kmsKeyRequiredFor``.
  They say what the stack *must* have, so they cannot come from the stack config
  (the policy would then always agree with whatever the config says);
* facts, derived from the validated stack config: the Service CIDR and IDC
  ranges, the cloud-node label. Copying them by hand would drift, so
  :func:`facts` computes them, ``hybrid-gpu policy --write-config`` writes them
  into the file (keeping the decisions), the offline gate always overlays the
  fresh facts, and a test fails when a checked-in file has drifted, so
  ``pulumi preview`` in CI sees the same values the gate used.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hybrid import cni as cni_plan
from hybrid import identity
from hybrid import safeload
from hybrid.errors import ConfigError, ConfigIssue
from hybrid.model import Platform

CONFIG_DIR = Path(__file__).resolve().parents[1] / "policy" / "config"


def default_path(stack: str) -> Path:
    return CONFIG_DIR / f"{stack}.json"


def facts(platform: Platform) -> dict[str, dict[str, Any]]:
    """Policy properties that follow from the stack config, per policy name."""
    label = platform.cni.cloud_node_label
    return {
        "vpc-no-cidr-overlap": {
            "serviceCidr": platform.idc.service_cidr,
            "idcRanges": [cidr for _, cidr in platform.idc.ranges],
        },
        "stack-gpu-cloud-node-label": {"labelKey": label.key, "labelValue": label.value},
        "k8s-terway-eni-config-zones": {"terwayAddonName": cni_plan.ADDON_NAME,
                                        "terwayAddonVswitchKey": cni_plan.addon_keys()["pod_vswitches"].json},
        "k8s-terway-credentials": {"terwayAddonName": cni_plan.ADDON_NAME, "addonSecretName": identity.ADDON_SECRET},
    }


def load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    doc = safeload.load_json(path)
    if not isinstance(doc, dict):
        raise ConfigError([ConfigIssue("<root>", f"{path} is not a JSON object.",
                                       "write an object of policy name -> enforcement level or settings.")])
    return doc


def _entry(value: Any) -> dict[str, Any]:
    """A config entry as an object: a bare level string becomes {"enforcementLevel": level}."""
    if isinstance(value, str):
        return {"enforcementLevel": value}
    return copy.deepcopy(value) if isinstance(value, dict) else {}


def effective(doc: dict[str, Any], platform: Platform) -> dict[str, Any]:
    """The file's decisions with the facts of this stack config laid over them."""
    out = copy.deepcopy(doc)
    for policy, props in facts(platform).items():
        entry = _entry(out.get(policy))
        entry.update(props)
        out[policy] = entry
    return out


def drift(doc: dict[str, Any], platform: Platform, missing_ok: bool = False) -> list[str]:
    """Facts in ``doc`` that differ from what the stack config says (empty when in sync).

    ``missing_ok`` ignores facts the file leaves out (the gate fills them in anyway).
    """
    issues = []
    for policy, props in facts(platform).items():
        entry = _entry(doc.get(policy))
        for key, want in props.items():
            if missing_ok and key not in entry:
                continue
            if entry.get(key) != want:
                issues.append(f"{policy}.{key} is {entry.get(key)!r}, the stack config says {want!r}")
    return issues


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
