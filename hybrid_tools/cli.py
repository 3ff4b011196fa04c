"""``hybrid-gpu``: offline plan, policy gate, plan diff and the placement calculator."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

from hybrid.errors import ConfigError
from hybrid_tools.errors import InputError
from hybrid_tools.formats import add_format

EXIT_BAD_INPUT = 2


def check_out_root(out: Path) -> None:
    """The output root can hold the plan: checked before minutes of planning, not after."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a directory. Fix: pass a directory (created if missing), e.g. build/plan.")
    existing = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise InputError(f"--out {out}: {existing} is a file, not a directory. Fix: pass a directory path, e.g. build/plan.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: {existing} is not writable. Fix: pass a directory you can write, e.g. build/plan.")


def _plan(args: argparse.Namespace) -> int:
    from hybrid_tools import cost_cli, plan, policy_config, policy_gate

    check_out_root(Path(args.out))
    config_file = Path(args.config) if args.config else None
    policy_path = Path(args.policy_config) if args.policy_config else None
    if not args.no_policy:  # a bad policy config fails before minutes of planning, with nothing written
        policy_gate.load_policy_config(policy_path or policy_config.default_path(args.stack), explicit=policy_path is not None)
    pricing = cost_cli.pricing_api(args.pricing_endpoint, args.pricing_protocol) if args.pricing_api else contextlib.nullcontext()
    with pricing:
        progress = plan.Progress(sys.stderr, f"planning {args.stack}")
        cfg, platform, run, seconds = plan.build_plan(args.stack, config_file=config_file, progress=progress)
        progress.done(seconds)
        from hybrid.model import warnings

        for issue in warnings(platform):  # preferences and unconfirmed limits: printed, never a stop
            print(f"warning: {issue.render()}", file=sys.stderr)
        report, table = None, io.StringIO()
        if not args.no_policy:
            # The gate runs before anything is written: a policy config the pack rejects (an
            # unknown policy, a value against its schema) leaves the output root untouched.
            with tempfile.TemporaryDirectory() as gate_dir:
                report = policy_gate.gate_run(args.stack, platform, run, Path(gate_dir), policy_path, stream=table)
                verdict = (Path(gate_dir) / "policy.json").read_bytes()
        out_dir, resources = plan.write_plan(args.stack, Path(args.out), platform, run)
    if report is not None:
        (out_dir / "policy.json").write_bytes(verdict)
    print(plan.summary(args.stack, out_dir, resources, seconds, plan.references_line(run)))
    from hybrid_tools import init_stack

    todo = init_stack.missing(cfg, platform)
    print(f"  for the real run (pulumi preview/up): {'nothing missing' if not todo else f'{len(todo)} missing'}")
    for line in todo:
        print(f"    {line}")
    print("\n".join(plan.review_lines(out_dir)))
    if report is None:
        return 0
    print()
    print(table.getvalue(), end="")
    return report.exit_code


def _init(args: argparse.Namespace) -> int:
    from hybrid_tools import init_stack

    _, lines = init_stack.init(args.new_stack, args.source)
    print("\n".join(lines))
    return 0


def _policy(args: argparse.Namespace) -> int:
    from hybrid_tools import policy_gate

    if not args.write_config:
        check_out_root(Path(args.out))
    return policy_gate.cli(args)


def _diff(args: argparse.Namespace) -> int:
    from hybrid_tools import diff

    return diff.main(Path(args.base), Path(args.head), args.format, Path(args.output) if args.output else None)



def _config_docs(args: argparse.Namespace) -> int:
    from hybrid_tools import configdoc

    if args.write:
        changed = configdoc.write()
        print(f"{configdoc.DOC_PATH}: {'written' if changed else 'up to date'}")
    else:
        sys.stdout.write(configdoc.render())
    return 0


def _validators(args: argparse.Namespace) -> int:
    from hybrid_tools import validators

    if args.write:
        changed = validators.write()
        print(f"{validators.DOC_PATH}: {'written' if changed else 'up to date'}")
    else:
        sys.stdout.write(validators.render())
    return 0


def _unconfirmed(_: argparse.Namespace) -> int:
    from hybrid import unconfirmed

    for row in unconfirmed.table():
        print(f"{row['key']}: {row['value']}\n  used by {row['usedBy']}; {row['why']}\n  confirm: {row['confirmBy']}")
    return 0


