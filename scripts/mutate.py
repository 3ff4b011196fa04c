"""Mutation testing (mutmut) over a bounded set of modules, each with its fast targeted tests.

``python scripts/mutate.py [TARGET ...]`` (``make mutate``) copies the tracked tree into
build/mutate/<target>/, adds a [tool.mutmut] section for that one module there (mutmut
reads a single config from the working directory, so per-module test selection needs
one directory per target), runs ``mutmut run`` and prints the score per target and per
package. Nothing in the checkout is changed. Survivors: ``cd build/mutate/<target> &&
../../../.venv/bin/mutmut results`` and ``mutmut show <name>``.

The score counts every mutant: killed (or timed out) / all generated. A mutant no test
reaches counts as surviving. The figures are recorded in docs/architecture.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = Path(sys.executable).with_name("mutmut")

# module -> the tests that exercise it quickly (no subprocess plan, no scanners).
TARGETS: dict[str, tuple[str, list[str]]] = {
    "placement_platform": ("hybrid/placement_platform.py", ["tests/test_placement_platform.py"]),
    "cidr": ("hybrid/cidr.py", ["tests/test_cidr.py"]),
    "registered_cluster": ("components/registered_cluster.py", ["tests/test_registered_cluster.py", "-k", "not plan"]),
    "gpu_artifacts": ("hybrid_tools/gpu_artifacts.py", ["tests/test_gpu_artifacts.py"]),
    "artifacts": ("hybrid_tools/artifacts.py", ["tests/test_gpu_artifacts.py"]),
}
BAD = {"survived", "no tests", "suspicious", "skipped", "segfault", "not checked"}


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


def run_target(name: str, max_children: int, rev: str | None = None, tests: list[str] | None = None) -> Counter:
    module, default_tests = TARGETS[name]
    tests = tests or default_tests
    work = ROOT / "build" / "mutate" / (name + (f"@{rev}" if rev else ""))
    if work.exists():
        shutil.rmtree(work)
    _copy_tree(work, rev)
    selection = json.dumps(tests)
    with open(work / "pyproject.toml", "a") as f:
        f.write(f"""
[tool.mutmut]
source_paths = ["hybrid", "components", "hybrid_tools"]
only_mutate = [{json.dumps(module)}]
also_copy = ["stacks", "policy", "Pulumi.yaml", "__main__.py", "docs", "scripts"]
pytest_add_cli_args_test_selection = {selection}
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-W", "ignore"]
""")
    subprocess.run([str(MUTMUT), "run", "--max-children", str(max_children)], cwd=work,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, capture_output=True, text=True).stdout
    counts: Counter = Counter()
    for line in out.splitlines():
        if ":" in line:
            status = line.rsplit(":", 1)[1].strip()
            counts[status] += 1
    return counts


def score(c: Counter) -> str:
    total = sum(c.values())
    killed = c["killed"] + c["timeout"]
    return f"{killed}/{total} killed ({100 * killed / total:.0f} %)" if total else "no mutants"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*", default=list(TARGETS))
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument("--rev", help="mutate the tree of this git revision instead of the working tree")
    ap.add_argument("--tests", help="pytest arguments selecting the tests, instead of the target's (space-separated)")
    args = ap.parse_args()
    per_package: dict[str, Counter] = {}
    for name in args.targets:
        c = run_target(name, args.max_children, args.rev, args.tests.split() if args.tests else None)
        pkg = TARGETS[name][0].split("/")[0]
        per_package.setdefault(pkg, Counter()).update(c)
        print(f"{TARGETS[name][0]:<36} {score(c):<24} {dict(sorted(c.items()))}", flush=True)
    for pkg, c in sorted(per_package.items()):
        print(f"package {pkg:<28} {score(c)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
