"""The cost lines of ``hybrid-gpu diff``: what a change does to the monthly bill, per pool.

Read from the two plans' ``cost.json`` (so the figures are the ones each plan
wrote): ``+3 ecs.gn7i-c32g1.8xlarge (cn-beijing/a10-train, 4 -> 7): +4,405.64 CNY/month``
for a count change, ``~`` for a pool whose price changed at the same count, one line
per elastic pool whose maximum changed (``maxSize`` at its dearest instance type: what
the autoscaler may spend), the total and the total with the elastic maximums.
Nothing when neither plan has a cost.json. A hand-edited cost.json (not JSON, wrong
shapes) is one line naming the file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Optional

from hybrid_tools.errors import InputError


def _bad(path: Path, what: str) -> InputError:
    return InputError(f"{path}: not a plan's cost.json ({what}). Fix: re-run `hybrid-gpu plan` to rewrite it.")


def _num(path: Path, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) > 1e15:
        raise _bad(path, f"{what} is not a number")
    return float(value)


def _entries(path: Path, doc: dict, key: str, fields: tuple[str, ...],
             nullable: tuple[str, ...] = ()) -> dict[tuple[str, str], dict]:
    """Rows of ``key`` by (region, pool); each of ``fields`` a number where given (null only if ``nullable``:
    an elastic pool's monthly, null when a type is unpriced; a null count or size has no difference)."""
    rows = doc.get(key, [])
    if not isinstance(rows, list):
        raise _bad(path, f"{key} is not a list")
    out = {}
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or not all(isinstance(r.get(f), str) for f in ("region", "pool")):
            raise _bad(path, f"{key}[{i}] has no region/pool")
        for f in fields:
            if f in r and not (r[f] is None and f in nullable):
                _num(path, r[f], f"{key}[{i}].{f}")
        out[(r["region"], r["pool"])] = r
    return out


def _load(plan_dir: Path) -> Optional[dict[str, Any]]:
    path = plan_dir / "cost.json"
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise _bad(path, type(e).__name__) from None
    if not isinstance(doc, dict):
        raise _bad(path, "not an object")
    doc["_pools"] = _entries(path, doc, "pools", ("count", "monthly"))
    doc["_elastic"] = _entries(path, doc, "elastic", ("maxSize", "monthly"), nullable=("monthly",))
    for key in ("total", "totalWithElasticMax"):
        if key in doc:
            if not isinstance(doc[key], dict):
                raise _bad(path, f"{key} is not an object")
            _num(path, doc[key].get("monthly", 0), f"{key}.monthly")
    return doc


def _money(x: float, currency: str) -> str:
    return f"{x:+,.2f} {currency}/month"


def lines(base_dir: Path, head_dir: Path) -> list[str]:
    a, b = _load(base_dir), _load(head_dir)
    if a is None and b is None:
        return []
    cur = str((b or a or {}).get("currency", ""))
    pa, pb = (a or {}).get("_pools", {}), (b or {}).get("_pools", {})
    out = []
    for key in sorted(set(pa) | set(pb)):
        old, new = pa.get(key), pb.get(key)
        n_old, n_new = (old or {}).get("count", 0), (new or {}).get("count", 0)
        m_old, m_new = (old or {}).get("monthly", 0.0), (new or {}).get("monthly", 0.0)
        delta = round(m_new - m_old, 2)
        if n_old == n_new and delta == 0:
            continue
        itype = str((new or old).get("instanceType", "?"))
        if old and new and old.get("instanceType") != new.get("instanceType"):
            itype = f"{old.get('instanceType')} -> {new.get('instanceType')}"
        where = f"{key[0]}/{key[1]}, " + (f"{n_old} -> {n_new}" if old and new else "new pool" if new else "pool removed")
        lead = f"{int(n_new - n_old):+d}" if n_new != n_old else "~"
        bound = " (upper bound: spot)" if str((new or old).get("basis", "")).startswith("spot") else ""
        out.append(f"{lead} {itype} ({where}): {_money(delta, cur)}{bound}")
    ea, eb = (a or {}).get("_elastic", {}), (b or {}).get("_elastic", {})
    for key in sorted(set(ea) | set(eb)):
        old, new = ea.get(key), eb.get(key)
        s_old, s_new = (old or {}).get("maxSize", 0), (new or {}).get("maxSize", 0)
        m_old, m_new = (old or {}).get("monthly"), (new or {}).get("monthly")
        if s_old == s_new and m_old == m_new:
            continue
        where = f"{key[0]}/{key[1]}, " + (f"max {s_old} -> {s_new}" if old and new else "new pool" if new else "pool removed")
        if (old and m_old is None) or (new and m_new is None):
            money = "no price for " + ", ".join(map(str, (new or old).get("unpriced") or ["its types"]))
        else:
            money = _money(round((m_new or 0.0) - (m_old or 0.0), 2), cur) + " at most"
        lead = f"{int(s_new - s_old):+d}" if s_new != s_old else "~"
        out.append(f"{lead} elastic ({where}): {money}")
    if a is not None and b is not None and a.get("currency") != b.get("currency"):
        out.append(f"currency changed {a.get('currency')} -> {b.get('currency')}: the figures are not comparable")
    ta = (a or {}).get("total", {}).get("monthly", 0.0)
    tb = (b or {}).get("total", {}).get("monthly", 0.0)
    if out or ta != tb:
        out.append(f"total: {ta:,.2f} -> {tb:,.2f} {cur}/month ({_money(round(tb - ta, 2), cur)})")
    xa = (a or {}).get("totalWithElasticMax", {}).get("monthly")
    xb = (b or {}).get("totalWithElasticMax", {}).get("monthly")
    if out and (xa is not None or xb is not None):
        xa, xb = xa if xa is not None else ta, xb if xb is not None else tb
        out.append(f"total with elastic maximums: {xa:,.2f} -> {xb:,.2f} {cur}/month ({_money(round(xb - xa, 2), cur)})")
    return out
