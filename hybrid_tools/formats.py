"""The one output flag of the CLI: ``--format table|json|md``, the same spelling, choices and
behaviour on every subcommand.

A subcommand renders the formats it has a data form for itself (``native``); for the others
:func:`run` renders its terminal text: ``json`` as ``{"command", "exitCode", "lines"}`` and
``md`` as a fenced text block (for a PR comment or an issue). Progress and errors stay on
stderr in every format, so stdout is only the result.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from typing import Callable

FORMATS = ("table", "json", "md")


def add_format(p: argparse.ArgumentParser, help_text: str, native: tuple[str, ...] = ("table",), default: str = "table") -> None:
    """``--format`` on ``p``; the subcommand itself renders the formats in ``native``."""
    def fmt(value: str) -> str:
        value = {"text": "table"}.get(value, value)  # `--format text`, the diff's former name of the table view
        if value not in FORMATS:
            raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from {', '.join(FORMATS)})")
        return value

    p.add_argument("--format", type=fmt, default=default, metavar="{" + ",".join(FORMATS) + "}",
                   help=f"{help_text}; default {default}")
    p.set_defaults(format_native=native)


def run(command: str, fmt: str, native: tuple[str, ...], func: Callable[[], int]) -> int:
    """``func()`` with its stdout rendered as ``fmt`` when the subcommand does not render ``fmt`` itself."""
    if fmt in native:
        return func()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = func()
    lines = buf.getvalue().splitlines()
    if fmt == "json":
        sys.stdout.write(json.dumps({"command": command, "exitCode": code, "lines": lines}, indent=2) + "\n")
    else:
        fence = "````" if any(line.startswith("```") for line in lines) else "```"
        sys.stdout.write("\n".join([f"**hybrid-gpu {command}** (exit {code})", "", fence + "text", *lines, fence]) + "\n")
    return code


STACK_HELP = "stack name (stacks/Pulumi.<stack>.yaml); default dev"


def add_stack(p: argparse.ArgumentParser, config_help: str = "use this stack config file instead of stacks/Pulumi.<stack>.yaml") -> None:
    """``--stack`` (default dev) and ``--config``: the same pair on every subcommand that reads a stack."""
    p.add_argument("--stack", default="dev", help=STACK_HELP)
    p.add_argument("--config", help=config_help)
