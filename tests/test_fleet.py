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

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hybrid.errors import ConfigError
from hybrid.fleet import KARMADA_VERSION, engine_division, karmada_static_divisions
from hybrid.model import load
from hybrid.placement import Candidate, place
from hybrid.placement_platform import plan_placement
from hybrid.stack import load_platform
from tests import karmada_reference as ref
from tests.conftest import ROOT, stack_raw, with_divided
from tests.k8s_validate import crd_validator


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

def _validator(api_version: str, kind: str) -> jsonschema.Draft7Validator:
    return crd_validator(CRD_DIR / CRDS[(api_version, kind)], api_version, kind)


# ACK's documented form (Alibaba Cloud help): "Propagation policies and override policies"
# (application-distribution-policy) gives apiVersion policy.one.alibabacloud.com/v1alpha1 and calls the
# policies "based on the open source Karmada project and compatible with the Karmada API"; "Elastic
# scheduling with multi-cluster priorities" adds autoScaling.ecsProvision. So an ACK object is the
# Karmada object under ACK's group, plus that one documented field.
ACK_API = "policy.one.alibabacloud.com/v1alpha1"
ACK_EXTRA = {"autoScaling": {"ecsProvision": bool}}
# Fields ACK's two pages show in their examples and parameter tables: an ACK policy uses no others.
ACK_DOCUMENTED = {
    "spec.resourceSelectors[].apiVersion", "spec.resourceSelectors[].kind", "spec.resourceSelectors[].name",
    "spec.resourceSelectors[].namespace", "spec.placement.clusterAffinity.clusterNames",
    "spec.placement.clusterAffinities[].affinityName", "spec.placement.clusterAffinities[].clusterNames",
    "spec.placement.replicaScheduling.replicaSchedulingType", "spec.placement.replicaScheduling.replicaDivisionPreference",
    "spec.placement.replicaScheduling.weightPreference.dynamicWeight",
    "spec.placement.replicaScheduling.weightPreference.staticWeightList[].targetCluster.clusterNames",
    "spec.placement.replicaScheduling.weightPreference.staticWeightList[].weight", "spec.autoScaling.ecsProvision",
}


def _paths(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(obj, list) and obj and isinstance(obj[0], dict):
        for v in obj:
            yield from _paths(v, prefix + "[]")
    else:
        yield prefix


def crd_errors(doc: dict) -> list[str]:
    if doc["apiVersion"] == ACK_API:
        spec = dict(doc["spec"])
        errors = [f"spec/{k}: not the documented {{ecsProvision: bool}}" for k, shape in ACK_EXTRA.items()
                  if k in spec and not (set(spec[k]) == set(shape) and all(isinstance(spec[k][f], t) for f, t in shape.items()))]
        errors += [f"{p}: not a field ACK documents" for p in _paths({"spec": spec}) if p not in ACK_DOCUMENTED]
        for k in ACK_EXTRA:
            spec.pop(k, None)
        return errors + crd_errors({**doc, "apiVersion": "policy.karmada.io/v1alpha1", "spec": spec})
    v = _validator(doc["apiVersion"], doc["kind"])
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc)]


def _prod_with(**fleet):
    raw = with_divided(stack_raw("prod"))
    raw["registration"]["fleet"].update(fleet)
    return raw


