"""The CI workflows shipped for users: actionlint clean, and wired the way the README promises."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _actionlint() -> str | None:
    for cand in (os.environ.get("ACTIONLINT"), shutil.which("actionlint"),
                 str(ROOT / ".venv-tools" / "bin" / "actionlint"), str(ROOT / ".venv" / "bin" / "actionlint")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def test_actionlint_is_clean():
    exe = _actionlint()
    if exe is None:
        pytest.skip("no actionlint binary (bash scripts/setup-system.sh installs it in .venv-tools)")
    proc = subprocess.run([exe, "-color=false", *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _steps(doc: dict) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def test_pr_workflow_runs_tests_gate_diff_and_preview_with_policy_pack():
    doc = yaml.safe_load((ROOT / ".github/workflows/pr.yml").read_text())
    assert "pull_request" in doc[True]  # YAML 1.1 reads the bare key `on` as True
    runs = "\n".join(s.get("run", "") for s in _steps(doc))
    assert "pytest" in runs and "hybrid-gpu plan" in runs and "hybrid-gpu diff" in runs and "--format md" in runs
    preview = [s for s in _steps(doc) if str(s.get("uses", "")).startswith("pulumi/actions@")]
    assert preview and all(s["with"]["command"] == "preview" and s["with"]["policyPacks"] == "policy" and s["with"]["diff"] is True
                           for s in preview)


def test_main_workflow_runs_up_only_on_main_per_stack():
    doc = yaml.safe_load((ROOT / ".github/workflows/main.yml").read_text())
    assert doc[True]["push"]["branches"] == ["main"]
    up = doc["jobs"]["up"]
    assert up["strategy"]["matrix"]["stack"] == ["dev", "prod"] and up["strategy"]["max-parallel"] == 1
    cmds = [s["with"]["command"] for s in up["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]
    assert cmds == ["up"]
