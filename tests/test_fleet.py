"""The placement on the ACK One Fleet: Karmada objects against Karmada's CRD schemas, Karmada's
static-weight division of the emitted policies against the calculator, applied vs not applied.

Schemas: tests/data/karmada-v1.18.2/ (karmada-io/karmada@v1.18.2, see its README).
Division: tests/karmada_reference.py, written from Karmada's Go source at the same tag.

``python -m tests.test_fleet --write`` regenerates the replica-count table in docs/placement.md.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hybrid.errors import ConfigError
from hybrid.fleet import KARMADA_VERSION, karmada_static_divisions
from hybrid.model import load
from hybrid.placement import Candidate, place
from hybrid.placement_platform import plan_placement
from tests import karmada_reference as ref
from tests.conftest import ROOT, stack_raw


def karmada_static_division(replicas: int, weights, descending: bool = False) -> dict[str, int]:
    """What Karmada assigns for ``replicas`` under a ``staticWeightList`` of these weights."""
    return karmada_static_divisions(replicas, weights, descending)[replicas]


CRD_DIR = ROOT / "tests" / "data" / f"karmada-{KARMADA_VERSION}"
CRDS = {
    ("policy.karmada.io/v1alpha1", "PropagationPolicy"): "policy.karmada.io_propagationpolicies.yaml",
    ("policy.karmada.io/v1alpha1", "ClusterPropagationPolicy"): "policy.karmada.io_clusterpropagationpolicies.yaml",
    ("autoscaling.karmada.io/v1alpha1", "FederatedHPA"): "autoscaling.karmada.io_federatedhpas.yaml",
}
DOC = ROOT / "docs" / "placement.md"
BEGIN, END = "<!-- fleet-table:begin (python -m tests.test_fleet --write) -->", "<!-- fleet-table:end -->"


# --- CRD schemas -------------------------------------------------------------------

def _strict(schema):
    """The CRD schema, with unknown fields rejected: the apiserver prunes them silently, which
    for a policy means a setting that never takes effect."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def _validator(api_version: str, kind: str) -> jsonschema.Draft7Validator:
    crd = yaml.safe_load((CRD_DIR / CRDS[(api_version, kind)]).read_text())
    group, version = api_version.split("/")
    assert crd["spec"]["group"] == group and crd["spec"]["names"]["kind"] == kind
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    return jsonschema.Draft7Validator(_strict(served["schema"]["openAPIV3Schema"]))


def crd_errors(doc: dict) -> list[str]:
    v = _validator(doc["apiVersion"], doc["kind"])
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc)]


def test_every_karmada_object_of_both_stacks_matches_the_crd_schema():
    seen = set()
    for stack in ("dev", "prod"):
        for doc in plan_placement(load(stack_raw(stack))).objects():
            if (doc["apiVersion"], doc["kind"]) not in CRDS:
                assert doc["kind"] == "PriorityClass"  # built-in kind: kubernetes-validate (tests/test_cni_scan.py)
                continue
            assert crd_errors(doc) == [], (stack, doc["kind"], doc["metadata"]["name"])
            seen.add(doc["kind"])
    assert seen == {"PropagationPolicy", "ClusterPropagationPolicy", "FederatedHPA"}


def test_the_schema_check_rejects_what_karmada_would_reject_or_drop():
    docs = {d["kind"]: d for d in plan_placement(load(stack_raw("prod"))).objects()}
    pp = copy.deepcopy(docs["PropagationPolicy"])
    pp["spec"]["placement"]["replicaScheduling"]["replicaDivisionPreference"] = "Proportional"  # not in the enum
    pp["spec"]["placement"]["clusterAffinity"]["clusterName"] = ["x"]  # typo: would be pruned
    errors = crd_errors(pp)
    assert any("Proportional" in e for e in errors) and any("clusterName" in e for e in errors)
    hpa = copy.deepcopy(docs["FederatedHPA"])
    del hpa["spec"]["maxReplicas"]  # required
    assert any("maxReplicas" in e for e in crd_errors(hpa))


# --- Karmada's static division: the reference itself, then the program's model of it ----

