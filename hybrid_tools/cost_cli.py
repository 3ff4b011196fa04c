"""``hybrid-gpu cost --stack S``: what the stack's cloud GPU pools cost, per pool and in total.

Prices come from the stack's price table (``hybrid-gpu-platform:pricing``) or,
with ``--pricing-api``, from Alibaba's ECS pricing API (``hybrid.pricing_api``).
When the API cannot be used (unreachable, no credentials, an error answer) the
command says why on stderr and carries on with the price table.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, TextIO

from hybrid.cost import CostReport, PricingUnavailable, compute
from hybrid.errors import ConfigError, ConfigIssue
from hybrid.model import Platform

API_SOURCE = "Alibaba Cloud ECS DescribePrice (TradePrice)"

# Set for the duration of a plan run by `hybrid-gpu plan --pricing-api`: the cost.json writer
# then asks the API first. Unset (the default), cost.json is priced from the stack config alone.
_API: Optional[dict] = None


@contextmanager
def pricing_api(endpoint: Optional[str] = None, protocol: Optional[str] = None) -> Iterator[None]:
    global _API
    _API = {"endpoint": endpoint, "protocol": protocol}
    try:
        yield
    finally:
        _API = None


def report(platform: Platform, use_api: bool = False, endpoint: Optional[str] = None, protocol: Optional[str] = None,
           err: Optional[TextIO] = None) -> CostReport:
    """The cost report; from the API when asked and it answers, else from the price table."""
    err = err or sys.stderr
    if use_api:
        from hybrid.pricing_api import PricingClient

        client = PricingClient(endpoint=endpoint, protocol=protocol)
        try:
            from hybrid.pricing_api import SYSTEM_DISK_IN_INSTANCE_QUOTE

            how = "system disk inside the instance price" if SYSTEM_DISK_IN_INSTANCE_QUOTE else "system disk quoted as a disk"
            return compute(platform, client.quote, source=f"{API_SOURCE}; {how}")
        except PricingUnavailable as e:
            if platform.pricing is None:
                raise ConfigError([ConfigIssue("pricing", f"{e}, and the stack has no price table to fall back on.",
                                               "add hybrid-gpu-platform:pricing or make the pricing API reachable.")]) from None
            print(f"hybrid-gpu cost: {e}; using the stack's price table instead.", file=err)
    try:
        return compute(platform)
    except PricingUnavailable as e:
        raise ConfigError([ConfigIssue("pricing", f"{e}.", "add hybrid-gpu-platform:pricing (see docs/cost.md) or use --pricing-api.")]) from None


def artifact(platform: Platform) -> dict[str, str]:
    """``cost.json`` for the plan; nothing when the stack has no price table and no API was asked."""
    if platform.pricing is None and _API is None:
        return {}
    rep = report(platform, use_api=_API is not None, **(_API or {}))
    return {"cost.json": json.dumps(full_doc(platform, rep), indent=2, sort_keys=True) + "\n"}


def full_doc(platform: Platform, rep: CostReport) -> dict:
    from hybrid.cost import placement_costs

    return {**rep.doc(), "placement": placement_costs(platform, rep)}


def placement_table(platform: Platform, rep: CostReport) -> str:
    from hybrid.cost import placement_costs

    cur, lines = rep.currency, ["", "where the placement puts the money (marginal cost of one more replica; the IDC's is 0):"]
    for wl, e in placement_costs(platform, rep).items():
        parts = [f"{c} {v['replicas']} x " + (f"{v['perReplicaHour']:,.4f}/h" if v["perReplicaHour"] is not None else "(no price)")
                 for c, v in e["clusters"].items() if v["replicas"]]
        saves = f"; IDC-first saves {e['idcSavesPerMonth']:,.2f} {cur}/month" if e["idcSavesPerMonth"] else ""
        lines.append(f"  {wl} ({e['gpusPerReplica']:g} GPU/replica): {', '.join(parts) or 'nothing placed'}; "
                     f"{e['monthly']:,.2f} {cur}/month{saves}")
    return "\n".join(lines)


def _cmd(args: argparse.Namespace) -> int:
    from hybrid.stack import load_platform
    from hybrid_tools.stackconfig import read_stack

    cfg = read_stack(args.stack, None, Path(args.config) if args.config else None)
    platform = load_platform(cfg.raw)
    rep = report(platform, args.pricing_api, args.pricing_endpoint, args.pricing_protocol)
    if args.format == "json":
        sys.stdout.write(json.dumps(full_doc(platform, rep), indent=2, sort_keys=True) + "\n")
    else:
        print(rep.table(args.stack))
        print(placement_table(platform, rep))
    return 0


def add_api_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pricing-api", action="store_true",
                   help="price the pools through Alibaba's ECS pricing API (DescribePrice; credentials from the environment); "
                        "falls back to the price table when it cannot be reached")
    p.add_argument("--pricing-endpoint", help="host[:port] of the pricing API instead of the SDK's regional ECS endpoint")
    p.add_argument("--pricing-protocol", choices=("https", "http"), help="protocol for --pricing-endpoint; default https")


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("cost", help="hourly and monthly cost of the stack's cloud GPU pools, per pool and in total")
    from hybrid_tools.formats import add_stack

    add_stack(p)
    from hybrid_tools.formats import add_format

    add_format(p, "table: per pool and total; json: cost.json; md: the table in a fenced block", native=("table", "json"))
    add_api_flags(p)
    p.set_defaults(func=_cmd)
