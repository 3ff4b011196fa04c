"""Every expected failure a user can type into ``hybrid-gpu``: one line on stderr naming the
problem (the field, option or file) and the fix, exit 2, no traceback, nothing written.

The cases run the installed command as a user would, one parametrized case per failure, and
every subcommand of ``hybrid_tools.cli.build_parser`` has cases (a test checks it). As root,
the unreadable-file cases run without the capabilities that let root read any file (setpriv),
so the permission check is the one a normal user meets.

``pytest -v -s tests/test_cli_errors.py`` or ``python -m tests.test_cli_errors`` prints each
case with its one line and exit code."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXIT_BAD_INPUT = 2
# The plan's progress line: a bad policy config that only the pack can judge (an unknown policy,
# a value against its schema) is found after planning, so this line comes first on stderr.
PROGRESS = re.compile(r"^planning [a-z0-9-]+: \d+ resources registered in [0-9.]+s$")
# Without these two capabilities root meets file permissions like any user (capabilities(7)).
DROP_DAC = ["--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]

KUBE_HEAD = "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"


def _files(tmp: Path) -> dict[str, Path]:
    """Bad inputs, each broken in one way."""
    f: dict[str, Path] = {}

    def put(name: str, rel: str, data: str | bytes, mode: int | None = None) -> None:
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        if mode is not None:
            p.chmod(mode)
        f[name] = p

    dev = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    put("bad_yaml", "Pulumi.badyaml.yaml", "config:\n  hybrid-gpu-platform:idc: [unclosed\n")
    # The dev VPC moved onto the Service CIDR: the model must name the field.
    doc = yaml.safe_load(dev)
    doc["config"]["hybrid-gpu-platform:regions"][0]["vpcCidr"] = doc["config"]["hybrid-gpu-platform:idc"]["serviceCidr"].replace("/20", "/16")
    for z in doc["config"]["hybrid-gpu-platform:regions"][0].get("zones", []):
        if isinstance(z, dict):
            z.pop("nodeVswitchCidr", None), z.pop("podVswitchCidr", None)
    put("overlap", "Pulumi.overlap.yaml", yaml.safe_dump(doc))
    put("latin1", "Pulumi.latin1.yaml", "config:\n  hybrid-gpu-platform:environment: d\xe9v\n".encode("latin-1"))
    put("stack_noperm", "Pulumi.noperm.yaml", dev, 0o000)
    put("policy_not_json", "policy-not-json.json", "{ecs-disks-encrypted: mandatory}\n")
    put("policy_list", "policy-list.json", '["ecs-disks-encrypted"]\n')
    put("policy_unknown", "policy-unknown.json", json.dumps({"ecs-disk-encrypted": "mandatory"}))
    put("policy_schema", "policy-schema.json", json.dumps({"ecs-disks-encrypted": {"kmsKeyRequiredFor": "all"}}))
    put("policy_level", "policy-level.json", json.dumps({"vpc-flow-logs": "strict"}))
    put("policy_latin1", "policy-latin1.json", b'{"vpc-flow-logs": "advisory\xe9"}')
    put("policy_noperm", "policy-noperm.json", "{}", 0o000)
    put("policy_readonly", "policy-readonly.json", "{}", 0o444)
    put("corrupt_plan_res", "corrupt-plan/resources.json", '{"urn": ')
    put("noperm_plan_res", "noperm-plan/resources.json", "[]", 0o000)
    put("latin1_plan_res", "latin1-plan/resources.json", b'[{"urn": "d\xe9v"}]')
    put("good_plan_res", "good-plan/resources.json", "[]")
    put("latin1_manifest", "latin1-manifest-plan/manifests/cm.yaml", b"name: d\xe9v\n")
    put("latin1_manifest_res", "latin1-manifest-plan/resources.json", "[]")
    put("placement_not_json", "placement.json", "replicas: 3\n")
    put("placement_latin1", "placement-latin1.json", b'{"replicas": "\xe9"}')
    put("placement_noperm", "placement-noperm.json", "{}", 0o000)
    put("placement_field", "placement-field.json", json.dumps({
        "replicas": -1, "strategy": "static", "request": {"cpu": "1"},
        "clusters": [{"name": "idc-1", "tier": 0, "available_replicas": 2}]}))
    put("a_file", "a-file", "not a directory\n")
    put("kube_no_context", "kube-no-context.yaml", "apiVersion: v1\nkind: Config\n")
    put("kube_not_yaml", "kube-not-yaml.yaml", "clusters: [\n")
    put("kube_latin1", "kube-latin1.yaml", b"current-context: d\xe9v\n")
    put("kube_noperm", "kube-noperm.yaml", KUBE_HEAD, 0o000)
    put("kube_no_server", "kube-no-server.yaml", KUBE_HEAD + "clusters:\n- name: c\n  cluster: {}\n")
    put("kube_bad_ca", "kube-bad-ca.yaml", KUBE_HEAD + "clusters:\n- name: c\n  cluster:\n"
        "    server: https://127.0.0.1:9\n    certificate-authority-data: '%%% not base64'\n")
    for d in ("a_dir", "empty_plan"):
        (tmp / d).mkdir()
        f[d] = tmp / d
    (tmp / "read-only").mkdir()
    (tmp / "read-only").chmod(0o555)
    f["read_only"] = tmp / "read-only"
    f["dir_res_plan"] = tmp / "dir-res-plan"
    (f["dir_res_plan"] / "resources.json").mkdir(parents=True)
    return f


# (id, argv after `hybrid-gpu`, what the one line must name). {name} is a path from _files;
# {out} an output root that must stay empty.
CASES = [
    # --- plan ---
    ("plan: unknown stack", ["plan", "--stack", "nosuch", "--out", "{out}"], "Pulumi.nosuch.yaml"),
    ("plan: bad --stack value", ["plan", "--stack", "Prod/../x", "--out", "{out}"], "--stack: 'Prod/../x' is not a stack name"),
    ("plan: stack config not YAML", ["plan", "--config", "{bad_yaml}", "--out", "{out}"], "is not valid YAML"),
    ("plan: stack config fails the model", ["plan", "--config", "{overlap}", "--out", "{out}"], "regions[0].vpcCidr"),
    ("plan: stack config not UTF-8", ["plan", "--config", "{latin1}", "--out", "{out}"], "Pulumi.latin1.yaml"),
    ("plan: stack config is a directory", ["plan", "--config", "{a_dir}", "--out", "{out}"], "--config: {a_dir} is a directory"),
    ("plan: stack config missing", ["plan", "--config", "{tmp}/Pulumi.nope.yaml", "--out", "{out}"], "--config: no such file {tmp}/Pulumi.nope.yaml"),
    ("plan: stack config unreadable", ["plan", "--config", "{stack_noperm}", "--out", "{out}"], "Permission denied ({stack_noperm})"),
    ("plan: policy config missing", ["plan", "--policy-config", "{tmp}/nope.json", "--out", "{out}"], "{tmp}/nope.json: no such policy config file"),
    ("plan: policy config is a directory", ["plan", "--policy-config", "{a_dir}", "--out", "{out}"], "{a_dir}: not a file"),
    ("plan: policy config not JSON", ["plan", "--policy-config", "{policy_not_json}", "--out", "{out}"], "is not JSON"),
    ("plan: policy config not UTF-8", ["plan", "--policy-config", "{policy_latin1}", "--out", "{out}"], "not UTF-8"),
    ("plan: policy config unreadable", ["plan", "--policy-config", "{policy_noperm}", "--out", "{out}"], "Permission denied ({policy_noperm})"),
    ("plan: policy config names an unknown policy", ["plan", "--policy-config", "{policy_unknown}", "--out", "{out}"], "ecs-disk-encrypted"),
    ("plan: policy config value fails the pack's schema", ["plan", "--policy-config", "{policy_schema}", "--out", "{out}"], "kmsKeyRequiredFor"),
    ("plan: --out is a file", ["plan", "--no-policy", "--out", "{a_file}"], "--out {a_file}: is a file"),
    ("plan: --out under a file", ["plan", "--no-policy", "--out", "{a_file}/plan"], "{a_file} is a file"),
    ("plan: --out not writable", ["plan", "--no-policy", "--out", "{read_only}/plan"], "{read_only} is not writable"),
    ("plan: unknown option", ["plan", "--stak", "dev"], "unrecognized arguments: --stak dev"),
    ("plan: bad --pricing-protocol", ["plan", "--pricing-protocol", "ftp"], "argument --pricing-protocol: invalid choice: 'ftp'"),
    # --- policy ---
    ("policy: unknown stack", ["policy", "--stack", "nosuch", "--out", "{out}"], "Pulumi.nosuch.yaml"),
    ("policy: bad --stack value", ["policy", "--stack=-rf", "--out", "{out}"], "is not a stack name"),
    ("policy: stack config is a directory", ["policy", "--config", "{a_dir}", "--out", "{out}"], "--config: {a_dir} is a directory"),
    ("policy: policy config not an object", ["policy", "--policy-config", "{policy_list}", "--out", "{out}"], "JSON object"),
    ("policy: policy config names an unknown policy", ["policy", "--policy-config", "{policy_unknown}", "--out", "{out}"], "ecs-disk-encrypted"),
    ("policy: policy config value fails the pack's schema", ["policy", "--policy-config", "{policy_schema}", "--out", "{out}"], "kmsKeyRequiredFor"),
    ("policy: policy config level unknown", ["policy", "--policy-config", "{policy_level}", "--out", "{out}"], "'strict'"),
    ("policy: --out is a file", ["policy", "--out", "{a_file}"], "--out {a_file}: is a file"),
    ("policy: --write-config to a read-only file", ["policy", "--write-config", "--policy-config", "{policy_readonly}"],
     "{policy_readonly}: Permission denied"),
    # --- diff ---
    ("diff: base plan dir missing", ["diff", "{tmp}/no-such-plan", "{empty_plan}"], "{tmp}/no-such-plan: no such plan directory"),
    ("diff: dir is not a plan", ["diff", "{empty_plan}", "{empty_plan}"], "no resources.json"),
    ("diff: resources.json is a directory", ["diff", "{dir_res_plan}", "{dir_res_plan}"], "no resources.json"),
    ("diff: resources.json corrupt", ["diff", "{tmp}/corrupt-plan", "{tmp}/corrupt-plan"], "corrupt-plan/resources.json: not a plan artifact"),
    ("diff: resources.json not UTF-8", ["diff", "{tmp}/latin1-plan", "{tmp}/latin1-plan"], "latin1-plan/resources.json: not a plan artifact"),
    ("diff: resources.json unreadable", ["diff", "{tmp}/noperm-plan", "{tmp}/noperm-plan"], "noperm-plan/resources.json: Permission denied"),
    ("diff: manifest not UTF-8", ["diff", "{tmp}/latin1-manifest-plan", "{tmp}/good-plan"], "manifests/cm.yaml: not a plan file"),
    ("diff: --output is a directory", ["diff", "{tmp}/good-plan", "{tmp}/good-plan", "--output", "{a_dir}"], "{a_dir}: Is a directory"),
    ("diff: --output not writable", ["diff", "{tmp}/good-plan", "{tmp}/good-plan", "--output", "{read_only}/d.md"],
     "{read_only}/d.md: Permission denied"),
    ("diff: bad --format", ["diff", "{tmp}/good-plan", "{tmp}/good-plan", "--format", "html"], "argument --format: invalid choice"),
    # --- jobs (reads a plan directory with diff's loader) ---
    ("jobs: plan dir missing", ["jobs", "--stack", "prod", "--plan-dir", "{tmp}/no-such-plan"],
     "{tmp}/no-such-plan: no such plan directory. Fix: run `hybrid-gpu plan --stack prod` first"),
    ("jobs: dir is not a plan", ["jobs", "--plan-dir", "{empty_plan}"], "no resources.json"),
    ("jobs: resources.json corrupt", ["jobs", "--plan-dir", "{tmp}/corrupt-plan"], "corrupt-plan/resources.json: not a plan artifact"),
    ("jobs: resources.json not UTF-8", ["jobs", "--plan-dir", "{tmp}/latin1-plan"], "latin1-plan/resources.json: not a plan artifact"),
    ("jobs: resources.json unreadable", ["jobs", "--plan-dir", "{tmp}/noperm-plan"], "noperm-plan/resources.json: Permission denied"),
    ("jobs: bad --format", ["jobs", "--format", "csv"], "argument --format: invalid choice"),
    # --- placement ---
    ("placement: input missing", ["placement", "--input", "{tmp}/nope.json"], "No such file or directory ({tmp}/nope.json)"),
    ("placement: input is a directory", ["placement", "--input", "{a_dir}"], "Is a directory ({a_dir})"),
    ("placement: input unreadable", ["placement", "--input", "{placement_noperm}"], "Permission denied ({placement_noperm})"),
    ("placement: input not JSON", ["placement", "--input", "{placement_not_json}"], "not JSON"),
    ("placement: input not UTF-8", ["placement", "--input", "{placement_latin1}"], "not UTF-8"),
    ("placement: a field out of range", ["placement", "--input", "{placement_field}"], "replicas: "),
    ("placement: --input missing", ["placement"], "the following arguments are required: --input"),
    # --- cost ---
    ("cost: unknown stack", ["cost", "--stack", "nosuch"], "Pulumi.nosuch.yaml"),
    ("cost: bad --stack value", ["cost", "--stack", "a/b"], "'a/b' is not a stack name"),
    ("cost: stack config is a directory", ["cost", "--config", "{a_dir}"], "--config: {a_dir} is a directory"),
    ("cost: stack config not UTF-8", ["cost", "--config", "{latin1}"], "Pulumi.latin1.yaml"),
    ("cost: stack config unreadable", ["cost", "--config", "{stack_noperm}"], "Permission denied ({stack_noperm})"),
    ("cost: stack config fails the model", ["cost", "--config", "{overlap}"], "regions[0].vpcCidr"),
    # --- wait-gpus ---
    ("usage: unknown stack", ["usage", "--stack", "nosuch", "--prometheus", "http://127.0.0.1:9"], "Pulumi.nosuch.yaml"),
    ("usage: no --prometheus", ["usage", "--stack", "dev"], "--prometheus is missing"),
    ("usage: --prometheus not a URL", ["usage", "--stack", "dev", "--prometheus", "prom:9090"], "--prometheus 'prom:9090': not an http(s) URL"),
    ("usage: bad --since", ["usage", "--stack", "dev", "--prometheus", "http://127.0.0.1:9", "--since", "7 days"], "--since '7 days': not a duration"),
    ("usage: --since not a whole number of steps", ["usage", "--stack", "dev", "--prometheus", "http://127.0.0.1:9", "--since", "90m"], "--since 90m is not a whole number of --step 1h"),
    ("usage: bad --end", ["usage", "--stack", "dev", "--prometheus", "http://127.0.0.1:9", "--end", "yesterday"], "--end 'yesterday': not a time"),
    ("usage: unknown pool", ["usage", "--stack", "dev", "--prometheus", "http://127.0.0.1:9", "--pool", "nope"], "--pool nope: the stack 'dev' has no such pool (pools: a10-dev)"),
    ("usage: --rules-out not writable", ["usage", "--stack", "dev", "--rules-out", "{read_only}/r.yml"], "{read_only}/r.yml: Permission denied"),
    ("lease: unknown pool", ["lease", "renew", "nope", "--stack", "prod", "--until", "2028-01-01", "--dry-run"], "POOL nope: "),
    ("lease: an elastic pool has no lease", ["lease", "release", "a10-elastic", "--stack", "prod", "--dry-run"], "POOL a10-elastic: "),
    ("lease: renew without --until", ["lease", "renew", "a10-train", "--stack", "prod", "--dry-run"], "--until None: not a day"),
    ("lease: renew to an earlier day", ["lease", "renew", "a10-train", "--stack", "prod", "--until", "2027-01-01", "--dry-run"],
     "--until 2027-01-01 is not after the lease's end 2027-06-30"),
    ("lease: renew to zero instances", ["lease", "renew", "a10-train", "--stack", "prod", "--until", "2028-01-01", "--count", "0"], "--count 0"),
    ("lease: renewed count fails the model", ["lease", "renew", "a10-train", "--stack", "prod", "--until", "2028-01-01", "--count", "5000"],
     "regions[0].gpuPools[0].count"),
    ("lease: unknown action", ["lease", "extend", "a10-train"], "invalid choice: 'extend'"),
    ("join-token: unknown action", ["join-token", "rotate", "--stack", "dev"], "invalid choice: 'rotate'"),
    ("join-token: check with --max-age-days 0", ["join-token", "check", "--stack", "dev", "--max-age-days", "0"], "--max-age-days 0: must be above 0"),
    ("preflight: region without GPU nodes", ["preflight", "--stack", "dev", "--region", "cn-shanghai"], "--region cn-shanghai has no GPU nodes"),
    ("preflight: bad --timeout", ["preflight", "--stack", "dev", "--region", "cn-beijing", "--timeout", "0"], "--timeout 0"),
    ("preflight: --write-node-bundle is a file", ["preflight", "--stack", "dev", "--region", "cn-beijing", "--write-node-bundle", "{a_file}"],
     "--write-node-bundle {a_file}: is a file"),
    ("preflight: unknown stack", ["preflight", "--stack", "nosuch", "--region", "cn-beijing"], "Pulumi.nosuch.yaml"),
    ("wait-gpus: unknown stack", ["wait-gpus", "--stack", "nosuch", "--kubeconfig", "{kube_no_context}"], "Pulumi.nosuch.yaml"),
    ("wait-gpus: bad --stack value", ["wait-gpus", "--stack", "Prod", "--kubeconfig", "{kube_no_context}"], "'Prod' is not a stack name"),
    ("wait-gpus: stack config is a directory", ["wait-gpus", "--config", "{a_dir}"], "--config: {a_dir} is a directory"),
    ("wait-gpus: kubeconfig missing", ["wait-gpus", "--kubeconfig", "{tmp}/nope"], "--kubeconfig {tmp}/nope: cannot be read: No such file"),
    ("wait-gpus: kubeconfig is a directory", ["wait-gpus", "--kubeconfig", "{a_dir}"], "--kubeconfig {a_dir}: cannot be read: Is a directory"),
    ("wait-gpus: kubeconfig unreadable", ["wait-gpus", "--kubeconfig", "{kube_noperm}"], "--kubeconfig {kube_noperm}: cannot be read: Permission denied"),
    ("wait-gpus: kubeconfig not UTF-8", ["wait-gpus", "--kubeconfig", "{kube_latin1}"], "--kubeconfig {kube_latin1}: is not UTF-8"),
    ("wait-gpus: kubeconfig not YAML", ["wait-gpus", "--kubeconfig", "{kube_not_yaml}"], "--kubeconfig {kube_not_yaml}: is not valid YAML"),
    ("wait-gpus: kubeconfig without current-context", ["wait-gpus", "--kubeconfig", "{kube_no_context}"], "no current-context"),
    ("wait-gpus: kubeconfig cluster without server", ["wait-gpus", "--kubeconfig", "{kube_no_server}"], "names cluster 'c', which has no server"),
    ("wait-gpus: kubeconfig CA data not base64", ["wait-gpus", "--kubeconfig", "{kube_bad_ca}"], "TLS settings of the current context cannot be used"),
    ("wait-gpus: unknown --pool", ["wait-gpus", "--pool", "cn-beijing/nope", "--kubeconfig", "{kube_no_context}"],
     "--pool cn-beijing/nope is not a pool of stack dev"),
    ("wait-gpus: --timeout nan", ["wait-gpus", "--timeout", "nan"], "--timeout nan"),
    ("wait-gpus: --interval 0", ["wait-gpus", "--interval", "0"], "--interval 0"),
    ("wait-gpus: --timeout not a number", ["wait-gpus", "--timeout", "soon"], "argument --timeout: invalid float value: 'soon'"),
    # --- config-docs, unconfirmed, no command: they read no user file; their usage errors ---
    ("config-docs: unknown option", ["config-docs", "--check"], "unrecognized arguments: --check"),
    ("unconfirmed: unexpected argument", ["unconfirmed", "prod"], "unrecognized arguments: prod"),
    ("init: the stack exists", ["init", "dev"], "Pulumi.dev.yaml: exists already"),
    ("init: bad stack name", ["init", "Dev/x"], "'Dev/x' is not a stack name"),
    ("init: unknown source", ["init", "fresh", "--from", "nosuch"], "no stack config"),
    ("validators: unknown option", ["validators", "--check"], "unrecognized arguments: --check"),
    ("no command", [], "the following arguments are required: command"),
    ("unknown command", ["deploy"], "invalid choice: 'deploy'"),
]
NEEDS_PERMISSIONS = {c[0] for c in CASES if any(w in c[0] for w in ("unreadable", "not writable", "read-only file"))}


def _paths(tmp: Path) -> dict[str, str]:
    return {k: str(v) for k, v in _files(tmp).items()} | {"tmp": str(tmp), "out": str(tmp / "out")}


def run_case(name: str, argv: list[str], tmp: Path) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    paths = _paths(tmp)
    args = [a.format(**paths) for a in argv]
    prefix: list[str] = []
    if name in NEEDS_PERMISSIONS and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail("setpriv (util-linux) missing: the permission cases cannot run as root without it")
        prefix = [setpriv, *DROP_DAC]
    env = dict(os.environ, PYTHONUNBUFFERED="1", KUBECONFIG=str(tmp / "no-kubeconfig"))
    proc = subprocess.run([*prefix, sys.executable, "-m", "hybrid_tools.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=600)
    return proc, paths


def problem_lines(stderr: str) -> list[str]:
    """stderr without the plan's progress line."""
    return [ln for ln in stderr.splitlines() if ln.strip() and not PROGRESS.match(ln)]


