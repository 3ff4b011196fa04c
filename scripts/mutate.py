"""Mutation testing (mutmut) per module, each with its fast targeted tests; the table in docs/testing.md.

``python scripts/mutate.py [TARGET ...]`` (``make mutate``; ``MUTATE="cidr cost"`` picks targets)
copies the tracked tree into build/mutate/<target>/, adds a [tool.mutmut] section for that one
module there (mutmut reads a single config from the working directory, so per-module test
selection needs one directory per target), runs ``mutmut run``, records the counts of that
module in docs/mutation-results.json and rewrites the table of docs/testing.md from that file
(every module of the packages; a module never run reads "not measured", one whose run generated
no mutant "no code to mutate"). Nothing else in the checkout is changed. ``--table-only``
rewrites the table from the recorded results alone; ``--survivors`` re-runs only a target's recorded
survivors (after tests were added; refused once the module's text differs from its recorded run). Survivors:
``cd build/mutate/<target> && ../../../.venv/bin/mutmut results`` and ``mutmut show <name>``.

Score = killed (or timed out) / (all mutants - equivalent ones). A mutant no selected test
reaches counts as surviving. Equivalent mutants (no behaviour can tell them from the original)
are listed in scripts/mutate.toml with the reason, and shown in docs/testing.md.

In the copy only, every decorated function of the target gets its decorators applied after its
definition (``_undecorate``: mutmut never mutates a decorated function), and for the policy modules
(policy/rules/*.py) the tests import the rules under the name mutmut gives their files
(``_alias_policy_rules``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = Path(sys.executable).with_name("mutmut")
RESULTS = ROOT / "docs" / "mutation-results.json"
DOC = ROOT / "docs" / "testing.md"
BEGIN, END = "<!-- mutate:table:begin -->", "<!-- mutate:table:end -->"
EQ_BEGIN, EQ_END = "<!-- mutate:equivalent:begin -->", "<!-- mutate:equivalent:end -->"
PACKAGES = ("hybrid", "components", "hybrid_tools", "policy")

# The tables (which tests measure each module, the equivalent mutants with their reasons, the
# hand-written mutants) are data: scripts/mutate.toml.
TABLES = tomllib.loads((ROOT / "scripts" / "mutate.toml").read_text(encoding="utf-8"))
TARGETS: dict[str, tuple[str, list[str]]] = {k: (v["module"], v["tests"]) for k, v in TABLES["targets"].items()}
HYPOTHESIS_CAP: dict[str, int] = TABLES["hypothesis_cap"]
EQUIVALENT: dict[str, str] = {m: e["reason"] for e in TABLES["equivalent"] for m in e["mutants"]}
HAND_TARGETS: dict[str, tuple[str, list[str], list[tuple[str, str, str]]]] = {
    k: (v["file"], v["tests"], [(a, b, c) for a, b, c in v["mutants"]]) for k, v in TABLES["hand_targets"].items()}




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

    Caches (``functools.lru_cache``, ``functools.cache``) are dropped instead: mutmut forks each
    mutant from a process that already ran the tests with the original code, so a cache would hand
    the mutant the original's answers. They memoise pure functions, so dropping one changes speed only.
    """
    import libcst as cst  # mutmut's own parser, installed with it

    keep = ("classmethod", "staticmethod")
    caches = ("lru_cache", "cache")

    def is_cache(d: cst.Decorator) -> bool:
        e = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        return (isinstance(e, cst.Name) and e.value in caches) or (isinstance(e, cst.Attribute) and e.attr.value in caches)

    def split(body: list) -> list:
        out: list = []
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                stmt = stmt.with_changes(body=stmt.body.with_changes(body=split(list(stmt.body.body))))
            decorators = [d for d in getattr(stmt, "decorators", ()) if not is_cache(d)]
            if isinstance(stmt, cst.FunctionDef) and len(decorators) < len(stmt.decorators):
                stmt = stmt.with_changes(decorators=decorators)
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


def _alias_policy_rules(work: Path) -> None:
    """Let the copy's tests import the policy rules under the name mutmut gives their file.

    The pack runs with cwd policy/ and imports its rules as the top-level package ``rules``
    (policy/__main__.py), so the tests do too (sys.path gets policy/). mutmut names a mutant after
    its file's path (``policy.rules.lease.x_...``) and both records which tests reach a function
    and switches a mutant on by ``function.__module__``: under ``rules.lease`` no test would be
    seen to reach any mutant, and none would be switched on. In the copy only, ``rules`` is made
    the package ``policy.rules`` (policy/ has no __init__.py: a namespace package, found in
    mutmut's mutants/ directory) before any test imports it; the suite itself is unchanged.
    """
    with open(work / "tests" / "conftest.py", "a") as f:
        f.write("""

# Added by scripts/mutate.py in the mutation copy only (see _alias_policy_rules there).
import sys as _sys  # noqa: E402
import policy.rules as _policy_rules  # noqa: E402

_sys.modules["rules"] = _policy_rules
for _area in ("common", "compute", "identity", "kubernetes", "lease", "network"):
    _sys.modules["rules." + _area] = getattr(_policy_rules, _area)
""")


