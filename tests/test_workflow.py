"""The CI workflows shipped for users: actionlint clean, and wired the way docs/pipeline.md says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SELF_HOSTED = ["self-hosted", "linux", "x64", "hybrid-idc"]
# Every secret a job can see, by name; hosted jobs must see none but the workflow token.
SECRET_RE = re.compile(r"secrets\.([A-Za-z0-9_]+)")


def _actionlint() -> str | None:
    for cand in (os.environ.get("ACTIONLINT"), shutil.which("actionlint"),
                 str(ROOT / ".venv-tools" / "bin" / "actionlint"), str(ROOT / ".venv" / "bin" / "actionlint")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def _load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def _jobs() -> list[tuple[str, str, dict]]:
    return [(wf.name, name, job) for wf in WORKFLOWS for name, job in yaml.safe_load(wf.read_text())["jobs"].items()]


def _pulumi_steps(job: dict) -> list[dict]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith("pulumi/actions@")]


def _touches_real_state(job: dict) -> bool:
    return bool(_pulumi_steps(job)) or any("drift.sh" in s.get("run", "") for s in job.get("steps", []))


def test_actionlint_is_clean():
    exe = _actionlint()
    if exe is None:
        pytest.skip("no actionlint binary (bash scripts/setup-system.sh installs it in .venv-tools)")
    proc = subprocess.run([exe, "-color=false", *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_version_in_every_workflow_equals_the_sdk_pin():
    pin = re.search(r"^pulumi==([0-9.]+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    steps = [s for _, _, job in _jobs() for s in _pulumi_steps(job)]
    assert len(steps) >= 3  # preview, up, the drift job's install
    # `pulumi-version` is the input of pulumi/actions@v7 (its action.yml); absent, it installs the newest 3.x.
    assert [str(s.get("with", {}).get("pulumi-version")) for s in steps] == [pin] * len(steps)
    # The README's install line for a machine in the data center names the same version.
    assert re.findall(r"get\.pulumi\.com \| sh -s -- --version ([0-9.]+)", (ROOT / "README.md").read_text()) == [pin]


def test_jobs_against_real_state_run_inside_the_network_with_an_environment():
    real = [(wf, name, job) for wf, name, job in _jobs() if _touches_real_state(job)]
    assert {(wf, name) for wf, name, _ in real} == {("pr.yml", "preview"), ("main.yml", "up"), ("drift.yml", "drift")}
    for wf, name, job in real:
        assert job["runs-on"] == SELF_HOSTED, (wf, name)
        assert "environment" in job, (wf, name)
        # Every credential comes through the job's env from the environment, never inline elsewhere.
        used = set(SECRET_RE.findall(yaml.safe_dump(job.get("env", {}))))
        assert used == {"PULUMI_CONFIG_PASSPHRASE", "STATE_ACCESS_KEY_ID", "STATE_ACCESS_KEY_SECRET",
                        "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"}, (wf, name)
        assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    envs = {name: job["environment"] for _, name, job in real}
    # Previews and drift get the read-only environment; only `up` on main gets the deploy one.
    assert envs == {"preview": "preview-${{ matrix.stack }}", "drift": "preview-${{ matrix.stack }}", "up": "${{ matrix.stack }}"}


def test_offline_jobs_run_hosted_and_see_no_secret():
    offline = [(wf, name, job) for wf, name, job in _jobs() if not _touches_real_state(job)]
    assert {(wf, name) for wf, name, _ in offline} == {("pr.yml", "test"), ("pr.yml", "offline-plan"), ("main.yml", "test"),
                                                       ("pr.yml", "stacks"), ("main.yml", "stacks"), ("drift.yml", "stacks")}
    for wf, name, job in offline:
        assert str(job["runs-on"]).startswith("ubuntu-"), (wf, name)
        assert "environment" not in job
        assert set(SECRET_RE.findall(yaml.safe_dump(job))) <= {"GITHUB_TOKEN"}, (wf, name)


def test_no_pulumi_cloud_token_anywhere():
    # One backend: the OSS bucket. A Pulumi Cloud token next to it would be a second story.
    for wf in WORKFLOWS:
        assert "PULUMI_ACCESS_TOKEN" not in wf.read_text(), wf.name
    readme = (ROOT / "README.md").read_text()
    assert "pulumi login --local" not in readme and "PULUMI_BACKEND_URL='s3://" in readme
    assert "s3ForcePathStyle=true" not in readme  # OSS denies path-style requests
    # The same URL everywhere: every action step logs in to the repository variable, the Makefile
    # and the drift script read PULUMI_BACKEND_URL, nobody logs in to a local or default backend.
    for _, name, job in _jobs():
        for step in _pulumi_steps(job):
            if "command" in step.get("with", {}):
                assert step["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}", name
    commands = [ln.strip() for path in ("Makefile", "README.md", "scripts/drift.sh", "scripts/ci-env-check.sh", *map(str, WORKFLOWS))
                for ln in (ROOT / path).read_text().splitlines()]
    logins = [ln for ln in commands if ln.startswith("pulumi login")]
    assert logins == ['pulumi login "$PULUMI_BACKEND_URL"                    '
                      '# the OSS state bucket; CI logs in to the same URL (vars.PULUMI_BACKEND_URL)']
    assert not [ln for ln in commands if "--local" in ln or "PULUMI_ACCESS_TOKEN" in ln]


def test_pr_and_main_test_jobs_run_exactly_ci_run():
    for name in ("pr.yml", "main.yml"):
        runs = [s.get("run", "") for s in _load(name)["jobs"]["test"]["steps"] if "run" in s]
        assert runs == ["bash .ci/run"], name
    ci = (ROOT / ".ci" / "run").read_text()
    assert "export HYBRID_STRICT=1" in ci and "make test" in ci
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"^test:\n\tbash scripts/setup.sh --with-system\n", make, re.M)


def test_pr_workflow_runs_gate_diff_and_preview_with_policy_pack():
    doc = _load("pr.yml")
    assert "pull_request" in doc[True]  # YAML 1.1 reads the bare key `on` as True
    runs = "\n".join(s.get("run", "") for job in doc["jobs"].values() for s in job.get("steps", []))
    assert "hybrid-gpu plan" in runs and "hybrid-gpu diff" in runs and "--format md" in runs
    preview = doc["jobs"]["preview"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    steps = _pulumi_steps(preview)
    assert [(s["with"]["command"], s["with"]["policyPacks"], s["with"]["diff"]) for s in steps] == [("preview", "policy", True)]


STACK_MATRIX = "${{ fromJSON(needs.stacks.outputs.stacks) }}"


def test_every_stack_job_takes_its_matrix_from_the_stacks_job():
    for name in ("pr.yml", "main.yml", "drift.yml"):
        jobs = _load(name)["jobs"]
        for job_name, job in jobs.items():
            matrix = job.get("strategy", {}).get("matrix", {})
            if "stack" in matrix:
                needs = job["needs"] if isinstance(job["needs"], list) else [job["needs"]]
                assert matrix["stack"] == STACK_MATRIX and "stacks" in needs, (name, job_name)
        assert jobs["stacks"]["steps"][-1]["run"] == 'bash scripts/stacks-matrix.sh >> "$GITHUB_OUTPUT"'


def test_stacks_matrix_lists_the_stack_files(tmp_path):
    script = ROOT / "scripts" / "stacks-matrix.sh"
    run = lambda d: subprocess.run(["bash", str(script), str(d)], capture_output=True, text=True, timeout=30)  # noqa: E731
    assert run(ROOT / "stacks").stdout == 'stacks=["dev","prod"]\n'
    for n in ("shanghai", "dev", "prod-2"):
        (tmp_path / f"Pulumi.{n}.yaml").write_text("config: {}\n")
    (tmp_path / "README.md").write_text("not a stack\n")
    assert run(tmp_path).stdout == 'stacks=["dev","prod-2","shanghai"]\n'
    (tmp_path / "Pulumi.Bad_Name.yaml").write_text("config: {}\n")
    proc = run(tmp_path)
    assert proc.returncode == 2 and "Bad_Name" in proc.stderr and proc.stdout == ""
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(empty).returncode == 2


def test_main_workflow_runs_up_only_on_main_per_stack():
    doc = _load("main.yml")
    assert doc[True]["push"]["branches"] == ["main"]
    up = doc["jobs"]["up"]
    assert up["strategy"]["matrix"]["stack"] == STACK_MATRIX and up["strategy"]["max-parallel"] == 1
    assert [s["with"]["command"] for s in _pulumi_steps(up)] == ["up"]


def test_drift_workflow_is_scheduled_and_runs_the_drift_script():
    doc = _load("drift.yml")
    assert doc[True]["schedule"] and "workflow_dispatch" in doc[True]
    job = doc["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == STACK_MATRIX
    # Its own concurrency group: sharing deploy-main, a drift run cancels a pending deploy.
    assert doc["concurrency"]["group"] != _load("main.yml")["concurrency"]["group"]
    assert [s["with"] for s in _pulumi_steps(job)] == [{"pulumi-version": _pulumi_steps(job)[0]["with"]["pulumi-version"]}]  # install only
    assert any(s.get("run") == 'bash scripts/drift.sh "${{ matrix.stack }}"' for s in job["steps"])


def _job_table():
    import importlib.util

    spec = importlib.util.spec_from_file_location("job_table", ROOT / "scripts" / "job_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_doc_job_table_is_the_one_derived_from_the_workflows():
    jt = _job_table()
    assert jt.documented() == jt.render(), "docs/pipeline.md's job table drifted: run python scripts/job_table.py --write"


def test_job_table_rows_against_the_yaml_by_hand():
    """The deriving script itself, checked on the facts a reviewer looks for first (written out
    here, not computed): which job runs where, with which environment and which secrets."""
    creds = ["`ALIBABA_CLOUD_ACCESS_KEY_ID`", "`ALIBABA_CLOUD_ACCESS_KEY_SECRET`", "`FLEET_KUBECONFIG`", "`IDC_KUBECONFIG`",
             "`PULUMI_CONFIG_PASSPHRASE`", "`STATE_ACCESS_KEY_ID`", "`STATE_ACCESS_KEY_SECRET`", "variable `PULUMI_BACKEND_URL`"]
    idc = "`[self-hosted, linux, x64, hybrid-idc]`"
    hosted = "`ubuntu-24.04` (GitHub-hosted)"
    expected = {
        "pr / test": (hosted, "none", ["GITHUB_TOKEN (contents: read)"]),
        "pr / offline-plan (stack: every stacks/Pulumi.<stack>.yaml)": (hosted, "none", ["GITHUB_TOKEN (contents: read, pull-requests: write)"]),
        "pr / preview (stack: every stacks/Pulumi.<stack>.yaml)": (idc, "`preview-${{ matrix.stack }}`", ["GITHUB_TOKEN (contents: read, pull-requests: write)", *creds]),
        "main / test": (hosted, "none", ["GITHUB_TOKEN (contents: read)"]),
        "pr / stacks": (hosted, "none", ["GITHUB_TOKEN (contents: read)"]),
        "main / stacks": (hosted, "none", ["GITHUB_TOKEN (contents: read)"]),
        "drift / stacks": (hosted, "none", ["GITHUB_TOKEN (contents: read)"]),
        "main / up (stack: every stacks/Pulumi.<stack>.yaml)": (idc, "`${{ matrix.stack }}`", ["GITHUB_TOKEN (contents: read)", *creds]),
        "drift / drift (stack: every stacks/Pulumi.<stack>.yaml)": (idc, "`preview-${{ matrix.stack }}`", ["GITHUB_TOKEN (contents: read)", *creds]),
    }
    rows = {r[0]: r for r in _job_table().rows()}
    assert {k: (r[2], r[3], r[4].split(", ")) for k, r in rows.items()} == {
        k: (runner, env, ", ".join(seen).split(", ")) for k, (runner, env, seen) in expected.items()}
    assert rows["drift / drift (stack: every stacks/Pulumi.<stack>.yaml)"][5].endswith('`bash scripts/drift.sh "${{ matrix.stack }}"`')
    assert "(CLI 3.272.0)" in rows["main / up (stack: every stacks/Pulumi.<stack>.yaml)"][5] and "pulumi up --policy-pack policy" in rows["main / up (stack: every stacks/Pulumi.<stack>.yaml)"][5]
    assert rows["pr / test"][5].endswith("`bash .ci/run`")


@pytest.mark.parametrize("reported,ok", [("v3.272.0", True), ("v3.271.0", False), ("", False)])
def test_make_refuses_a_local_cli_of_another_version(tmp_path, reported, ok):
    """`make preview/up/drift` go through cli-check: a stand-in `pulumi version` of the pin passes,
    any other version (or none) fails naming the pin. 3.272.0 written out: requirements.txt's pin."""
    from tests.conftest import require_tool

    make = require_tool("make")
    (tmp_path / "pulumi").write_text(f"#!/bin/sh\n[ \"$1\" = version ] && echo '{reported}'\n")
    (tmp_path / "pulumi").chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}{os.pathsep}{os.environ['PATH']}", PULUMI_BACKEND_URL="s3://bucket")
    proc = subprocess.run([make, "-s", "cli-check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert (proc.returncode == 0) is ok, proc.stdout + proc.stderr
    if not ok:
        assert "need Pulumi CLI v3.272.0" in proc.stdout


def _bash(script: str, env: dict, tmp_path):
    from tests.conftest import require_tool

    bash = require_tool("bash")
    return subprocess.run([bash, str(ROOT / "scripts" / script)], env={"PATH": os.environ["PATH"], **env},
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)


def test_kubeconfigs_are_written_where_the_providers_read_them(tmp_path):
    """scripts/ci-kubeconfigs.sh as a job runs it: the environment's kubeconfig secrets become
    owner-only files under RUNNER_TEMP, their paths exported through GITHUB_ENV; the env check
    then passes, and fails naming the variable when the file is gone."""
    temp, genv = tmp_path / "temp", tmp_path / "github_env"
    temp.mkdir()
    genv.write_text("")
    base = {"RUNNER_TEMP": str(temp), "GITHUB_ENV": str(genv)}
    proc = _bash("ci-kubeconfigs.sh", {**base, "IDC_KUBECONFIG": "apiVersion: v1\nkind: Config", "FLEET_KUBECONFIG": "fleet: x"}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    exported = dict(line.split("=", 1) for line in genv.read_text().splitlines())
    assert exported == {"HYBRID_IDC_KUBECONFIG": str(temp / "hybrid-idc.kubeconfig"),
                        "HYBRID_FLEET_KUBECONFIG": str(temp / "hybrid-fleet.kubeconfig")}
    idc = temp / "hybrid-idc.kubeconfig"
    assert idc.read_text() == "apiVersion: v1\nkind: Config\n" and (idc.stat().st_mode & 0o777) == 0o600
    check_env = {"PULUMI_BACKEND_URL": "s3://state?endpoint=oss-cn-beijing.aliyuncs.com", "PULUMI_CONFIG_PASSPHRASE": "p",
                 "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "ALIBABA_CLOUD_ACCESS_KEY_ID": "a",
                 "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s", **exported}
    assert _bash("ci-env-check.sh", check_env, tmp_path).returncode == 0
    idc.unlink()
    gone = _bash("ci-env-check.sh", check_env, tmp_path)
    assert gone.returncode == 1 and "HYBRID_IDC_KUBECONFIG names" in gone.stdout
    missing = _bash("ci-kubeconfigs.sh", base, tmp_path)
    assert missing.returncode == 1 and "IDC_KUBECONFIG is not set" in missing.stdout


@pytest.mark.parametrize("script", ["ci-kubeconfigs.sh", "ci-env-check.sh"])
def test_ci_scripts_are_shellcheck_clean(script):
    from tests.conftest import require_tool

    proc = subprocess.run([require_tool("shellcheck"), str(ROOT / "scripts" / script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout


def test_make_plan_installs_the_runtime_only():
    """`make plan` (and preview/up/drift) set up the runtime pins only; the test tools stay out."""
    from tests.conftest import require_tool

    make = require_tool("make")
    for target in ("plan", "policy", "preview", "up", "drift"):
        proc = subprocess.run([make, "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert "bash scripts/setup.sh --runtime" in proc.stdout, (target, proc.stdout)
    script = (ROOT / "scripts" / "setup.sh").read_text()
    runtime = script[script.index('if [ "${1:-}" = "--runtime" ]'):script.index("# Says what it does")]
    assert "-r requirements.txt -r policy/requirements.txt" in runtime and "requirements-dev.txt" not in runtime
