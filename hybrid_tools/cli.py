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
from hybrid_tools import formats
from hybrid_tools.formats import FORMATS, add_format, add_stack

EXIT_BAD_INPUT = 2
# What a shell reports for a command that SIGPIPE stopped (128 + 13), as `yes | head` gives it.
EXIT_BROKEN_PIPE = 141


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



def _generated_doc(module_name: str):
    """config-docs and validators: print (or --write) a docs/ page generated from the code."""
    def handler(args: argparse.Namespace) -> int:
        import importlib
        import json

        module = importlib.import_module(f"hybrid_tools.{module_name}")
        if args.write:
            changed = module.write()
            if args.format == "json":
                print(json.dumps({"path": str(module.DOC_PATH), "written": changed}))
            else:
                print(f"{module.DOC_PATH}: {'written' if changed else 'up to date'}")
        elif args.format == "json":
            print(json.dumps(module.data(), indent=2, sort_keys=True))
        else:  # the page is Markdown, readable in a terminal as it is
            sys.stdout.write(module.render())
        return 0
    return handler


def _unconfirmed(args: argparse.Namespace) -> int:
    import json

    from hybrid import tables, unconfirmed

    rows = unconfirmed.table()
    if args.format == "json":
        print(json.dumps(rows, indent=2, sort_keys=True))
    elif args.format == "md":
        print("\n".join(tables.md(("key", "value", "used by", "why unconfirmed", "confirm by"),
                                  [(f"`{r['key']}`", r["value"], r["usedBy"], r["why"], r["confirmBy"]) for r in rows])))
    else:
        for row in rows:
            print(f"{row['key']}: {row['value']}\n  used by {row['usedBy']}; {row['why']}\n  confirm: {row['confirmBy']}")
    return 0


class _Parser(argparse.ArgumentParser):
    """A usage error is one line too: the problem and where the usage is, not the usage block."""

    def error(self, message: str):  # type: ignore[override]
        text = " ".join(message.split())
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {text}. Fix: see {self.prog} --help.\n")


def build_parser() -> argparse.ArgumentParser:
    return _build()[0]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser by name (the style test walks them)."""
    return dict(_build()[1].choices)


def _build():
    from hybrid_tools import cost_cli, jobs_cli, join_token_cli, lease_cli, placement_cli, preflight_cli, usage_cli, wait_gpus

    parser = _Parser(prog="hybrid-gpu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan", help="run the program offline under Pulumi mocks and write build/plan/<stack>/")
    add_stack(p)
    p.add_argument("--out", default="build/plan", help="output root; default build/plan")
    p.add_argument("--policy-config", help="policy config file; default policy/config/<stack>.json")
    p.add_argument("--no-policy", action="store_true", help="skip the policy gate that runs after the plan")
    cost_cli.add_api_flags(p)
    p.set_defaults(func=_plan)

    p = sub.add_parser("init", help="create stacks/Pulumi.<STACK>.yaml and policy/config/<STACK>.json from an existing stack; print the secrets and environment it needs")
    p.add_argument("new_stack", metavar="STACK", help="the new stack's name")
    p.add_argument("--from", "--copy-config-from", dest="source", default="dev",
                   help="the stack to copy (as `pulumi stack init --copy-config-from`); default dev")
    p.set_defaults(func=_init)

    p = sub.add_parser("policy", help="run the policy pack over the offline plan (analyzer gRPC protocol); exit 1 on a mandatory violation")
    add_stack(p)
    p.add_argument("--policy-config", help="policy config file; default policy/config/<stack>.json")
    p.add_argument("--out", default="build/plan", help="output root for <stack>/policy.json; default build/plan")
    p.add_argument("--write-config", action="store_true", help="refresh the stack-derived values in the policy config file and exit")
    p.set_defaults(func=_policy)

    p = sub.add_parser("diff", help="compare two offline plans (e.g. base branch vs PR)")
    p.add_argument("base", help="base plan dir (build/plan/<stack> of the base branch)")
    p.add_argument("head", help="head plan dir")
    add_format(p, "table: the terminal view; json: the diff as data; md: Markdown for a PR comment", native=FORMATS)
    p.add_argument("--output", help="write here instead of stdout")
    p.set_defaults(func=_diff)

    for name, module, page, what in (
            ("config-docs", "configdoc", "docs/config.md", "the stack config reference generated from the model"),
            ("validators", "validators", "docs/validators.md", "every validator of the stack config and the policy pack, with its source")):
        p = sub.add_parser(name, help=f"print (or --write) {page}, {what}")
        p.add_argument("--write", action="store_true", help=f"write {page} instead of printing it")
        add_format(p, "table and md: the page as Markdown; json: its content as data", native=FORMATS)
        p.set_defaults(func=_generated_doc(module))

    p = sub.add_parser("unconfirmed", help="list the vendor-facing values no upstream source confirmed yet (hybrid/unconfirmed.py)")
    add_format(p, "table: one value a block; json: the table as data; md: a Markdown table", native=FORMATS)
    p.set_defaults(func=_unconfirmed)

    # Subcommands that live in their own module register themselves: one call each, in help order.
    for module in (placement_cli, cost_cli, jobs_cli, wait_gpus, usage_cli, lease_cli, preflight_cli, join_token_cli):
        module.add_parser(sub)
    # The subcommands that print terminal text only get json and md from formats.run.
    for p in sub.choices.values():
        if p.get_default("format_native") is None:
            add_format(p, "table: the terminal text; json: its lines as data; md: a fenced block for a PR comment")
    return parser, sub


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
        status = formats.run(args.command, args.format, args.format_native, lambda: args.func(args))
        sys.stdout.flush()  # inside the try: a reader that went away is seen here, not at exit
        return status
    except BrokenPipeError:
        # The reader of stdout stopped early (`| head`): not an error of the command. Python's
        # signal docs ("Note on SIGPIPE"): point stdout at devnull so the exit flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (ConfigError, InputError, OSError, UnicodeDecodeError) as err:
        text = expected_failure(err)
        if text is None:
            raise
        print(text, file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
