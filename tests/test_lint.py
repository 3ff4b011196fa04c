"""The linter and the type checker, pinned in requirements-dev.txt, configured in pyproject.toml:
``ruff check`` over the repository, ``mypy --strict`` over the pure layer (``hybrid/``), the clock
(``hybrid_clock/``) and the components (``components/``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

BIN = Path(sys.executable).parent


def _run(tool: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / tool), *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_ruff_check_is_clean():
    out = _run("ruff", "check", "--no-cache", ".")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_mypy_is_clean():
    out = _run("mypy", "--no-incremental")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "no issues found" in out.stdout


def test_the_checkers_find_a_planted_defect(tmp_path):
    """With the project's configuration, each tool fails on the kind of defect it is there for."""
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    pkg = tmp_path / "hybrid"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for tree in ("hybrid_clock", "components"):  # the other trees mypy reads
        (tmp_path / tree).mkdir()
        (tmp_path / tree / "__init__.py").write_text("")
    # Provider arguments are checked: both signatures take a string here (pulumi-alicloud
    # vpc/switch.py cidr_block, pulumi-kubernetes core/v1/ConfigMap.py data values).
    (tmp_path / "components" / "wrong.py").write_text(
        "import pulumi_alicloud as alicloud\nimport pulumi_kubernetes as k8s\n\n"
        "alicloud.vpc.Switch('s', cidr_block=24)\nk8s.core.v1.ConfigMap('c', data={'k': 1})\n")
    (pkg / "bad.py").write_text("import os\n\n\ndef f(n: int) -> str:\n    return n\n")
    (pkg / "loose.py").write_text("def g(n):\n    return n\n")  # fine for plain mypy, not for strict
    ruff = _run("ruff", "check", "--no-cache", ".", cwd=tmp_path)
    assert ruff.returncode == 1 and "F401" in ruff.stdout, ruff.stdout
    mypy = _run("mypy", "--no-incremental", cwd=tmp_path)
    assert mypy.returncode == 1 and "Incompatible return value type" in mypy.stdout, mypy.stdout
    assert "loose.py:1: error: Function is missing a type annotation" in mypy.stdout, mypy.stdout
    assert 'wrong.py:4: error: No overload variant of "Switch" matches argument types "str", "int"' in mypy.stdout, mypy.stdout
    assert 'wrong.py:5: error: Dict entry 0 has incompatible type "str": "int"' in mypy.stdout, mypy.stdout
