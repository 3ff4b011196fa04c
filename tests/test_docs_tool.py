"""README and docs/ against the tool: every command they show parses, every artifact and output the
plan writes is listed, and the counts they state are the code's."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hybrid_tools.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND = re.compile(r"(?:\.venv/bin/)?hybrid-gpu ([a-z][a-z-]+(?:[^`#|\n)]*))")


def _commands():
    for doc in DOCS:
        for m in COMMAND.finditer(doc.read_text(encoding="utf-8")):
            yield doc.name, m.group(1).strip().rstrip(".,;:")


def test_every_command_the_docs_show_parses(capsys):
    # The subcommands as the usage line lists them ({plan,policy,...}): argparse's public output.
    sub = set(re.search(r"\{([a-z,-]+)\}", build_parser().format_usage()).group(1).split(","))
    seen = 0
    for doc, text in _commands():
        argv = shlex.split(text)
        assert argv[0] in sub, (doc, text)
        if len(argv) > 1 or argv[0] in ("unconfirmed", "validators", "config-docs"):
            try:
                build_parser().parse_args(argv)
            except SystemExit:
                pytest.fail(f"{doc}: `hybrid-gpu {text}` does not parse: {capsys.readouterr().err.strip()}")
        seen += 1
    assert seen > 20  # README and docs show the tool throughout


def test_a_stale_flag_in_the_docs_would_fail(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(shlex.split("cost --stack prod --jsonn"))


@pytest.fixture(scope="module")
def prod_plan_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs-plan")
    cli = Path(sys.executable).with_name("hybrid-gpu")
    res = subprocess.run([str(cli), "plan", "--stack", "prod", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return out / "prod"


def test_readme_lists_every_artifact_and_output(prod_plan_dir):
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| artifact | what it holds |"):readme.index("Same stack config, byte-identical artifacts")]
    for p in sorted(prod_plan_dir.iterdir()):
        name = p.name + ("/" if p.is_dir() else "")
        assert f"| `{name}" in table, f"README's artifact table has no row for {name}"
    # not-applied/ is written only without a Fleet target (dev); prod applies the Fleet objects
    assert "| `not-applied/` |" in table
    outputs_row = next(line for line in table.splitlines() if line.startswith("| `outputs.json`"))
    for key in json.loads((prod_plan_dir / "outputs.json").read_text()):
        assert f"`{key}`" in outputs_row, f"README's outputs.json row does not name {key}"


def test_counts_the_docs_state_are_the_codes():
    from policy.rules import POLICIES

    readme = (ROOT / "README.md").read_text()
    assert f"policy as code: {len(POLICIES)} policies" in readme
    assert "hybrid__model" not in (ROOT / "docs" / "config.md").read_text()