def _event_loop_per_fork(work: Path) -> None:
    """Give each forked mutant an asyncio event loop of its own, in the copy's tests.

    mutmut forks every mutant from the process that ran the tests once, so each child inherits
    that process's current event loop, and with it the loop's epoll instance (one kernel object
    shared by the parent and every child) and its wake-up pipe. An offline program run closes its
    loop when done (hybrid_tools/mockrun.py ``_close_loop``); in a child that is the inherited loop,
    and closing it removes the wake-up pipe from the shared epoll: in every later child, the SDK's
    loop then waits for wake-ups from its executor threads that never arrive, and the mutant's tests
    hang until mutmut stops them (about 90 s each, counted as timeouts). In the copy only, the
    tests' conftest makes a forked child start on a new loop and keeps the inherited one referenced
    (never closed, never collected: the child ends with ``os._exit``).
    """
    with open(work / "tests" / "conftest.py", "a") as f:
        f.write("""

# Added by scripts/mutate.py in the mutation copy only (see _event_loop_per_fork there).
import asyncio as _asyncio  # noqa: E402
import os as _os  # noqa: E402

_INHERITED_LOOPS: list = []


def _event_loop_of_its_own() -> None:
    _INHERITED_LOOPS.append(_asyncio.get_event_loop_policy().get_event_loop())
    _asyncio.set_event_loop(_asyncio.new_event_loop())


_os.register_at_fork(after_in_child=_event_loop_of_its_own)
""")


def run_target(name: str, max_children: int, rev: str | None = None,
               tests: list[str] | None = None, only: list[str] | None = None) -> dict[str, str]:
    """Run mutmut over one target (over the mutants ``only`` names, when given); return mutant name -> status."""
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
    sources = ["hybrid", "components", "hybrid_tools"]
    if module.startswith("policy/"):
        sources.append("policy")
        _alias_policy_rules(work)
    _undecorate(work / module)
    _event_loop_per_fork(work)
    with open(work / "pyproject.toml", "a") as f:
        f.write(f"""
[tool.mutmut]
source_paths = {json.dumps(sources)}
only_mutate = [{json.dumps(module)}]
also_copy = ["stacks", "policy", "Pulumi.yaml", "__main__.py", "docs", "scripts"]
pytest_add_cli_args_test_selection = {json.dumps(tests)}
pytest_add_cli_args = {json.dumps(["-p", "no:cacheprovider", "-q", "-W", "ignore", *extra])}
""")
    log = work / "mutmut-run.log"
    with open(log, "w") as f:
        run = subprocess.run([str(MUTMUT), "run", "--max-children", str(max_children), *(only or [])], cwd=work,
                             stdout=f, stderr=subprocess.STDOUT)
    # mutmut stops with 1 before any mutant when the selected tests fail on the unmutated code (or
    # reach no function): every mutant would then read "not checked", counted as survived.
    if run.returncode != 0 and not generated_none(name):
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"mutate: {name}: mutmut stopped before the mutants ({tail[0].strip()}); see {log}")
    out = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, capture_output=True,
                         text=True).stdout
    statuses: dict[str, str] = {}
    for line in out.splitlines():
        if ":" in line:
            mutant, status = (s.strip() for s in line.rsplit(":", 1))
            statuses[mutant] = status
    return statuses


def confirm_timeouts(name: str, statuses: dict[str, str]) -> dict[str, str]:
    """Run the timed-out mutants of a run once more, one at a time, and keep that verdict.

    mutmut stops a mutant's tests after 15 times their clean run's wall time and counts it killed.
    On a loaded machine a surviving mutant's tests can take that long (the components' tests
    under Pulumi's mocks did), so a timeout is a kill only when it recurs on a run of its own."""
    timed_out = sorted(m for m, s in statuses.items() if s == "timeout")
    if not timed_out:
        return statuses
    again = run_target(name, 1, only=timed_out)
    return {**statuses, **{m: again.get(m, "survived") for m in timed_out}}


