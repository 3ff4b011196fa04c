"""`hybrid-gpu lease renew|release`: only the lease's lines change, the rest of the file is byte for byte the same."""

from __future__ import annotations

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