@pytest.mark.parametrize("name,argv,names", CASES, ids=[c[0] for c in CASES])
def test_expected_failure_is_one_line_and_exit_2(name, argv, names, tmp_path):
    proc, paths = run_case(name, argv, tmp_path)
    lines = problem_lines(proc.stderr)
    print(f"\n  $ hybrid-gpu {' '.join(argv)}\n  {lines[0] if lines else '<nothing on stderr>'}\n  exit {proc.returncode}")
    assert proc.returncode == EXIT_BAD_INPUT, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert len(lines) == 1, lines
    assert names.format(**paths) in lines[0], lines
    assert not (tmp_path / "out").exists()  # nothing written
    assert not (tmp_path / "read-only" / "plan").exists() and not (tmp_path / "read-only" / "d.md").exists()
    assert json.loads((tmp_path / "policy-readonly.json").read_text()) == {}


def test_every_subcommand_has_cases():
    from hybrid_tools.cli import build_parser

    import re

    # argparse's usage line lists the subcommands as {a,b,...}
    choices = set(re.search(r"\{([^}]+)\}", build_parser().format_usage()).group(1).split(","))
    assert "plan" in choices and "policy" in choices, choices
    covered = {c[1][0] for c in CASES if c[1]}
    assert choices <= covered, choices - covered


if __name__ == "__main__":
    import tempfile

    for name, argv, _ in CASES:
        with tempfile.TemporaryDirectory() as t:
            proc, _ = run_case(name, argv, Path(t))
        print(f"$ hybrid-gpu {' '.join(argv)}    # {name}")
        for ln in problem_lines(proc.stderr):
            print(f"  {ln}")
        print(f"  -> exit {proc.returncode}")


@pytest.mark.parametrize("argv", [["unconfirmed", "--format", "json"], ["validators"]])
def test_a_reader_that_stops_early_is_no_traceback(argv):
    """`hybrid-gpu ... | head`: the reader's end is closed before the command writes, so every write
    meets EPIPE. The command stops quietly with the status a shell gives a process SIGPIPE stopped
    (128 + 13; `yes | head` reports the same), never a traceback on stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "hybrid_tools.cli", *argv], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and err == ""
