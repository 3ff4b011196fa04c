"""Mutation testing (mutmut) per module, each with its fast targeted tests; the table in docs/testing.md.

``python scripts/mutate.py [TARGET ...]`` (``make mutate``; ``MUTATE="cidr cost"`` picks targets)
copies the tracked tree into build/mutate/<target>/, adds a [tool.mutmut] section for that one
module there (mutmut reads a single config from the working directory, so per-module test
selection needs one directory per target), runs ``mutmut run``, records the counts of that
module in docs/mutation-results.json and rewrites the table of docs/testing.md from that file
(every module of the packages; a module never run reads "not measured"). Nothing else in the
checkout is changed. ``--table-only`` rewrites the table from the recorded results alone.
Survivors: ``cd build/mutate/<target> && ../../../.venv/bin/mutmut results`` and
``mutmut show <name>``.

Score = killed (or timed out) / (all mutants - equivalent ones). A mutant no selected test
reaches counts as surviving. Equivalent mutants (no behaviour can tell them from the original)
are listed in EQUIVALENT with the reason, and shown in docs/testing.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = Path(sys.executable).with_name("mutmut")
RESULTS = ROOT / "docs" / "mutation-results.json"
DOC = ROOT / "docs" / "testing.md"
BEGIN, END = "<!-- mutate:table:begin -->", "<!-- mutate:table:end -->"
EQ_BEGIN, EQ_END = "<!-- mutate:equivalent:begin -->", "<!-- mutate:equivalent:end -->"
PACKAGES = ("hybrid", "components", "hybrid_tools", "policy")

# module -> the tests that exercise it quickly (no subprocess plan, no scanners). mutmut runs,
# per mutant, only the selected tests whose run entered the mutated function.
TARGETS: dict[str, tuple[str, list[str]]] = {
    "cidr": ("hybrid/cidr.py", ["tests/test_cidr.py", "tests/test_mutation_cidr.py"]),
    "imageref": ("hybrid/imageref.py", ["tests/test_imageref.py", "tests/test_mutation_imageref.py"]),
    "transit": ("hybrid/transit.py", ["tests/test_transit.py", "tests/test_mutation_transit.py"]),
    "calico_selector": ("hybrid/calico_selector.py", ["tests/test_calico_selector.py",
                                                      "tests/test_mutation_calico_selector.py"]),
    "safeload": ("hybrid/safeload.py", ["tests/test_safeload.py", "tests/test_mutation_safeload.py"]),
    "placement": ("hybrid/placement.py", ["tests/test_placement_core.py", "tests/test_placement_capacity.py",
                                          "tests/test_mutation_placement.py"]),
    "placement_capacity": ("hybrid/placement_capacity.py", ["tests/test_placement_capacity.py",
                                                            "tests/test_mutation_placement_capacity.py"]),
    "placement_platform": ("hybrid/placement_platform.py", ["tests/test_placement_platform.py"]),
    "cost": ("hybrid/cost.py", ["tests/test_cost_elastic.py", "tests/test_mutation_cost.py"]),
    "fleet": ("hybrid/fleet.py", ["tests/test_fleet.py"]),
    "diff": ("hybrid_tools/diff.py", ["tests/test_diff.py", "tests/test_diff_coverage.py"]),
    "model_base": ("hybrid/model/base.py", ["tests/test_model.py"]),
    "model_disk": ("hybrid/model/disk.py", ["tests/test_model.py", "tests/test_hostile_input.py",
                                            "tests/test_mutation_model_disk.py"]),
    "registered_cluster": ("components/registered_cluster.py", ["tests/test_registered_cluster.py", "-k", "not plan"]),
    "gpu_artifacts": ("hybrid_tools/gpu_artifacts.py", ["tests/test_gpu_artifacts.py"]),
    "artifacts": ("hybrid_tools/artifacts.py", ["tests/test_gpu_artifacts.py"]),
    "model_lease": ("hybrid/model/lease.py", ["tests/test_lease_cost.py::test_lease_fields_are_validated",
                                              "tests/test_lease_cost.py::test_lease_end_forms",
                                              "tests/test_mutation_model_lease.py"]),
    "model_join_token": ("hybrid/model/join_token.py", ["tests/test_mutation_model_join_token.py"]),
    "model_registration": ("hybrid/model/registration.py", [
        "tests/test_registered_cluster.py::test_config_checks_fleet_name_and_admin_agent_with_read_only_console",
        "tests/test_mutation_model_registration.py"]),
    "model_virtual_node": ("hybrid/model/virtual_node.py", ["tests/test_virtual_node.py::test_model_rules",
                                                            "tests/test_virtual_node.py::test_idc_range_in_alibaba_service_block_is_flagged",
                                                            "tests/test_mutation_model_virtual_node.py"]),
    "model_bgp": ("hybrid/model/bgp.py", ["tests/test_calico.py::test_bad_bgp_config_names_the_field",
                                          "tests/test_calico.py::test_dev_without_peers_keeps_the_mesh",
                                          "tests/test_mutation_model_bgp.py"]),
    "model_gpu_driver": ("hybrid/model/gpu_driver.py", ["tests/test_gpu_driver.py", "-k", "not cli_exit",
                                                        "tests/test_mutation_model_gpu_driver.py"]),
    "model_leased_line": ("hybrid/model/leased_line.py", [
        "tests/test_leased_line.py::test_prod_gives_every_region_a_path",
        "tests/test_transit.py::test_a_region_without_a_path_to_the_vbr_names_the_field",
        "tests/test_transit.py::test_idc_announcements_fit_the_vbr_route_limit",
        "tests/test_mutation_model_leased_line.py"]),
    "model_elastic": ("hybrid/model/elastic.py", ["tests/test_elastic_model.py::test_bad_pool_names_field_and_fix",
                                                  "tests/test_elastic_model.py::test_prod_has_one_elastic_pool_and_dev_none",
                                                  "tests/test_mutation_model_elastic.py"]),
    "model_metrics": ("hybrid/model/metrics.py", ["tests/test_mutation_model_metrics.py"]),
    "model_pricing": ("hybrid/model/pricing.py", ["tests/test_mutation_model_pricing.py"]),
    "model_cni": ("hybrid/model/cni.py", ["tests/test_mutation_model_cni.py"]),
    "model_identity": ("hybrid/model/identity.py", ["tests/test_mutation_model_identity.py"]),
}

# Targets whose property tests would take minutes per mutant at their full example count: in the
# copy only, their hypothesis `max_examples` is capped at this number and the seed fixed, so the
# run stays bounded and repeatable (the suite itself keeps its counts).
HYPOTHESIS_CAP: dict[str, int] = {"placement": 25}

# mutant name (as `mutmut results` prints it) -> why no behaviour can tell it from the original.
EQUIVALENT: dict[str, str] = {
    "hybrid.cidr.xǁ_Allocatorǁtake__mutmut_11":
        "`addr + size - 2 <= last` for `- 1`: blocks start aligned to their size inside an aligned VPC, so a block's "
        "last address and the VPC's differ by a multiple of the block size (>= 8); both tests agree on every block",
    "hybrid.imageref.x__split_domain__mutmut_4":
        "message of an unreachable refusal: the name REFERENCE_RE captured always matches the anchored name grammar "
        "(built from the same pieces), so `_split_domain` never raises after `parse` matched",
    "hybrid.imageref.x_parse__mutmut_26":
        "`rpartition` for `partition` on the digest: the digest grammar allows exactly one `:` (algorithm has none, "
        "the hex part has none), so both split at the same place",
    "hybrid.imageref.x_parse__mutmut_22":
        "message only: the excerpt of a name over 255 characters quotes 41 instead of 40 characters; the refusal and "
        "upstream's error text are unchanged (not behaviour; kept out of the score)",
    "hybrid.imageref.x_parse_repository__mutmut_13":
        "message wording only: the fix's text padded with XX still names the version field; the refusal is unchanged "
        "(not behaviour; kept out of the score)",
    **{f"hybrid.transit.x_region_path__mutmut_{n}":
       "the assertion of what the model guarantees (hybrid/model/leased_line.py: a transit-router leased line has "
       "its route table, and then idc.vbr): on any platform `load` accepts all three hold, so `and`/`or` agree"
       for n in (34, 35)},
    **{f"hybrid.transit.x_region_path__mutmut_{n}":
       "the fallback for a transit router off the VBR's without interRegion: the model refuses that "
       "(regions[].leasedLine.transitRouter.interRegion, tests/test_transit.py), so `ir` is always set here"
       for n in (67, 69, 70)},
    "hybrid.calico_selector.x_tokenize__mutmut_19":
        "the kind of the previous token when there is none: only compared with \"label\", which neither \"\" nor "
        "\"XXXX\" is",
    **{f"hybrid.calico_selector.x_tokenize__mutmut_{n}":
       "the no-progress guard (Calico's own): every branch of the loop consumes a character or raises, so "
       "`len(text) >= start` is never true and neither `>` nor its message can be reached" for n in (190, 191, 192, 193)},
    "hybrid.calico_selector.x__op__mutmut_1":
        "`negated = None` for `False`: only its truth value is read (`not negated`, `if negated`), and None is falsy",
    **{f"hybrid.calico_selector.x_evaluate__mutmut_{n}":
       "the default of an absent label's value: every operator reads the value only when the label is present "
       "(`present and ...`, `not present or ...`)" for n in (47, 49, 50)},
    "hybrid.placement_capacity.x__split_number__mutmut_7":
        "`i = 1` for `i += 1` where i is 0: the same value",
    "hybrid.placement_capacity.x__convert__mutmut_13":
        "the conversion cache is cleared at 65,537 entries instead of 65,536: a cache size, never a result",
    "hybrid.placement_capacity.x_offered__mutmut_3":
        "`round_up=None` for `False`: only its truth value is read",
    **{f"hybrid.placement_capacity.x_fit__mutmut_{n}":
       "`used`/`offered` of the pod count under the resource name None: the scale is 1 for every resource but cpu, "
       "so pods convert the same" for n in (4, 11)},
    "hybrid.placement_capacity.x_fit__mutmut_18":
        "`free >= 0` for `free > 0` when picking the pod bound: both give 0 when free is 0",
    "hybrid.placement_capacity.x_fit__mutmut_46":
        "`free >= 0` for `free > 0` before `free // amount`: 0 // amount is 0 as well",
    "hybrid.placement_capacity.x_fit__mutmut_51":
        "`n <= best` for `n < best`: when n equals best, setting best to n changes nothing (and n is not 0 there, "
        "since a 0 bound returned earlier)",
    "hybrid.calico_selector.x_evaluate__mutmut_88":
        "message of an AssertionError for a node kind `parse` never builds",
    "hybrid.model.join_token.x_bucket_name__mutmut_4":
        "`rstrip(\"XX-XX\")` for `rstrip(\"-\")`: the name is lower-case throughout (environment a fixed lower-case "
        "word, a region id, a DNS-label cluster name), so there is never an X to strip",
    "hybrid.model.gpu_driver.x_check_driver__mutmut_27":
        "the key looked up for a type without a family: neither \"\" nor \"XXXX\" is a family of the driver table, so "
        "both find no branches",
    **{f"hybrid.model.gpu_driver.x_kubelet_may_set__mutmut_{n}":
       "`split(\"/\")[0]` / `split(\"/\", 2)[0]` for `split(\"/\", 1)[0]`: the first piece is the same whatever the "
       "split limit" for n in (9, 12)},
    "hybrid.model.gpu_driver.x_kubelet_may_set__mutmut_10":
        "`rsplit` for `split` of the prefix: differs only for a key with two or more '/', and every key that reaches it "
        "is a LabelKey (hybrid/model/base.py _label_key allows one '/' at most)",
    "hybrid.model.gpu_driver.x_kubelet_may_set__mutmut_16":
        "the namespace of a key without prefix: \"\" or \"XXXX\", neither is nor ends in kubernetes.io, k8s.io or a "
        "kubelet namespace, so both allow the key",
    **{f"hybrid.model.elastic.x_bucket_name__mutmut_{n}":
       "the cut to 63 characters and the strip of a trailing '-' never act: the name is at most 60 characters "
       "(\"hybrid-staging-\", a cluster name of at most 32, \"-node-scripts\"; "
       "tests/test_mutation_model_elastic.py) and ends in \"scripts\", so `[:64]`, `rstrip(None)`, `rstrip(\"XX-XX\")` "
       "and `lstrip(\"-\")` (it starts with \"hybrid-\") give the same name" for n in (1, 2, 3, 4)},
    "hybrid.model.elastic.xǁElasticPoolǁ_labels__mutmut_13":
        "`k.split(\"/\")[+1]` for `[-1]` in the fix's example: only a key with a prefix is refused (a bare key is in no "
        "namespace), and a LabelKey has one '/' at most (hybrid/model/base.py), so the split has exactly two parts",
    "hybrid.model.identity.x_required_secrets__mutmut_11":
        "`keys = [...]` for `keys += [...]`: it is the first addition, to the empty list, so both give the same list",
    "hybrid.model.pricing.x__price__mutmut_21":
        "`Decimal(repr(value))` for `Decimal(value)` of an int (bool is refused before): an int's repr is its decimal "
        "digits, which Decimal reads as the same value; only an int too long for repr (over 4300 digits, "
        "sys.int_info.default_max_str_digits) would differ, and the stack's reader refuses any over MAX_INT_DIGITS "
        "(hybrid/safeload.py: 18) before the model sees it",
    **{f"hybrid.model.elastic.xǁElasticPoolǁ_renderable__mutmut_{n}":
       "the cut of the inner refusal at ' Fix: ' (or at a misspelt marker, i.e. no cut): the re-raised FieldError's "
       "message is cut again at its first ' Fix: ' when it is reported (hybrid/errors.py validation_issues), and the "
       "first one is the inner refusal's, so the user reads the same message" for n in (24, 25, 26)},
    **{f"hybrid.model.elastic.xǁElasticPoolǁ_renderable__mutmut_{n}":
       "unreachable: every value node_pool() hands GpuPool was validated by ElasticPool with the same or a narrower type "
       "and bound (ElasticDataDisk size >= 40 against DataDisk's 20, the same patterns and lists), so GpuPool can only "
       "fail in its own field validators, which raise FieldError on a field name (loc without a list index): the "
       "generic branch and the camel-casing of an index never run" for n in (14, 28, 29, 30, 31, 32, 33, 34, 35)},
}

BAD = {"survived", "no tests", "suspicious", "skipped", "segfault", "not checked"}

# Shell scripts: mutmut mutates Python only, so each script has a small list of its own mutants
# (a literal that occurs once in the script, and what replaces it: a realistic slip each), run
# against the tests that execute the script. Target "sh_<name>" -> (script, tests, mutants).
SHELL_TARGETS: dict[str, tuple[str, list[str], list[tuple[str, str, str]]]] = {
    "sh_tc": ("hybrid/scripts/hybrid-tc.sh", ["tests/test_tc.py"], [
        ("egress-matches-source", 'ifb=$IFB_EGRESS field=dst', 'ifb=$IFB_EGRESS field=src'),
        ("ceil-twice-the-rate", 'ceil "${mbit}mbit"', 'ceil "$((mbit * 2))mbit"'),
        ("never-rebuilds-filters", '-eq "${#IDC_RANGES[@]}" ]; then', '-ge 0 ]; then'),
        ("rebuild-keeps-old-filters", 'tc filter del dev "$dev" "$dir" prio "$PRIO" 2>/dev/null || true', 'true'),
        ("ifb-left-down", 'ip link set dev "$dev" up', 'true'),
        ("htb-never-added", "if ! has '^qdisc htb 1: root' qdisc show dev \"$dev\" root; then", "if false; then"),
        ("ingress-to-egress-ifb", 'ifb=$IFB_INGRESS field=src', 'ifb=$IFB_EGRESS field=src'),
        ("no-glob-match", 'if [[ $name == $ENI_GLOB ]]; then devs+=("$name"); fi', 'true'),
    ]),
}


def _copy_tree(work: Path, rev: str | None) -> None:
    if rev:  # an older tree, e.g. the score before a change
        work.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
        return
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            dst = work / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _undecorate(path: Path) -> None:
    """In the copy, apply each function's decorators after its definition instead of above it.

    mutmut leaves every decorated function unmutated (it copies the function for its trampoline,
    and a decorator runs at definition time), except one whose only decorator is ``@classmethod``
    or ``@staticmethod``. The model's validators (``@field_validator``, ``@model_validator``), its
    properties and its cross-checks are all decorated: the code that refuses a bad config would not
    be measured at all. ``@d1 @d2 def f`` is ``f = d1(d2(f))`` right after the definition; every
    decorator of these packages returns a wrapper or registers the function, and none reads where
    it was written, so the copy's module gets that form: the same objects in the same order, each
    built over the function mutmut trampolines. A last (innermost) ``@classmethod`` or
    ``@staticmethod`` stays on the definition, the one form mutmut mutates with its decorator.
    """
    import libcst as cst  # mutmut's own parser, installed with it

    keep = ("classmethod", "staticmethod")

    def split(body: list) -> list:
        out: list = []
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                stmt = stmt.with_changes(body=stmt.body.with_changes(body=split(list(stmt.body.body))))
            decorators = list(getattr(stmt, "decorators", ()))
            if not isinstance(stmt, cst.FunctionDef) or not decorators:
                out.append(stmt)
                continue
            last = decorators[-1].decorator
            inner = [decorators.pop()] if isinstance(last, cst.Name) and last.value in keep else []
            if not decorators:
                out.append(stmt)
                continue
            value: cst.BaseExpression = stmt.name
            for d in reversed(decorators):
                value = cst.Call(d.decorator, [cst.Arg(value)])
            leading = [line for d in decorators for line in d.leading_lines]
            out.append(stmt.with_changes(decorators=inner, leading_lines=[*stmt.leading_lines, *leading]))
            out.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(stmt.name)], value)]))
        return out

    module = cst.parse_module(path.read_text())
    path.write_text(module.with_changes(body=split(list(module.body))).code)


def run_target(name: str, max_children: int, rev: str | None = None,
               tests: list[str] | None = None) -> dict[str, str]:
    """Run mutmut over one target; return mutant name -> status."""
    module, default_tests = TARGETS[name]
    tests = tests or default_tests
    work = ROOT / "build" / "mutate" / (name + (f"@{rev}" if rev else ""))
    if work.exists():
        shutil.rmtree(work)
    _copy_tree(work, rev)
    tests = [t for t in tests if not t.startswith("tests/") or (work / t.split("::")[0]).exists()]
    extra: list[str] = []
    if name in HYPOTHESIS_CAP:
        cap = HYPOTHESIS_CAP[name]
        for t in tests:
            if t.startswith("tests/") and t.endswith(".py"):
                f = work / t
                f.write_text(re.sub(r"max_examples=(\d+)", lambda m: f"max_examples={min(int(m.group(1)), cap)}",
                                    f.read_text()))
        extra = ["--hypothesis-seed=0"]
    _undecorate(work / module)
    with open(work / "pyproject.toml", "a") as f:
        f.write(f"""
[tool.mutmut]
source_paths = ["hybrid", "components", "hybrid_tools"]
only_mutate = [{json.dumps(module)}]
also_copy = ["stacks", "policy", "Pulumi.yaml", "__main__.py", "docs", "scripts"]
pytest_add_cli_args_test_selection = {json.dumps(tests)}
pytest_add_cli_args = {json.dumps(["-p", "no:cacheprovider", "-q", "-W", "ignore", *extra])}
""")
    subprocess.run([str(MUTMUT), "run", "--max-children", str(max_children)], cwd=work,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, capture_output=True,
                         text=True).stdout
    statuses: dict[str, str] = {}
    for line in out.splitlines():
        if ":" in line:
            mutant, status = (s.strip() for s in line.rsplit(":", 1))
            statuses[mutant] = status
    return statuses


def run_shell_target(name: str) -> dict[str, str]:
    """Each listed mutant applied alone to a copy of the tree; killed when the script's tests fail."""
    script, tests, mutants = SHELL_TARGETS[name]
    work = ROOT / "build" / "mutate" / name
    if work.exists():
        shutil.rmtree(work)
    _copy_tree(work, None)
    original = (ROOT / script).read_text()
    env = {**os.environ, "PYTHONPATH": str(work)}  # the copy's hybrid/, not the editable install's
    statuses: dict[str, str] = {}
    for mutant, old, new in mutants:
        if original.count(old) != 1:
            raise SystemExit(f"mutate: {name}/{mutant}: {old!r} occurs {original.count(old)} times in {script}")
        (work / script).write_text(original.replace(old, new))
        r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests], cwd=work,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        statuses[f"{script}:{mutant}"] = "killed" if r.returncode == 1 else ("survived" if r.returncode == 0 else
                                                                            f"error {r.returncode}")
    (work / script).write_text(original)
    return statuses


def summarize(statuses: dict[str, str]) -> dict:
    c = Counter(statuses.values())
    survivors = sorted(m for m, s in statuses.items() if s not in ("killed", "timeout"))
    return {"mutants": len(statuses), "killed": c["killed"] + c["timeout"], "survivors": survivors}


def _all_modules() -> list[str]:
    mods = []
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            rel = p.relative_to(ROOT).as_posix()
            if p.name == "__init__.py" or "/scripts/" in rel:
                continue
            mods.append(rel)
    mods += [p.relative_to(ROOT).as_posix() for p in (ROOT / "hybrid" / "scripts").glob("*.sh")]
    return sorted(mods)


def table(results: dict[str, dict]) -> str:
    rows = ["| module | mutants | killed | survived (equivalent) | score |", "| --- | ---: | ---: | ---: | ---: |"]
    for mod in _all_modules():
        r = results.get(mod)
        if r is None:
            rows.append(f"| `{mod}` | not measured | | | |")
            continue
        eq = sum(1 for m in r["survivors"] if m in EQUIVALENT)
        survived = r["mutants"] - r["killed"]
        denom = r["mutants"] - eq
        pct = f"{100 * r['killed'] / denom:.0f} %" if denom else "-"
        rows.append(f"| `{mod}` | {r['mutants']} | {r['killed']} | {survived} ({eq}) | {pct} |")
    return "\n".join(rows)


def equivalents(results: dict[str, dict]) -> str:
    rows = ["| mutant | why it is equivalent |", "| --- | --- |"]
    listed = {m for r in results.values() for m in r["survivors"]}
    for m in sorted(EQUIVALENT):
        if m in listed:
            rows.append(f"| `{m}` | {EQUIVALENT[m]} |")
    return "\n".join(rows)


def _replace(text: str, begin: str, end: str, body: str) -> str:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def write_docs(results: dict[str, dict]) -> None:
    text = DOC.read_text()
    text = _replace(text, BEGIN, END, table(results))
    text = _replace(text, EQ_BEGIN, EQ_END, equivalents(results))
    DOC.write_text(text)


def load_results() -> dict[str, dict]:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def save_results(results: dict[str, dict]) -> None:
    RESULTS.write_text(json.dumps(dict(sorted(results.items())), indent=1, sort_keys=True) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*", default=None)
    ap.add_argument("--max-children", type=int, default=1)
    ap.add_argument("--rev", help="mutate the tree of this git revision instead of the working tree (not recorded)")
    ap.add_argument("--tests", help="pytest arguments selecting the tests, instead of the target's (space-separated)")
    ap.add_argument("--table-only", action="store_true", help="rewrite docs/testing.md from the recorded results")
    args = ap.parse_args()
    targets = args.targets or os.environ.get("MUTATE", "").split() or [*TARGETS, *SHELL_TARGETS]
    unknown = [t for t in targets if t not in TARGETS and t not in SHELL_TARGETS]
    if unknown:
        print(f"mutate: unknown target {unknown[0]!r}: choose from {', '.join([*TARGETS, *SHELL_TARGETS])}",
              file=sys.stderr)
        return 2
    results = load_results()
    if not args.table_only:
        for name in targets:
            start = time.monotonic()
            if name in SHELL_TARGETS:
                module = SHELL_TARGETS[name][0]
                statuses = run_shell_target(name)
            else:
                module = TARGETS[name][0]
                statuses = run_target(name, args.max_children, args.rev, args.tests.split() if args.tests else None)
            r = summarize(statuses)
            secs = time.monotonic() - start
            print(f"{module:<36} {r['killed']}/{r['mutants']} killed, {len(r['survivors'])} survived, "
                  f"{secs:.0f} s", flush=True)
            if not args.rev and not args.tests and r["mutants"]:
                results[module] = r
                save_results(results)
    write_docs(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
