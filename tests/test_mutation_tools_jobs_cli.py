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


# --- hand-edited plans: every shape check is one exact line naming the file, the object and the field ----------
# The objects are addressed by their Pulumi resource names (the ``name`` of resources.json) and their URNs read
# from the file itself; the field paths are the objects' own (docs/jobs.md "Objects and the source of each
# field"), the member ids the plan's ``fleet.members`` (outputs.json).

FT, PT = "jobs-pytorchjob-llm-research-llm-finetune", "jobs-pytorchjob-llm-research-llm-pretrain"
JOB, PG = "jobs-job-data-embed-corpus", "jobs-podgroup-data-embed-corpus"
PP_FT, PP_PT = "jobs-propagationpolicy-llm-research-llm-finetune", "jobs-propagationpolicy-llm-research-llm-pretrain"
PP_JOB, PP_SERVE = "jobs-propagationpolicy-data-embed-corpus", "jobs-propagationpolicy-inference-llm-serve"
HPA, CRON = "jobs-federatedhpa-inference-llm-serve", "jobs-cronfederatedhpa-inference-llm-serve"
PC_BATCH, FRQ_DATA = "jobs-priorityclass-cluster-ai-batch", "jobs-federatedresourcequota-data-gpu"
_GONE = object()
RES, OUT = "resources.json", "outputs.json"
_JOBS_ONLY: dict[str, str] = {}


def _set(name: str, dotted: str, value=_GONE):
    """An edit: the object's inputs at ``a.b.0.c`` set to value (deleted without one)."""
    def change(docs, out):
        *steps, last = dotted.split(".")
        node = _obj(name)(docs)
        for s in steps:
            node = node[int(s)] if isinstance(node, list) else node[s]
        key = int(last) if isinstance(node, list) else last
        if value is _GONE:
            del node[key]
        else:
            node[key] = value
    return change


def _drop(name: str):
    return lambda docs, out: docs.remove(next(r for r in docs if r["name"] == name))


def _out(change):
    return lambda docs, out: change(out)


def _spark(docs, out):
    # The batch Job as a SparkApplication (spark-operator v1beta2: the pods are spec.driver and spec.executor),
    # its policy selecting it by kind.
    job = _obj(JOB)(docs)
    pod = job["spec"]["template"]["spec"]
    common = {"affinity": pod["affinity"], "priorityClassName": pod["priorityClassName"]}
    job.update(apiVersion="sparkoperator.k8s.io/v1beta2", kind="SparkApplication",
               spec={"driver": {**common, "serviceAccount": "embed-corpus-spark"}, "executor": {**common, "instances": 7}})
    _obj(PP_JOB)(docs)["spec"]["resourceSelectors"][0] = {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
                                                          "name": "embed-corpus"}


def _apply(tmp_path: Path, *edits) -> Path:
    """The prod plan with the edits, as a directory of resources.json (the jobs component and its objects only:
    the table reads nothing else, and a small file keeps each case fast) and outputs.json."""
    if not _JOBS_ONLY:
        src = _plan()
        _JOBS_ONLY[RES] = json.dumps([r for r in json.loads((src / RES).read_text()) if "hybrid:jobs:AiJobs" in r["urn"]])
        _JOBS_ONLY[OUT] = (src / OUT).read_text()
    docs, out = json.loads(_JOBS_ONLY[RES]), json.loads(_JOBS_ONLY[OUT])
    for e in edits:
        e(docs, out)
    d = tmp_path / "prod"
    d.mkdir()
    (d / RES).write_text(json.dumps(docs))
    (d / OUT).write_text(json.dumps(out))
    return d


def _urn(d: Path, name: str) -> str:
    return next(r["urn"] for r in json.loads((d / "resources.json").read_text()) if r["name"] == name)


