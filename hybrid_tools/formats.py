"""The one output flag of the CLI: ``--format``, the same spelling and behaviour on every subcommand."""

from __future__ import annotations

import argparse


def add_format(p: argparse.ArgumentParser, choices: tuple[str, ...], help_text: str) -> None:
    """The one output flag of every subcommand that prints a result: ``--format table|json|md`` (what it offers)."""
    def fmt(value: str) -> str:
        value = {"text": "table"}.get(value, value)  # `--format text`, the diff's former name of the table view
        if value not in choices:
            raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from {', '.join(choices)})")
        return value

    p.add_argument("--format", type=fmt, default=choices[0], metavar="{" + ",".join(choices) + "}",
                   help=f"{help_text}; default {choices[0]}")
