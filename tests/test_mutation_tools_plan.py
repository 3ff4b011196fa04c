"""The offline plan's writer and reports (hybrid_tools/plan.py), in process.

Expectations are worked by hand from small recorded runs written here (the provider reference
form of the Pulumi SDK, "<provider URN>::<id>"; the stack's files), not from the plan's code."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pulumi
import pytest

from hybrid import unconfirmed
from hybrid.errors import ConfigError
from hybrid_tools import plan, references
from hybrid_tools.mockrun import SECRET_SIG, SIG_KEY, UNKNOWN, ProgramRun, Registration
from tests.conftest import ROOT, stack_raw

PROV = "urn:pulumi:s::p::pulumi:providers:alicloud::alicloud-cn-beijing"


def _reg(name: str, type_: str = "alicloud:vpc/switch:Switch", **kw) -> Registration:
    fields = {"urn": f"urn:pulumi:s::p::{type_}::{name}", "type": type_, "name": name, "parent": "", "custom": True,
              "provider": "", "inputs": {}, "protect": False, "dependencies": []}
    fields.update(kw)
    return Registration(**fields)


def test_resources_doc_is_sorted_redacted_and_names_the_provider():
    b = _reg("b", urn="urn:pulumi:s::p::b", parent="urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", provider=f"{PROV}::9f1c-uuid",
             inputs={"n": 2.0, "k": {SIG_KEY: SECRET_SIG, "value": "hush"}, "u": UNKNOWN},
             dependencies=["urn:z", "urn:a", "urn:z"], options={"protect": True})
    a = _reg("a", urn="urn:pulumi:s::p::a", custom=False, type_="hybrid:x:Comp")
    run = ProgramRun(registrations={b.urn: b, a.urn: a}, outputs={})
    docs = plan.resources_doc(run)
    assert docs == [
        {"urn": a.urn, "type": "hybrid:x:Comp", "name": "a", "parent": None, "custom": False, "provider": None, "inputs": {}},
        {"urn": b.urn, "type": "alicloud:vpc/switch:Switch", "name": "b", "parent": "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s",
         "custom": True, "provider": "alicloud-cn-beijing", "inputs": {"n": 2, "k": "[secret]", "u": "[unknown]"},
         "dependencies": ["urn:a", "urn:z"], "options": {"protect": True}}]


@pytest.mark.parametrize("doc,region", [
    ({"type": "alicloud:vpc/switch:Switch", "provider": "alicloud-cn-beijing"}, "cn-beijing"),
    ({"type": "kubernetes:core/v1:ConfigMap", "provider": "idc-cluster"}, "idc"),
    ({"type": "kubernetes:core/v1:ConfigMap", "provider": None}, "idc"),
    ({"type": "pulumi:providers:kubernetes", "provider": "idc"}, "idc"),
    ({"type": "pulumi:providers:kubernetes", "provider": "fleet"}, "-"),
    ({"type": "pulumi:providers:alicloud", "provider": None}, "-"),
    ({"type": "alicloud:vpc/switch:Switch", "provider": "xalicloud-cn-beijing"}, "-"),
])
def test_region_of(doc, region):
    assert plan.region_of(doc) == region


def test_references_line_counts_what_was_checked_and_what_is_wrong():
    regs = [_reg("good", inputs={"vpcId": "vpc-abc"}), _reg("bad", inputs={"vpcId": "not-a-vpc"}),
            _reg("later", inputs={"vpcId": UNKNOWN})]  # unknown at plan time: not checked
    run = ProgramRun(registrations={r.urn: r for r in regs}, outputs={})
    assert plan.references_line(run) == "2 checked, 1 wrong (hybrid_tools/references.py)"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_live_on_a_terminal_and_closes_with_one_line():
    tty = _Tty()
    p = plan.Progress(tty, "planning x")
    for n in range(1, 12):
        p(n)
    p.done(1.5)
    assert tty.getvalue() == ("\rplanning x: 5 resources registered\rplanning x: 10 resources registered"
                              "\rplanning x: 11 resources registered in 1.50s\n")
    log = io.StringIO()
    q = plan.Progress(log, "planning y")
    for n in range(1, 11):
        q(n)
    q.done(0.25)
    assert log.getvalue() == "planning y: 10 resources registered in 0.25s\n"
    assert (q.count, q.tty, p.tty) == (10, False, True)


def test_the_plan_mocks_answer_for_the_stand_ins(pulumi_mocks):
    from hybrid_tools import idc_standin

    pulumi_mocks(stack_raw("dev"))

    def args(typ, name, inputs):
        return pulumi.runtime.MockResourceArgs(typ=typ, name=name, inputs=inputs, provider="", resource_id="", custom=True)

    mocks = plan.plan_mocks()
    # The live Calico pool after the patch: the stack's pod CIDR (stacks/Pulumi.dev.yaml idc.podCidr) and
    # Calico's default blockSize 26 (projectcalico IPPool spec), under the patched fields.
    _, state = mocks.new_resource(args(idc_standin.IPPOOL_PATCH, "pool", {"spec": {"natOutgoing": True}}))
    assert state["spec"] == {"cidr": "10.244.0.0/16", "blockSize": 26, "natOutgoing": True}
    assert mocks.unknown_types == set()


def test_build_plan_runs_the_stack_in_process_and_reports_progress():
    import time

    log = io.StringIO()
    progress = plan.Progress(log, "planning dev")
    before = time.perf_counter()
    cfg, platform, run, seconds = plan.build_plan("dev", root=ROOT, progress=progress)
    elapsed = time.perf_counter() - before
    assert cfg.stack == "dev" and cfg.project == "hybrid-gpu-platform"
    assert platform.environment == stack_raw("dev")["environment"]
    assert progress.count == len(run.registrations) > 50
    assert 0 < seconds <= elapsed  # the program run's own time, within the call's
    assert all(":dev::hybrid-gpu-platform::" in u for u in run.registrations)


def test_build_plan_reads_the_given_config_file(tmp_path):
    doc = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    other = tmp_path / "Pulumi.dev.yaml"
    other.write_text(doc.replace("podCidr: 10.244.0.0/16", "podCidr: 10.248.0.0/16"))
    _, platform, _, _ = plan.build_plan("dev", root=ROOT, config_file=other)
    assert str(platform.idc.pod_cidr) == "10.248.0.0/16"


def test_build_plan_reads_the_stack_of_the_given_project_root(tmp_path):
    # A project checkout elsewhere: its Pulumi.yaml names the stack directory, whose file is read,
    # not the one of the directory the plan was started in.
    for rel in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / rel).write_text((ROOT / rel).read_text())
    (tmp_path / "stacks").mkdir()
    doc = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(doc.replace("podCidr: 10.244.0.0/16", "podCidr: 10.250.0.0/16"))
    cfg, platform, _, _ = plan.build_plan("dev", root=tmp_path)
    assert str(platform.idc.pod_cidr) == "10.250.0.0/16" and cfg.program == tmp_path / "__main__.py"


def test_a_type_the_offline_world_does_not_know_fails_the_plan_naming_each(monkeypatch):
    # Two types the dev stack declares (the join token bucket's ACL, components/join_token.py; its GPU
    # node's data disk attachment, components/gpu_pool.py) with their provider answers taken away:
    # the plan stops and names both, in order, and the file their entries belong in.
    from hybrid_tools import provider_ids

    for t in ("alicloud:oss/bucketAcl:BucketAcl", "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment"):
        monkeypatch.delitem(provider_ids.ALICLOUD, t)
    with pytest.raises(plan.UnknownResourceType) as e:
        plan.build_plan("dev", root=ROOT)
    assert str(e.value) == ("resource types without an entry in hybrid_tools/provider_ids.py: "
                            "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment, alicloud:oss/bucketAcl:BucketAcl")


def test_a_reference_unknown_at_plan_time_is_not_held_against_the_plan(monkeypatch):
    # A value only the deployment gives (a preview's unknown, the engine's unknown sentinel) has no
    # form to check yet: a vSwitch whose VPC id is unknown still plans.
    from hybrid_tools import mockrun

    def run_with_an_unknown(*args, **kwargs):
        run = mockrun.run_program(*args, **kwargs)
        switch = next(r for r in run.registrations.values() if r.type == "alicloud:vpc/switch:Switch")
        switch.inputs["vpcId"] = UNKNOWN
        return run

    monkeypatch.setattr(plan, "run_program", run_with_an_unknown)
    _, _, run, _ = plan.build_plan("dev", root=ROOT)
    assert UNKNOWN in [r.inputs.get("vpcId") for r in run.registrations.values()]


def test_a_wrong_reference_fails_the_plan(monkeypatch):
    # A made-up rule: every vSwitch's vpcId must be an instance id; the dev VPCs' ids are not.
    bogus = references.Ref("alicloud:vpc/switch:Switch", "vpcId", "instance", "test")
    monkeypatch.setattr(references, "REFERENCES", (*references.REFERENCES, bogus))
    with pytest.raises(references.BrokenReference, match="vpcId"):
        plan.build_plan("dev", root=ROOT)


def _small_run() -> ProgramRun:
    r = _reg("s", inputs={"cidrBlock": "10.0.0.0/24"})
    return ProgramRun(registrations={r.urn: r}, outputs={"word": ("w", False), "key": ("hush", True), "n": ({"x": 2.0}, False)})


def _writers(monkeypatch, *writers):
    monkeypatch.setattr(plan, "WRITERS", writers)


def test_write_plan_writes_every_artifact_and_swaps_the_directory_in(tmp_path, monkeypatch):
    _writers(monkeypatch, lambda platform, run: {"manifests/a/b.yaml": "b\n", "cost.json": "{}\n"},
             lambda platform, run: {"deep/er/c.txt": f"{len(run.registrations)}\n"})
    out, resources = plan.write_plan("st", tmp_path, None, _small_run())
    assert out == tmp_path / "st"
    assert resources == plan.resources_doc(_small_run())
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == ["cost.json", "deep/er/c.txt", "manifests/a/b.yaml", "outputs.json", "resources.json", "unconfirmed.json"]
    assert json.loads((out / "outputs.json").read_text()) == {"key": "[secret]", "n": {"x": 2}, "word": "w"}
    assert json.loads((out / "resources.json").read_text())[0]["inputs"] == {"cidrBlock": "10.0.0.0/24"}
    assert json.loads((out / "unconfirmed.json").read_text()) == unconfirmed.table()
    assert (out / "deep/er/c.txt").read_text() == "1\n"
    # Written again: the new plan replaces the old one whole, and nothing else is left beside it.
    _writers(monkeypatch, lambda platform, run: {"other.txt": "x\n"})
    out2, _ = plan.write_plan("st", tmp_path, None, _small_run())
    assert out2 == out and not (out / "cost.json").exists() and (out / "other.txt").read_text() == "x\n"
    assert (out / "manifests").is_dir()  # always there, even with no manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["st"]


def test_two_writers_of_one_file_fail_before_anything_is_written(tmp_path, monkeypatch):
    _writers(monkeypatch, lambda platform, run: {"x.txt": "1"}, lambda platform, run: {"x.txt": "2"})
    with pytest.raises(RuntimeError, match="two artifact writers produced x.txt"):
        plan.write_plan("st", tmp_path / "out", None, _small_run())
    _writers(monkeypatch, lambda platform, run: {"resources.json": "[]"})
    with pytest.raises(RuntimeError, match="resources.json"):
        plan.write_plan("st", tmp_path / "out", None, _small_run())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("rel", ["../escaped.txt", "manifests/../../escaped.txt", "/tmp/abs-escape.txt"])
def test_an_artifact_path_leaving_the_plan_is_refused_and_nothing_stays(tmp_path, monkeypatch, rel):
    _writers(monkeypatch, lambda platform, run: {rel: "x"})
    with pytest.raises(ValueError, match="would leave the plan directory"):
        plan.write_plan("st", tmp_path / "out", None, _small_run())
    assert list((tmp_path / "out").iterdir()) == [] and not (tmp_path / "escaped.txt").exists()


def test_a_bad_stack_name_writes_nothing(tmp_path, monkeypatch):
    _writers(monkeypatch)
    with pytest.raises(ConfigError):
        plan.write_plan("../up", tmp_path / "out", None, _small_run())
    assert not (tmp_path / "out").exists()


def test_inside(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "link").symlink_to(tmp_path)
    root = tmp_path / "d"
    assert plan._inside(root, root / "a" / "b")
    assert not plan._inside(root, root)
    assert not plan._inside(root, root / "a" / ".." / "..")
    assert not plan._inside(root, root / "link" / "x")
    assert plan._inside(root, root / "a", root.resolve())


def test_summary_without_objects_or_references():
    text = plan.summary("e", Path("/o/e"), [{"type": "hybrid:x:Comp", "custom": False, "provider": None}], 0.5)
    lines = text.splitlines()
    assert lines[0] == ("offline plan of stack 'e': 1 resources registered in 0.50s = 0 cloud and Kubernetes objects "
                        "+ 0 providers + 1 components")
    assert lines[1] == "" and lines[2] == "  type        count"  # the column is 10 wide with no type to size it
    assert lines[3] == "  objects + providers      0   (the 1 components group them and have no row)"
    assert lines[4:] == ["", "  by region (objects and providers): ", "  references between resources: not checked",
                         "  artifacts: /o/e",
                         f"  unconfirmed vendor values: {len(unconfirmed.UNCONFIRMED)} (unconfirmed.json; confirm before the first real run)"]


def test_review_lines_for_every_placement_and_a_spot_bound(tmp_path):
    (tmp_path / "outputs.json").write_text(json.dumps({"placement": {"b": {"unplaced": 0}, "a": {}, "c": "not a workload"}}))
    (tmp_path / "cost.json").write_text(json.dumps({"currency": "USD", "upperBound": True, "total": {"monthly": 1234567.891}}))
    assert plan.review_lines(tmp_path) == ["  unplaced replicas: a 0, b 0 (every replica has a place)",
                                           "  monthly cost: 1,234,567.89 USD (fixed pools, spot at its limit)"]
    (tmp_path / "outputs.json").write_text(json.dumps({"placement": None}))
    (tmp_path / "cost.json").write_text(json.dumps({
        "currency": "CNY", "total": {"monthly": 10}, "totalWithElasticMax": {"monthly": 20.5},
        "elastic": [{"region": "r", "pool": "p", "monthly": 3.0}]}))
    assert plan.review_lines(tmp_path) == [
        "  monthly cost: 10.00 CNY (fixed pools); with elastic pools at their maximum: 20.50 CNY"]
    (tmp_path / "cost.json").write_text(json.dumps({
        "currency": "CNY", "total": {"monthly": 10}, "totalWithElasticMax": {"monthly": 20.5},
        "elastic": [{"region": "r", "pool": "p"}, {"region": "q", "pool": "o", "monthly": None}]}))
    assert plan.review_lines(tmp_path)[-1].endswith("(no price for r/p, q/o: add their instance types to pricing)")
    (tmp_path / "outputs.json").write_text("{}")
    (tmp_path / "cost.json").unlink()
    (tmp_path / "cost.json").mkdir()  # not a file: no price table
    assert plan.review_lines(tmp_path) == ["  monthly cost: no price table (hybrid-gpu-platform:pricing; docs/cost.md)"]


def _stub_build(monkeypatch, calls):
    """main's own steps around the plan run: build_plan (tested above on the dev stack) answers a small run."""
    def build(stack, root=None, config_file=None, progress=None):
        calls.append((stack, root, config_file))
        for n in range(1, 6):
            progress(n)
        return "cfg", "the platform", _small_run(), 1.25

    monkeypatch.setattr(plan, "build_plan", build)