SHAPES = {  # case: (file named, object whose URN leads the message or None, what is wrong, edits)
    "kind not a string": (RES, JOB, "inputs.kind is not a string", [_set(JOB, "kind", 5)]),
    "metadata not an object": (RES, JOB, "inputs.metadata is not a dict", [_set(JOB, "metadata", "x")]),
    "metadata missing": (RES, JOB, "inputs.metadata is not a dict", [_set(JOB, "metadata")]),
    "name not a string": (RES, JOB, "inputs.metadata.name is not a str", [_set(JOB, "metadata.name", 7)]),
    "jobs output not a list": (OUT, None, "jobs is not a list", [_out(lambda o: o.update(jobs={}))]),
    "jobs row without a workload": (OUT, None, "jobs[1] has no workload", [_out(lambda o: o["jobs"][1].pop("workload"))]),
    "jobs row not an object": (OUT, None, "jobs[2] has no workload", [_out(lambda o: o["jobs"].__setitem__(2, "x"))]),
    "recorded jobs without objects": (RES, None, "outputs.json's jobs name a/x, b/y, which no object of the plan declares",
                                      [_out(lambda o: o["jobs"].extend([{"workload": "a/x"}, {"workload": "b/y"}]))]),
    "fleet members a list": (OUT, None, "fleet.members is not a dict", [_out(lambda o: o["fleet"].update(members=["idc-bj"]))]),
    "spark without executor": (RES, JOB, "inputs.spec.executor is not a dict", [_spark, _set(JOB, "spec.executor")]),
    "job pod spec not an object": (RES, JOB, "inputs.spec.template.spec is not a dict", [_set(JOB, "spec.template.spec", "x")]),
    "pytorchjob spec not an object": (RES, FT, "inputs.spec is not a dict", [_set(FT, "spec", "x")]),
    "two replica specs": (RES, FT, "inputs.spec has no single *ReplicaSpecs", [_set(FT, "spec.tfReplicaSpecs", {})]),
    "replica specs not an object": (RES, FT, "inputs.spec.pytorchReplicaSpecs is not a dict", [_set(FT, "spec.pytorchReplicaSpecs", "x")]),
    "a role without its pod spec": (RES, FT, "inputs.spec.pytorchReplicaSpecs.Worker.template.spec is not a dict",
                                    [_set(FT, "spec.pytorchReplicaSpecs.Worker.template.spec")]),
    "pods differ in affinity": (RES, FT, "its pods differ in affinity",
                                [_set(FT, "spec.pytorchReplicaSpecs.Worker.template.spec.affinity", {})]),
    "pods differ in scheduler": (RES, FT, "its pods differ in schedulerName",
                                 [_set(FT, "spec.pytorchReplicaSpecs.Worker.template.spec.schedulerName", "default-scheduler")]),
    "pods differ in priority": (RES, FT, "its pods differ in priorityClassName",
                                [_set(FT, "spec.pytorchReplicaSpecs.Worker.template.spec.priorityClassName", "ai-batch")]),
    "policy without spec": (RES, PP_SERVE, "inputs.spec is not a dict", [_set(PP_SERVE, "spec")]),
    "selectors not a list": (RES, PP_SERVE, "inputs.spec.resourceSelectors is not a list", [_set(PP_SERVE, "spec.resourceSelectors", "x")]),
    "selector not an object": (RES, PP_FT, "inputs.spec.resourceSelectors[0] is not a dict", [_set(PP_FT, "spec.resourceSelectors.0", "x")]),
    "placement missing": (RES, PP_SERVE, "inputs.spec.placement is not a dict", [_set(PP_SERVE, "spec.placement")]),
    "clusterAffinity a string": (RES, PP_JOB, "inputs.spec.placement.clusterAffinity.clusterNames is not a list of strings",
                                 [_set(PP_JOB, "spec.placement.clusterAffinity", "idc-bj")]),
    "clusterNames not strings": (RES, PP_JOB, "inputs.spec.placement.clusterAffinity.clusterNames is not a list of strings",
                                 [_set(PP_JOB, "spec.placement.clusterAffinity.clusterNames", [1])]),
    "clusterAffinities empty": (RES, PP_FT, "inputs.spec.placement.clusterAffinities is not a non-empty list",
                                [_set(PP_FT, "spec.placement.clusterAffinities", [])]),
    "first cluster group's names": (RES, PP_FT, "inputs.spec.placement.clusterAffinities[0].clusterNames is not a list of strings",
                                    [_set(PP_FT, "spec.placement.clusterAffinities.0.clusterNames", "x")]),
    "failover group's names": (RES, PP_FT, "inputs.spec.placement.clusterAffinities[1].clusterNames is not a list of strings",
                               [_set(PP_FT, "spec.placement.clusterAffinities.1.clusterNames", "x")]),
    "hybrid cluster not an object": (OUT, None, "placementTopology.hybridCluster is not a dict",
                                     [_drop(PP_JOB), _out(lambda o: o["placementTopology"].update(hybridCluster="idc-bj"))]),
    "runPolicy not an object": (RES, FT, "inputs.spec.runPolicy is not a dict", [_set(FT, "spec.runPolicy", "x")]),
    "job pod metadata not an object": (RES, JOB, "inputs.spec.template.metadata is not a dict",
                                       [_set(JOB, "spec.template.metadata", "x")]),
    "podgroup without minMember": (RES, PG, "inputs.spec.minMember is not a int", [_set(PG, "spec.minMember")]),
    "suspension not an object": (RES, PP_JOB, "inputs.spec.suspension is not a dict", [_set(PP_JOB, "spec.suspension", "yes")]),
    "quota overall not an object": (RES, FRQ_DATA, "inputs.spec.overall is not a dict", [_set(FRQ_DATA, "spec.overall", "x")]),
    "priority value a string": (RES, PC_BATCH, "inputs.value is not a int", [_set(PC_BATCH, "value", "1000")]),
    "preemptionPolicy not a string": (RES, PC_BATCH, "inputs.preemptionPolicy is not a str", [_set(PC_BATCH, "preemptionPolicy", False)]),
    "schedulePriority a string": (RES, PP_JOB, "inputs.spec.schedulePriority is not a dict", [_set(PP_JOB, "spec.schedulePriority", "ai-batch")]),
    "failover not an object": (RES, PP_SERVE, "inputs.spec.failover is not a dict", [_set(PP_SERVE, "spec.failover", "x")]),
    "hpa without target": (RES, HPA, "inputs.spec.scaleTargetRef is not a dict", [_set(HPA, "spec.scaleTargetRef")]),
    "hpa metrics not a list": (RES, HPA, "inputs.spec.metrics is not a list", [_set(HPA, "spec.metrics", "x")]),
    "hpa metric not an object": (RES, HPA, "inputs.spec.metrics[1] has no none section", [_set(HPA, "spec.metrics.1", "x")]),
    "hpa metric without its section": (RES, HPA, "inputs.spec.metrics[0] has no pods section", [_set(HPA, "spec.metrics.0.pods")]),
    "hpa minReplicas a string": (RES, HPA, "inputs.spec.minReplicas is not a int", [_set(HPA, "spec.minReplicas", "2")]),
    "hpa maxReplicas missing": (RES, HPA, "inputs.spec.maxReplicas is not a int", [_set(HPA, "spec.maxReplicas")]),
    "cron without target": (RES, CRON, "inputs.spec.scaleTargetRef is not a dict", [_set(CRON, "spec.scaleTargetRef")]),
    "cron rules not a list": (RES, CRON, "inputs.spec.rules is not a list", [_set(CRON, "spec.rules", "x")]),
    "cron rule not an object": (RES, CRON, "inputs.spec.rules[1] is not a dict", [_set(CRON, "spec.rules.1", "x")]),
}


