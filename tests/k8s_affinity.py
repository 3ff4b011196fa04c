"""Where would the scheduler put a DaemonSet's pods? A pure model of the rules.

Implements the parts of Kubernetes scheduling that decide whether a DaemonSet
pod may run on a node, following the API reference semantics:

* ``nodeSelector``: every key must be present with exactly that value;
* ``affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution``:
  ``nodeSelectorTerms`` are ORed; inside a term every ``matchExpressions`` and
  ``matchFields`` requirement is ANDed; a term with no requirements matches
  nothing, and so does an empty term list;
* operators ``In``, ``NotIn`` (also true when the label is absent), ``Exists``,
  ``DoesNotExist``, ``Gt`` and ``Lt`` (one integer value, compared with the
  label parsed as an integer; a missing or non-integer label never matches);
* taints with effect ``NoSchedule`` or ``NoExecute`` must be tolerated;
  ``PreferNoSchedule`` never blocks. A toleration with an empty key and
  ``Exists`` tolerates every taint; an empty toleration effect matches every
  effect.

``preferredDuringScheduling`` terms only rank nodes, so they are ignored here.
No Pulumi, no Kubernetes client: plain dicts in the API's camelCase shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")


class SelectorError(ValueError):
    """A selector the API server would reject (unknown operator, bad values)."""


@dataclass(frozen=True)
class Node:
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Mapping[str, str]] = ()

    @property
    def fields(self) -> dict[str, str]:
        # matchFields supports only metadata.name.
        return {"metadata.name": self.name}


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def requirement_matches(req: Mapping[str, Any], values_by_key: Mapping[str, str]) -> bool:
    """One ``{key, operator, values}`` requirement against a label (or field) map."""
    key, op = req.get("key"), req.get("operator")
    values = list(req.get("values") or [])
    if op not in OPERATORS:
        raise SelectorError(f"unknown operator {op!r} for key {key!r}")
    if op in ("In", "NotIn") and not values:
        raise SelectorError(f"{op} on {key!r} needs at least one value")
    if op in ("Exists", "DoesNotExist") and values:
        raise SelectorError(f"{op} on {key!r} takes no values")
    if op in ("Gt", "Lt") and (len(values) != 1 or _int(values[0]) is None):
        raise SelectorError(f"{op} on {key!r} needs exactly one integer value")
    present = key in values_by_key
    actual = values_by_key.get(key)
    if op == "In":
        return present and actual in values
    if op == "NotIn":
        return not present or actual not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    number = _int(actual) if present else None
    if number is None:
        return False
    return number > int(values[0]) if op == "Gt" else number < int(values[0])


def term_matches(term: Mapping[str, Any], node: Node) -> bool:
    exprs = term.get("matchExpressions") or []
    fields_ = term.get("matchFields") or []
    if not exprs and not fields_:
        return False
    for req in fields_:
        if req.get("key") != "metadata.name":
            raise SelectorError(f"matchFields supports only metadata.name, not {req.get('key')!r}")
    return all(requirement_matches(r, node.labels) for r in exprs) and all(
        requirement_matches(r, node.fields) for r in fields_
    )


def required_affinity_matches(pod_spec: Mapping[str, Any], node: Node) -> bool:
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is None:
        return True
    return any(term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])


def node_selector_matches(pod_spec: Mapping[str, Any], node: Node) -> bool:
    return all(node.labels.get(k) == v for k, v in (pod_spec.get("nodeSelector") or {}).items())


def toleration_matches(tol: Mapping[str, Any], taint: Mapping[str, str]) -> bool:
    if tol.get("effect") and tol["effect"] != taint.get("effect"):
        return False
    op = tol.get("operator") or "Equal"
    key = tol.get("key") or ""
    if op == "Exists":
        return key == "" or key == taint.get("key")
    if op != "Equal":
        raise SelectorError(f"unknown toleration operator {op!r}")
    if key == "":
        raise SelectorError("a toleration with an empty key must use operator Exists")
    return key == taint.get("key") and (tol.get("value") or "") == (taint.get("value") or "")


def untolerated_taints(pod_spec: Mapping[str, Any], node: Node) -> list[Mapping[str, str]]:
    tolerations = pod_spec.get("tolerations") or []
    return [t for t in node.taints if t.get("effect") in BLOCKING_EFFECTS
            and not any(toleration_matches(tol, t) for tol in tolerations)]


def placement(pod_spec: Mapping[str, Any], node: Node) -> tuple[bool, str]:
    """(would run, why not) for a DaemonSet pod template spec on one node."""
    if not node_selector_matches(pod_spec, node):
        return False, "nodeSelector"
    if not required_affinity_matches(pod_spec, node):
        return False, "nodeAffinity"
    blocked = untolerated_taints(pod_spec, node)
    if blocked:
        return False, "taint " + ",".join(f"{t.get('key')}:{t.get('effect')}" for t in blocked)
    return True, ""


def runs_on(daemonset: Mapping[str, Any], node: Node) -> bool:
    return placement(daemonset["spec"]["template"]["spec"], node)[0]