def generated_none(name: str) -> bool:
    """Whether the last run of target ``name`` generated no mutant at all for its module.

    mutmut mutates function bodies only, so a module of constants has no mutant; its run then
    stops before the tests ("could not find any test case for any mutant": no function to reach)
    and `mutmut results` lists nothing, as it does for a run that failed. mutmut writes a module's
    mutants to mutants/<module>.meta before any test runs: that file, present with no mutant in
    it, tells the first case from the second (no file: nothing was generated, the run failed).
    """
    meta = ROOT / "build" / "mutate" / name / "mutants" / (TARGETS[name][0] + ".meta")
    return meta.is_file() and not json.loads(meta.read_text())["exit_code_by_key"]


def run_hand_target(name: str) -> dict[str, str]:
    """Each listed mutant applied alone to a copy of the tree; killed when the script's tests fail."""
    script, tests, mutants = HAND_TARGETS[name]
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


def summarize(statuses: dict[str, str], module: str) -> dict:
    c = Counter(statuses.values())
    survivors = sorted(m for m, s in statuses.items() if s not in ("killed", "timeout"))
    return {"mutants": len(statuses), "killed": c["killed"] + c["timeout"], "survivors": survivors,
            "source": source_digest(module)}


def source_digest(module: str) -> str:
    """The module's text, hashed: mutmut names mutants by function and position in it, so a
    recorded survivor names the same mutant only while the text is unchanged."""
    return hashlib.sha256((ROOT / module).read_bytes()).hexdigest()


def rerun_survivors(name: str, recorded: dict | None, max_children: int, open_only: bool = False) -> dict[str, str]:
    """Run only the survivors recorded for target ``name``; the mutants killed then stay killed.
    ``open_only``: not those listed as equivalent either (they stay survivors; re-running them only
    checks the listing).

    Sound while the module's text is the one recorded (the same names, the same mutants) and the
    tests only grew: a test added kills more, never fewer. Otherwise the whole target must run."""
    module = TARGETS[name][0]
    if not recorded or recorded.get("source") != source_digest(module):
        raise SystemExit(f"mutate: {name}: {module} has no recorded run of its current text; "
                         f"run the whole target: scripts/mutate.py {name}")
    rerun = [m for m in recorded["survivors"] if not (open_only and m in EQUIVALENT)]
    fresh = run_target(name, max_children, only=rerun)
    statuses = {m: fresh.get(m, "survived") if m in rerun else "survived" for m in recorded["survivors"]}
    missing = recorded["mutants"] - len(fresh)
    if missing or set(statuses) - set(fresh):
        raise SystemExit(f"mutate: {name}: the copy generated {len(fresh)} mutants, {recorded['mutants']} recorded; "
                         f"run the whole target")
    return {**{m: "killed" for m in fresh if m not in statuses}, **statuses}


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
        pct = f"{100 * r['killed'] / denom:.0f} %" if denom else "-" if r["mutants"] else "no code to mutate"
        if r.get("source") != source_digest(mod):
            pct += " (stale: the module changed since its run)"
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
    ap.add_argument("--survivors", action="store_true",
                    help="re-run only the recorded survivors (module text unchanged since its recorded run)")
    ap.add_argument("--open", action="store_true", help="with --survivors: only those not listed as equivalent")
    ap.add_argument("--table-only", action="store_true", help="rewrite docs/testing.md from the recorded results")
    args = ap.parse_args()
    targets = args.targets or os.environ.get("MUTATE", "").split() or [*TARGETS, *HAND_TARGETS]
    unknown = [t for t in targets if t not in TARGETS and t not in HAND_TARGETS]
    if unknown:
        print(f"mutate: unknown target {unknown[0]!r}: choose from {', '.join([*TARGETS, *HAND_TARGETS])}",
              file=sys.stderr)
        return 2
    results = load_results()
    if not args.table_only:
        for name in targets:
            start = time.monotonic()
            if name in HAND_TARGETS:
                module = HAND_TARGETS[name][0]
                statuses = run_hand_target(name)
            else:
                module = TARGETS[name][0]
                statuses = (rerun_survivors(name, results.get(module), args.max_children, args.open) if args.survivors else
                            run_target(name, args.max_children, args.rev, args.tests.split() if args.tests else None))
                statuses = confirm_timeouts(name, statuses)
            r = summarize(statuses, module)
            secs = time.monotonic() - start
            print(f"{module:<36} {r['killed']}/{r['mutants']} killed, {len(r['survivors'])} survived, "
                  f"{secs:.0f} s", flush=True)
            if not args.rev and not args.tests and (r["mutants"] or (name in TARGETS and generated_none(name))):
                results = load_results()  # read again: another target's run may have recorded since
                results[module] = r
                save_results(results)
    write_docs(load_results())
    return 0


if __name__ == "__main__":
    sys.exit(main())
