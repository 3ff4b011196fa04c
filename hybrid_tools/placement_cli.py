"""``hybrid-gpu placement --input FILE``: JSON in, JSON out.

Prints ``{"assignments": {cluster: n}, "unplaced": n, "capacity": {cluster: n}}``
(keys sorted, so the output is byte-for-byte reproducible). Bad input prints
every problem with its field path on stderr and exits 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from pathlib import Path

from hybrid import safeload
from hybrid.errors import ConfigError, ConfigIssue, render_issues

EXIT_BAD_INPUT = 2


def _fail(issues: list[ConfigIssue], err: TextIO) -> int:
    print(render_issues("hybrid-gpu placement: invalid input", issues), file=err)
    return EXIT_BAD_INPUT


def run(path: str, out: TextIO | None = None, err: TextIO | None = None, stdin: TextIO | None = None,
        fmt: str = "json") -> int:
    from hybrid.placement_input import compute, parse_input

    # Streams are looked up per call so that redirected sys.std* are honoured.
    out, err, stdin = out or sys.stdout, err or sys.stderr, stdin or sys.stdin

    try:
        if path == "-":
            buf = getattr(stdin, "buffer", None)
            if buf is not None:
                text = safeload.decode(buf.read(safeload.MAX_BYTES + 1), "<stdin>")
            else:
                text = stdin.read(safeload.MAX_BYTES + 1)
        else:
            text = safeload.decode(safeload.read_bytes(Path(path)), path)
        raw = safeload.loads_json(text, "<stdin>" if path == "-" else path)
    except ConfigError as e:
        return _fail(list(e.issues), err)
    if not isinstance(raw, dict):
        return _fail([ConfigIssue("<root>", "the input is not a JSON object.", "give an object with replicas, strategy, request and clusters.")], err)
    try:
        result = compute(parse_input(raw))
    except ConfigError as e:
        return _fail(list(e.issues), err)
    doc = result.contract()
    if fmt == "table":
        out.write("".join(f"{c}  {n}  (capacity {doc['capacity'].get(c, '-')})\n" for c, n in sorted(doc["assignments"].items()))
                  + f"unplaced  {doc['unplaced']}\n")
    else:
        out.write(json.dumps(doc, sort_keys=True) + "\n")
    return 0


def _cmd(args: argparse.Namespace) -> int:
    return run(args.input, fmt=args.format)


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("placement", help="spread a workload's replicas over clusters (JSON in, JSON out)")
    p.add_argument("--input", required=True, help="JSON file with replicas, strategy, request, clusters (- for stdin)")
    from hybrid_tools.formats import add_format

    # JSON in, JSON out: the contract is the default view.
    add_format(p, "json: the contract, one line, keys sorted; table: one cluster a line; md: the table in a fenced block",
               native=("json", "table"), default="json")
    p.set_defaults(func=_cmd)