@pytest.mark.parametrize("case", sorted(SHAPES))
def test_a_hand_edited_plan_is_one_exact_line(case, tmp_path, capsys):
    file, obj, what, edits = SHAPES[case]
    d = _apply(tmp_path, *edits)
    where = f"{_urn(d, obj)}: " if obj else ""
    code, out, err = _run(capsys, "--plan-dir", str(d))
    assert (code, out) == (2, "")
    assert err == f"hybrid-gpu: {d / file}: not a plan artifact ({where}{what}). Fix: re-run `hybrid-gpu plan` to rewrite it.\n"


@pytest.mark.parametrize("obj, edit, field", [
    (PP_FT, _set(PP_FT, "spec.failover.application.decisionConditions.tolerationSeconds", "60s"),
     "spec.failover.application.decisionConditions.tolerationSeconds is not a int"),
    (PP_SERVE, _set(PP_SERVE, "spec.failover.application.purgeMode", 1), "spec.failover.application.purgeMode is not a str"),
    (HPA, _set(HPA, "spec.metrics.0.pods.metric.name", None), "spec.metrics[0].pods.metric.name is not a str"),
    (HPA, _set(HPA, "spec.metrics.1.pods.target", {}), "spec.metrics[1].pods.target.averageValue is not a str"),
])
def test_a_bad_field_inside_a_section_names_its_object(obj, edit, field, tmp_path, capsys):
    d = _apply(tmp_path, edit)
    code, _, err = _run(capsys, "--plan-dir", str(d))
    assert code == 2 and len(err.splitlines()) == 1
    # the whole path from the object's inputs, as for a field at the top (a section's own prefix included)
    assert err.startswith(f"hybrid-gpu: {d / RES}: not a plan artifact ({_urn(d, obj)}: inputs.{field}). Fix: "), err


