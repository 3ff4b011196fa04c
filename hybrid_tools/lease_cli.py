"""``hybrid-gpu lease renew|release POOL --stack S``: change a pool's lease as a reviewable edit.

The stack file is edited in place, and only the scalars that change: ``lease.end`` (renew)
and ``count`` (renew --count, release). Their positions come from the YAML parser's node
marks (``yaml.compose``), so comments, quoting, key order and every other line stay as they
were; the edited text is parsed again and must equal the old document with exactly those
values changed, and must pass the model (a lease end in the past, a count out of range: exit
2, nothing written). The summary shows the diff and, with ``--prometheus``, the pool's usage
over ``--since`` (``hybrid-gpu usage``) and the recommendation its rule gives.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, Optional

import yaml

from hybrid import tables
from hybrid_tools.errors import InputError

NS = "hybrid-gpu-platform"


def _mapping_get(node: yaml.Node, key: str) -> Optional[yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _find_pool(root: yaml.Node, pool: str, where: str) -> tuple[int, int, yaml.MappingNode]:
    """(region index, pool index, pool node) of the fixed pool called ``pool``."""
    regions = _mapping_get(_mapping_get(root, "config") or root, f"{NS}:regions")
    hits = []
    names = []
    if isinstance(regions, yaml.SequenceNode):
        for ri, region in enumerate(regions.value):
            pools = _mapping_get(region, "gpuPools")
            if not isinstance(pools, yaml.SequenceNode):
                continue
            for pi, node in enumerate(pools.value):
                name = _mapping_get(node, "name")
                if isinstance(name, yaml.ScalarNode):
                    names.append(name.value)
                    if name.value == pool:
                        hits.append((ri, pi, node))
    if not hits:
        raise InputError(f"POOL {pool}: {where} has no gpuPools entry of that name (pools: {', '.join(names) or 'none'}). "
                         "Fix: name a fixed pool (elastic pools have no lease).")
    if len(hits) > 1:
        raise InputError(f"POOL {pool}: {where} has a pool of that name in {len(hits)} regions. Fix: rename one of them.")
    return hits[0]


def _replace(lines: list[str], node: yaml.ScalarNode, text: str) -> None:
    s, e = node.start_mark, node.end_mark
    if s.line != e.line:
        raise InputError(f"line {s.line + 1}: the value spans lines. Fix: write it on one line, then run the command again.")
    line = lines[s.line]
    lines[s.line] = line[:s.column] + text + line[e.column:]


def _quoted(node: yaml.ScalarNode, value: str) -> str:
    return {'"': f'"{value}"', "'": f"'{value}'"}.get(node.style or "", value)


def edit(text: str, where: str, pool: str, end: Optional[date], count: Optional[int]) -> tuple[str, dict[str, Any]]:
    """The edited text and what changed (old and new values); the rest of the text is untouched."""
    root = yaml.compose(text)
    ri, pi, node = _find_pool(root, pool, where)
    lines = text.splitlines(keepends=True)
    changed: dict[str, Any] = {}
    if end is not None:
        lease = _mapping_get(node, "lease")
        end_node = _mapping_get(lease, "end") if lease is not None else None
        if not isinstance(end_node, yaml.ScalarNode):
            raise InputError(f"pool {pool} ({where}) has no lease.end. Fix: add a lease (owner, purpose, end) to the pool first.")
        old_end = end_node.value
        if end.isoformat() <= old_end:
            raise InputError(f"--until {end.isoformat()} is not after the lease's end {old_end}. Fix: give a later day to renew.")
        _replace(lines, end_node, _quoted(end_node, end.isoformat()))
        changed["end"] = (old_end, end.isoformat())
    if count is not None:
        count_node = _mapping_get(node, "count")
        if not isinstance(count_node, yaml.ScalarNode):
            raise InputError(f"pool {pool} ({where}) has no count. Fix: add count: to the pool.")
        if int(count_node.value) != count:
            _replace(lines, count_node, str(count))
            changed["count"] = (int(count_node.value), count)
    new = "".join(lines)
    # The edit must be exactly the intended change: parse both and compare. An anchor on an edited scalar
    # (``count: &n 4``, aliased as ``*n`` elsewhere) is inside its mark: the edit drops it, or the alias follows.
    anchored = InputError(f"pool {pool} ({where}): changing {' and '.join(k for k in ('end', 'count') if k in changed)} would "
                          "change other values too (a YAML anchor that other keys alias). Fix: edit the stack file by hand.")
    before = yaml.safe_load(text)
    try:
        after = yaml.safe_load(new)
    except yaml.YAMLError:
        raise anchored from None
    expect = copy.deepcopy(before)
    target = expect["config"][f"{NS}:regions"][ri]["gpuPools"][pi]
    if "end" in changed:
        target["lease"]["end"] = after["config"][f"{NS}:regions"][ri]["gpuPools"][pi]["lease"]["end"]
        if str(target["lease"]["end"]) != end.isoformat():  # type: ignore[union-attr]
            raise AssertionError("lease.end edit did not land")
    if "count" in changed:
        target["count"] = count
    if expect != after:
        raise anchored
    changed["region"] = before["config"][f"{NS}:regions"][ri].get("id")
    changed["owner"] = (target.get("lease") or {}).get("owner")
    return new, changed


def _usage(args: argparse.Namespace, pool: str) -> tuple[dict[str, Any], Optional[dict[str, Any]], list[str]]:
    """The pool's usage over the range and the recommendation of the rule: as data and as summary lines."""
    from hybrid import usage
    from hybrid_tools import usage_cli

    ns = argparse.Namespace(stack=args.stack, config=args.config, prometheus=args.prometheus, since=args.since, end=args.range_end,
                            step=args.step, pool=[pool], lease_days=(date.max - date.min).days)  # any lease end a date can hold
    rep = usage_cli.build(ns)
    u = next(x for x in rep.pools if x.pool == pool)
    cpb = u.cost_per_busy_hour
    data = {"start": rep.start, "end": rep.end, "currency": rep.currency, "gpuHoursPaid": usage.r(u.paid),
            "gpuHoursBusy": usage.r(u.busy), "busyShare": usage.r(u.busy_share),
            "costPerBusyGpuHour": None if cpb is None else usage.r(float(cpb), 4)}
    lines = [f"usage {rep.start} .. {rep.end}: busy {u.busy:,.2f} of {u.paid:,.2f} GPU-h paid "
             f"(busy share {'-' if u.busy_share is None else f'{u.busy_share:.1%}'}), "
             f"{rep.currency} {'-' if cpb is None else f'{float(cpb):,.2f}'} per busy GPU-h"]
    rec = next((x for x in rep.leases if x.pool == pool), None)
    if rec is None:
        return data, None, lines
    lines.append(f"recommendation: {rec.action} (count {rec.count} -> {rec.new_count}); rule: {usage.RULE}")
    return data, {"action": rec.action, "count": rec.count, "newCount": rec.new_count, "rule": usage.RULE}, lines


