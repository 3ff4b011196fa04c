"""The prod plan's manifests: Kubernetes schema validation and checkov, run for real.

One offline plan and one checkov run per session (checkov takes seconds per
run). checkov lives in .venv-checkov (scripts/setup-system.sh installs it);
without it the scan test skips locally and fails under CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hybrid.model import load
from hybrid_tools.artifacts import manifest_path
from tests import cni_declared
from tests.k8s_validate import validate_files
from tests.conftest import ROOT, stack_raw

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
STACK = "prod"


@pytest.fixture(scope="session")
def prod_plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    cli = Path(sys.executable).with_name("hybrid-gpu")
    res = subprocess.run([str(cli), "plan", "--stack", STACK, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return out / STACK / "manifests"


def _cni_paths(configure) -> set[str]:
    """Manifest paths of the objects DualCni declares for the stack (tests/cni_declared.py)."""
    _, objs, _ = cni_declared.declared(configure, stack_raw(STACK), STACK)
    # calico-node and kubeadm's kube-proxy are the cluster's: their affinity patches (DaemonSets
    # without a selector of their own) go to patches/, not manifests/.
    return {manifest_path(o)[len("manifests/"):] for o in objs if not (o["kind"] == "DaemonSet" and "selector" not in o["spec"])}


@pytest.fixture(scope="session")
def checkov_report(prod_plan) -> dict:
    if not CHECKOV.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHECKOV} missing: scripts/setup-system.sh should have installed it")
        pytest.skip("checkov not installed (bash scripts/setup-system.sh)")
    res = subprocess.run([str(CHECKOV), "--framework", "kubernetes", "-d", str(prod_plan), "--skip-download", "-o", "json"],
                         capture_output=True, text=True, timeout=900)
    data = json.loads(res.stdout)
    reports = data if isinstance(data, list) else [data]
    merged = {"passed": [], "failed": [], "skipped": []}
    for r in reports:
        for key in merged:
            merged[key] += (r.get("results") or {}).get(f"{key}_checks", [])
    return merged


def test_every_manifest_passes_kubernetes_schema_validation(pulumi_mocks, prod_plan, capsys):
    version = load(stack_raw(STACK)).idc.kubernetes_version
    files = sorted(prod_plan.rglob("*.yaml"))
    assert _cni_paths(pulumi_mocks) <= {str(f.relative_to(prod_plan)) for f in files}
    validated, errors, no_schema = validate_files(files, prod_plan, version)
    with capsys.disabled():
        print(f"\nkubernetes-validate {version} (strict): {validated} objects valid, {len(errors)} invalid, "
              f"{len(no_schema)} custom resources without schema {no_schema}")
    assert not errors, "\n".join(errors)
    assert validated >= len(_cni_paths(pulumi_mocks))


def test_checkov_has_no_unwaived_failure_in_any_manifest(pulumi_mocks, prod_plan, checkov_report, capsys):
    """Zero unwaived failures over everything the plan writes to manifests/ (CNI, agent,
    PropagationPolicies); every waiver carries a reason and is printed."""
    ours = {"/".join(p.split("/")[-2:]) for p in _cni_paths(pulumi_mocks)}

    def is_cni(c):
        parts = Path(c["file_path"]).parts
        return "/".join(parts[-2:]) in ours

    failed, skipped = checkov_report["failed"], checkov_report["skipped"]
    with capsys.disabled():
        print(f"\ncheckov --framework kubernetes over {prod_plan}: {len(checkov_report['passed'])} passed, "
              f"{len(failed)} failed, {len(skipped)} skipped")
        print(f"  dual-CNI objects: {sum(is_cni(c) for c in checkov_report['passed'])} passed, "
              f"{sum(is_cni(c) for c in failed)} failed, {sum(is_cni(c) for c in skipped)} skipped")
        for c in sorted(skipped, key=lambda c: (c["resource"], c["check_id"])):
            reason = (c.get("check_result") or {}).get("suppress_comment", "")
            print(f"  waived {c['check_id']:<11} {c['resource']}: {reason}")
        for c in failed:
            print(f"  FAILED {c['check_id']} {c['resource']} ({c['check_name']})")
    assert not failed, [(c["check_id"], c["resource"]) for c in failed]
    assert any(is_cni(c) for c in skipped), "expected the documented CNI waivers to show up as skipped checks"
    assert any("ack-cluster-agent" in c["resource"] for c in skipped), "expected the agent's waivers (hybrid/agent.py)"
    for c in skipped:
        assert len((c.get("check_result") or {}).get("suppress_comment", "")) > 20, c["check_id"]