def _names_of(name: str, where: str, *members: str):
    def change(docs, out):
        _set(name, where, [out["fleet"]["members"].get(m, m) for m in members])(docs, out)
    return change


def _extra(name: str, new: str, namespace: str, change=None, first=False):
    """A copy of an object under another resource name (and URN) and namespace, before or after every other."""
    def add(docs, out):
        r = json.loads(json.dumps(next(r for r in docs if r["name"] == name)))
        r["urn"], r["name"] = r["urn"].rsplit("::", 1)[0] + "::" + new, new
        r["inputs"]["metadata"]["namespace"] = namespace
        if change:
            change(r["inputs"])
        docs.insert(0, r) if first else docs.append(r)
    return add


def _three_link_parents(docs, out):
    # The component one level deeper in the URN's type chain (Stack$HybridPlatform$AiJobs): still its objects.
    for r in docs:
        if isinstance(r.get("parent"), str) and r["parent"].endswith("$hybrid:jobs:AiJobs::jobs"):
            r["parent"] = r["parent"].replace("::hybrid:platform:HybridPlatform$", "::pulumi:pulumi:Stack$hybrid:platform:HybridPlatform$")


def _reorder_worker_affinity(docs, out):
    # The same affinity with its keys in another order: the same value in JSON.
    spec = _obj(FT)(docs)["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]
    (term,) = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    term["matchExpressions"] = [dict(reversed(list(e.items()))) for e in term["matchExpressions"]]


def _tfjob(docs, out):
    pre = _obj(PT)(docs)
    pre["kind"], pre["spec"]["tfReplicaSpecs"] = "TFJob", pre["spec"].pop("pytorchReplicaSpecs")
    _obj(PP_PT)(docs)["spec"]["resourceSelectors"][0]["kind"] = "TFJob"


ROW = {e[0]: e for e in EXPECTED}
COL = {c: i for i, c in enumerate(HEADER)}
BATCH_FLEET = "ai-batch 1000 never preempts; Fleet: "
# case: (edits, workload, the cells that differ from the hand-worked prod row)
VARIANTS = {
    "a TFJob is a gang of its operator": ([_tfjob], "llm-research/llm-pretrain", {"kind": "TFJob"}),
    "a SparkApplication's pods are its driver and executor": (
        [_spark], "data/embed-corpus", {"kind": "SparkApplication", "gang": "Fleet: Gang, one member"}),
    "no member names recorded: the cluster ids": (
        [_out(lambda o: o["fleet"].pop("members"))], "llm-research/llm-finetune",
        {"tier/cluster": "tier idc-bj / ce7dd1b7d528cb8944d4da48cda36769d",
         "failover": "to c6f8b0c2e4a6b8d0f2c4e6a8b0d2f4a6c after 60s, purgeMode Directly"}),
    "two clusters, one not a member": (
        [_names_of(PP_JOB, "spec.placement.clusterAffinity.clusterNames", "idc-bj", "c-not-a-member")], "data/embed-corpus",
        {"tier/cluster": "tier cn-beijing-elastic / idc-bj, c-not-a-member"}),
    "failover to two members": (
        [_names_of(PP_FT, "spec.placement.clusterAffinities.1.clusterNames", "ack-wlcb-train", "ack-sh-infer")],
        "llm-research/llm-finetune", {"failover": "to ack-wlcb-train, ack-sh-infer after 60s, purgeMode Directly"}),
    "no Fleet policy for the job": (
        [_drop(PP_JOB)], "data/embed-corpus",
        {"tier/cluster": "tier cn-beijing-elastic / idc-bj (declared in it, no Fleet policy)",
         "gang": "PodGroup of 8 (the plan's, scheduler-plugins-scheduler)", "priority": "ai-batch 1000 never preempts",
         "failover": "none (no Fleet policy)"}),
    "no Fleet policy, no hybrid cluster name": (
        [_drop(PP_JOB), _out(lambda o: o["placementTopology"]["hybridCluster"].pop("name"))], "data/embed-corpus",
        {"tier/cluster": "tier cn-beijing-elastic / the hybrid cluster (declared in it, no Fleet policy)",
         "gang": "PodGroup of 8 (the plan's, scheduler-plugins-scheduler)", "priority": "ai-batch 1000 never preempts",
         "failover": "none (no Fleet policy)"}),
    "another namespace's policy for a job of the same name": (
        [_extra(PP_FT, "jobs-propagationpolicy-other-llm-finetune", "other", first=True,
                change=lambda i: i["spec"]["placement"].update(clusterAffinities=[{"clusterNames": ["c-other"]}]))],
        "llm-research/llm-finetune", {}),
    "other PodGroups: another namespace's, another name": (
        [_extra(PG, "jobs-podgroup-other-embed-corpus", "other", change=lambda i: i["spec"].update(minMember=99)),
         _extra(PG, "jobs-podgroup-data-other", "data", change=lambda i: (i["spec"].update(minMember=99),
                                                                          i["metadata"].update(name="other")))],
        "data/embed-corpus", {}),
    "other autoscalers: another target, another namespace": (
        [_extra(HPA, "jobs-federatedhpa-inference-other", "inference", first=True,
                change=lambda i: (i["metadata"].update(name="other"), i["spec"]["scaleTargetRef"].update(name="other"))),
         _extra(HPA, "jobs-federatedhpa-other-llm-serve", "other", change=lambda i: i["spec"].update(minReplicas=1)),
         _extra(CRON, "jobs-cronfederatedhpa-other-llm-serve", "other", change=lambda i: i["spec"]["rules"].pop())],
        "inference/llm-serve", {}),
    "a PyTorchJob without a schedulingPolicy: the Fleet's gang only": (
        [_set(FT, "spec.runPolicy.schedulingPolicy")], "llm-research/llm-finetune", {"gang": "Fleet: Gang, one member"}),
    "a Job's pods without labels: no PodGroup of the plan": (
        [_set(JOB, "spec.template.metadata.labels")], "data/embed-corpus", {"gang": "Fleet: Gang, one member"}),
    "spread by region: not one member": (
        [_set(PP_FT, "spec.placement.spreadConstraints.0.spreadByField", "region")], "llm-research/llm-finetune",
        {"gang": "PodGroup of 4 (operator's, scheduler-plugins-scheduler); Fleet: Gang"}),
    "up to two clusters: not one member": (
        [_set(PP_FT, "spec.placement.spreadConstraints.0.maxGroups", 2)], "llm-research/llm-finetune",
        {"gang": "PodGroup of 4 (operator's, scheduler-plugins-scheduler); Fleet: Gang"}),
    "no Fleet gang": (
        [_set(PP_FT, "spec.customSchedulingType")], "llm-research/llm-finetune",
        {"gang": "PodGroup of 4 (operator's, scheduler-plugins-scheduler); Fleet: one member"}),
    "no GPU quota": ([_drop(FRQ_DATA)], "data/embed-corpus", {"queue/quota": "not queued; no GPU quota"}),
    "pods without a PriorityClass": (
        [_set(JOB, "spec.template.spec.priorityClassName")], "data/embed-corpus",
        {"priority": "-; Fleet: schedulePriority ai-batch, policy priority 100 preemption Always"}),
    "schedulePriority without a class": (
        [_set(PP_JOB, "spec.schedulePriority.priorityClassName")], "data/embed-corpus",
        {"priority": BATCH_FLEET + "policy priority 100 preemption Always"}),
    "no schedulePriority": (
        [_set(PP_JOB, "spec.schedulePriority")], "data/embed-corpus", {"priority": BATCH_FLEET + "policy priority 100 preemption Always"}),
    "no policy preemption": (
        [_set(PP_JOB, "spec.preemption")], "data/embed-corpus", {"priority": BATCH_FLEET + "schedulePriority ai-batch, policy priority 100"}),
    "no Fleet priority at all": (
        [_set(PP_JOB, "spec.schedulePriority"), _set(PP_JOB, "spec.priority"), _set(PP_JOB, "spec.preemption")], "data/embed-corpus",
        {"priority": "ai-batch 1000 never preempts"}),
    "the component deeper in the URN's chain": ([_three_link_parents], "llm-research/llm-finetune", {}),
    "the same affinity, keys in another order": ([_reorder_worker_affinity], "llm-research/llm-finetune", {}),
    "a PyTorchJob with no replica specs: no pods": (
        [_set(FT, "spec.pytorchReplicaSpecs", {})], "llm-research/llm-finetune",
        {"gang": "PodGroup of 4 (operator's, None); Fleet: Gang, one member",
         "priority": "-; Fleet: schedulePriority ai-training, policy priority 100 preemption Always"}),
}


@pytest.mark.parametrize("case", sorted(VARIANTS))
def test_a_plan_the_prod_stack_does_not_make(case, tmp_path, capsys):
    edits, workload, cells = VARIANTS[case]
    d = _apply(tmp_path, *edits)
    code, out, err = _run(capsys, "--plan-dir", str(d), "--format", "md")
    assert code == 0, err
    rows = {r[0]: r for r in (line[2:-2].split(" | ") for line in out.splitlines()[2:])}
    want = list(ROW[workload])
    for column, text in cells.items():
        want[COL[column]] = text
    assert rows[workload] == want


@pytest.mark.parametrize("edit, workload, field, value", [
    (_set(FT, "spec.runPolicy.schedulingPolicy"), "llm-research/llm-finetune", "gang",
     {"mechanism": None, "fleetGang": True, "oneMember": True}),
    (_drop(FRQ_DATA), "data/embed-corpus", "quota", None),
    (_set(JOB, "spec.template.spec.priorityClassName"), "data/embed-corpus", "priority", None),
    (_drop(PP_JOB), "data/embed-corpus", "fleetPriority", None),
])
def test_what_the_plan_does_not_say_is_null_in_json(edit, workload, field, value, tmp_path, capsys):
    d = _apply(tmp_path, edit)
    code, out, _ = _run(capsys, "--plan-dir", str(d), "--format", "json")
    assert code == 0
    assert [r[field] for r in json.loads(out)["workloads"] if r["workload"] == workload] == [value]
