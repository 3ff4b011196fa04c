"""Structure the code relies on: the import contracts of the layers, every artifact writer listed."""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(cwd: Path, extra_path: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if extra_path:
        env["PYTHONPATH"] = extra_path
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run([str(lint), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_import_contracts_hold():
    """The layer contracts of pyproject.toml ([tool.importlinter]), checked by import-linter."""
    out = _lint_imports(ROOT)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "Contracts: 5 kept, 0 broken." in out.stdout


# A tree holding the imports the contracts' ignore lists name (an ignore that matches nothing
# is an error), then one breach per contract.
_FAKE = {
    "hybrid/__init__.py": "",
    "hybrid/model/__init__.py": "",
    "hybrid/model/platform.py": "def f():\n    from hybrid import placement_platform\n",
    "hybrid/placement_platform.py": "",
    "components/__init__.py": "",
    "components/contracts.py": "",
    "components/a.py": "from components import contracts, oss\n",
    "components/oss.py": "",
    "components/b.py": "",
    "components/platform.py": "from components import a\n",
    "components/config.py": "from components import b\n",
    "hybrid_tools/__init__.py": "",
    "hybrid_tools/p.py": "",
    "hybrid_tools/q.py": "",
    "hybrid_clock/__init__.py": "",
}
_BREACHES = {
    "Layers: hybrid_tools over components over pure hybrid": {"hybrid/cidr.py": "import components.b\n"},
    "Pure hybrid never imports a Pulumi SDK": {"hybrid/cidr.py": "def f():\n    import pulumi_alicloud\n"},
    "Pure hybrid never reads the clock": {"hybrid/model/lease.py": "from hybrid_clock import today\n"},
    "Components read each other only through components.contracts": {"components/b.py": "from components import a\n"},
    "No import cycle between sibling modules or packages": {"hybrid_tools/p.py": "from hybrid_tools import q\n",
                                                            "hybrid_tools/q.py": "def f():\n    from hybrid_tools import p\n"},
}


@pytest.mark.parametrize("contract", sorted(_BREACHES))
def test_each_import_contract_catches_its_breach(tmp_path, contract):
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    for rel, text in {**_FAKE, **_BREACHES[contract]}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    out = _lint_imports(tmp_path, str(tmp_path))
    assert out.returncode == 1, out.stdout[-3000:] + out.stderr[-2000:]
    assert "Contracts: 4 kept, 1 broken." in out.stdout, out.stdout[-3000:]
    broken = [ln.split(" BROKEN")[0] for ln in out.stdout.splitlines() if " BROKEN" in ln]
    assert broken == [contract], broken


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
    policy/, no PYTHONPATH. rules/ imports facts from ``hybrid``; this proves it can."""
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
    code = "import rules, hybrid; print(hybrid.__file__); print(rules.common.is_gpu_instance('ecs.gn7i-c8g1.2xlarge'))"
    out = subprocess.run([str(python), "-c", code], cwd=pack, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    where, gpu = out.stdout.split()
    assert Path(where).resolve() == (ROOT / "hybrid" / "__init__.py").resolve() and gpu == "True"
