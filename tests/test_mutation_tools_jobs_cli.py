"""hybrid_tools/jobs_cli.py: ``hybrid-gpu jobs``, in-process (``cli.main``, ``rows``, ``cells``).

The expected rows are tests/test_jobs_table.py's, worked by hand from stacks/Pulumi.prod.yaml and
docs/jobs.md. The prod plan is built once per process (``_plan``): mutmut forks each mutant from
the process that ran the tests once, so the plan directory (made by hybrid_tools.plan, which never
calls this module) is reused instead of rebuilt for every mutant.
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from hybrid_tools import cli, jobs_cli
from tests.conftest import help_text, ROOT
from tests.test_jobs_table import BROKEN, EXPECTED, HEADER, _edit, _obj

_PLANS: dict[str, Path] = {}


def _plan(name: str = "prod") -> Path:
    if name not in _PLANS:
        import yaml

        from hybrid_tools import plan

        root = Path(tempfile.mkdtemp(prefix="jobs-cli-"))
        atexit.register(shutil.rmtree, root, True)
        config_file = None
        if name == "nofleet":  # registration.fleet.apply false: no Fleet policy, ResourceQuotas in the hybrid cluster
            doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
            cfg = doc["config"]
            cfg["hybrid-gpu-platform:registration"]["fleet"]["apply"] = False
            jobs = cfg["hybrid-gpu-platform:jobs"]
            del jobs["jobs"][0]["failover"]
            del jobs["services"][0]["failover"], jobs["services"][0]["autoscaling"]
            config_file = root / "Pulumi.prod.yaml"
            config_file.write_text(yaml.safe_dump(doc))
        _, platform, run, _ = plan.build_plan("prod", root=ROOT, config_file=config_file)
        _PLANS[name], _ = plan.write_plan("prod", root / "plan", platform, run)
    return _PLANS[name]


def _copy(tmp_path: Path, name: str = "prod") -> Path:
    d = tmp_path / "prod"
    shutil.copytree(_plan(name), d)
    return d


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["jobs", "--stack", "prod", *argv])
    got = capsys.readouterr()
    return code, got.out, got.err


def test_prod_table(capsys):
    code, out, err = _run(capsys, "--plan-dir", str(_plan()))
    assert (code, err) == (0, "")
    # columns padded with two spaces or more (no cell holds two spaces in a row), one line each
    assert [re.split(r" {2,}", line) for line in out.splitlines()] == [HEADER, *EXPECTED]
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_prod_markdown_table_is_the_one_in_the_docs(capsys):
    code, out, _ = _run(capsys, "--plan-dir", str(_plan()), "--format", "md")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "| " + " | ".join(HEADER) + " |" and lines[1] == "|---|---|---|---|---|---|---|---|"
    assert [line[2:-2].split(" | ") for line in lines[2:]] == EXPECTED
    assert out.endswith(" |\n") and out in (ROOT / "docs" / "jobs.md").read_text()


def test_json_is_the_rows_as_data(capsys):
    d = _plan()
    code, out, _ = _run(capsys, "--plan-dir", str(d), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert out == json.dumps(doc, indent=2, sort_keys=True) + "\n"
    assert (doc["stack"], doc["planDir"]) == ("prod", str(d))
    rows = {r["workload"]: r for r in doc["workloads"]}
    assert list(rows) == [e[0] for e in EXPECTED]
    ft = rows["llm-research/llm-finetune"]
    assert ft == {
        "workload": "llm-research/llm-finetune", "kind": "PyTorchJob", "tier": "idc-bj", "cluster": "idc-bj",
        "gang": {"mechanism": "PodGroup", "createdBy": "training-operator", "size": 4, "scheduler": "scheduler-plugins-scheduler",
                 "fleetGang": True, "oneMember": True},
        "queued": False, "quota": {"kind": "FederatedResourceQuota", "name": "llm-research/gpu", "maxGpus": 160},
        "priority": {"class": "ai-training", "value": 100000, "preempts": True},
        "fleetPriority": {"schedulePriority": "ai-training", "policyPriority": 100, "preemption": "Always"},
        "failover": {"to": ["ack-wlcb-train"], "tolerationSeconds": 60, "purgeMode": "Directly", "propagateDeps": True},
        "autoscaling": None}
    emb = rows["data/embed-corpus"]
    assert emb["gang"] == {"mechanism": "PodGroup", "createdBy": "the plan", "size": 8, "scheduler": "scheduler-plugins-scheduler",
                           "fleetGang": True, "oneMember": True}
    assert emb["priority"] == {"class": "ai-batch", "value": 1000, "preempts": False}
    assert emb["failover"] == {"none": "Job: no health interpreter"}
    assert rows["llm-research/llm-pretrain"]["failover"] == {"none": "not declared"}
    serve = rows["inference/llm-serve"]
    assert (serve["gang"], serve["tier"]) == (None, None)
    # failover within its one member (no later cluster group): docs/jobs.md; propagateDeps on the policy
    assert serve["failover"] == {"to": [], "tolerationSeconds": 120, "purgeMode": "Gracefully", "propagateDeps": True}
    assert serve["autoscaling"] == {
        "minReplicas": 2, "maxReplicas": 16,
        "metrics": [{"type": "Pods", "name": "DCGM_FI_DEV_GPU_UTIL", "averageValue": "80"},
                    {"type": "Pods", "name": "vllm:num_requests_waiting", "averageValue": "8"}],
        "cron": [{"name": "weekday-peak", "schedule": "0 8 * * 1-5", "timeZone": "Asia/Shanghai", "targetMinReplicas": 8,
                  "targetMaxReplicas": 16},
                 {"name": "night", "schedule": "0 22 * * *", "timeZone": "Asia/Shanghai", "targetMinReplicas": 2, "targetMaxReplicas": 16}]}


def test_the_table_is_what_the_plan_recorded(tmp_path, capsys):
    d = _copy(tmp_path)
    _edit(d / "resources.json", lambda docs: _obj("jobs-podgroup-data-embed-corpus")(docs)["spec"].update(minMember=9))
    code, out, _ = _run(capsys, "--plan-dir", str(d), "--format", "json")
    assert code == 0
    assert [r["gang"]["size"] for r in json.loads(out)["workloads"] if r["workload"] == "data/embed-corpus"] == [9]


def test_a_queued_job_says_so(tmp_path, capsys):
    # prod queues nothing; a plan whose policy holds the job for Kube Queue (ACK's suspension.scheduling,
    # docs/jobs.md "Queues and quotas") shows it queued.
    d = _copy(tmp_path)
    _edit(d / "resources.json", lambda docs: _obj("jobs-propagationpolicy-data-embed-corpus")(docs)["spec"].update(
        suspension={"scheduling": True}))
    code, out, _ = _run(capsys, "--plan-dir", str(d), "--format", "md")
    assert code == 0
    queue = {line.split(" | ")[0][2:]: line.split(" | ")[4] for line in out.splitlines()[2:]}
    assert queue["data/embed-corpus"] == "queued (Kube Queue); FederatedResourceQuota data/gpu max 32 GPU"
    assert queue["llm-research/llm-finetune"].startswith("not queued;")


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_plan_is_one_line_exit_2(case, tmp_path, capsys):
    name, breakit, message = BROKEN[case]
    d = _copy(tmp_path)
    breakit(d / name)
    code, out, err = _run(capsys, "--plan-dir", str(d))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err and (name in err or str(d) in err), err


def test_a_missing_plan_says_which_plan_to_run(tmp_path, capsys, monkeypatch):
    code, out, err = _run(capsys, "--plan-dir", str(tmp_path / "nowhere"))
    assert (code, out) == (2, "")
    assert err == f"hybrid-gpu: {tmp_path / 'nowhere'}: no such plan directory. Fix: run `hybrid-gpu plan --stack prod` first.\n"
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "--config", "my.yaml")
    assert err == ("hybrid-gpu: build/plan/prod: no such plan directory. "
                   "Fix: run `hybrid-gpu plan --stack prod --config my.yaml` first.\n")


def test_the_default_plan_directory_is_build_plan_stack(tmp_path, capsys, monkeypatch):
    d = tmp_path / "build" / "plan"
    d.mkdir(parents=True)
    shutil.copytree(_plan(), d / "prod")
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(capsys, "--format", "json")
    assert code == 0 and json.loads(out)["planDir"] == "build/plan/prod"


def test_a_plan_without_jobs_says_so(tmp_path, capsys):
    d = _copy(tmp_path)
    _edit(d / "resources.json", lambda docs: docs.__setitem__(slice(None), [r for r in docs if not r.get("parent", "").endswith(
        jobs_cli.COMPONENT + "::jobs") and "hybrid:jobs:AiJobs" not in str(r.get("parent"))]))
    _edit(d / "outputs.json", lambda o: o.pop("jobs", None))
    code, out, _ = _run(capsys, "--plan-dir", str(d))
    assert (code, out) == (0, f"{d}: the plan declares no AI jobs or services (hybrid-gpu-platform:jobs).\n")
    code, out, _ = _run(capsys, "--plan-dir", str(d), "--format", "json")
    assert json.loads(out)["workloads"] == []


def test_without_the_fleet_the_objects_and_quotas_are_the_clusters(capsys):
    code, text, err = _run(capsys, "--plan-dir", str(_plan("nofleet")), "--format", "md")
    assert code == 0, err
    rows = [line[2:-2].split(" | ") for line in text.splitlines()[2:]]
    assert [r[2] for r in rows] == [f"{t} / idc-bj (declared in it, no Fleet policy)" for t in
                                    ("tier idc-bj", "tier cn-beijing-elastic", "tier idc-bj", "any tier (no node affinity)")]
    assert [r[4] for r in rows] == ["not queued; ResourceQuota llm-research/gpu max 160 GPU", "not queued; ResourceQuota data/gpu max 32 GPU",
                                    "not queued; ResourceQuota llm-research/gpu max 160 GPU", "not queued; ResourceQuota inference/gpu max 96 GPU"]
    assert [r[3] for r in rows] == ["PodGroup of 4 (operator's, scheduler-plugins-scheduler)", "PodGroup of 8 (the plan's, scheduler-plugins-scheduler)",
                                    "PodGroup of 48 (operator's, scheduler-plugins-scheduler)", "none"]
    assert [r[5] for r in rows] == ["ai-training 100000 preempts", "ai-batch 1000 never preempts", "ai-training 100000 preempts",
                                    "ai-inference-online 200000 preempts"]
    assert {r[6] for r in rows} == {"none (no Fleet policy)"} and {r[7] for r in rows} == {"-"}


def test_help_names_the_flags(capsys):
    text = help_text(capsys, "jobs")
    for part in ("--config CONFIG the stack config file the plan was made from (named in the fix when the plan is missing); "
                 "the table itself is read from the plan",
                 "--plan-dir PLAN_DIR the plan directory to read; default build/plan/<stack>",
                 "--format {table,json,md} table: one row per workload; json: the rows as data; md: a Markdown table"):
        assert part in text, part
    assert ("jobs one row per AI job and service as the offline plan declared it: tier/cluster, gang, queue/quota, priority, "
            "failover, autoscaling") in help_text(capsys)