def test_main_plans_writes_and_prints_the_summary(tmp_path, monkeypatch, capsys):
    calls: list = []
    _stub_build(monkeypatch, calls)
    seen = []
    _writers(monkeypatch, lambda platform, run: seen.append(platform) or {"cost.json": "{}\n"})
    result = plan.main("st", tmp_path, config_file=Path("/c/Pulumi.st.yaml"))
    out, err = capsys.readouterr()
    assert calls == [("st", None, Path("/c/Pulumi.st.yaml"))] and seen == ["the platform"]
    assert (result.stack, result.out_dir, result.platform, result.seconds) == ("st", tmp_path / "st", "the platform", 1.25)
    assert result.run.outputs == _small_run().outputs and result.resources == plan.resources_doc(_small_run())
    assert json.loads((tmp_path / "st" / "resources.json").read_text()) == result.resources
    assert err == "planning st: 5 resources registered in 1.25s\n"  # stderr is no terminal here
    assert out == plan.summary("st", tmp_path / "st", result.resources, 1.25, "0 checked, 0 wrong (hybrid_tools/references.py)") + "\n"
    assert out.startswith("offline plan of stack 'st': 1 resources registered in 1.25s")
    quiet = plan.main("st", tmp_path / "q", quiet=True)
    assert capsys.readouterr().out == "" and quiet.out_dir == tmp_path / "q" / "st"
    assert calls[-1] == ("st", None, None)