def test_reference_reproduces_karmadas_documented_examples():
    # assignByStaticWeightStrategy's doc comment: 9 replicas at 1:2 -> 3:6, at 1:3 -> 2:7.
    assert ref.divide(9, ["A", "B"], [(["A"], 1), (["B"], 2)]) == {"A": 3, "B": 6}
    assert ref.divide(9, ["A", "B"], [(["A"], 1), (["B"], 3)]) == {"A": 2, "B": 7}
    # Webster by hand: 2 replicas at 2:1 -> first seat A (2 > 1), second B (1 > 2/3).
    assert ref.divide(2, ["a", "b"], [(["a"], 2), (["b"], 1)]) == {"a": 1, "b": 1}
    # A cluster without a weight is no candidate; all weights 0 -> equal.
    assert ref.divide(3, ["a", "b", "c"], [(["a"], 1), (["b"], 1)]) == {"a": 2, "b": 1}
    assert ref.divide(3, ["a", "b"], []) == {"a": 2, "b": 1}
    # Exact ties follow the UID: FNV-32a("a") = 0xe40c292c (even) -> ascending names.
    assert ref.fnv32a(b"a") == 0xE40C292C and ref.fnv32a(b"") == 0x811C9DC5
    assert ref.divide(1, ["a", "b"], [(["a", "b"], 1)], uid="a") == {"a": 1, "b": 0}
    odd = next(u for u in ("u1", "u2", "u3", "u4") if ref.fnv32a(u.encode()) & 1)
    assert ref.divide(1, ["a", "b"], [(["a", "b"], 1)], uid=odd) == {"a": 0, "b": 1}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefg"), st.integers(0, 40), min_size=1, max_size=7),
       st.integers(0, 120), st.booleans())
def test_program_predicts_karmadas_division(weights, replicas, descending):
    expected = ref.allocate_webster(replicas, ref.static_weight_list(sorted(weights), [([n], w) for n, w in weights.items()]), descending)
    got = karmada_static_division(replicas, weights, descending)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 2), st.integers(0, 5)), min_size=1, max_size=6),
       st.integers(0, 80), st.sampled_from(["static", "dynamic", "aggregated"]))
def test_a_plan_as_static_weights_is_reproduced_exactly_at_its_replica_count(clusters, replicas, strategy):
    cands = [Candidate(f"c{i}", cap, tier, w) for i, (cap, tier, w) in enumerate(clusters)]
    plan = place(replicas, cands, strategy).assignments
    weights = [([n], v) for n, v in plan.items() if v > 0]
    if not weights:
        return
    for descending in (False, True):
        got = ref.allocate_webster(sum(plan.values()), ref.static_weight_list(sorted(plan), weights), descending)
        assert {k: v for k, v in got.items() if v} == {k: v for k, v in plan.items() if v}


# --- the emitted policy over the FederatedHPA's range --------------------------------

def _scaled(stack: str = "prod"):
    pp = plan_placement(load(stack_raw(stack)))
    return pp, [wp for wp in pp.workloads if wp.workload.autoscaling and wp.workload.strategy != "dynamic"]


def _policy_of(pp, wp):
    return pp.policies()[f"manifests/{wp.workload.namespace}/propagationpolicy-{wp.workload.name}.yaml"]


def _dev(a, b):
    return sum(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b))


def _worse(n, policy, calc):
    """Deviation of Karmada's division from the calculator at n, at the worse UID order."""
    return max(_dev(ref.divide_policy(n, policy, d), calc) for d in (False, True))


def _snapshot_policy(policy, plan):
    """The same policy with the planned count's assignments as weights (the plain snapshot)."""
    snap = copy.deepcopy(policy)
    names = [n for n in sorted(plan) if plan[n] > 0]
    snap["spec"]["placement"]["clusterAffinity"]["clusterNames"] = names
    snap["spec"]["placement"]["replicaScheduling"]["weightPreference"]["staticWeightList"] = [
        {"targetCluster": {"clusterNames": [n]}, "weight": plan[n]} for n in names]
    return snap


def test_emitted_weights_are_the_closest_plan_over_the_range():
    pp, scaled = _scaled()
    assert scaled, "prod should exercise a FederatedHPA on a static workload"
    for wp in scaled:
        policy = _policy_of(pp, wp)
        rng = list(wp.replica_range())
        calc = {n: wp.at(n).assignments for n in rng}
        emitted = sum(_worse(n, policy, calc[n]) for n in rng)
        for source in rng:  # every other plan of the range, as weights
            if any(calc[source].values()):
                assert emitted <= sum(_worse(n, _snapshot_policy(policy, calc[source]), calc[n]) for n in rng), source
        out = pp.output()[wp.key]["fleet"]
        exact = [n for n in rng if _worse(n, policy, calc[n]) == 0]
        assert out["differsAt"] == len(rng) - len(exact) and out["worstDeviation"] == max(_worse(n, policy, calc[n]) for n in rng)
        assert ("note" in out) == (len(exact) < len(rng))


