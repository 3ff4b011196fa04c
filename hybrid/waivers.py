"""Scanner waivers recorded in the object itself, each with its reason (one format for every object).

checkov reads ``checkov.io/skip<N>: <check>=<reason>`` annotations and splits them on
``=``; kube-linter reads ``ignore-check.kube-linter.io/<check>: <reason>``. The policy pack's
``k8s-allowed-host-paths`` reads ``hybrid-gpu.io/host-root-init.<container>: <reason>``: the
named init container may mount the host root; ``k8s-no-wildcard-verbs-on-secrets`` reads
``hybrid-gpu.io/cluster-admin-reason: <reason>``: this (Cluster)RoleBinding may bind ``cluster-admin``.
Waivers for what the program renders live here, on the object, so a new stack passes the gate with the
pack's defaults (no per-stack copy).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

CHECKOV_PREFIX = "checkov.io/skip"
KUBE_LINTER_PREFIX = "ignore-check.kube-linter.io/"
HOST_ROOT_INIT_PREFIX = "hybrid-gpu.io/host-root-init."  # the policy pack (policy/rules/kubernetes.py) reads it
CLUSTER_ADMIN_KEY = "hybrid-gpu.io/cluster-admin-reason"  # the policy pack (policy/rules/identity.py) reads it


def checkov_annotations(waived: Iterable[tuple[str, str]], owner: str) -> dict[str, str]:
    """``checkov.io/skip<N>`` annotations for (check, reason) pairs, numbered in check order."""
    out = {}
    for i, (check, reason) in enumerate(sorted(waived), start=1):
        if not reason.strip() or "=" in reason:
            # checkov splits the annotation on '=': exactly one, between id and reason.
            raise ValueError(f"waiver {check} on {owner} needs a reason without '='")
        out[f"{CHECKOV_PREFIX}{i}"] = f"{check}={reason}"
    return out


def kube_linter_annotations(waived: Iterable[tuple[str, str]], owner: str) -> dict[str, str]:
    out = {}
    for check, reason in sorted(waived):
        if not reason.strip():
            raise ValueError(f"waiver {check} on {owner} has no reason")
        out[f"{KUBE_LINTER_PREFIX}{check}"] = reason
    return out


def host_root_init_annotations(waived: Iterable[tuple[str, str]], owner: str) -> dict[str, str]:
    """``hybrid-gpu.io/host-root-init.<container>`` annotations for (init container, reason) pairs."""
    out = {}
    for container, reason in sorted(waived):
        if len(reason.strip()) < 10:
            raise ValueError(f"host-root waiver for {container} on {owner} needs a reason (10+ characters)")
        out[f"{HOST_ROOT_INIT_PREFIX}{container}"] = reason
    return out


def cluster_admin_annotations(reason: str, owner: str) -> dict[str, str]:
    """The ``hybrid-gpu.io/cluster-admin-reason`` annotation of a binding to ``cluster-admin``."""
    if len(reason.strip()) < 10:
        raise ValueError(f"cluster-admin waiver on {owner} needs a reason (10+ characters)")
    return {CLUSTER_ADMIN_KEY: reason}


def annotate(obj: dict[str, Any], checkov: Iterable[tuple[str, str]] = (), kube_linter: Iterable[tuple[str, str]] = (),
             host_root_init: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """Write the waivers into ``obj``'s annotations; returns ``obj``."""
    owner = obj["metadata"]["name"]
    ann = obj["metadata"].setdefault("annotations", {})
    ann.update(checkov_annotations(checkov, owner))
    ann.update(kube_linter_annotations(kube_linter, owner))
    ann.update(host_root_init_annotations(host_root_init, owner))
    return obj


def found(obj: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(object, check, reason) of every checkov and kube-linter waiver on an object."""
    name = f"{obj['kind']}/{obj['metadata']['name']}"
    out = []
    for key, value in sorted(((obj.get("metadata") or {}).get("annotations") or {}).items()):
        if key.startswith(CHECKOV_PREFIX):
            check, _, reason = value.partition("=")
            out.append((name, check, reason))
        elif key.startswith(KUBE_LINTER_PREFIX):
            out.append((name, key[len(KUBE_LINTER_PREFIX):], value))
        elif key.startswith(HOST_ROOT_INIT_PREFIX):
            out.append((name, f"k8s-allowed-host-paths:{key[len(HOST_ROOT_INIT_PREFIX):]}", value))
        elif key == CLUSTER_ADMIN_KEY:
            out.append((name, "k8s-no-wildcard-verbs-on-secrets:cluster-admin", value))
    return out
