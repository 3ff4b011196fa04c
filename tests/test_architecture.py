"""Structure the code relies on: no import cycles, every artifact writer listed."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from hybrid_tools import import_cycles

ROOT = Path(__file__).resolve().parents[1]


def test_no_import_cycles_among_project_packages():
    g = import_cycles.graph(ROOT)
    assert "hybrid_tools.mockrun" in g and "policy:rules" in g  # the walk saw the code
    assert import_cycles.cycles(g) == []


def test_cycle_check_finds_a_lazy_import_cycle(tmp_path):
    # The shape of the cycle this check was written for: a module importing, inside a
    # function, one that imports it back at top level.
    for pkg in (*import_cycles.PACKAGES, *import_cycles.FLAT_DIRS):
        (tmp_path / pkg).mkdir()
    (tmp_path / "hybrid_tools" / "__init__.py").write_text("")
    (tmp_path / "hybrid_tools" / "a.py").write_text("def f():\n    from hybrid_tools.b import g\n")
    (tmp_path / "hybrid_tools" / "b.py").write_text("from . import a\n")
    (tmp_path / "hybrid_tools" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from hybrid_tools import b\n")
    (tmp_path / "hybrid_tools" / "d.py").write_text("import hybrid_tools.c\n")
    assert import_cycles.cycles(import_cycles.graph(tmp_path)) == [["hybrid_tools.a", "hybrid_tools.b"]]
    assert import_cycles.main(tmp_path) == 1


def _writer_like(fn) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    return len(params) == 2 and {str(p.annotation) for p in params} == {"Platform", "ProgramRun"}


def test_every_artifact_writer_is_listed():
    from hybrid_tools import plan

    defined = set()
    for path in sorted((ROOT / "hybrid_tools").glob("*artifacts.py")):
        mod = importlib.import_module(f"hybrid_tools.{path.stem}")
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ == mod.__name__ and not name.startswith("_") and _writer_like(fn):
                defined.add(f"{mod.__name__}.{name}")
    listed = {f"{w.__module__}.{w.__name__}" for w in plan.WRITERS}
    assert len(defined) >= 5  # the scan found the writers
    assert defined - listed == set(), "artifact writers defined but not in hybrid_tools.plan.WRITERS"
    assert len(plan.WRITERS) == len(set(plan.WRITERS))


def test_policy_pack_imports_the_project_in_its_own_venv():
    """The pack as the engine starts it: the virtualenv PulumiPolicy.yaml names, cwd
    policy/, no PYTHONPATH. rules.py imports facts from ``hybrid``; this proves it can."""
    import os
    import subprocess

    import pytest
    import yaml

    pack = ROOT / "policy"
    venv = (pack / yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())["runtime"]["options"]["virtualenv"]).resolve()
    python = venv / "bin" / "python"
    if not python.exists():
        pytest.skip(f"no virtualenv at {venv} (scripts/setup.sh creates it)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    code = "import rules, hybrid; print(hybrid.__file__); print(rules.is_gpu_instance('ecs.gn7i-c8g1.2xlarge'))"
    out = subprocess.run([str(python), "-c", code], cwd=pack, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    where, gpu = out.stdout.split()
    assert Path(where).resolve() == (ROOT / "hybrid" / "__init__.py").resolve() and gpu == "True"


def test_components_read_each_other_only_through_contracts():
    # Only the composer (platform.py) and the config reader import components; every other
    # component may import the frozen output types of components/contracts.py, nothing else.
    import ast

    composers = {"platform.py", "config.py", "__init__.py"}
    found = {}
    for path in sorted((ROOT / "components").glob("*.py")):
        mods = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                mods.add(node.module)
            elif isinstance(node, ast.Import):
                mods.update(a.name for a in node.names)
        found[path.name] = {m for m in mods if m.split(".")[0] == "components"}
    assert found["cni.py"] >= {"components.contracts"}  # the walk saw the imports
    bad = {name: sorted(m - {"components.contracts"}) for name, m in found.items()
           if name not in composers and m - {"components.contracts"}}
    assert bad == {}