def test_review_lines_of_a_cost_without_elastic_pools_listed(tmp_path):
    (tmp_path / "outputs.json").write_text("{}")
    (tmp_path / "cost.json").write_text(json.dumps({"currency": "CNY", "total": {"monthly": 5},
                                                    "totalWithElasticMax": {"monthly": 5}}))
    assert plan.review_lines(tmp_path) == [
        "  monthly cost: 5.00 CNY (fixed pools); with elastic pools at their maximum: 5.00 CNY"]


def test_a_progress_without_registrations_says_zero():
    log = io.StringIO()
    plan.Progress(log, "planning z").done(0.5)
    assert log.getvalue() == "planning z: 0 resources registered in 0.50s\n"


def test_the_plan_is_built_beside_its_place_whatever_tmpdir_says(tmp_path, monkeypatch):
    import tempfile

    # TMPDIR elsewhere (here: nowhere) must not matter: the new plan is swapped in by a rename, which
    # only works within one filesystem, so it is written under the output root; the root's parents
    # are made as needed, and a directory made as a parent of a deeper one is reused.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-tmpdir"))
    _writers(monkeypatch, lambda platform, run: {"deep/er/c.txt": "c", "deep/x.txt": "x", "deep/er/d.txt": "d"})
    out, _ = plan.write_plan("st", tmp_path / "new" / "root", None, _small_run())
    assert out == tmp_path / "new" / "root" / "st"
    assert [(out / f).read_text() for f in ("deep/er/c.txt", "deep/er/d.txt", "deep/x.txt")] == ["c", "d", "x"]