def _md(doc: dict[str, Any], diff: list[str]) -> str:
    state = "dry run, nothing written" if doc["dryRun"] else ("written; review and commit it" if doc["written"] else "nothing to change")
    out = [f"### lease {doc['action']} `{doc['pool']}` ({doc['region']}, owner {doc['owner'] or '-'})", ""]
    rows = [(f"`{field}`", str(doc[key]["old"]), str(doc[key]["new"])) for key, field in (("end", "lease.end"), ("count", "count"))
            if doc[key] is not None]
    out += [*tables.md(("field", "old", "new"), rows), ""] if rows else ["Nothing to change.", ""]
    out.append(f"`{doc['file']}`: {state}.")
    u, rec = doc["usage"], doc["recommendation"]
    if u is not None:
        share = "-" if u["busyShare"] is None else f"{u['busyShare']:.1%}"
        cpb = "-" if u["costPerBusyGpuHour"] is None else f"{u['costPerBusyGpuHour']:,.2f}"
        out += ["", f"Usage {u['start']} .. {u['end']}: busy {u['gpuHoursBusy']:,.2f} of {u['gpuHoursPaid']:,.2f} GPU-h paid "
                    f"(busy share {share}), {u['currency']} {cpb} per busy GPU-h."]
    if rec is not None:
        out += ["", f"Recommendation: **{rec['action']}** (count {rec['count']} → {rec['newCount']}); rule: {rec['rule']}."]
    if diff:
        fence = "````" if any(line.startswith("```") for line in diff) else "```"
        out += ["", fence + "diff", *(line.rstrip("\n") for line in diff), fence]
    return "\n".join(out) + "\n"