def _cell(calc: int, karmada: tuple[int, int]) -> str:
    k = str(karmada[0]) if karmada[0] == karmada[1] else f"{karmada[0]}\\|{karmada[1]}"
    return f"{calc} / {k}" if str(calc) == k else f"**{calc} / {k}**"


def render_table() -> str:
    pp, scaled = _scaled()
    lines = []
    for wp in scaled:
        w = wp.workload
        policy = _policy_of(pp, wp)
        snapshot = _snapshot_policy(policy, wp.result.assignments)
        clusters = [n for n in sorted(wp.result.assignments, key=lambda n: (wp.tiers[n], n))
                    if any(wp.at(m).assignments[n] for m in wp.replica_range())
                    or n in policy["spec"]["placement"]["clusterAffinity"]["clusterNames"]]
        weights = {e["targetCluster"]["clusterNames"][0]: e["weight"]
                   for e in policy["spec"]["placement"]["replicaScheduling"]["weightPreference"]["staticWeightList"]}
        lines += [
            f"**prod `{wp.key}`** ({w.strategy}, FederatedHPA {w.autoscaling.min_replicas}..{w.autoscaling.max_replicas}, "
            f"planned {w.replicas}); emitted `staticWeightList` {json.dumps(weights)} (the calculator's plan at "
            f"{sum(weights.values())} replicas). Cells: calculator / Karmada {KARMADA_VERSION} (`a\\|b`: depends on the "
            "workload's UID, ascending \\| descending names); bold where they differ. Last columns: replicas placed "
            f"differently (at the worse UID order) with the emitted weights, and with the plain snapshot of the plan at {w.replicas}.",
            "",
            "| replicas | " + " | ".join(f"`{c}`" for c in clusters) + " | unplaced | differ (emitted) | differ (snapshot) |",
            "|---:|" + "---:|" * len(clusters) + "---:|---:|---:|",
        ]
        totals = [0, 0]
        for n in wp.replica_range():
            calc = wp.at(n)
            k = [ref.divide_policy(n, policy, d) for d in (False, True)]
            cells = [_cell(calc.assignments[c], (k[0].get(c, 0), k[1].get(c, 0))) for c in clusters]
            dev = [_worse(n, policy, calc.assignments), _worse(n, snapshot, calc.assignments)]
            totals = [totals[0] + dev[0], totals[1] + dev[1]]
            lines.append(f"| {n} | " + " | ".join(cells) + f" | {calc.unplaced} | {dev[0]} | {dev[1]} |")
        lines.append("| total |" + " |" * len(clusters) + f" | **{totals[0]}** | **{totals[1]}** |")
        lines.append("")
    return "\n".join(lines)


