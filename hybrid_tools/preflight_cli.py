"""`hybrid-gpu preflight`: check for real that GPU nodes of a region reach what they need.

``--from node`` (default) runs every check of the region from this machine: run it on a node (or
copy the bundle there: ``--write-node-bundle DIR`` writes the runner and its checks for the node's
``hybrid-preflight``). ``--from idc`` runs only what the IDC serves the nodes over the leased line,
from an IDC host: the apiserver, cluster-info's server, IDC registries and apt mirrors, rsync
sources. Exit 0 when every check passes, 1 when one fails (each failure printed with its fix),
2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

from hybrid import preflight
from hybrid.model import load
from hybrid.model.node_access import gpu_regions

EXIT_BAD_INPUT = 2


def add_parser(sub) -> None:
    p = sub.add_parser("preflight", help="check for real (DNS, TCP, TLS, registry manifests, apt InRelease) that a region's GPU "
                                         "nodes reach every endpoint they need; like EKS Hybrid Nodes' nodeadm debug")
    from hybrid_tools.formats import add_stack

    add_stack(p)
    p.add_argument("--region", required=True, help="region id with GPU nodes")
    p.add_argument("--from", dest="mode", choices=("node", "idc"), default="node",
                   help="node: every endpoint, run on (or as) a GPU node; idc: what the IDC serves, run from an IDC host")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per connection; default 5")
    p.add_argument("--codename", default=None, help="Ubuntu release for the apt checks; default this machine's, else jammy")
    p.add_argument("--write-node-bundle", metavar="DIR", help="write hybrid-preflight and preflight.json for the node into DIR, run nothing")
    from hybrid_tools.formats import add_format

    add_format(p, "table: one check a line with its fix; json: the results as data; md: the table in a fenced block",
               native=("table", "json"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybrid_tools.stackconfig import read_stack

    if not 0 < args.timeout < math.inf:
        print(f"preflight: --timeout {args.timeout:g}: must be a positive number of seconds. Fix: e.g. --timeout 5.", file=sys.stderr)
        return EXIT_BAD_INPUT
    stack = read_stack(args.stack, config_file=Path(args.config) if args.config else None)
    platform = load(stack.raw)
    regions = [r.id for r in gpu_regions(platform)]
    if args.region not in regions:
        print(f"preflight: --region {args.region} has no GPU nodes in this stack. Fix: pick from {', '.join(regions) or '(none)'}.",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    checks = preflight.checks(platform, args.region, args.mode)
    if args.write_node_bundle:
        out = Path(args.write_node_bundle)
        if out.exists() and not out.is_dir():
            print(f"preflight: --write-node-bundle {out}: is a file. Fix: give a directory.", file=sys.stderr)
            return EXIT_BAD_INPUT
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(preflight.RUNNER, out / "hybrid-preflight")
        (out / "hybrid-preflight").chmod(0o755)
        (out / "preflight.json").write_text(json.dumps({"region": args.region, "mode": args.mode, "checks": checks}, indent=2) + "\n")
        if args.format == "json":
            print(json.dumps({"wrote": [f"{out}/hybrid-preflight", f"{out}/preflight.json"], "checks": len(checks),
                              "onTheNode": "sudo ./hybrid-preflight --checks preflight.json"}, indent=2))
        else:
            print(f"preflight: wrote {out}/hybrid-preflight and {out}/preflight.json ({len(checks)} checks); on the node: "
                  f"sudo ./hybrid-preflight --checks preflight.json")
        return 0
    runner = preflight.runner()
    start = time.perf_counter()

    def progress(i: int, total: int, check: dict) -> None:
        # One line per check on stderr: each can wait --timeout seconds, so a silent run looks hung.
        print(f"preflight: {i + 1}/{total} {check['kind']} {check['need']}", file=sys.stderr, flush=True)

    results = runner.run(checks, args.timeout, args.codename or runner.local_codename(), on_check=progress)
    print(f"preflight: {len(results)} checks in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    sys.stdout.write(json.dumps(results, indent=2) + "\n" if args.format == "json" else runner.report(results))
    return 0 if all(r["status"] != "FAIL" for r in results) else 1
