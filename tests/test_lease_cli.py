"""`hybrid-gpu lease renew|release`: only the lease's lines change, the rest of the file is byte for byte the same."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

EXE = str(Path(sys.executable).parent / "hybrid-gpu")
PROD = ROOT / "stacks" / "Pulumi.prod.yaml"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, "lease", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def changed_lines(a: str, b: str) -> dict[int, tuple[str, str]]:
    la, lb = a.splitlines(), b.splitlines()
    assert len(la) == len(lb)
    return {i + 1: (x, y) for i, (x, y) in enumerate(zip(la, lb)) if x != y}


def test_renew_moves_end_and_count_only(tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD, cfg)
    r = run("renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2027-12-31", "--count", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "lease renew a10-train (cn-beijing, owner ml-platform): end 2027-06-30 -> 2027-12-31, count 4 -> 3"
    got = changed_lines(PROD.read_text(), cfg.read_text())
    # stacks/Pulumi.prod.yaml, pool a10-train: the quoted end day keeps its quotes.
    assert list(got.values()) == [('            end: "2027-06-30"', '            end: "2027-12-31"'),
                                  ("          count: 4", "          count: 3")]


def test_release_keeps_the_comment_on_its_neighbour(tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD, cfg)
    r = run("release", "a100-burst", "--stack", "prod", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    got = changed_lines(PROD.read_text(), cfg.read_text())
    assert list(got.values()) == [("          count: 2", "          count: 0")]
    assert "imageId: m-bp1hybridgpu550u2204 # team image" in cfg.read_text()


def test_dry_run_writes_nothing_and_shows_the_diff(tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD, cfg)
    r = run("renew", "t4-infer", "--stack", "prod", "--config", str(cfg), "--until", "2028-12-31", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert cfg.read_bytes() == PROD.read_bytes()
    assert '-            end: "2027-12-31"' in r.stdout and '+            end: "2028-12-31"' in r.stdout


def test_a_single_quoted_day_keeps_its_quotes(tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    cfg.write_text(PROD.read_text().replace('end: "2027-12-31"', "end: '2027-12-31'"))
    before = cfg.read_text()
    r = run("renew", "t4-infer", "--stack", "prod", "--config", str(cfg), "--until", "2028-03-31")
    assert r.returncode == 0, r.stderr
    assert list(changed_lines(before, cfg.read_text()).values()) == [("            end: '2027-12-31'", "            end: '2028-03-31'")]


def test_bad_renewal_writes_nothing(tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD, cfg)
    r = run("renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2028-01-01", "--count", "5000")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "regions[0].gpuPools[0].count" in r.stderr
    assert cfg.read_bytes() == PROD.read_bytes()


# --- --format json / md: the change as data ---------------------------------------------------

def _pm(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_json_renew_is_the_change_as_data(tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD, cfg)
    r = run("renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2027-12-31", "--count", "3", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    # stacks/Pulumi.prod.yaml, pool a10-train: region cn-beijing, owner ml-platform, end "2027-06-30", count 4
    assert {k: v for k, v in doc.items() if k != "diff"} == {
        "action": "renew", "stack": "prod", "pool": "a10-train", "region": "cn-beijing", "owner": "ml-platform",
        "end": {"old": "2027-06-30", "new": "2027-12-31"}, "count": {"old": 4, "new": 3},
        "file": str(cfg), "dryRun": False, "written": True, "usage": None, "recommendation": None}
    assert _pm(doc["diff"]) == ['-            end: "2027-06-30"', '+            end: "2027-12-31"',
                                "-          count: 4", "+          count: 3"]
    assert len(changed_lines(PROD.read_text(), cfg.read_text())) == 2  # and the file says so


def test_json_release_dry_run_of_the_stack_file(tmp_path):
    before = PROD.read_bytes()
    r = run("release", "a100-burst", "--stack", "prod", "--dry-run", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert PROD.read_bytes() == before
    # a100-burst: cn-beijing, owner llm-research, count 2; release touches no lease end
    assert (doc["region"], doc["owner"], doc["end"], doc["count"]) == ("cn-beijing", "llm-research", None, {"old": 2, "new": 0})
    assert (doc["file"], doc["dryRun"], doc["written"]) == ("stacks/Pulumi.prod.yaml", True, False)
    assert doc["diff"].splitlines()[:2] == ["--- a/stacks/Pulumi.prod.yaml", "+++ b/stacks/Pulumi.prod.yaml"]


def test_json_release_of_a_released_pool_changes_nothing(tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD, cfg)
    assert run("release", "a100-burst", "--stack", "prod", "--config", str(cfg)).returncode == 0
    after_first = cfg.read_bytes()
    r = run("release", "a100-burst", "--stack", "prod", "--config", str(cfg), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["end"], doc["count"], doc["written"], doc["diff"]) == (None, None, False, "")
    assert cfg.read_bytes() == after_first


def test_md_summary(tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD, cfg)
    r = run("renew", "t4-infer", "--stack", "prod", "--config", str(cfg), "--until", "2028-12-31", "--dry-run", "--format", "md")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("### lease renew `t4-infer` (")
    table = [line for line in lines if line.startswith("|")]
    # t4-infer: end "2027-12-31" (the dry-run test above); no --count, so only the end moves
    assert table == ["| field | old | new |", "|---|---|---|", "| `lease.end` | 2027-12-31 | 2028-12-31 |"]
    assert f"`{cfg}`: dry run, nothing written." in lines
    fence = lines.index("```diff")
    assert _pm("\n".join(lines[fence:])) == ['-            end: "2027-12-31"', '+            end: "2028-12-31"']
    assert lines[-1] == "```"
    assert cfg.read_bytes() == PROD.read_bytes()


def test_bad_renewal_in_json_leaves_stdout_empty(tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD, cfg)
    r = run("renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2020-01-01", "--format", "json")
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1
    assert cfg.read_bytes() == PROD.read_bytes()