class _Parser(argparse.ArgumentParser):
    """A usage error is one line too: the problem and where the usage is, not the usage block."""

    def error(self, message: str):  # type: ignore[override]
        text = " ".join(message.split())
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {text}. Fix: see {self.prog} --help.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hybrid-gpu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan", help="run the program offline under Pulumi mocks and write build/plan/<stack>/")
    p.add_argument("--stack", default="dev", help="stack name (stacks/Pulumi.<stack>.yaml); default dev")
    p.add_argument("--config", help="use this stack config file instead of stacks/Pulumi.<stack>.yaml")
    p.add_argument("--out", default="build/plan", help="output root; default build/plan")
    p.add_argument("--policy-config", help="policy config file; default policy/config/<stack>.json")
    p.add_argument("--no-policy", action="store_true", help="skip the policy gate that runs after the plan")
    from hybrid_tools import cost_cli

    cost_cli.add_api_flags(p)
    p.set_defaults(func=_plan)

    p = sub.add_parser("init", help="create stacks/Pulumi.<STACK>.yaml and policy/config/<STACK>.json from an existing stack; print the secrets and environment it needs")
    p.add_argument("new_stack", metavar="STACK", help="the new stack's name")
    p.add_argument("--from", "--copy-config-from", dest="source", default="dev",
                   help="the stack to copy (as `pulumi stack init --copy-config-from`); default dev")
    p.set_defaults(func=_init)

    p = sub.add_parser("policy", help="run the policy pack over the offline plan (analyzer gRPC protocol); exit 1 on a mandatory violation")
    p.add_argument("--stack", default="dev", help="stack name; default dev")
    p.add_argument("--config", help="use this stack config file instead of stacks/Pulumi.<stack>.yaml")
    p.add_argument("--policy-config", help="policy config file; default policy/config/<stack>.json")
    p.add_argument("--out", default="build/plan", help="output root for <stack>/policy.json; default build/plan")
    p.add_argument("--write-config", action="store_true", help="refresh the stack-derived values in the policy config file and exit")
    p.set_defaults(func=_policy)

    p = sub.add_parser("diff", help="compare two offline plans (e.g. base branch vs PR)")
    p.add_argument("base", help="base plan dir (build/plan/<stack> of the base branch)")
    p.add_argument("head", help="head plan dir")
    add_format(p, ("table", "json", "md"), "table: the terminal view; json: the diff as data; md: Markdown for a PR comment")
    p.add_argument("--output", help="write here instead of stdout")
    p.set_defaults(func=_diff)

    p = sub.add_parser("config-docs", help="print (or --write) docs/config.md, the stack config reference generated from the model")
    p.add_argument("--write", action="store_true", help="write docs/config.md instead of printing it")
    p.set_defaults(func=_config_docs)

    p = sub.add_parser("validators", help="print (or --write) docs/validators.md: every validator of the stack config and the policy pack, with its source")
    p.add_argument("--write", action="store_true", help="write docs/validators.md instead of printing it")
    p.set_defaults(func=_validators)

    p = sub.add_parser("unconfirmed", help="list the vendor-facing values no upstream source confirmed yet (hybrid/unconfirmed.py)")
    p.set_defaults(func=_unconfirmed)

    from hybrid_tools import placement_cli, preflight_cli, wait_gpus

    placement_cli.add_parser(sub)
    cost_cli.add_parser(sub)
    wait_gpus.add_parser(sub)
    from hybrid_tools import usage_cli

    usage_cli.add_parser(sub)
    from hybrid_tools import lease_cli

    lease_cli.add_parser(sub)
    preflight_cli.add_parser(sub)
    from hybrid_tools import join_token_cli

    join_token_cli.add_parser(sub)
    return parser


def expected_failure(err: BaseException) -> str | None:
    """The text for a failure a user can cause by what they type, or None for a defect.

    The one place that decides what exits 2: bad stack config (one line per field), and one
    line for a bad policy config, a plan directory that is not one, a path that cannot be
    read or written, a file that is not UTF-8 text."""
    if isinstance(err, ConfigError):
        return err.render()
    if isinstance(err, InputError):
        return f"hybrid-gpu: {err}"
    if isinstance(err, OSError) and err.filename is not None:
        return f"hybrid-gpu: {err.filename}: {err.strerror or err}. Fix: check the path and its permissions."
    if isinstance(err, FileNotFoundError):  # no filename: a lookup such as the project root
        return f"hybrid-gpu: {err}."
    if isinstance(err, UnicodeDecodeError):
        return f"hybrid-gpu: an input file is not UTF-8 text ({err.reason} at byte {err.start}). Fix: save it as UTF-8."
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # a usage error: one line and exit 2 (_Parser.error)
    try:
        from hybrid_tools.stackconfig import check_stack_name

        for name in ("stack", "new_stack", "source"):
            if getattr(args, name, None) is not None:
                check_stack_name(getattr(args, name))  # before any path is built from it
        return args.func(args)
    except (ConfigError, InputError, OSError, UnicodeDecodeError) as err:
        text = expected_failure(err)
        if text is None:
            raise
        print(text, file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
