"""``hybrid-gpu``: offline plan, policy gate, plan diff and the placement calculator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hybrid.errors import ConfigError

EXIT_BAD_INPUT = 2


def _plan(args: argparse.Namespace) -> int:
    from hybrid_tools import plan

    plan.main(args.stack, Path(args.out), Path(args.config) if args.config else None)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hybrid-gpu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan", help="run the program offline under Pulumi mocks and write build/plan/<stack>/")
    p.add_argument("--stack", default="dev", help="stack name (stacks/Pulumi.<stack>.yaml); default dev")
    p.add_argument("--config", help="use this stack config file instead of stacks/Pulumi.<stack>.yaml")
    p.add_argument("--out", default="build/plan", help="output root; default build/plan")
    p.set_defaults(func=_plan)

    from hybrid_tools import placement_cli

    placement_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as err:
        print(err.render(), file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