def _doc_table(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def test_docs_table_is_current():
    assert _doc_table(DOC.read_text()) == render_table().strip("\n"), "run: .venv/bin/python -m tests.test_fleet --write"


# --- config checks ----------------------------------------------------------------

def _issues(raw) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(raw)
    return [f"{i.path}: {i.message}" for i in err.value.issues]


def test_config_checks_for_the_fleet_target_and_workloads(prod_raw):
    raw = copy.deepcopy(prod_raw)
    raw["registration"]["fleet"]["members"].pop("cn-hangzhou")
    raw["registration"]["fleet"]["members"]["cn-shanghai"] = "c0123456789abcdef"
    assert sorted(_issues(raw)) == [
        "registration.fleet.members.cn-shanghai: 'cn-shanghai' is not a placement cluster of this stack.",
        "registration.fleet.members: placement cluster 'cn-hangzhou' has no Fleet member, so Karmada could not place its replicas.",
    ]
    raw["registration"]["fleet"]["apply"] = False  # not applied: an unmapped cluster is fine
    raw["registration"]["fleet"]["members"].pop("cn-shanghai")
    raw.pop("jobs")  # its failover and FederatedHPA need the applied Fleet (tests/test_jobs.py)
    load(raw)

    raw = copy.deepcopy(prod_raw)
    bi = raw["placement"]["workloads"][1]
    bi["autoscaling"]["minReplicas"] = 40
    assert _issues(raw) == ["placement.workloads[1].autoscaling: minReplicas 40 is more than maxReplicas 32."]
    bi["autoscaling"].update(minReplicas=8, maxReplicas=20)
    assert _issues(raw) == ["placement.workloads[1]: replicas 24 is outside autoscaling [8, 20]."]
    bi["autoscaling"]["maxReplicas"] = 32
    bi["priority"]["className"] = "gpu-training"  # same name as llm-pretrain's, other value
    assert _issues(raw) == ["placement: PriorityClass gpu-training is given two different definitions."]


# --- applied (prod) vs not applied (dev): the offline plan -----------------------------

@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet-plan")
    for stack in ("dev", "prod"):
        proc = subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", stack, "--out", str(out), "--no-policy"],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr
    return out


def test_prod_declares_the_objects_on_the_fleet_with_member_ids(plans):
    d = plans / "prod"
    resources = json.loads((d / "resources.json").read_text())
    outputs = json.loads((d / "outputs.json").read_text())
    fleet_kinds = {"PropagationPolicy", "ClusterPropagationPolicy", "FederatedHPA", "PriorityClass"}
    # The jobs' own Fleet objects are checked by tests/test_jobs.py.
    declared = [r for r in resources if r["custom"] and r["inputs"].get("kind") in fleet_kinds and "hybrid:jobs:AiJobs" not in r["parent"]]
    assert sorted((r["inputs"]["kind"], r["inputs"]["metadata"]["name"]) for r in declared) == [
        ("ClusterPropagationPolicy", "hybrid-gpu-priority-classes"), ("FederatedHPA", "batch-infer"),
        ("PriorityClass", "gpu-batch"), ("PriorityClass", "gpu-training"),
        ("PropagationPolicy", "batch-infer"), ("PropagationPolicy", "llm-pretrain")]
    assert {r["provider"] for r in declared} == {"fleet"}
    (provider,) = [r for r in resources if r["type"] == "pulumi:providers:kubernetes" and r["name"] == "fleet"]
    assert provider["inputs"]["kubeconfig"] == "/offline/hybrid-fleet.kubeconfig"  # a path, never the credentials
    members = outputs["fleet"]["members"]
    assert outputs["fleet"]["applied"] is True and members["idc-bj"] == outputs["registeredClusterId"]
    # The declared policies are the calculator's, with placement names turned into member ids.
    by_id = {v: k for k, v in members.items()}
    expected = {d["metadata"]["name"]: d for d in plan_placement(load(stack_raw("prod"))).objects() if d["kind"] == "PropagationPolicy"}
    for r in declared:
        doc = r["inputs"]
        if (doc["apiVersion"], doc["kind"]) in CRDS:
            assert crd_errors(doc) == [], doc["metadata"]["name"]
        if doc["kind"] in ("PropagationPolicy", "ClusterPropagationPolicy"):
            named = doc["spec"]["placement"]["clusterAffinity"]["clusterNames"] if "clusterAffinity" in doc["spec"]["placement"] else \
                [n for t in doc["spec"]["placement"]["clusterAffinities"] for g in [t, *t.get("overflowAffinities", [])] for n in g["clusterNames"]]
            assert named and set(named) <= set(members.values()), named  # Fleet members by cluster id
        if doc["kind"] == "PropagationPolicy":
            text = json.dumps(doc["spec"], sort_keys=True)
            for member_id, name in by_id.items():
                text = text.replace(json.dumps(member_id), json.dumps(name))
            assert json.loads(text) == expected[doc["metadata"]["name"]]["spec"]
    assert not (d / "not-applied").exists()


def test_dev_writes_the_objects_marked_not_applied(plans):
    d = plans / "dev"
    files = sorted(str(p.relative_to(d)) for p in (d / "not-applied").rglob("*") if p.is_file())
    assert files == ["not-applied/README.md", "not-applied/manifests/default/propagationpolicy-finetune-7b.yaml"]
    assert (d / "not-applied" / "README.md").read_text().startswith("NOT APPLIED")
    assert not list((d / "manifests").rglob("propagationpolicy-*"))
    resources = json.loads((d / "resources.json").read_text())
    assert not [r for r in resources if "karmada" in r["type"] or r["name"] == "fleet"]
    doc = yaml.safe_load((d / "not-applied/manifests/default/propagationpolicy-finetune-7b.yaml").read_text())
    assert crd_errors(doc) == []


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        text = DOC.read_text()
        head, rest = text.split(BEGIN, 1)
        DOC.write_text(head + BEGIN + "\n\n" + render_table().strip("\n") + "\n\n" + END + rest.split(END, 1)[1])
    else:
        print(render_table())
