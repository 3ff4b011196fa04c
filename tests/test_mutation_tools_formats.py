"""hybrid_tools/formats.py: the one ``--format`` flag and the ``--stack``/``--config`` pair, called
directly on a fresh parser (no subprocess).

Expectations are written by hand from what a user types and reads (the CLI's documented spelling
in docs/cli.md: ``--format table|json|md``, default table; ``--stack`` default dev), not copied
from the module's constants.
"""

from __future__ import annotations

import argparse
import json

import pytest

from hybrid_tools import formats


def _parser(**kw) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hybrid-gpu x", add_help=False)
    formats.add_format(p, "what each format shows", **kw)
    return p


def test_format_accepts_the_three_names_and_text_as_table():
    p = _parser()
    assert p.parse_args([]).format == "table"
    for name in ("table", "json", "md"):
        assert p.parse_args(["--format", name]).format == name
    # the diff's former spelling of the table view still works
    assert p.parse_args(["--format", "text"]).format == "table"


def test_format_default_and_native_are_recorded():
    p = _parser()
    assert p.parse_args([]).format_native == ("table",)
    p = _parser(native=("table", "json"), default="json")
    args = p.parse_args([])
    assert args.format == "json" and args.format_native == ("table", "json")


def test_a_wrong_format_names_the_choices_and_exits_2(capsys):
    p = _parser()
    with pytest.raises(SystemExit) as e:
        p.parse_args(["--format", "yaml"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "argument --format: invalid choice: 'yaml' (choose from table, json, md)" in err, err


def test_format_help_shows_choices_text_and_default():
    text = " ".join(_parser(default="md").format_help().split())
    assert "--format {table,json,md}" in text
    assert "what each format shows; default md" in text


def _prints(*lines: str, code: int = 0):
    def func() -> int:
        for line in lines:
            print(line)
        return code
    return func


def test_native_format_is_left_to_the_subcommand(capsys):
    assert formats.run("cost", "json", ("table", "json"), _prints('{"a": 1}', code=3)) == 3
    assert capsys.readouterr().out == '{"a": 1}\n'


def test_json_wraps_the_terminal_lines(capsys):
    assert formats.run("plan", "json", ("table",), _prints("one", "two words", code=1)) == 1
    out = capsys.readouterr().out
    assert json.loads(out) == {"command": "plan", "exitCode": 1, "lines": ["one", "two words"]}
    # one document, indented for a reader, ending with a newline
    assert out == '{\n  "command": "plan",\n  "exitCode": 1,\n  "lines": [\n    "one",\n    "two words"\n  ]\n}\n'


def test_md_is_a_titled_fenced_text_block(capsys):
    assert formats.run("policy", "md", ("table",), _prints("ok: 3 rules", code=0)) == 0
    assert capsys.readouterr().out == "**hybrid-gpu policy** (exit 0)\n\n```text\nok: 3 rules\n```\n"


def test_md_fence_is_longer_than_a_fence_in_the_output(capsys):
    # a line opening a fence of its own would close a three-backtick block early (CommonMark: a
    # closing fence is at least as long as the opening one), so the block uses four
    formats.run("diff", "md", (), _prints("```yaml", "a: 1", "```", code=2))
    assert capsys.readouterr().out == "**hybrid-gpu diff** (exit 2)\n\n````text\n```yaml\na: 1\n```\n````\n"
    # backticks inside a line do not open a fence
    formats.run("diff", "md", (), _prints("see ```x```"))
    assert capsys.readouterr().out.count("```text") == 1


def test_table_not_native_is_rendered_as_md_never_dropped(capsys):
    # a subcommand rendering json only: table falls to the generic (fenced) form, not to json
    formats.run("x", "table", ("json",), _prints("line"))
    assert capsys.readouterr().out == "**hybrid-gpu x** (exit 0)\n\n```text\nline\n```\n"


def test_stack_pair_defaults_and_help():
    p = argparse.ArgumentParser(add_help=False)
    formats.add_stack(p)
    args = p.parse_args([])
    assert args.stack == "dev" and args.config is None
    args = p.parse_args(["--stack", "prod", "--config", "c.yaml"])
    assert args.stack == "prod" and args.config == "c.yaml"
    text = " ".join(p.format_help().split())
    assert "stack name (stacks/Pulumi.<stack>.yaml); default dev" in text
    assert text.endswith("--config CONFIG use this stack config file instead of stacks/Pulumi.<stack>.yaml"), text
    q = argparse.ArgumentParser(add_help=False)
    formats.add_stack(q, config_help="edit this file")
    assert "edit this file" in " ".join(q.format_help().split())
