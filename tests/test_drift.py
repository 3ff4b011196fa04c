"""scripts/drift.sh against a stand-in `pulumi` on PATH: drift fails the job and names what
drifted; no drift passes; a refresh that fails for another reason is not reported as drift."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "drift.sh"

# What `pulumi refresh --preview-only --expect-no-changes --diff` prints when the cloud moved: a
# hand-written sample in the CLI's diff display, with one rule widened to the internet in the
# console and one GPU instance released outside Pulumi. Format, from pulumi/pulumi@1b5949891b
# (3.260.0-dev; the pin is 3.272.0):
# - each resource: indentation, the op's prefix ("~ " update, "- " delete: pkg/resource/deploy/
#   step.go RawPrefix), "<type>: (<op>)", then "[id=...]" and "[urn=...]" one level deeper
#   (pkg/backend/display/object_diff.go getResourcePropertiesSummary, printStepHeader);
# - a standalone refresh's steps become same / update / delete (pkg/backend/display/diff.go);
# - with changes, `refresh` returns NoChangesExpectedError{Operation: "refresh"}
#   (pkg/cmd/pulumi/operations/refresh.go), printed as "no changes were expected for refresh but
#   changes were proposed" (pkg/backend/backenderr/backenderr.go) and exit code 7, ExitNoChanges;
#   an unclassified error exits 1, a missing stack 6 (pkg/cmd/pulumi/cmd/exit_codes.go).
# pulumi docs (pulumi_refresh): --preview-only "Only show a preview of the refresh, but don't
# perform the refresh itself"; --expect-no-changes "Return an error if any changes occur".
DRIFTED = """Previewing refresh (prod):
  pulumi:pulumi:Stack: (same)
    [urn=urn:pulumi:prod::hybrid-gpu-platform::pulumi:pulumi:Stack::hybrid-gpu-platform-prod]
    ~ alicloud:ecs/securityGroupRule:SecurityGroupRule: (update)
        [id=sg-bp1:ingress:tcp:22/22:intranet:0.0.0.0/0:accept:1]
        [urn=urn:pulumi:prod::hybrid-gpu-platform::hybrid:network:RegionNetwork$alicloud:ecs/securityGroupRule:SecurityGroupRule::cn-beijing-ssh-idc]
      ~ cidrIp: "10.0.0.0/8" => "0.0.0.0/0"
    - alicloud:ecs/instance:Instance: (delete)
        [id=i-bp1gpu03]
        [urn=urn:pulumi:prod::hybrid-gpu-platform::hybrid:gpu:GpuPool$alicloud:ecs/instance:Instance::cn-beijing-gpu-3]
Resources:
    ~ 1 to update
    - 1 to delete
    2 changes. 170 unchanged

error: no changes were expected for refresh but changes were proposed
"""
CLEAN = """Previewing refresh (dev):
  pulumi:pulumi:Stack: (same)
    [urn=urn:pulumi:dev::hybrid-gpu-platform::pulumi:pulumi:Stack::hybrid-gpu-platform-dev]
Resources:
    60 unchanged
"""
BROKEN = "error: failed to decrypt encrypted configuration value 'bootstrapToken': incorrect passphrase\n"

STANDIN = """#!/usr/bin/env bash
# Stand-in for the Pulumi CLI: logs its arguments, answers per stack from $STANDIN_DIR.
printf '%s\\n' "$*" >> "$STANDIN_DIR/calls.log"
stack=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--stack" ]; then stack=$2; fi
  shift