FORMS = {"ack": {}, "karmada": {"policyApi": "karmada"}, "karmada-overflow": {"policyApi": "karmada", "overflow": True}}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_fleet_object_of_each_policy_form_matches_its_schema(form):
    seen = set()
    docs = plan_placement(load(_prod_with(**FORMS[form]))).objects()
    for doc in docs:
        if doc["kind"] == "PriorityClass":
            continue  # built-in kind: kubernetes-validate (tests/test_cni_scan.py)
        assert crd_errors(doc) == [], (form, doc["kind"], doc["metadata"]["name"], crd_errors(doc))
        seen.add((doc["apiVersion"], doc["kind"]))
    api = ACK_API if form == "ack" else "policy.karmada.io/v1alpha1"
    assert seen == {(api, "PropagationPolicy"), (api, "ClusterPropagationPolicy"), ("autoscaling.karmada.io/v1alpha1", "FederatedHPA")}
    llm = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "divided-train")["spec"]
    terms = llm["placement"]["clusterAffinities"]
    if form == "karmada-overflow":
        assert [(t["affinityName"], t["clusterNames"], [o["clusterNames"] for o in t["overflowAffinities"]]) for t in terms] == [
            ("hybrid", ["idc-bj"], [["ack-sh-infer", "ack-wlcb-train"]])]
    else:  # ACK's IDC-first form: the hybrid cluster alone, then with the other members
        assert [(t["affinityName"], t["clusterNames"]) for t in terms] == [
            ("hybrid", ["idc-bj"]), ("members", ["idc-bj", "ack-sh-infer", "ack-wlcb-train"])]
    assert ("autoScaling" in llm) == (form == "ack")


def test_a_fleet_without_other_members_sends_everything_to_the_hybrid_cluster():
    raw = _prod_with(members={})
    raw["placement"]["workloads"][1]["weights"].pop("ack-sh-infer")
    pp = plan_placement(load(raw))
    for doc in pp.objects():
        if doc["kind"] == "PropagationPolicy":
            assert doc["spec"]["placement"]["clusterAffinity"]["clusterNames"] == ["idc-bj"], doc["metadata"]["name"]
            assert crd_errors(doc) == []
    fleet = pp.output()["divided-train"]["fleet"]
    assert fleet["engine"] == {"16": {"idc-bj": 16}, "48": {"idc-bj": 48}, "112": {"idc-bj": 112}}


def test_dev_without_a_fleet_has_only_in_cluster_tiering():
    pp = plan_placement(load(stack_raw("dev")))
    assert pp.objects() == [] and pp.policies() == {}
    (patch,) = pp.tiering().values()
    assert patch["kind"] == "Deployment" and patch["metadata"]["name"] == "finetune-7b"
    assert pp.output()["finetune-7b"]["fleet"] is None


def test_the_schema_check_rejects_what_karmada_would_reject_or_drop():
    docs = {d["kind"]: d for d in plan_placement(load(_prod_with(policyApi="karmada"))).objects()}
    pp = copy.deepcopy(docs["PropagationPolicy"])
    pp["spec"]["placement"]["replicaScheduling"]["replicaDivisionPreference"] = "Proportional"  # not in the enum
    pp["spec"]["placement"]["clusterAffinity"]["clusterName"] = ["x"]  # typo: would be pruned
    errors = crd_errors(pp)
    assert any("Proportional" in e for e in errors) and any("clusterName" in e for e in errors)
    hpa = copy.deepcopy(docs["FederatedHPA"])
    del hpa["spec"]["maxReplicas"]  # required
    assert any("maxReplicas" in e for e in crd_errors(hpa))
    # the ACK form: a field ACK does not document, or a wrong autoScaling, is refused too
    ack = {d["metadata"]["name"]: d for d in plan_placement(load(with_divided(stack_raw("prod")))).objects() if d["kind"] == "PropagationPolicy"}
    llm = copy.deepcopy(ack["divided-train"])
    llm["spec"]["autoScaling"] = {"ecsProvision": "yes"}
    llm["spec"]["placement"]["clusterAffinities"][1]["overflowAffinities"] = [{"affinityName": "x", "clusterNames": ["y"]}]
    errors = crd_errors(llm)
    assert any("ecsProvision" in e for e in errors) and any("overflowAffinities" in e for e in errors)


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


# --- Karmada's dynamic / aggregated division with ordered groups, by hand ----------------

