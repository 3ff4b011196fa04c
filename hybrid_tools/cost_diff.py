"""The cost lines of ``hybrid-gpu diff``: what a change does to the monthly bill, per pool.

Read from the two plans' ``cost.json`` (so the figures are the ones each plan
wrote): ``+3 ecs.gn7i-c32g1.8xlarge (cn-beijing/a10-train, 4 -> 7): +4,405.64 CNY/month``
for a count change, ``~`` for a pool whose price changed at the same count, and
a total. Nothing when neither plan has a cost.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional


def _load(plan_dir: Path) -> Optional[dict[str, Any]]:
    path = plan_dir / "cost.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _money(x: float, currency: str) -> str:
    return f"{x:+,.2f} {currency}/month"


def lines(base_dir: Path, head_dir: Path) -> list[str]:
    a, b = _load(base_dir), _load(head_dir)
    if a is None and b is None:
        return []
    cur = (b or a or {}).get("currency", "")
    pa = {(p["region"], p["pool"]): p for p in (a or {}).get("pools", [])}
    pb = {(p["region"], p["pool"]): p for p in (b or {}).get("pools", [])}
    out = []
    for key in sorted(set(pa) | set(pb)):
        old, new = pa.get(key), pb.get(key)
        n_old, n_new = (old or {}).get("count", 0), (new or {}).get("count", 0)
        m_old, m_new = (old or {}).get("monthly", 0.0), (new or {}).get("monthly", 0.0)
        delta = round(m_new - m_old, 2)
        if n_old == n_new and delta == 0:
            continue
        itype = (new or old)["instanceType"]
        if old and new and old["instanceType"] != new["instanceType"]:
            itype = f"{old['instanceType']} -> {new['instanceType']}"
        where = f"{key[0]}/{key[1]}, " + (f"{n_old} -> {n_new}" if old and new else "new pool" if new else "pool removed")
        lead = f"{n_new - n_old:+d}" if n_new != n_old else "~"
        bound = " (upper bound: spot)" if (new or old).get("basis", "").startswith("spot") else ""
        out.append(f"{lead} {itype} ({where}): {_money(delta, cur)}{bound}")
    if a is not None and b is not None and a.get("currency") != b.get("currency"):
        out.append(f"currency changed {a.get('currency')} -> {b.get('currency')}: the figures are not comparable")
    ta = (a or {}).get("total", {}).get("monthly", 0.0)
    tb = (b or {}).get("total", {}).get("monthly", 0.0)
    if out or ta != tb:
        out.append(f"total: {ta:,.2f} -> {tb:,.2f} {cur}/month ({_money(round(tb - ta, 2), cur)})")
    return out
