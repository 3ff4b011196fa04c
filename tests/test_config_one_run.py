"""All errors of a config in one run: a field error no longer hides the checks that do not read it.

Each case breaks the dev stack in two places, runs ``hybrid-gpu plan`` as a user would and
expects every problem on stderr in that one run (the lines written out by hand from the
rules they come from), exit 2 and nothing written. Before hybrid.partial, the field error
alone was printed and the other problem showed only after it was fixed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NS = "hybrid-gpu-platform:"
COUNT = ("regions[0].gpuPools[0].count: Input should be a valid integer. "
         "Fix: see the field's type and limits in docs/config.md (the stack config reference).")


def _break(doc: dict, edits) -> None:
    cfg = doc["config"]
    for path, value in edits:
        cur = cfg[NS + path[0]]
        for part in path[1:-1]:
            cur = cur[part]
        cur[path[-1]] = value


CASES = {
    # One object: the pool's count fails, and its own after-check (the GPU model of its type,
    # A10 for ecs.gn7i-c8g1.2xlarge in the known-spec table) still runs.
    "same-object": (
        [(("regions", 0, "gpuPools", 0, "count"), "one"), (("regions", 0, "gpuPools", 0, "gpuModelSeries"), "V100")],
        ["regions[0].gpuPools[0]: gpuModelSeries V100 contradicts ecs.gn7i-c8g1.2xlarge, which carries A10 GPUs. "
         "Fix: set gpuModelSeries: A10.",
         COUNT],
    ),
    # Two objects: the pool's count fails, and the platform checks that read only what validated
    # run: the VPC over the Service CIDR (172.21.0.0/20 in dev), the registration region not declared.
    "other-objects": (
        [(("regions", 0, "gpuPools", 0, "count"), "one"), (("regions", 0, "vpcCidr"), "172.21.0.0/16"),
         (("registration", "regionId"), "cn-hangzhou")],
        [COUNT,
         "regions[0].vpcCidr: 172.21.0.0/16 overlaps the cluster Service CIDR 172.21.0.0/20; cloud pods could not "
         "reach VPC addresses inside the Service CIDR. Fix: move the VPC to a block that does not contain the Service CIDR.",
         "registration.regionId: cn-hangzhou is not one of the stack's regions ['cn-beijing']. "
         "Fix: register the cluster in a region the stack declares."],
    ),
    # A check that reads a failed value says nothing: the VPC is not a CIDR, so no overlap, zone
    # planning or vSwitch verdict about it; the same object's pool error still shows.
    "reads-failed-field": (
        [(("regions", 0, "vpcCidr"), "10.40.0.0"), (("regions", 0, "gpuPools", 0, "gpuModelSeries"), "V100")],
        ["regions[0].gpuPools[0]: gpuModelSeries V100 contradicts ecs.gn7i-c8g1.2xlarge, which carries A10 GPUs. "
         "Fix: set gpuModelSeries: A10.",
         "regions[0].vpcCidr: '10.40.0.0' is not a CIDR. Fix: write it as ADDRESS/PREFIX, e.g. 10.32.0.0/16."],
    ),
    # A failed value never reaches a check as itself: the registration region that is not a region
    # id is refused once, not again by the check that looks it up among the stack's regions.
    "failed-value-not-reused": (
        [(("registration", "regionId"), "Beijing")],
        ["registration.regionId: 'Beijing' is not an Alibaba Cloud region id. "
         "Fix: use an id such as cn-beijing, cn-hangzhou or ap-southeast-1."],
    ),
}


def _expected_stderr(lines: list[str]) -> list[str]:
    # hybrid.errors.render_issues: one problem on the headline, several as a list.
    if len(lines) == 1:
        return [f"invalid stack config: {lines[0]}"]
    return [f"invalid stack config ({len(lines)} problems):", *(f"  - {line}" for line in lines)]


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_problem_in_one_run(case: str, tmp_path: Path) -> None:
    edits, expected = CASES[case]
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    _break(doc, edits)
    stack = tmp_path / "Pulumi.broken.yaml"
    stack.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", "dev", "--config", str(stack),
                          "--out", str(out), "--no-policy"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    # ConfigError sorts by field path, so the expected lines are in that order.
    assert run.stderr.splitlines() == _expected_stderr(expected)
    assert not out.exists()