def _cmd(args: argparse.Namespace) -> int:
    from hybrid.stack import load_platform as load
    from hybrid_tools.stackconfig import project_root, read_stack
    from hybrid.safeload import decode, read_bytes

    root = project_root()
    path = Path(args.config) if args.config else root / "stacks" / f"Pulumi.{args.stack}.yaml"
    read_stack(args.stack, None, path)  # the same checks (name, file, YAML) as every command
    text = decode(read_bytes(path), str(path))
    if args.action == "renew":
        try:
            until = date.fromisoformat(args.until or "")
        except ValueError:
            raise InputError(f"--until {args.until!r}: not a day. Fix: give the new last day of the lease as YYYY-MM-DD.") from None
        if args.count is not None and args.count < 1:
            raise InputError(f"--count {args.count}: a renewal keeps at least one instance. Fix: use `hybrid-gpu lease release {args.pool}`.")
        new, changed = edit(text, str(path), args.pool, until, args.count)
    else:
        new, changed = edit(text, str(path), args.pool, None, 0)
    # The edited config must be valid before anything is written.
    tmp_raw = yaml.safe_load(new)
    raw = {k[len(NS) + 1:]: v for k, v in (tmp_raw.get("config") or {}).items() if k.startswith(NS + ":")}
    load(raw)
    # Usage is read before the write: the figures and the recommendation are of the pool as it was.
    usage_doc, rec_doc, usage_lines = _usage(args, args.pool) if args.prometheus else (None, None, [])
    rel = path.relative_to(root) if path.is_absolute() and path.is_relative_to(root) else path
    a, b = (str(rel), str(rel)) if rel.is_absolute() else (f"a/{rel}", f"b/{rel}")
    diff = list(difflib.unified_diff(text.splitlines(keepends=True), new.splitlines(keepends=True), a, b))
    write = new != text and not args.dry_run
    if write:
        path.write_text(new)
    if args.format in ("json", "md"):
        doc = {"action": args.action, "stack": args.stack, "pool": args.pool, "region": changed["region"], "owner": changed["owner"],
               "end": dict(zip(("old", "new"), changed["end"])) if "end" in changed else None,
               "count": dict(zip(("old", "new"), changed["count"])) if "count" in changed else None,
               "file": str(rel), "dryRun": bool(args.dry_run), "written": write, "diff": "".join(diff),
               "usage": usage_doc, "recommendation": rec_doc}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n" if args.format == "json" else _md(doc, diff))
        return 0
    what = [f"end {changed['end'][0]} -> {changed['end'][1]}"] if "end" in changed else []
    what += [f"count {changed['count'][0]} -> {changed['count'][1]}"] if "count" in changed else []
    print(f"lease {args.action} {args.pool} ({changed['region']}, owner {changed['owner'] or '-'}): {', '.join(what) or 'nothing to change'}")
    for line in usage_lines:
        print(line)
    sys.stdout.writelines(diff)
    if write:
        print(f"{rel}: written; review and commit it (the plan and the policy pack check the new lease).")
    return 0


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("lease", help="renew or release a GPU pool's lease: a minimal edit of the stack config, with usage figures")
    p.add_argument("action", choices=("renew", "release"), help="renew: move lease.end (and --count); release: count 0")
    p.add_argument("pool", help="the fixed GPU pool (gpuPools[].name)")
    from hybrid_tools.formats import add_stack

    add_stack(p, "edit this stack config file instead of stacks/Pulumi.<stack>.yaml")
    p.add_argument("--until", help="renew: the lease's new last day, YYYY-MM-DD")
    p.add_argument("--count", type=int, help="renew: the new instance count (to shrink the pool)")
    p.add_argument("--dry-run", action="store_true", help="print the change, write nothing")
    p.add_argument("--prometheus", help="Prometheus base URL: put the pool's usage and the recommendation in the summary")
    p.add_argument("--since", default="7d", help="usage range; default 7d")
    p.add_argument("--range-end", help="usage range end, YYYY-MM-DDTHH:MM:SSZ; default now")
    p.add_argument("--step", default="1h", help="usage query step; default 1h")
    from hybrid_tools.formats import FORMATS, add_format

    add_format(p, "table: the summary and the diff; json: the change as data; md: a Markdown summary for a PR", native=FORMATS)
    p.set_defaults(func=_cmd)
