"""``hybrid-gpu usage --stack S --prometheus URL --since 7d``: GPU use and cost per pool, owner, namespace.

Reads the recording rules of ``hybrid.gpu_metrics`` through the Prometheus HTTP API
(``/api/v1/rules``, ``/api/v1/query``, ``/api/v1/query_range``; prometheus.io/docs/prometheus/
latest/querying/api/) and prices the pools with the stack's cost report (``hybrid.cost``).

GPU-hours are counted exactly: ``sum_over_time(rule[<step> - 1ms])`` at every step end takes the
samples of ``[t - step + 1ms, t]`` (range selectors include both ends in Prometheus 2.x), so the
windows tile the range with no sample counted twice; samples x rule interval / 3600 = GPU-hours.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import hybrid_clock as clock
from hybrid import gpu_metrics as gm
from hybrid import usage
from hybrid_tools.errors import InputError

TIMEOUT_S = 30
MAX_POINTS = 11_000  # Prometheus refuses a query_range of more points (querying/api: "exceeded maximum resolution")
_DURATION = re.compile(r"^([0-9]+)([mhdw])$")
_UNIT = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(flag: str, text: str) -> int:
    m = _DURATION.match(text or "")
    if not m or int(m.group(1)) == 0:
        raise InputError(f"{flag} {text!r}: not a duration. Fix: write a number and a unit m, h, d or w, e.g. 7d.")
    return int(m.group(1)) * _UNIT[m.group(2)]


class Prometheus:
    """The few calls of the Prometheus HTTP API the report needs; any failure is one line."""

    def __init__(self, url: str):
        if not re.match(r"^https?://[^\s/]+", url or ""):
            raise InputError(f"--prometheus {url!r}: not an http(s) URL. Fix: pass the server's base URL, e.g. http://prometheus:9090.")
        self.url = url.rstrip("/")

    def get(self, path: str, **params: Any) -> Any:
        q = urllib.parse.urlencode(params)
        req = f"{self.url}{path}" + (f"?{q}" if q else "")
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
                body = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            try:
                detail = json.loads(e.read().decode("utf-8")).get("error", "")
            except (ValueError, UnicodeDecodeError, OSError):
                detail = ""
            raise InputError(f"Prometheus at {self.url} answered {e.code} to {path}{': ' + detail if detail else ''}. "
                             "Fix: check --prometheus points at the Prometheus API (its /api/v1 answers).") from None
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            reason = getattr(e, "reason", e)
            raise InputError(f"cannot reach Prometheus at {self.url} ({reason}). Fix: check --prometheus and that the server runs.") from None
        except ValueError:
            raise InputError(f"{self.url}{path} did not answer JSON. Fix: pass the Prometheus base URL.") from None
        if not isinstance(body, dict) or body.get("status") != "success":
            raise InputError(f"Prometheus at {self.url} refused {path}: {body.get('error') if isinstance(body, dict) else body}. "
                             "Fix: check the server's version (2.x API) and the query range.")
        return body["data"]

    def query(self, expr: str, at: float) -> list[dict]:
        return self.get("/api/v1/query", query=expr, time=f"{at:.3f}")["result"]

    def query_range(self, expr: str, start: float, end: float, step: int) -> list[dict]:
        return self.get("/api/v1/query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=str(step))["result"]


def rule_settings(prom: Prometheus, rules_path: str) -> tuple[int, float]:
    """(interval seconds, busy threshold) of the loaded rules; one line naming what is missing."""
    groups = prom.get("/api/v1/rules", type="record")["groups"]
    found: dict[str, tuple[dict, dict]] = {}
    for g in groups:
        for rule in g.get("rules", []):
            found.setdefault(rule.get("name"), (g, rule))
    missing = [n for n in gm.required_rules() if n not in found]
    if missing:
        raise InputError(f"Prometheus at {prom.url} has no recording rule {missing[0]}"
                         f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}. "
                         f"Fix: load {rules_path} (written by `hybrid-gpu usage --stack S --rules-out FILE`) into its rule_files and reload it.")
    group, busy = found[gm.record_name("pool_owner", gm.BUSY)]
    # /api/v1/rules answers the parsed expression re-printed (Go's shortest float form: 2.5E1 as 25,
    # 0.00001 as 1e-05; seen with Debian's prometheus 2.42), so an exponent is a lower-case e.
    m = re.search(gm.UTIL + r" > ([0-9.e+-]+)", busy.get("query", ""))
    if not m:
        raise InputError(f"Prometheus rule {busy.get('name')} has no threshold ({busy.get('query')!r}). Fix: load {rules_path} again.")
    interval = int(round(float(group.get("interval", 0))))
    if interval <= 0:
        raise InputError(f"Prometheus group {group.get('name')} has no evaluation interval. Fix: load {rules_path} again.")
    return interval, float(m.group(1))


def window(step_s: int) -> str:
    """The range of one step's window, ``[t - step + 1ms, t]``: consecutive windows share no sample."""
    return f"{step_s * 1000 - 1}ms"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _end(text: Optional[str], step: int) -> float:
    if text is None:
        now = datetime.now(timezone.utc).timestamp()
        return float(math.floor(now / step) * step)
    try:
        t = datetime.fromisoformat(text)  # Python >= 3.11 reads the Z suffix
    except ValueError:
        raise InputError(f"--end {text!r}: not a time. Fix: write it as YYYY-MM-DDTHH:MM:SSZ.") from None
    if t.tzinfo is None:
        raise InputError(f"--end {text!r}: no time zone. Fix: end it with Z (UTC).")
    return t.timestamp()


