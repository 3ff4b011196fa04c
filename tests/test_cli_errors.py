"""Every expected failure a user can type into ``hybrid-gpu`` ends in its problem on stderr,
exit 2 and no traceback. The cases run the installed command as a user would.

``python -m tests.test_cli_errors`` prints each case with its output and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXIT_BAD_INPUT = 2


def _files(tmp: Path) -> dict[str, Path]:
    """Bad inputs, each broken in one way."""
    f = {}
    f["bad_yaml"] = tmp / "Pulumi.badyaml.yaml"
    f["bad_yaml"].write_text("config:\n  hybrid-gpu-platform:idc: [unclosed\n")
    dev = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    f["overlap"] = tmp / "Pulumi.overlap.yaml"
    # The dev VPC moved onto the Service CIDR: the model must name the field.
    import yaml

    doc = yaml.safe_load(dev)
    doc["config"]["hybrid-gpu-platform:regions"][0]["vpcCidr"] = doc["config"]["hybrid-gpu-platform:idc"]["serviceCidr"].replace("/20", "/16")
    for z in doc["config"]["hybrid-gpu-platform:regions"][0].get("zones", []):
        if isinstance(z, dict):
            z.pop("nodeVswitchCidr", None), z.pop("podVswitchCidr", None)
    f["overlap"].write_text(yaml.safe_dump(doc))
    f["latin1"] = tmp / "Pulumi.latin1.yaml"
    f["latin1"].write_bytes("config:\n  hybrid-gpu-platform:environment: d\xe9v\n".encode("latin-1"))
    f["policy_not_json"] = tmp / "policy-not-json.json"
    f["policy_not_json"].write_text("{ecs-disks-encrypted: mandatory}\n")
    f["policy_list"] = tmp / "policy-list.json"
    f["policy_list"].write_text('["ecs-disks-encrypted"]\n')
    f["policy_unknown"] = tmp / "policy-unknown.json"
    f["policy_unknown"].write_text(json.dumps({"ecs-disk-encrypted": "mandatory"}))
    f["policy_schema"] = tmp / "policy-schema.json"
    f["policy_schema"].write_text(json.dumps({"ecs-disks-encrypted": {"kmsKeyRequiredFor": "all"}}))
    f["policy_level"] = tmp / "policy-level.json"
    f["policy_level"].write_text(json.dumps({"vpc-flow-logs": "strict"}))
    f["empty_plan"] = tmp / "empty-plan"
    f["empty_plan"].mkdir()
    f["corrupt_plan"] = tmp / "corrupt-plan"
    f["corrupt_plan"].mkdir()
    (f["corrupt_plan"] / "resources.json").write_text('{"urn": ')
    f["placement_not_json"] = tmp / "placement.json"
    f["placement_not_json"].write_text("replicas: 3\n")
    f["placement_latin1"] = tmp / "placement-latin1.json"
    f["placement_latin1"].write_bytes(b'{"replicas": "\xff"}')
    f["a_file"] = tmp / "a-file"
    f["a_file"].write_text("not a directory\n")
    return f


# (id, argv after `hybrid-gpu`, what the one line must name). {name} is a path from _files.
CASES = [
    ("unknown stack", ["plan", "--stack", "nosuch", "--out", "{out}"], "no config file"),
    ("stack config not YAML", ["plan", "--config", "{bad_yaml}", "--out", "{out}"], "is not valid YAML"),
    ("stack config fails the model", ["plan", "--config", "{overlap}", "--out", "{out}"], "regions[0].vpcCidr"),
    ("stack config not UTF-8", ["plan", "--config", "{latin1}", "--out", "{out}"], "UTF-8"),
    ("stack config is a directory", ["plan", "--config", "{empty_plan}", "--out", "{out}"], "no config file"),
    ("policy config missing", ["plan", "--stack", "dev", "--policy-config", "{tmp}/nope.json", "--out", "{out}"], "no such policy config file"),
    ("policy config not JSON", ["plan", "--stack", "dev", "--policy-config", "{policy_not_json}", "--out", "{out}"], "is not JSON"),
    ("policy config not an object", ["policy", "--stack", "dev", "--policy-config", "{policy_list}", "--out", "{out}"], "JSON object"),
    ("policy config names an unknown policy", ["policy", "--stack", "dev", "--policy-config", "{policy_unknown}", "--out", "{out}"],
     "ecs-disk-encrypted"),
    ("policy config value fails the pack's schema", ["policy", "--stack", "dev", "--policy-config", "{policy_schema}", "--out", "{out}"],
     "kmsKeyRequiredFor"),
    ("policy config level unknown", ["policy", "--stack", "dev", "--policy-config", "{policy_level}", "--out", "{out}"], "'strict'"),
    ("diff: base plan dir missing", ["diff", "{tmp}/no-such-plan", "{empty_plan}"], "no such plan directory"),
    ("diff: dir is not a plan", ["diff", "{empty_plan}", "{empty_plan}"], "no resources.json"),
    ("diff: resources.json corrupt", ["diff", "{corrupt_plan}", "{corrupt_plan}"], "not a plan artifact"),
    ("placement: input missing", ["placement", "--input", "{tmp}/nope.json"], "cannot be read"),
    ("placement: input not JSON", ["placement", "--input", "{placement_not_json}"], "not JSON"),
    ("placement: input not UTF-8", ["placement", "--input", "{placement_latin1}"], "UTF-8"),
    ("plan: --out is a file", ["plan", "--stack", "dev", "--no-policy", "--out", "{a_file}"], "a-file"),
    ("unknown option", ["plan", "--stak", "dev"], "unrecognized arguments"),
]


def run_case(argv: list[str], tmp: Path) -> subprocess.CompletedProcess:
    paths = {k: str(v) for k, v in _files(tmp).items()} | {"tmp": str(tmp), "out": str(tmp / "out")}
    args = [a.format(**paths) for a in argv]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "hybrid_tools.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=600)


def problem_lines(stderr: str) -> list[str]:
    """stderr without the plan's progress line (a bad policy config found by the pack comes after planning)."""
    return [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("planning ")]


@pytest.mark.parametrize("name,argv,names", CASES, ids=[c[0] for c in CASES])
def test_expected_failure_is_one_problem_and_exit_2(name, argv, names, tmp_path):
    proc = run_case(argv, tmp_path)
    assert proc.returncode == EXIT_BAD_INPUT, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = problem_lines(proc.stderr)
    # One line naming the problem; stack-config and placement problems come as a header plus one
    # line per field (here: one field each); argparse prints its usage before its one-line error.
    if lines and lines[0].startswith("usage:"):
        lines = [ln for ln in lines if not (ln.startswith("usage:") or ln.startswith(" "))]
    assert 1 <= len(lines) <= 2, lines
    assert names in lines[-1], lines
    assert not (tmp_path / "out" / "dev").exists()  # nothing written


if __name__ == "__main__":
    import tempfile

    for name, argv, _ in CASES:
        with tempfile.TemporaryDirectory() as t:
            proc = run_case(argv, Path(t))
        shown = " ".join(a.replace("{", "<").replace("}", ">") for a in argv)
        print(f"$ hybrid-gpu {shown}    # {name}")
        for ln in problem_lines(proc.stderr):
            print(f"  {ln}")
        print(f"  -> exit {proc.returncode}")
