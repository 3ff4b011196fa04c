"""``hybrid-gpu diff BASE HEAD``: what a change does to the offline plan, for a PR review.

Compares two plan directories (``build/plan/<stack>`` of the base branch and of
the PR): resources added, removed and changed (property by property, keyed by
URN), properties whose change makes the provider replace or reboot the
resource, resources whose URN moved (rename or re-parent: replaced unless an
alias is added), what depends on each replaced resource (from the recorded
dependencies), protected resources that `pulumi up` would stop at, manifests and the
node boot files (``cloud-init/``, ``elastic/``: they reach new nodes only) as unified
diffs, the placement output and the cost. Secrets are ``"[secret]"`` on both sides,
so a change inside a secret does not show. A plan directory that is not one (missing or
hand-edited files, wrong shapes, deep nesting, links leaving it) is one line naming the
file: exit 2.
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from hybrid.ack_api import CREATE_ONLY_KEYS, DYNAMIC_TYPE, REPLACE_KEYS
from hybrid_tools import cost_diff
from hybrid_tools.errors import InputError

# Properties whose change forces a new resource, a reboot or a destructive in-place step,
# by resource type (camelCase, as in resources.json). Taken from the provider schemas
# (ForceNew arguments of the Terraform provider that pulumi-alicloud bridges) and the
# Kubernetes API's immutable fields. `pulumi preview --diff` in CI is the authority;
# this table makes the offline diff say so before any credentials are involved.
EFFECTS: dict[str, dict[str, str]] = {
    "alicloud:vpc/network:Network": {"cidrBlock": "replace", "enableIpv6": "replace", "resourceGroupId": "update"},
    "alicloud:vpc/switch:Switch": {"cidrBlock": "replace", "zoneId": "replace", "vpcId": "replace", "availabilityZone": "replace",
                                   "ipv6CidrBlockMask": "replace"},
    "alicloud:ecs/securityGroup:SecurityGroup": {"vpcId": "replace", "securityGroupType": "replace"},
    "alicloud:ecs/securityGroupRule:SecurityGroupRule": {
        k: "replace" for k in ("type", "ipProtocol", "nicType", "policy", "portRange", "securityGroupId", "cidrIp",
                               "ipv6CidrIp", "sourceSecurityGroupId", "prefixListId", "sourceGroupOwnerAccount", "priority")},
    "alicloud:ecs/instance:Instance": {
        "availabilityZone": "replace", "dataDisks": "replace", "instanceChargeType": "update", "vswitchId": "replace",
        "imageId": "system disk re-created", "systemDiskCategory": "update", "userData": "reboot", "instanceType": "reboot",
        "hostName": "reboot", "spotStrategy": "replace", "spotPriceLimit": "replace"},
    "alicloud:ecs/ecsDisk:EcsDisk": {"zoneId": "replace", "availabilityZone": "replace", "encrypted": "replace",
                                     "kmsKeyId": "replace", "snapshotId": "replace", "size": "grow only"},
    "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment": {"diskId": "replace", "instanceId": "replace"},
    "alicloud:vpc/flowLog:FlowLog": {"resourceId": "replace", "resourceType": "replace", "trafficType": "replace",
                                     "projectName": "replace", "logStoreName": "replace"},
    "alicloud:log/project:Project": {"projectName": "replace"},
    "alicloud:log/store:Store": {"projectName": "replace", "logstoreName": "replace", "shardCount": "replace"},
    "alicloud:cs/kubernetesAddon:KubernetesAddon": {"clusterId": "replace", "name": "replace", "version": "upgrade"},
    # The registered cluster's dynamic provider (components/registered_cluster.py).
    DYNAMIC_TYPE: {**{k: "replace" for k in REPLACE_KEYS}, **{k: "creation only, not applied" for k in CREATE_ONLY_KEYS}},
    "pulumi:providers:alicloud": {"region": "replaces every resource of this provider"},
    "kubernetes:apps/v1:DaemonSet": {"spec.selector": "replace", "metadata.name": "replace", "metadata.namespace": "replace",
                                     "spec.template": "rolling restart"},
    "kubernetes:apps/v1:Deployment": {"spec.selector": "replace", "metadata.name": "replace", "metadata.namespace": "replace",
                                      "spec.template": "rolling restart"},
}
K8S_DEFAULT = {"metadata.name": "replace", "metadata.namespace": "replace", "kind": "replace", "apiVersion": "replace"}
SEVERE = ("replace", "system disk re-created", "replaces every resource of this provider")


def effect(rtype: str, path: str) -> str:
    table = EFFECTS.get(rtype) or (K8S_DEFAULT if rtype.startswith("kubernetes:") else {})
    best = ""
    for prop in table:
        if path == prop or path.startswith(prop + ".") or path.startswith(prop + "["):
            if len(prop) > len(best):
                best = prop
    return table.get(best, "")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": [1]}} -> {"a.b[0]": 1}; empty dicts/lists stay as leaves."""
    if isinstance(value, dict) and value:
        out = {}
        for k in sorted(value):
            out.update(flatten(value[k], f"{prefix}.{k}" if prefix else k))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


@dataclass
class PropChange:
    path: str
    old: Any
    new: Any
    effect: str


@dataclass
class ResourceChange:
    urn: str
    type: str
    name: str
    kind: str  # added | removed | changed | moved
    props: list[PropChange] = field(default_factory=list)
    moved_from: str = ""
    protected: bool = False          # base had protect: true and the change deletes or replaces it
    dependents: list[str] = field(default_factory=list)  # "Type name" of resources that depend on a replaced one

    @property
    def replaces(self) -> bool:
        return self.kind == "moved" or any(p.effect in SEVERE for p in self.props)


@dataclass
class PlanDiff:
    base: Path
    head: Path
    resources: list[ResourceChange]
    manifests: dict[str, str]                 # rel path -> unified diff
    placement: dict[str, list[tuple[str, Any, Any]]]  # workload -> [(cluster, old, new)]
    outputs: list[PropChange]
    cost: list[str] = field(default_factory=list)  # hybrid_tools/cost_diff.py
    boot: dict[str, str] = field(default_factory=dict)  # cloud-init/ and elastic/ files: rel path -> unified diff
    boot_targets: dict[str, list[str]] = field(default_factory=dict)  # rel path -> the instances it boots

    @property
    def empty(self) -> bool:
        return not (self.resources or self.manifests or self.placement or self.outputs or self.cost or self.boot)

    @property
    def protected(self) -> list[ResourceChange]:
        return [c for c in self.resources if c.protected]


MAX_DEPTH = 64  # resources.json of a real plan nests about 12 deep
BOOT_DIRS = ("cloud-init", "elastic")  # node boot files: user-data and the elastic node script


def bad_artifact(path: Path, what: str) -> InputError:
    return InputError(f"{path}: not a plan artifact ({what}). Fix: re-run `hybrid-gpu plan` to rewrite it.")