def test_engine_division_of_ordered_groups_by_hand():
    """The figures of prod with the divided workload (tests/conftest.py DIVIDED_WORKLOAD). Groups [idc] then [idc, sh, wlcb], available 88 / 12 / 16.
    48: the first group covers it -> all 48 there. 112: the first group (88) does not -> the
    second (116) takes all, Webster over 88:12:16 (divisor 1.035: 85.0, 11.6, 15.5 -> 85, 12, 15).
    117: no group covers it -> unschedulable. Aggregated 100: the fewest members covering it,
    largest first (88 + 16 = 104), then Webster 88:16 (divisor 1.04: 84.6, 15.4 -> 85, 15)."""
    groups = [("hybrid", ["idc"]), ("members", ["idc", "sh", "wlcb"])]
    avail = {"idc": 88, "sh": 12, "wlcb": 16}
    assert engine_division(48, groups, avail, False) == {"group": "hybrid", "idc": 48}
    assert engine_division(112, groups, avail, False) == {"group": "members", "idc": 85, "sh": 12, "wlcb": 15}
    assert "unschedulable" in engine_division(117, groups, avail, False)
    assert engine_division(100, groups, avail, False, aggregated=True) == {"group": "members", "idc": 85, "wlcb": 15}
    # the output carries the same figures for prod
    out = plan_placement(load(with_divided(stack_raw("prod")))).output()["divided-train"]["fleet"]
    assert out["availableReplicas"] == {"idc-bj": 88, "ack-sh-infer": 12, "ack-wlcb-train": 16}
    assert out["engine"]["112"] == {"group": "members", "idc-bj": 85, "ack-sh-infer": 12, "ack-wlcb-train": 15}


# --- the emitted policy over the FederatedHPA's range --------------------------------

def _scaled(stack: str = "prod"):
    pp = plan_placement(load(stack_raw(stack)))
    return pp, [wp for wp in pp.workloads if wp.workload.autoscaling and wp.workload.strategy != "dynamic"]