def _today() -> date:
    """The day leases are counted from, the same day the policy pack's lease rules judge on."""
    try:
        return clock.today()
    except ValueError as e:
        raise InputError(str(e)) from None


def build(args: argparse.Namespace, err=None) -> usage.UsageReport:
    err = err or sys.stderr  # looked up per call: a redirected sys.stderr is honoured
    from hybrid.cost import PricingUnavailable, compute
    from hybrid.stack import load_platform as load
    from hybrid_tools.stackconfig import read_stack

    platform = load(read_stack(args.stack, None, Path(args.config) if args.config else None).raw)
    since = duration("--since", args.since)
    step = duration("--step", args.step)
    if since % step:
        raise InputError(f"--since {args.since} is not a whole number of --step {args.step}. Fix: pick a step that divides the range.")
    if since // step > MAX_POINTS:
        raise InputError(f"--since {args.since} / --step {args.step} is {since // step} points; Prometheus answers at most {MAX_POINTS}. Fix: a larger --step.")
    end = _end(args.end, step)
    start = end - since
    hours = since / 3600

    fixed = {pool.name: (region.id, pool) for region in platform.regions for pool in region.gpu_pools}
    elastic = {pool.name: (region.id, pool) for region in platform.regions for pool in region.elastic_pools}
    for name in args.pool or []:
        if name not in fixed and name not in elastic:
            known = ", ".join(sorted([*fixed, *elastic])) or "none"
            raise InputError(f"--pool {name}: the stack {args.stack!r} has no such pool (pools: {known}). Fix: name one of them.")

    prom = Prometheus(args.prometheus)
    rules_path = f"{gm.RULES_FILE}"
    interval, threshold = rule_settings(prom, rules_path)
    want = platform.metrics.busy_threshold_percent
    if threshold != want:
        raise InputError(f"Prometheus's rules count a GPU busy above {threshold:g} %, the stack says metrics.busyThresholdPercent {want:g}. "
                         f"Fix: load the stack's {rules_path} into Prometheus (or set the stack's threshold to {threshold:g}).")
    per_sample = interval / 3600

    win = window(step)
    times = [start + step * (i + 1) for i in range(since // step)]
    series: dict[str, dict[str, list[float]]] = {}
    totals: dict[tuple[str, str], dict[str, float]] = {}
    for what in (gm.PRESENT, gm.BUSY, gm.ALLOCATED, gm.USED):
        name = gm.record_name("pool_owner", what)
        for s in prom.query_range(f"sum_over_time({name}[{win}])", times[0], times[-1], step):
            pool, owner = s["metric"].get(gm.POOL, ""), s["metric"].get(gm.OWNER, "")
            per_t = {round(float(t)): float(v) * per_sample for t, v in s["values"]}
            gpu_h = [per_t.get(round(t), 0.0) for t in times]
            acc = series.setdefault(pool, {}).setdefault(what, [0.0] * len(times))
            for i, x in enumerate(gpu_h):
                acc[i] += x / (step / 3600)  # mean GPUs over the window
            totals.setdefault((pool, owner), {}).setdefault(what, 0.0)
            totals[(pool, owner)][what] += sum(gpu_h)
    if not totals:
        raise InputError(f"Prometheus at {prom.url} has no samples of {gm.record_name('pool_owner', gm.PRESENT)} between "
                         f"{_iso(start)} and {_iso(end)}. Fix: pick --since/--end where the exporter reported, or check the scrape job.")

    energy: dict[str, float] = {}
    # increase() follows counter resets (a node that reboots restarts its energy counter at 0).
    for s in prom.query(f"sum by ({gm.POOL}) (increase({gm.ENERGY}[{since}s]))", end):
        energy[s["metric"].get(gm.POOL, "")] = float(s["value"][1]) / 3.6e9  # mJ -> kWh

    try:
        cost = compute(platform)
        cost_of = {pc.pool: pc for pc in cost.pools}
        currency = cost.currency
    except PricingUnavailable as e:
        cost_of, currency = {}, "CNY"
        print(f"hybrid-gpu usage: {e}; the report has no cost figures.", file=err)

    notes: list[str] = []
    pools: list[usage.PoolUsage] = []
    seen = {p for p, _ in totals}
    names = list(fixed) + [n for n in elastic if n not in fixed] + sorted(p for p in seen if p not in fixed and p not in elastic)
    for name in names:
        if args.pool and name not in args.pool:
            continue
        t: dict[str, float] = {}
        owners = set()
        for (p, o), v in totals.items():
            if p == name:
                owners.add(o)
                for k, x in v.items():
                    t[k] = t.get(k, 0.0) + x
        if name in fixed:
            rid, pool = fixed[name]
            per = pool.spec.gpus
            pc = cost_of.get(name)
            u = usage.PoolUsage(name, pool.lease.owner if pool.lease else "-", "fixed", pool.count * per, per, pool.count,
                                paid=pool.count * per * hours, reporting=t.get(gm.PRESENT, 0.0), busy=t.get(gm.BUSY, 0.0),
                                allocated=t.get(gm.ALLOCATED, 0.0), used=t.get(gm.USED, 0.0),
                                cost=None if pc is None else pc.hour * Decimal(repr(hours)), energy_kwh=energy.get(name),
                                lease_end=pool.lease.end if pool.lease else None)
            if not t and pool.count:
                notes.append(f"pool {name}: no GPU of it reported in the range (exporter missing, or nodes down); busy is 0.")
        elif name in elastic:
            u = usage.PoolUsage(name, "-", "elastic", 0, 0, 0, paid=t.get(gm.PRESENT, 0.0), reporting=t.get(gm.PRESENT, 0.0),
                                busy=t.get(gm.BUSY, 0.0), allocated=t.get(gm.ALLOCATED, 0.0), used=t.get(gm.USED, 0.0),
                                cost=None, energy_kwh=energy.get(name))
        else:
            u = usage.PoolUsage(name or "(no pool label)", ",".join(sorted(owners)) or "-", "not in stack", 0, 0, 0,
                                paid=0.0, reporting=t.get(gm.PRESENT, 0.0), busy=t.get(gm.BUSY, 0.0),
                                allocated=t.get(gm.ALLOCATED, 0.0), used=t.get(gm.USED, 0.0), cost=None, energy_kwh=energy.get(name))
            notes.append(f"pool {u.pool}: reports GPUs but is not a pool of the stack (IDC, or a pool since removed); not priced.")
        pools.append(u)

    namespaces: dict[tuple[str, str], dict[str, float]] = {}
    for what in (gm.ALLOCATED, gm.BUSY, gm.USED):
        name = gm.record_name("namespace_workload", what)
        for s in prom.query(f"sum_over_time({name}[{window(since)}])", end):
            key = (s["metric"].get("namespace", ""), s["metric"].get("workload", ""))
            namespaces.setdefault(key, {})[what] = float(s["value"][1]) * per_sample
    ns_rows = [usage.NamespaceUsage(ns, wl, v.get(gm.ALLOCATED, 0.0), v.get(gm.BUSY, 0.0), v.get(gm.USED, 0.0))
               for (ns, wl), v in sorted(namespaces.items())]

    day = _today()
    leases = [usage.recommend(u, hours, day) for u in pools
              if u.kind == "fixed" and u.lease_end is not None and u.count and (u.lease_end - day).days <= args.lease_days]
    return usage.UsageReport(args.stack, _iso(start), _iso(end), hours, threshold, interval, currency, pools, ns_rows,
                             leases, args.lease_days, notes, {k: v for k, v in series.items() if not args.pool or k in args.pool}, times)


def chart(rep: usage.UsageReport, path: Path) -> None:
    """One panel per pool: paid, reporting, allocated and busy GPUs over time (mean per step).

    Drawn in matplotlib's default style, whatever the user's matplotlibrc says: the same report
    is the same PNG on every machine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    with matplotlib.style.context("default"):
        pools = [u for u in rep.pools if u.pool in rep.series or u.paid]
        panels = max(len(pools), 1)
        fig, axes = plt.subplots(panels, 1, figsize=(10, 2.8 * panels), sharex=True, squeeze=False)
        if not pools:
            axes[0, 0].text(0.5, 0.5, "no GPU of the chosen pools reported or was paid in the range", ha="center", va="center",
                            transform=axes[0, 0].transAxes)
        when = [datetime.fromtimestamp(t, timezone.utc) for t in rep.times]
        for ax, u in zip(axes[:, 0], pools):
            s = rep.series.get(u.pool, {})
            if u.kind == "fixed":
                ax.plot(when, [u.gpus] * len(when), color="black", linestyle="--", linewidth=1.5, label="paid", zorder=5)
            for what, label, colour in ((gm.PRESENT, "reporting", "tab:blue"), (gm.ALLOCATED, "allocated", "tab:orange"),
                                        (gm.BUSY, f"busy (> {rep.threshold:g} %)", "tab:green")):
                # Each value is the mean over the step that ends at its time: steps-pre draws it over that step.
                ax.plot(when, s.get(what, [0.0] * len(when)), label=label, color=colour, drawstyle="steps-pre",
                        linewidth=2.5 if what == gm.PRESENT else 1.5)
            idle = "-" if u.idle_share is None else f"{u.idle_share:.1%}"
            ax.set_title(f"{u.pool} ({u.owner}): idle {idle}, {rep.currency}/busy GPU-h "
                         f"{'-' if u.cost_per_busy_hour is None else f'{float(u.cost_per_busy_hour):,.2f}'}", fontsize=10)
            ax.set_ylabel("GPUs")
            ax.set_ylim(bottom=0)
            ax.legend(loc="upper right", fontsize=8)
            ax.grid(alpha=0.3)
        axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M", tz=timezone.utc))
        fig.suptitle(f"GPU usage, stack {rep.stack}, {rep.start} .. {rep.end}")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100, metadata={"Software": None})  # no version string: same data, same bytes
        plt.close(fig)


def _cmd(args: argparse.Namespace) -> int:
    from hybrid.stack import load_platform as load
    from hybrid_tools.stackconfig import read_stack

    if args.rules_out:
        platform = load(read_stack(args.stack, None, Path(args.config) if args.config else None).raw)
        Path(args.rules_out).write_text(gm.rules_text(platform))
        print(f"{args.rules_out}: recording rules ({gm.RULE_GROUP}, {len(gm.rules(platform)['groups'][0]['rules'])} rules)")
        return 0
    if not args.prometheus:
        raise InputError("--prometheus is missing. Fix: pass the Prometheus base URL, e.g. --prometheus http://prometheus:9090.")
    rep = build(args)
    if args.format == "json":
        sys.stdout.write(json.dumps(rep.doc(), indent=2, sort_keys=True) + "\n")
    else:
        print(usage.render(rep, md=args.format == "md"))
    if args.png:
        chart(rep, Path(args.png))
        print(f"chart: {args.png}", file=sys.stderr)
    return 0


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("usage", help="GPU utilisation and cost per pool, lease owner and namespace, from Prometheus")
    from hybrid_tools.formats import add_stack

    add_stack(p)
    p.add_argument("--prometheus", help="Prometheus base URL (its /api/v1 is read)")
    p.add_argument("--since", default="7d", help="range length ending at --end: N m/h/d/w; default 7d")
    p.add_argument("--end", help="range end, YYYY-MM-DDTHH:MM:SSZ; default now, rounded down to --step")
    p.add_argument("--step", default="1h", help="chart resolution (and query step); default 1h")
    p.add_argument("--pool", action="append", help="only this pool (repeatable)")
    p.add_argument("--lease-days", type=int, default=30, help="list leases ending within this many days; default 30")
    from hybrid_tools.formats import FORMATS, add_format

    add_format(p, "table: per pool in the terminal; json: the report as data; md: for a PR or a weekly report", native=FORMATS)
    p.add_argument("--png", help="write the chart (one panel per pool over time) to this PNG file")
    p.add_argument("--rules-out", help="write the stack's recording rules file here and exit (load it into Prometheus)")
    p.set_defaults(func=_cmd)