def _depth(doc: Any) -> int:
    deepest, stack = 0, [(doc, 1)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            return d
        if isinstance(v, dict):
            stack += [(x, d + 1) for x in v.values()]
        elif isinstance(v, list):
            stack += [(x, d + 1) for x in v]
    return deepest


def _json_file(path: Path, kind: type) -> Any:
    """A plan artifact as JSON of the expected top-level kind, or an InputError naming the file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad_artifact(path, str(e)) from None
    except RecursionError:
        raise bad_artifact(path, f"nested deeper than {MAX_DEPTH}") from None
    if _depth(doc) > MAX_DEPTH:
        raise bad_artifact(path, f"nested deeper than {MAX_DEPTH}")
    if not isinstance(doc, kind):
        raise bad_artifact(path, f"a {type(doc).__name__}, not a {kind.__name__}")
    return doc


def _check_resources(path: Path, docs: list) -> dict[str, dict]:
    out = {}
    for i, r in enumerate(docs):
        if not isinstance(r, dict):
            raise bad_artifact(path, f"entry {i} is not an object")
        for key in ("urn", "type", "name"):
            if not isinstance(r.get(key), str):
                raise bad_artifact(path, f"entry {i} has no string {key!r}")
        for key, kind in (("inputs", dict), ("options", dict), ("dependencies", list)):
            if r.get(key) is not None and not isinstance(r[key], kind):
                raise bad_artifact(path, f"{r['urn']}: {key} is not a {kind.__name__}")
        if not all(isinstance(d, str) for d in r.get("dependencies") or []):
            raise bad_artifact(path, f"{r['urn']}: dependencies are not URNs")
        out[r["urn"]] = r
    return out


def _text_files(plan_dir: Path, sub: str) -> dict[str, str]:
    """Every file under plan_dir/sub, by path relative to plan_dir; a link leaving the plan is an error."""
    top = plan_dir.resolve()
    out = {}
    d = plan_dir / sub
    if not d.is_dir():
        return out
    if not d.resolve().is_relative_to(top):
        raise InputError(f"{d}: links outside the plan directory {plan_dir}. Fix: re-run `hybrid-gpu plan` to rewrite it.")
    for p in sorted(d.rglob("*")):
        if not p.resolve().is_relative_to(top):
            raise InputError(f"{p}: links outside the plan directory {plan_dir}. Fix: re-run `hybrid-gpu plan` to rewrite it.")
        if p.is_file():
            try:
                out[str(p.relative_to(plan_dir))] = p.read_text(encoding="utf-8")
            except UnicodeDecodeError as e:
                raise InputError(f"{p}: not a plan file (not UTF-8: byte {e.object[e.start]:#04x} at offset {e.start}). "
                                 "Fix: re-run `hybrid-gpu plan` to rewrite it.") from None
    return out


def load_plan(plan_dir: Path) -> tuple[dict[str, dict], dict, dict[str, str], dict[str, str]]:
    """A plan directory read and shape-checked: resources by URN, outputs, manifests, boot files."""
    if not plan_dir.is_dir():
        raise InputError(f"{plan_dir}: no such plan directory. Fix: run `hybrid-gpu plan --stack <stack> --out <root>` and pass <root>/<stack>.")
    res_file = plan_dir / "resources.json"
    if not res_file.is_file():
        raise InputError(f"{plan_dir}: not an offline plan (no resources.json). Fix: run `hybrid-gpu plan` and pass its output directory.")
    for f in (res_file, plan_dir / "outputs.json", plan_dir / "cost.json"):
        if f.exists() and not f.resolve().is_relative_to(plan_dir.resolve()):
            raise InputError(f"{f}: links outside the plan directory {plan_dir}. Fix: re-run `hybrid-gpu plan` to rewrite it.")
    resources = _check_resources(res_file, _json_file(res_file, list))
    out_file = plan_dir / "outputs.json"
    outputs = _json_file(out_file, dict) if out_file.is_file() else {}
    manifests = _text_files(plan_dir, "manifests")
    boot = {k: v for sub in BOOT_DIRS for k, v in _text_files(plan_dir, sub).items()}
    return resources, outputs, manifests, boot


def _prop_changes(rtype: str, old: dict, new: dict) -> list[PropChange]:
    a, b = flatten(old), flatten(new)
    changes = []
    for path in sorted(set(a) | set(b)):
        va, vb = a.get(path, _ABSENT), b.get(path, _ABSENT)
        if va != vb:
            changes.append(PropChange(path, va, vb, effect(rtype, path)))
    return changes


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def _doc_of(r: dict) -> dict:
    """What a change to a resource can touch: its inputs plus its options."""
    doc = {"inputs": r.get("inputs") or {}}
    options = dict(r.get("options") or {})
    if r.get("protect"):  # plans written before protect moved into options
        options.setdefault("protect", True)
    if options:
        doc["options"] = options
    if r.get("provider"):
        doc["provider"] = r["provider"]
    return doc


def _option_changes(old: dict, new: dict) -> list[PropChange]:
    """One line per changed resource option (protect, retainOnDelete, ignoreChanges, import, ...) and provider."""
    out = []
    oo, no = old.get("options") or {}, new.get("options") or {}
    for key in sorted(set(oo) | set(no)):
        a, b = oo.get(key, _ABSENT), no.get(key, _ABSENT)
        if a == b:
            continue
        eff = ""
        if key == "retainOnDelete" and a is True:
            eff = "no longer retained: destroy or removal deletes the object"
        elif key == "protect" and a is True:
            eff = "no longer protected: the engine may delete or replace it"
        elif key == "import" and b is not _ABSENT:
            eff = "the next up imports the existing object"
        out.append(PropChange(f"<options.{key}>", a, b, eff))
    if old and old.get("provider") != new.get("provider"):
        out.append(PropChange("<provider>", old.get("provider", _ABSENT), new.get("provider", _ABSENT), "replaces (new provider)"))
    return out


def compute(base_dir: Path, head_dir: Path) -> PlanDiff:
    base, base_out, base_m, base_boot = load_plan(base_dir)
    head, head_out, head_m, head_boot = load_plan(head_dir)
    changes: list[ResourceChange] = []
    added = {u: head[u] for u in head.keys() - base.keys()}
    removed = {u: base[u] for u in base.keys() - head.keys()}
    # Same type and name under another URN (new parent or project/stack): Pulumi replaces it unless aliased.
    by_key = {(r["type"], r["name"]): u for u, r in removed.items()}
    for urn in sorted(added):
        r = added[urn]
        old_urn = by_key.pop((r["type"], r["name"]), None)
        if old_urn is not None:
            old = removed.pop(old_urn)
            changes.append(ResourceChange(urn, r["type"], r["name"], "moved", moved_from=old_urn,
                                          props=_prop_changes(r["type"], old.get("inputs") or {}, r.get("inputs") or {})))
        else:
            # A new resource's options matter as much as a changed one's (retainOnDelete, import, protect).
            changes.append(ResourceChange(urn, r["type"], r["name"], "added", props=_option_changes({}, _doc_of(r))))
    for urn in sorted(removed):
        r = removed[urn]
        changes.append(ResourceChange(urn, r["type"], r["name"], "removed"))
    for urn in sorted(base.keys() & head.keys()):
        old, new = _doc_of(base[urn]), _doc_of(head[urn])
        if old == new:
            continue
        props = []
        ignored = [str(x) for x in ((new.get("options") or {}).get("ignoreChanges") or [])]
        for pc in _prop_changes(head[urn]["type"], old["inputs"], new["inputs"]):
            if any(pc.path == ig or pc.path.startswith(ig + ".") or pc.path.startswith(ig + "[") for ig in ignored):
                # components/gpu_pool.py ignore_changes=["userData"]: the engine keeps the old value on
                # existing resources; only resources created from now on get the new one.
                pc.effect = "ignored (ignoreChanges): reaches new resources only"
            props.append(pc)
        props += _option_changes(old, new)
        changes.append(ResourceChange(urn, head[urn]["type"], head[urn]["name"], "changed", props=props))
    order = {"removed": 0, "moved": 1, "changed": 2, "added": 3}
    changes.sort(key=lambda c: (order[c.kind], c.type, c.name, c.urn))
    _mark_protected_and_dependents(changes, base, head)

    manifests, boot = _text_diffs(base_m, head_m), _text_diffs(base_boot, head_boot)
    instances = sorted(r["name"] for r in head.values() if r["type"] == "alicloud:ecs/instance:Instance")
    boot_targets = {rel: [n for n in instances if rel.startswith("cloud-init/") and n.startswith(Path(rel).stem + "-")]
                    for rel in boot}

    placement: dict[str, list[tuple[str, Any, Any]]] = {}
    pa, pb = base_out.get("placement") or {}, head_out.get("placement") or {}
    if isinstance(pa, dict) and isinstance(pb, dict):
        for wl in sorted(set(pa) | set(pb)):
            ea = (pa.get(wl) or {}) if isinstance(pa.get(wl), dict) else {}
            eb = (pb.get(wl) or {}) if isinstance(pb.get(wl), dict) else {}
            aa, ab = ea.get("assignments") or {}, eb.get("assignments") or {}
            rows = [(c, aa.get(c, 0), ab.get(c, 0)) for c in sorted(set(aa) | set(ab)) if aa.get(c, 0) != ab.get(c, 0)]
            if ea.get("unplaced", 0) != eb.get("unplaced", 0):
                rows.append(("(unplaced)", ea.get("unplaced", 0), eb.get("unplaced", 0)))
            if wl not in pa or wl not in pb:
                rows.insert(0, ("(workload)", "present" if wl in pa else _ABSENT, "present" if wl in pb else _ABSENT))
            if rows:
                placement[wl] = rows
    other_a = {k: v for k, v in base_out.items() if k != "placement"}
    other_b = {k: v for k, v in head_out.items() if k != "placement"}
    outputs = _prop_changes("", other_a, other_b)
    return PlanDiff(base_dir, head_dir, changes, manifests, placement, outputs, cost_diff.lines(base_dir, head_dir),
                    boot, boot_targets)


def _text_diffs(a_files: dict[str, str], b_files: dict[str, str]) -> dict[str, str]:
    out = {}
    for rel in sorted(set(a_files) | set(b_files)):
        a, b = a_files.get(rel, ""), b_files.get(rel, "")
        if a != b:
            out[rel] = "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True),
                                                    f"base/{rel}" if a else "/dev/null", f"head/{rel}" if b else "/dev/null"))
    return out


def _mark_protected_and_dependents(changes: list[ResourceChange], base: dict[str, dict], head: dict[str, dict]) -> None:
    """A protected resource that the change deletes or replaces stops `pulumi up` ("unable to delete resource ...
    as it is currently marked for protection": pulumi/pulumi pkg/resource/deploy/step.go DeleteStep.Apply; "unable
    to replace resource": pkg/resource/deploy/step_generator.go); the dependents of a
    replaced resource (their recorded dependencies, transitively) are replaced or updated with it."""
    users: dict[str, set[str]] = {}
    for urn, r in head.items():
        for dep in r.get("dependencies") or []:
            users.setdefault(dep, set()).add(urn)
    for c in changes:
        old = base.get(c.moved_from or c.urn)
        gone = c.kind in ("removed", "moved") or c.replaces
        if gone and old is not None and ((old.get("options") or {}).get("protect") or old.get("protect")):
            c.protected = True
        if c.replaces:
            seen, todo = set(), [c.urn]
            while todo:
                for u in users.get(todo.pop(), ()):
                    if u not in seen:
                        seen.add(u)
                        todo.append(u)
            c.dependents = sorted(f"{_short_type(head[u]['type'])} {head[u]['name']}" for u in seen)


# --- rendering ----------------------------------------------------------------

def _fmt(v: Any) -> str:
    if v is _ABSENT:
        return "(absent)"
    text = json.dumps(v, sort_keys=True, ensure_ascii=False) if not isinstance(v, str) else v
    text = text.replace("\n", "\\n")
    return text if len(text) <= 80 else text[:77] + "..."


def _short_type(t: str) -> str:
    return t.rsplit(":", 1)[-1] if t.count(":") >= 2 else t


def _counts(d: PlanDiff) -> str:
    kinds = {k: sum(1 for c in d.resources if c.kind == k) for k in ("added", "changed", "removed", "moved")}
    repl = sum(1 for c in d.resources if c.replaces)
    return (f"{kinds['added']} to add, {kinds['changed']} to change, {kinds['removed']} to delete, {kinds['moved']} moved; "
            f"{repl} replacement(s); {len(d.manifests)} manifest(s) changed; {len(d.boot)} node boot file(s) changed; "
            f"{len(d.placement)} workload placement(s) changed; {len(d.protected)} protected resource(s) in the way")


BOOT_NOTE = {
    "cloud-init/": ("reaches new nodes only: instances ignore userData changes (ignoreChanges), so running nodes keep "
                    "their boot. To roll it: per node, `kubectl drain`, then `pulumi up --replace <instance URN>` "
                    "(its data disk is its own protected resource and is attached again), then `hybrid-gpu wait-gpus`; "
                    "docs/operations.md"),
    "elastic/": ("reaches new nodes only: ACK runs the node script when it adds a node, so running elastic nodes keep "
                 "theirs. To roll it: drain and delete the pool's nodes a few at a time and let the autoscaler add "
                 "fresh ones; docs/operations.md"),
}


def _boot_note(rel: str) -> str:
    return next(note for prefix, note in BOOT_NOTE.items() if rel.startswith(prefix))


PROTECTED_NOTE = ("`pulumi up` stops at a protected resource it would delete or replace. Fix: keep the slot (count, zone), "
                  "or move the data off and `pulumi state unprotect <urn>` first; docs/operations.md (scale-in)")


def render_text(d: PlanDiff) -> str:
    sym = {"added": "+", "removed": "-", "changed": "~", "moved": ">"}
    lines = [f"plan diff {d.base} -> {d.head}", f"  {_counts(d)}"]
    if d.empty:
        lines.append("  no changes")
        return "\n".join(lines) + "\n"
    for c in d.resources:
        flag = ("  [REPLACE]" if c.replaces else "") + ("  [PROTECTED: up stops here]" if c.protected else "")
        lines.append(f"{sym[c.kind]} {_short_type(c.type)} {c.name}{flag}")
        if c.kind == "moved":
            lines.append(f"    URN changed from {c.moved_from}: add an Alias or Pulumi replaces it")
        if c.dependents:
            lines.append(f"    dependents (replaced or updated with it): {', '.join(c.dependents)}")
        for p in c.props:
            eff = f"  ({p.effect})" if p.effect else ""
            lines.append(f"    {p.path}: {_fmt(p.old)} -> {_fmt(p.new)}{eff}")
    if d.placement:
        lines.append("placement:")
        for wl, rows in d.placement.items():
            lines.append(f"  {wl}: " + ", ".join(f"{c} {_fmt(a)} -> {_fmt(b)}" for c, a, b in rows))
    for p in d.outputs:
        lines.append(f"output {p.path}: {_fmt(p.old)} -> {_fmt(p.new)}")
    if d.protected:
        lines.append(f"protected: {', '.join(f'{_short_type(c.type)} {c.name}' for c in d.protected)}: {PROTECTED_NOTE}")
    if d.cost:
        lines.append("cost:")
        lines += [f"  {line}" for line in d.cost]
    for rel, ud in d.boot.items():
        targets = d.boot_targets.get(rel) or []
        lines.append(f"node boot {rel}" + (f" (instances {', '.join(targets)})" if targets else "") + ":")
        lines.append(f"    {_boot_note(rel)}")
        lines += ["    " + line for line in ud.rstrip("\n").splitlines()]
    for rel, ud in d.manifests.items():
        lines.append(f"manifest {rel}:")
        lines += ["    " + line for line in ud.rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def _md_cell(v: Any) -> str:
    return "`" + _fmt(v).replace("|", "\\|").replace("`", "'") + "`"


def render_md(d: PlanDiff, max_manifest_lines: int = 200) -> str:
    sym = {"added": "➕ add", "removed": "🗑️ delete", "changed": "✏️ change", "moved": "↪️ moved"}
    out = ["### Offline plan diff", "", f"**{_counts(d)}**", ""]
    if d.empty:
        return "\n".join(out + ["No changes to the offline plan."]) + "\n"
    if any(c.replaces for c in d.resources):
        out += ["> [!WARNING]", "> This change replaces resources: "
                + ", ".join(f"`{_short_type(c.type)} {c.name}`" for c in d.resources if c.replaces)]
        out += [f"> - `{_short_type(c.type)} {c.name}` takes with it: " + ", ".join(f"`{x}`" for x in c.dependents)
                for c in d.resources if c.dependents]
        out.append("")
    if d.protected:
        out += ["> [!CAUTION]", "> Protected: " + ", ".join(f"`{_short_type(c.type)} {c.name}`" for c in d.protected)
                + ". " + PROTECTED_NOTE, ""]
    if d.boot:
        out += ["#### Node boot files (user-data, elastic node script)", ""]
        for rel in d.boot:
            targets = d.boot_targets.get(rel) or []
            out.append(f"- `{rel}`" + (f" (instances {', '.join(f'`{t}`' for t in targets)})" if targets else "")
                       + f": {_boot_note(rel)}")
        out.append("")
    if d.resources:
        out += ["| | Type | Name | Replace |", "|---|---|---|---|"]
        out += [f"| {sym[c.kind]} | `{_short_type(c.type)}` | `{c.name}` | {'**yes**' if c.replaces else ''}"
                f"{' **protected: up stops here**' if c.protected else ''} |" for c in d.resources]
        out.append("")
    detailed = [c for c in d.resources if c.props or c.kind == "moved"]
    if detailed:
        out += ["<details><summary>Property changes</summary>", ""]
        for c in detailed:
            out.append(f"**{_short_type(c.type)} `{c.name}`**" + (f" (URN moved from `{c.moved_from}`: add an Alias)" if c.kind == "moved" else ""))
            out += ["", "| Property | Base | Head | Effect |", "|---|---|---|---|"]
            out += [f"| `{p.path}` | {_md_cell(p.old)} | {_md_cell(p.new)} | {p.effect} |" for p in c.props]
            out.append("")
        out += ["</details>", ""]
    if d.placement:
        out += ["#### Placement", "", "| Workload | Cluster | Base | Head |", "|---|---|---|---|"]
        for wl, rows in d.placement.items():
            out += [f"| `{wl}` | `{c}` | {_fmt(a)} | {_fmt(b)} |" for c, a, b in rows]
        out.append("")
    if d.cost:
        out += ["#### Cost", ""] + [f"- `{line}`" for line in d.cost] + [""]
    if d.outputs:
        out += ["#### Stack outputs", "", "| Output | Base | Head |", "|---|---|---|"]
        out += [f"| `{p.path}` | {_md_cell(p.old)} | {_md_cell(p.new)} |" for p in d.outputs]
        out.append("")
    for rel, ud in {**d.boot, **d.manifests}.items():
        lines = ud.rstrip("\n").splitlines()
        cut = len(lines) > max_manifest_lines
        body = "\n".join(lines[:max_manifest_lines]) + (f"\n... {len(lines) - max_manifest_lines} more lines" if cut else "")
        kind = "node boot file" if rel in d.boot else "manifest"
        out += [f"<details><summary>{kind} <code>{rel}</code></summary>", "", "```diff", body, "```", "", "</details>", ""]
    return "\n".join(out)


def to_json(d: PlanDiff) -> dict[str, Any]:
    """The diff as data (``--format json``): what the text and Markdown views show."""
    def val(v: Any) -> Any:
        return None if v is _ABSENT else v

    return {
        "base": str(d.base), "head": str(d.head), "summary": _counts(d),
        "resources": [{"kind": c.kind, "type": c.type, "name": c.name, "urn": c.urn, "replaces": c.replaces,
                       "protected": c.protected, "dependents": c.dependents, "movedFrom": c.moved_from or None,
                       "props": [{"path": p.path, "old": val(p.old), "new": val(p.new), "effect": p.effect} for p in c.props]}
                      for c in d.resources],
        "nodeBoot": [{"file": rel, "instances": d.boot_targets.get(rel) or [], "note": _boot_note(rel), "diff": ud}
                     for rel, ud in d.boot.items()],
        "manifests": [{"file": rel, "diff": ud} for rel, ud in d.manifests.items()],
        "placement": {wl: [{"cluster": c, "old": val(a), "new": val(b)} for c, a, b in rows] for wl, rows in d.placement.items()},
        "outputs": [{"path": p.path, "old": val(p.old), "new": val(p.new)} for p in d.outputs],
        "cost": d.cost,
    }


def main(base: Path, head: Path, fmt: str = "table", output: Optional[Path] = None) -> int:
    d = compute(base, head)
    if fmt == "json":
        text = json.dumps(to_json(d), indent=2, sort_keys=True, default=str) + "\n"
    else:
        text = render_md(d) if fmt == "md" else render_text(d)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0