def _calc(wp, n):
    """The calculator's plan at n, per Fleet member (the hybrid cluster's tiers summed)."""
    return wp.by_member(wp.at(n).assignments, "idc-bj")


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
        calc = {n: _calc(wp, n) for n in rng}
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
        snapshot = _snapshot_policy(policy, _calc(wp, w.replicas))
        members = pp.fleet_members
        clusters = [n for n in members if any(_calc(wp, m).get(n) for m in wp.replica_range())
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
            calc, unplaced = _calc(wp, n), wp.at(n).unplaced
            k = [ref.divide_policy(n, policy, d) for d in (False, True)]
            cells = [_cell(calc.get(c, 0), (k[0].get(c, 0), k[1].get(c, 0))) for c in clusters]
            dev = [_worse(n, policy, calc), _worse(n, snapshot, calc)]
            totals = [totals[0] + dev[0], totals[1] + dev[1]]
            lines.append(f"| {n} | " + " | ".join(cells) + f" | {unplaced} | {dev[0]} | {dev[1]} |")
        lines.append("| total |" + " |" * len(clusters) + f" | **{totals[0]}** | **{totals[1]}** |")
        lines.append("")
    lines += _dynamic_tables(pp)
    return "\n".join(lines)


def _dynamic_tables(pp) -> list[str]:
    """Dynamic workloads: calculator vs Karmada at the range's ends, the planned count and where
    the engine changes group (the hybrid cluster's available replicas, then all members')."""
    lines = []
    for wp in pp.workloads:
        w = wp.workload
        if w.strategy != "dynamic" or not w.autoscaling:
            continue
        out = pp.output()[wp.key]["fleet"]
        avail = out["availableReplicas"]
        groups = [(g, names) for g, names in out["groups"].items()]
        rng = wp.replica_range()
        hyb, total = avail["idc-bj"], sum(avail.values())
        counts = sorted({rng[0], w.replicas, rng[-1], hyb, hyb + 1, total, total + 1} & set(rng))
        members = pp.fleet_members
        lines += [
            f"**prod `{wp.key}`** (dynamic, FederatedHPA {rng[0]}..{rng[-1]}, planned {w.replicas}); emitted "
            f"`{out['form']}`, groups {json.dumps(out['groups'])}; available replicas {json.dumps(avail)}. "
            "Cells: calculator / Karmada (`hybrid.fleet.engine_division`).",
            "",
            "| replicas | " + " | ".join(f"`{m}`" for m in members) + " | Karmada's group |",
            "|---:|" + "---:|" * len(members) + "---|",
        ]
        for n in counts:
            calc = _calc(wp, n)
            eng = engine_division(n, groups, avail, False)
            if "unschedulable" in eng:
                lines.append(f"| {n} | " + " | ".join(f"**{calc.get(m, 0)} / -**" for m in members) + " | none: unschedulable |")
                continue
            cells = [f"{calc.get(m, 0)} / {eng.get(m, 0)}" if calc.get(m, 0) == eng.get(m, 0) else f"**{calc.get(m, 0)} / {eng.get(m, 0)}**"
                     for m in members]
            lines.append(f"| {n} | " + " | ".join(cells) + f" | `{eng['group']}` |")
        lines.append("")
    return lines


def _doc_table(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def test_docs_table_is_current():
    assert _doc_table(DOC.read_text()) == render_table().strip("\n"), "run: .venv/bin/python -m tests.test_fleet --write"


# --- config checks ----------------------------------------------------------------

def _issues(raw) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_platform(raw)
    return [f"{i.path}: {i.message}" for i in err.value.issues]


def _cli(raw, tmp_path) -> subprocess.CompletedProcess:
    """``hybrid-gpu plan`` on a copy of the prod stack with this config."""
    stack = tmp_path / "Pulumi.prod.yaml"
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    doc["config"] = {**doc["config"], **{f"hybrid-gpu-platform:{k}": v for k, v in raw.items() if k in ("registration",)}}
    stack.write_text(yaml.safe_dump(doc))
    return subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", "prod", "--config", str(stack),
                           "--out", str(tmp_path / "out"), "--no-policy"], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_members_are_other_clusters_never_tiers_of_the_hybrid_one(prod_raw):
    members = prod_raw["registration"]["fleet"]["members"]
    sh = members["ack-sh-infer"]
    for name, what in [("cn-hangzhou", "a region whose pools join the hybrid cluster"),
                       ("cn-beijing-serverless", "a Serverless tier of the hybrid cluster"),
                       ("cn-beijing-elastic", "an elastic tier of the hybrid cluster"),
                       ("idc-bj", "the IDC cluster, always a member")]:
        raw = copy.deepcopy(prod_raw)
        raw["registration"]["fleet"]["members"][name] = {"clusterId": "c0123456789abcdef", "availableReplicas": 4}
        (issue,) = _issues(raw)
        assert issue.startswith(f"registration.fleet.members.{name}: '{name}' is {what}, not another cluster"), issue
    raw = copy.deepcopy(prod_raw)
    raw["registration"]["fleet"]["members"]["ack-sh-again"] = dict(sh)
    assert _issues(raw) == [f"registration.fleet.members.ack-sh-infer.clusterId: {sh['clusterId']} is already member 'ack-sh-again'."]
    raw = copy.deepcopy(prod_raw)
    raw["registration"]["fleet"]["members"]["ack-sh-infer"]["clusterId"] = "cls-123"  # not an ACK cluster id
    assert [i.split(":")[0] for i in _issues(raw)] == ["registration.fleet.members.ack-sh-infer.clusterId"]


@pytest.mark.parametrize("fleet, expected", [
    ({"overflow": True}, ["registration.fleet.overflow: overflowAffinities is not in ACK's documented policy fields."]),
    ({"policyApi": "karmada", "overflow": True, "karmadaVersion": "v1.17.3"},
     ["registration.fleet.karmadaVersion: v1.17.3 is not a Karmada version whose CRDs the program checks its objects against.",
      "registration.fleet.overflow: Karmada v1.17.3 has no overflowAffinities (v1.18.0+)."]),
    ({"karmadaVersion": "1.18.2"}, ["registration.fleet.karmadaVersion"]),
    ({"policyApi": "openkruise"}, ["registration.fleet.policyApi"]),
])
def test_a_policy_form_the_version_or_api_lacks_is_refused(prod_raw, fleet, expected):
    prod_raw["registration"]["fleet"].update(fleet)
    got = _issues(prod_raw)
    assert (got if expected[0].endswith(".") else [i.split(":")[0] for i in got]) == expected


def test_the_plan_cli_refuses_a_bad_member_with_exit_2_and_writes_nothing(prod_raw, tmp_path):
    prod_raw["registration"]["fleet"]["members"]["cn-hangzhou"] = {"clusterId": "c0123456789abcdef", "availableReplicas": 4}
    proc = _cli(prod_raw, tmp_path)
    assert proc.returncode == 2 and "registration.fleet.members.cn-hangzhou" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_config_checks_for_the_workloads(placement_raw):
    raw = copy.deepcopy(placement_raw)
    bi = raw["placement"]["workloads"][1]
    bi["autoscaling"]["minReplicas"] = 40
    assert _issues(raw) == ["placement.workloads[1].autoscaling: minReplicas 40 is more than maxReplicas 32."]
    bi["autoscaling"].update(minReplicas=8, maxReplicas=20)
    assert _issues(raw) == ["placement.workloads[1]: replicas 24 is outside autoscaling [8, 20]."]
    bi["autoscaling"]["maxReplicas"] = 32
    bi["priority"]["className"] = "gpu-training"  # same name as divided-train's, other value
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
        ("PriorityClass", "gpu-batch"), ("PropagationPolicy", "batch-infer")]
    assert {r["provider"] for r in declared} == {"fleet"}
    (provider,) = [r for r in resources if r["type"] == "pulumi:providers:kubernetes" and r["name"] == "fleet"]
    assert provider["inputs"]["kubeconfig"] == "/offline/hybrid-fleet.kubeconfig"  # a path, never the credentials
    members = outputs["fleet"]["members"]
    assert outputs["fleet"]["applied"] is True and members["idc-bj"] == outputs["registeredClusterId"]
    # the Fleet's members: the hybrid (IDC) cluster and the other ACK clusters, never its regions or tiers
    assert sorted(members) == ["ack-sh-infer", "ack-wlcb-train", "idc-bj"]
    # The declared policies are the calculator's, with placement names turned into member ids.
    by_id = {v: k for k, v in members.items()}
    expected = {d["metadata"]["name"]: d for d in plan_placement(load(stack_raw("prod"))).objects() if d["kind"] == "PropagationPolicy"}
    for r in declared:
        doc = r["inputs"]
        if doc["kind"] != "PriorityClass":
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


def test_dev_without_a_fleet_writes_in_cluster_tiering_only(plans):
    d = plans / "dev"
    assert not (d / "not-applied").exists()
    files = sorted(str(p.relative_to(d)) for p in (d / "tiering").rglob("*") if p.is_file())
    assert files == ["tiering/README.md", "tiering/default/deployment-finetune-7b.yaml"]
    assert not list((d / "manifests").rglob("propagationpolicy-*"))
    resources = json.loads((d / "resources.json").read_text())
    assert not [r for r in resources if "karmada" in r["type"] or r["name"] == "fleet"
                or r["inputs"].get("kind") in ("PropagationPolicy", "FederatedHPA", "ClusterPropagationPolicy")]


def test_prod_applies_without_writing_not_applied_objects(plans):
    assert not (plans / "prod" / "not-applied").exists()
    assert sorted(p.name for p in (plans / "prod" / "tiering" / "default").iterdir()) == [
        "deployment-batch-infer.yaml"]


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        text = DOC.read_text()
        head, rest = text.split(BEGIN, 1)
        DOC.write_text(head + BEGIN + "\n\n" + render_table().strip("\n") + "\n\n" + END + rest.split(END, 1)[1])
    else:
        print(render_table())
