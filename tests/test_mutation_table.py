"""docs/testing.md's mutation table is well-formed and says what docs/mutation-results.json recorded.

The table is written by scripts/mutate.py; this test does not run mutmut (too slow for CI). It
reads the Markdown itself: one row per module of the four packages, figures that add up, and a
score that is killed / (mutants - equivalent), so a hand-edited or stale table fails here.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "testing.md"
RESULTS = ROOT / "docs" / "mutation-results.json"


def _section(text: str, name: str) -> list[str]:
    begin, end = f"<!-- mutate:{name}:begin -->", f"<!-- mutate:{name}:end -->"
    assert text.count(begin) == 1 and text.count(end) == 1
    return text.split(begin, 1)[1].split(end, 1)[0].strip().splitlines()


def _modules() -> set[str]:
    """Python modules of the four packages, and the shell scripts nodes run."""
    py = {p.relative_to(ROOT).as_posix() for pkg in ("hybrid", "components", "hybrid_tools", "policy")
          for p in (ROOT / pkg).rglob("*.py") if p.name != "__init__.py" and "/scripts/" not in p.as_posix()}
    return py | {p.relative_to(ROOT).as_posix() for p in (ROOT / "hybrid" / "scripts").glob("*.sh")}


def _functions(path: Path) -> list[str]:
    """The functions of a module mutmut would mutate: its top-level ones and the methods of its
    top-level classes (mutmut/mutation/file_mutation.py, OuterFunctionProvider: nothing else is mutated)."""
    body = ast.parse(path.read_text()).body
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    return [n.name for n in body if isinstance(n, defs)] + [
        f"{c.name}.{m.name}" for c in body if isinstance(c, ast.ClassDef) for m in c.body if isinstance(m, defs)]


def test_table_rows_cover_every_module_once_and_add_up():
    rows = _section(DOC.read_text(), "table")
    assert rows[0] == "| module | mutants | killed | survived (equivalent) | score |"
    results = json.loads(RESULTS.read_text())
    seen = []
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 5, row
        mod = cells[0].strip("`")
        seen.append(mod)
        if cells[1] == "not measured":
            assert mod not in results and cells[2:] == ["", "", ""], row
            continue
        mutants, killed = int(cells[1]), int(cells[2])
        m = re.fullmatch(r"(\d+) \((\d+)\)", cells[3])
        assert m, row
        survived, equivalent = int(m.group(1)), int(m.group(2))
        assert killed + survived == mutants and equivalent <= survived, row
        assert (mutants, killed, survived) == (results[mod]["mutants"], results[mod]["killed"],
                                               len(results[mod]["survivors"])), row
        # a score is of the text its run mutated: a module changed since says so
        stale = results[mod]["source"] != hashlib.sha256((ROOT / mod).read_bytes()).hexdigest()
        score, marked = cells[4].removesuffix(" (stale: the module changed since its run)"), cells[4].endswith(")")
        assert marked == stale, row
        if mutants == 0:
            # a run that generated nothing: honest only for a module without a function to mutate
            assert score == "no code to mutate" and not _functions(ROOT / mod), row
        elif mutants == equivalent:
            assert score == "-", row
        else:
            assert score == f"{100 * killed / (mutants - equivalent):.0f} %", row
    assert sorted(seen) == seen and set(seen) == _modules()


def test_every_listed_equivalent_mutant_has_a_reason_and_survived():
    rows = _section(DOC.read_text(), "equivalent")
    survivors = {m for r in json.loads(RESULTS.read_text()).values() for m in r["survivors"]}
    for row in rows[2:]:
        name, reason = (c.strip() for c in row.strip("|").split("|", 1))
        assert name.strip("`") in survivors, row
        assert len(reason) > 20, row


def test_the_tables_name_what_is_there():
    """scripts/mutate.toml: every target's module and test files exist, each hand-written mutant's text
    occurs once in its file (so it still names one place), and no mutant is listed under two reasons."""
    tables = tomllib.loads((ROOT / "scripts" / "mutate.toml").read_text(encoding="utf-8"))
    for name, t in tables["targets"].items():
        assert (ROOT / t["module"]).is_file(), name
        assert all((ROOT / a.split("::")[0]).is_file() for a in t["tests"] if a.startswith("tests/")), name
    for name, t in tables["hand_targets"].items():
        text = (ROOT / t["file"]).read_text()
        for mutant, old, new in t["mutants"]:
            assert text.count(old) == 1 and old != new, (name, mutant)
    listed = [m for e in tables["equivalent"] for m in e["mutants"]]
    assert sorted(m for m, n in Counter(listed).items() if n > 1) == []
    assert all(len(e["reason"]) > 20 and e["mutants"] for e in tables["equivalent"])