done
cat "$STANDIN_DIR/$stack.out"
exit "$(cat "$STANDIN_DIR/$stack.rc")"
"""


def _run(tmp_path: Path, answers: dict[str, tuple[str, int]], *stacks: str) -> subprocess.CompletedProcess:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / "pulumi"
    exe.write_text(STANDIN)
    exe.chmod(0o755)
    for stack, (out, rc) in answers.items():
        (tmp_path / f"{stack}.out").write_text(out)
        (tmp_path / f"{stack}.rc").write_text(str(rc))
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "STANDIN_DIR": str(tmp_path), "HOME": str(tmp_path)}
    return subprocess.run(["bash", str(SCRIPT), *stacks], capture_output=True, text=True, env=env, timeout=60)


def test_drift_fails_and_names_each_drifted_resource(tmp_path):
    proc = _run(tmp_path, {"dev": (CLEAN, 0), "prod": (DRIFTED, 7)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "stack dev: no drift" in out
    assert "stack prod: DRIFT" in out
    # Both drifted resources, by type and by URN (name), and the changed property in the log.
    assert "~ alicloud:ecs/securityGroupRule:SecurityGroupRule: (update)" in out
    assert "SecurityGroupRule::cn-beijing-ssh-idc]" in out
    assert "- alicloud:ecs/instance:Instance: (delete)" in out
    assert "Instance::cn-beijing-gpu-3]" in out
    assert '~ cidrIp: "10.0.0.0/8" => "0.0.0.0/0"' in out
    assert "drift in: prod." in out
    # The unchanged stack resource and the summary lines are not reported as drifted.
    summary = out.split("--- full refresh preview")[0]
    assert "pulumi:pulumi:Stack: (same)" not in summary and "1 to update" not in summary


def test_no_drift_passes_and_refreshes_in_preview_mode_only(tmp_path):
    proc = _run(tmp_path, {"dev": (CLEAN, 0), "prod": (CLEAN.replace("dev", "prod"), 0)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no drift in: dev prod" in proc.stdout
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert len(calls) == 2
    for call, stack in zip(calls, ("dev", "prod")):
        args = call.split()
        # Documented flags of `pulumi refresh` (pulumi/docs content/docs/iac/cli/commands/pulumi_refresh.md):
        # --preview-only never writes the refreshed state; --expect-no-changes makes a change an error.
        assert args[:1] == ["refresh"] and f"--stack {stack}" in call
        assert "--preview-only" in args and "--expect-no-changes" in args
        assert "--yes" not in args and "-y" not in args and "--skip-preview" not in args


def test_changes_on_a_zero_exit_still_count_as_drift(tmp_path):
    proc = _run(tmp_path, {"prod": (DRIFTED.replace("error: no changes were expected for refresh but changes were proposed\n", ""), 0)}, "prod")
    assert proc.returncode == 1 and "stack prod: DRIFT" in proc.stdout


def test_a_failed_refresh_is_an_error_not_drift(tmp_path):
    proc = _run(tmp_path, {"dev": (BROKEN, 1)}, "dev")
    assert proc.returncode == 2
    assert "DRIFT" not in proc.stdout
    assert "refresh preview FAILED (exit 1)" in proc.stderr and "incorrect passphrase" in proc.stderr


def test_a_missing_stack_is_an_error_not_drift(tmp_path):
    proc = _run(tmp_path, {"prod": ("error: no stack named 'prod' found\n", 6)}, "prod")
    assert proc.returncode == 2 and "DRIFT" not in proc.stdout and "FAILED (exit 6)" in proc.stderr


def test_exit_7_is_drift_even_when_no_resource_line_is_recognised(tmp_path):
    # e.g. a display the pattern does not know: the CLI's own verdict still fails the job.
    odd = "Previewing refresh (prod):\n  something changed\nerror: no changes were expected for refresh but changes were proposed\n"
    proc = _run(tmp_path, {"prod": (odd, 7)}, "prod")
    assert proc.returncode == 1 and "stack prod: DRIFT" in proc.stdout and "exited 7" in proc.stdout
    assert "something changed" in proc.stdout  # the full preview is in the log


def test_drift_script_is_shellcheck_clean():
    exe = shutil.which("shellcheck")
    if exe is None:
        pytest.skip("no shellcheck (bash scripts/setup-system.sh installs it)")
    proc = subprocess.run([exe, str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout
