"""``hybrid-gpu jobs``: the table read from the recorded plan, against prod worked by hand.

The expectation below is read off stacks/Pulumi.prod.yaml (``hybrid-gpu-platform:jobs`` and
``registration.fleet``) and docs/jobs.md, not from the code: the IDC is ``idc-bj`` and the hybrid
cluster's Fleet member; ``embed-corpus`` names its tier ``cn-beijing-elastic``; the fine-tune (4 x 8
GPUs) and the pre-training gang (48 x 1 GPU) fit the IDC's 320 allocatable GPUs, the first tier;
``gangScheduler`` is scheduler-plugins with its default scheduler name; ``policyApi: ack`` adds the
Fleet's Gang; ``ai-batch`` has ``preempts: false``; the job failover's defaults are 60 s and
Directly (docs/config.md); the cron rules' time zone defaults to Asia/Shanghai.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hybrid_tools import cli
from tests.conftest import ROOT

FLEET = "policy priority 100 preemption Always"  # docs/jobs.md: name-matched policies claim their templates
EXPECTED = [
    ["llm-research/llm-finetune", "PyTorchJob", "tier idc-bj / idc-bj",
     "PodGroup of 4 (operator's, scheduler-plugins-scheduler); Fleet: Gang, one member",
     "not queued; FederatedResourceQuota llm-research/gpu max 160 GPU",
     f"ai-training 100000 preempts; Fleet: schedulePriority ai-training, {FLEET}",
     "to ack-wlcb-train after 60s, purgeMode Directly", "-"],
    ["data/embed-corpus", "Job", "tier cn-beijing-elastic / idc-bj",
     "PodGroup of 8 (the plan's, scheduler-plugins-scheduler); Fleet: Gang, one member",
     "not queued; FederatedResourceQuota data/gpu max 32 GPU",
     f"ai-batch 1000 never preempts; Fleet: schedulePriority ai-batch, {FLEET}",
     "none (Job: no health interpreter)", "-"],
    ["llm-research/llm-pretrain", "PyTorchJob", "tier idc-bj / idc-bj",
     "PodGroup of 48 (operator's, scheduler-plugins-scheduler); Fleet: Gang, one member",
     "not queued; FederatedResourceQuota llm-research/gpu max 160 GPU",
     f"ai-training 100000 preempts; Fleet: schedulePriority ai-training, {FLEET}",
     "none (not declared)", "-"],
    ["inference/llm-serve", "Deployment", "any tier (no node affinity) / idc-bj", "none",
     "not queued; FederatedResourceQuota inference/gpu max 96 GPU",
     f"ai-inference-online 200000 preempts; Fleet: schedulePriority ai-inference-online, {FLEET}",
     "within idc-bj (no other member named) after 120s, purgeMode Gracefully",
     "FederatedHPA 2..16 on DCGM_FI_DEV_GPU_UTIL (Pods, avg 80), vllm:num_requests_waiting (Pods, avg 8); "
     "CronFederatedHPA weekday-peak \"0 8 * * 1-5\" Asia/Shanghai -> 8..16, night \"0 22 * * *\" Asia/Shanghai -> 2..16"],
]
HEADER = ["workload", "kind", "tier/cluster", "gang", "queue/quota", "priority", "failover", "autoscaling"]


@pytest.fixture(scope="module")
def prod_plan(tmp_path_factory) -> Path:
    from hybrid_tools import plan

    _, platform, run, _ = plan.build_plan("prod", root=ROOT)
    out, _ = plan.write_plan("prod", tmp_path_factory.mktemp("plan"), platform, run)
    return out


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["jobs", "--stack", "prod", *argv])
    got = capsys.readouterr()
    return code, got.out, got.err


def test_prod_table_is_the_hand_worked_one(prod_plan, capsys):
    code, out, err = _run(capsys, "--plan-dir", str(prod_plan))
    assert code == 0, err
    # Columns are padded with two spaces or more; no cell holds two spaces in a row.
    assert [re.split(r" {2,}", line) for line in out.splitlines()] == [HEADER, *EXPECTED]


def test_prod_markdown_table(prod_plan, capsys):
    code, out, _ = _run(capsys, "--plan-dir", str(prod_plan), "--format", "md")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "| " + " | ".join(HEADER) + " |"
    assert [line[2:-2].split(" | ") for line in lines[2:]] == EXPECTED


def test_json_is_the_rows_as_data(prod_plan, capsys):
    code, out, _ = _run(capsys, "--plan-dir", str(prod_plan), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    rows = {r["workload"]: r for r in doc["workloads"]}
    assert list(rows) == [e[0] for e in EXPECTED]
    pre = rows["llm-research/llm-pretrain"]
    assert pre["gang"] == {"mechanism": "PodGroup", "createdBy": "training-operator", "size": 48,
                           "scheduler": "scheduler-plugins-scheduler", "fleetGang": True, "oneMember": True}
    assert (pre["tier"], pre["cluster"], pre["queued"]) == ("idc-bj", "idc-bj", False)
    assert pre["quota"] == {"kind": "FederatedResourceQuota", "name": "llm-research/gpu", "maxGpus": 160}
    assert rows["data/embed-corpus"]["priority"] == {"class": "ai-batch", "value": 1000, "preempts": False}
    assert rows["llm-research/llm-finetune"]["failover"] == {"to": ["ack-wlcb-train"], "tolerationSeconds": 60,
                                                            "purgeMode": "Directly", "propagateDeps": True}
    serve = rows["inference/llm-serve"]
    assert serve["gang"] is None and serve["tier"] is None
    assert serve["autoscaling"]["metrics"] == [{"type": "Pods", "name": "DCGM_FI_DEV_GPU_UTIL", "averageValue": "80"},
                                               {"type": "Pods", "name": "vllm:num_requests_waiting", "averageValue": "8"}]
    assert [(c["name"], c["targetMinReplicas"], c["targetMaxReplicas"]) for c in serve["autoscaling"]["cron"]] == [
        ("weekday-peak", 8, 16), ("night", 2, 16)]


def _copy(prod_plan: Path, tmp_path: Path) -> Path:
    d = tmp_path / "prod"
    shutil.copytree(prod_plan, d)
    return d


def _edit(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _obj(name: str):
    return lambda docs: next(r["inputs"] for r in docs if r["name"] == name)


def test_the_table_is_what_the_plan_recorded_not_the_stack(prod_plan, tmp_path, capsys):
    # A plan whose PodGroup says 9: the table follows the plan (the stack still says 8).
    d = _copy(prod_plan, tmp_path)
    _edit(d / "resources.json", lambda docs: _obj("jobs-podgroup-data-embed-corpus")(docs)["spec"].update(minMember=9))
    code, out, _ = _run(capsys, "--plan-dir", str(d), "--format", "json")
    assert code == 0
    assert [r["gang"]["size"] for r in json.loads(out)["workloads"] if r["workload"] == "data/embed-corpus"] == [9]


def _break_pp_placement(docs):
    _obj("jobs-propagationpolicy-llm-research-llm-finetune")(docs)["spec"]["placement"] = "idc-bj"


def _drop_priority_class(docs):
    docs[:] = [r for r in docs if r["name"] != "jobs-priorityclass-cluster-ai-batch"]


BROKEN = {
    "truncated resources.json": ("resources.json", lambda p: p.write_text(p.read_text()[:5000]), "resources.json: not a plan artifact"),
    "no resources.json": ("resources.json", lambda p: p.unlink(), "not an offline plan (no resources.json)"),
    "placement not an object": ("resources.json", lambda p: _edit(p, _break_pp_placement),
                                "inputs.spec.placement is not a dict"),
    "quota not a number": ("resources.json", lambda p: _edit(p, lambda d: _obj("jobs-federatedresourcequota-data-gpu")(d)["spec"]
                                                            ["overall"].update({"requests.nvidia.com/gpu": "lots"})),
                           "is not a whole number"),
    "PriorityClass removed": ("resources.json", lambda p: _edit(p, _drop_priority_class),
                              "its pods name PriorityClass ai-batch, which the plan does not declare"),
    "jobs output without the tier": ("outputs.json", lambda p: _edit(p, lambda d: d["jobs"][0].pop("tier")),
                                     "jobs row llm-research/llm-finetune has no tier"),
    "jobs output without a workload": ("outputs.json", lambda p: _edit(p, lambda d: d["jobs"].pop(1)),
                                       "jobs has no row for data/embed-corpus"),
    "a workload's object removed": ("resources.json", lambda p: _edit(p, lambda d: d.remove(
        next(r for r in d if r["name"] == "jobs-deployment-inference-llm-serve"))), "jobs name inference/llm-serve, which no object"),
    "queue field not an object": ("resources.json", lambda p: _edit(p, lambda d: _obj("jobs-propagationpolicy-data-embed-corpus")(d)
                                                                   ["spec"].update(suspension="yes")), "inputs.spec.suspension is not a dict"),
    "fleet members not an object": ("outputs.json", lambda p: _edit(p, lambda d: d["fleet"].update(members=["idc-bj"])),
                                    "fleet.members is not a dict"),
    "outputs.json not JSON": ("outputs.json", lambda p: p.write_text("{\"jobs\": ["), "outputs.json: not a plan artifact"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_plan_is_one_line_exit_2(case, prod_plan, tmp_path, capsys):
    name, breakit, message = BROKEN[case]
    d = _copy(prod_plan, tmp_path)
    breakit(d / name)
    code, out, err = _run(capsys, "--plan-dir", str(d))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert message in err and (name in err or str(d) in err), err


def test_a_missing_plan_says_which_plan_to_run(tmp_path, capsys):
    code, out, err = _run(capsys, "--plan-dir", str(tmp_path / "nowhere"))
    assert (code, out) == (2, "")
    assert err == f"hybrid-gpu: {tmp_path / 'nowhere'}: no such plan directory. Fix: run `hybrid-gpu plan --stack prod` first.\n"


def test_docs_show_what_the_tool_prints(prod_plan, capsys):
    _, out, _ = _run(capsys, "--plan-dir", str(prod_plan), "--format", "md")
    assert out in (ROOT / "docs" / "jobs.md").read_text(), out
