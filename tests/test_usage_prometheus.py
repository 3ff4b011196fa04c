"""`hybrid-gpu usage` against a real Prometheus (Debian's package), over a synthetic week.

The week (2026-11-22T00:00Z .. 2026-11-29T00:00Z, one scrape a minute, labels as the shipped
scrape job and dcgm-exporter set them) and every expected figure below are worked out by hand:

a10-train (4 x 1 A10, lease owner ml-platform, 23.222 CNY per instance-hour from the prod table):
  a10-train-0  pod ml-platform/train-0   util 80 %    300 W, node reboots at minute 5000
  a10-train-1  pod ml-platform/train-1   util 90 % for the first 12 h of each day, else 0
  a10-train-2  pod inference/infer-7d9f8c6b5-x2x9k   util 30 %   100 W
  a10-train-3  no pod, util 0, reports until 84 h then disappears (node gone)
  (a10-train-1 draws 100 W as well)
a100-burst (2 x 4 A100, owner llm-research, Spot limit: 72.438 CNY per instance-hour):
  a100-burst-0 four GPUs held by llm-research/pretrain-0 at 0 %, a100-burst-1 four free GPUs at 0 %

Rule evaluations every 60 s, 10080 of them in the range (start, end] (promtool, like a live server, puts
them at a fixed offset inside the minute, here :20.328; each sees the raw sample of its minute):
  busy (> 10 %)  = 168 + 84 + 168 + 0 = 420 GPU-h; paid = 4 x 168 = 672; idle = 1 - 420/672 = 37.5 %
  cost = 4 x 23.222 x 168 = 15,605.18 CNY; per busy GPU-h = 15,605.184 / 420 = 37.1552
  reporting = 3 x 168 + (5040 + 5) / 60 = 588.0833 GPU-h: a series that stops without a staleness
    marker (backfilled data) is still seen for the 5 min lookback (Prometheus docs, querying/basics,
    "Staleness"); a scraped target that vanishes gets a marker and stops at once
  energy: 300 W = 1.8e7 mJ a minute; the reboot sample is 0.9e7 (half a minute since boot):
    increase = 1.8e7 x 4999 + 0.9e7 + 1.8e7 x 5080 = 1.81431e11 mJ = 50.3975 kWh; plus 2 x 100 W x 168 h
    = 33.6 kWh: 83.9975 kWh (last - first alone would give 25.4 kWh for the rebooted GPU)
  a100-burst: paid 8 x 168 = 1344, busy 0, idle 100 %, cost 2 x 72.438 x 168 = 24,339.17, no busy hour
namespaces: ml-platform/train allocated 336, busy 252, used 0.8 x 168 + 0.9 x 84 = 210;
  inference/infer 168, 168, 50.4; llm-research/pretrain 672, 0, 0
lease of a100-burst ends 2027-03-31, 122 days after the suite's today (2026-11-29): busy share 0 < 10 %: release.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_tool
from tests.prom_server import PromServer, openmetrics

T0 = int(datetime(2026, 11, 22, tzinfo=timezone.utc).timestamp())
MIN = 10080
END = "2026-11-29T00:00:00Z"
EXE = str(Path(sys.executable).parent / "hybrid-gpu")


def _gpu(node: str, pool: str, owner: str, gpu: int, model: str, ns: str = "", pod: str = "", container: str = "") -> dict[str, str]:
    labels = {"job": "dcgm-exporter", "instance": f"{node}:9400", "pool": pool, "owner": owner, "node": node,
              "hostname": node, "gpu": str(gpu), "UUID": f"GPU-{node}-{gpu}", "modelName": model}
    if ns:
        labels.update(namespace=ns, pod=pod, container=container)
    return labels


def week() -> str:
    ts = [T0 + 60 * k for k in range(MIN + 1)]
    a10 = "NVIDIA A10"
    util = [
        (_gpu("a10-train-0", "a10-train", "ml-platform", 0, a10, "ml-platform", "train-0", "trainer"), [(t, 80) for t in ts]),
        (_gpu("a10-train-1", "a10-train", "ml-platform", 0, a10, "ml-platform", "train-1", "trainer"),
         [(t, 90 if (t - T0) % 86400 < 43200 else 0) for t in ts]),
        (_gpu("a10-train-2", "a10-train", "ml-platform", 0, a10, "inference", "infer-7d9f8c6b5-x2x9k", "server"), [(t, 30) for t in ts]),
        (_gpu("a10-train-3", "a10-train", "ml-platform", 0, a10), [(t, 0) for t in ts[:5041]]),
    ]
    for g in range(4):
        util.append((_gpu("a100-burst-0", "a100-burst", "llm-research", g, "NVIDIA A100", "llm-research", "pretrain-0", "trainer"), [(t, 0) for t in ts]))
        util.append((_gpu("a100-burst-1", "a100-burst", "llm-research", g, "NVIDIA A100"), [(t, 0) for t in ts]))
    energy = [
        (_gpu("a10-train-0", "a10-train", "ml-platform", 0, a10, "ml-platform", "train-0", "trainer"),
         [(t, 1.8e7 * k if k < 5000 else 0.9e7 + 1.8e7 * (k - 5000)) for k, t in enumerate(ts)]),
        (_gpu("a10-train-1", "a10-train", "ml-platform", 0, a10, "ml-platform", "train-1", "trainer"), [(t, 6e6 * k) for k, t in enumerate(ts)]),
        (_gpu("a10-train-2", "a10-train", "ml-platform", 0, a10, "inference", "infer-7d9f8c6b5-x2x9k", "server"), [(t, 6e6 * k) for k, t in enumerate(ts)]),
    ]
    return openmetrics({"DCGM_FI_DEV_GPU_UTIL": util, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": energy})


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    require_tool("prometheus")
    require_tool("promtool")
    root = tmp_path_factory.mktemp("prom")
    rules = root / "gpu-usage.rules.yml"
    r = run("usage", "--stack", "prod", "--rules-out", str(rules))  # the file the program ships
    assert r.returncode == 0, r.stderr
    server = PromServer(root, rules)
    server.load(week())
    server.start(with_rules=False)
    server.backfill_rules(T0, T0 + 60 * MIN)
    server.start(with_rules=True)
    yield server
    server.stop()


def usage(prom, *extra: str) -> subprocess.CompletedProcess:
    return run("usage", "--stack", "prod", "--prometheus", prom.url, "--since", "7d", "--end", END,
               "--pool", "a10-train", "--pool", "a100-burst", "--lease-days", "150", *extra)


def test_windows_count_each_sample_once(prom):
    # The raw series sits on whole minutes, so every window boundary holds a sample: a window of a
    # full hour (both ends included in Prometheus 2.x) would count 10080 + 168 samples over the week.
    from hybrid_tools.usage_cli import Prometheus, window

    api = Prometheus(prom.url)
    got = api.query_range(f'count_over_time(DCGM_FI_DEV_GPU_UTIL{{node="a10-train-0"}}[{window(3600)}])',
                          T0 + 3600, T0 + 60 * MIN, 3600)
    assert sum(float(v) for _, v in got[0]["values"]) == MIN


def test_rules_file_passes_promtool(tmp_path):
    promtool = require_tool("promtool")
    rules = tmp_path / "r.yml"
    assert run("usage", "--stack", "prod", "--rules-out", str(rules)).returncode == 0
    r = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True)
    assert r.returncode == 0 and "SUCCESS: 11 rules found" in r.stdout, r.stdout + r.stderr


def test_synthetic_week_hand_figures(prom, tmp_path):
    png = tmp_path / "usage.png"
    r = usage(prom, "--format", "json", "--png", str(png))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    pools = {p["pool"]: p for p in doc["pools"]}
    a10, a100 = pools["a10-train"], pools["a100-burst"]
    assert doc["hours"] == 168 and doc["busyThresholdPercent"] == 10 and doc["ruleIntervalSeconds"] == 60
    assert (a10["gpus"], a10["gpuHoursPaid"], a10["gpuHoursBusy"], a10["gpuHoursAllocated"]) == (4, 672, 420, 504)
    assert a10["idleShare"] == 0.375
    assert a10["gpuHoursReporting"] == pytest.approx(504 + 5045 / 60, abs=1e-4)
    assert a10["gpuHoursUsed"] == pytest.approx(260.4, abs=1e-6)
    assert a10["cost"] == 15605.18 and a10["costPerBusyGpuHour"] == 37.1552
    assert a10["energyKwh"] == pytest.approx(83.9975, abs=1e-3)
    assert (a100["gpus"], a100["gpuHoursPaid"], a100["gpuHoursBusy"], a100["gpuHoursAllocated"]) == (8, 1344, 0, 672)
    assert a100["idleShare"] == 1.0 and a100["cost"] == 24339.17 and a100["costPerBusyGpuHour"] is None
    owners = {o["owner"]: o for o in doc["owners"]}
    assert set(owners) == {"ml-platform", "llm-research"} and owners["ml-platform"]["gpuHoursBusy"] == 420
    ns = {(n["namespace"], n["workload"]): n for n in doc["namespaces"]}
    assert {k: (v["gpuHoursAllocated"], v["gpuHoursBusy"], v["gpuHoursUsed"]) for k, v in ns.items()} == {
        ("ml-platform", "train"): (336, 252, pytest.approx(210)),
        ("inference", "infer"): (168, 168, pytest.approx(50.4)),
        ("llm-research", "pretrain"): (672, 0, 0),
    }
    leases = doc["leases"]["endingSoon"]
    assert [(x["pool"], x["daysLeft"], x["recommendation"], x["newCount"]) for x in leases] == [("a100-burst", 122, "release", 0)]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_a_busy_lease_is_renewed(prom):
    r = usage(prom, "--format", "json", "--lease-days", "400")
    assert r.returncode == 0, r.stderr
    got = {x["pool"]: x["recommendation"] for x in json.loads(r.stdout)["leases"]["endingSoon"]}
    assert got == {"a10-train": "renew", "a100-burst": "release"}  # 420 / 672 = 62.5 % >= 50 %


def test_table_output(prom):
    r = usage(prom)
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("a10-train "))
    assert line.split()[2:9] == ["4", "672.00", "588.08", "420.00", "37.5%", "15,605.18", "37.16"]
    lease = r.stdout.splitlines()[-1].split()
    assert lease == ["a100-burst", "llm-research", "2027-03-31", "122", "0.0%", "release", "2", "->", "0"]


def test_unknown_pool(prom):
    r = run("usage", "--stack", "prod", "--prometheus", prom.url, "--pool", "h100-nope")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--pool h100-nope" in r.stderr and "a10-train" in r.stderr


def test_range_without_data(prom):
    r = run("usage", "--stack", "prod", "--prometheus", prom.url, "--since", "1d", "--end", "2026-10-01T00:00:00Z")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "no samples of pool_owner:hybrid_gpu_present:count" in r.stderr and "Fix:" in r.stderr


def test_a_pool_with_an_empty_range_reports_zero(prom):
    # The week's last day, but a10-train-3 vanished at 84 h: it reports nothing there, the pool still pays.
    r = run("usage", "--stack", "prod", "--prometheus", prom.url, "--since", "1d", "--end", END, "--pool", "a10-train", "--format", "json")
    assert r.returncode == 0, r.stderr
    a10 = json.loads(r.stdout)["pools"][0]
    assert (a10["gpuHoursPaid"], a10["gpuHoursReporting"], a10["gpuHoursBusy"]) == (96, 72, 24 + 12 + 24)


def test_unreachable_prometheus(tmp_path):
    from tests.prom_server import free_port

    r = run("usage", "--stack", "prod", "--prometheus", f"http://127.0.0.1:{free_port()}")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot reach Prometheus" in r.stderr


def test_prometheus_without_the_rules(tmp_path):
    require_tool("prometheus")
    server = PromServer(tmp_path)
    server.start(with_rules=False)
    try:
        r = run("usage", "--stack", "prod", "--prometheus", server.url)
    finally:
        server.stop()
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "no recording rule pool_owner:hybrid_gpu_present:count (and 6 more)" in r.stderr and "gpu-usage.rules.yml" in r.stderr


def test_lease_summary_carries_the_usage(prom, tmp_path):
    import shutil

    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(ROOT / "stacks" / "Pulumi.prod.yaml", cfg)
    r = run("lease", "renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2027-12-31",
            "--prometheus", prom.url, "--since", "7d", "--range-end", END)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1] == ("usage 2026-11-22T00:00:00Z .. 2026-11-29T00:00:00Z: busy 420.00 of 672.00 GPU-h paid "
                        "(busy share 62.5%), CNY 37.16 per busy GPU-h")
    assert lines[2].startswith("recommendation: renew (count 4 -> 4)")


def test_lease_json_carries_the_usage_as_data(prom, tmp_path):
    import shutil

    cfg = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(ROOT / "stacks" / "Pulumi.prod.yaml", cfg)
    r = run("lease", "renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2027-12-31", "--dry-run",
            "--prometheus", prom.url, "--since", "7d", "--range-end", END, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    # the module docstring: busy 420 of 672 GPU-h paid, 15,605.184 / 420 = 37.1552 CNY per busy GPU-h, 62.5 % >= 50 %: renew
    assert doc["usage"] == {"start": "2026-11-22T00:00:00Z", "end": END, "currency": "CNY", "gpuHoursPaid": 672.0,
                            "gpuHoursBusy": 420.0, "busyShare": 0.625, "costPerBusyGpuHour": 37.1552}
    rec = doc["recommendation"]
    assert (rec["action"], rec["count"], rec["newCount"]) == ("renew", 4, 4) and rec["rule"].startswith("busy share = busy / paid")
    # a100-burst: paid 8 x 168 = 1344 GPU-h, busy 0: no cost per busy hour, busy share 0 < 10 %: release 2 -> 0
    r = run("lease", "release", "a100-burst", "--stack", "prod", "--config", str(cfg), "--dry-run",
            "--prometheus", prom.url, "--since", "7d", "--range-end", END, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["usage"]["gpuHoursPaid"], doc["usage"]["gpuHoursBusy"], doc["usage"]["busyShare"], doc["usage"]["costPerBusyGpuHour"]) == (
        1344.0, 0.0, 0.0, None)
    assert (doc["recommendation"]["action"], doc["recommendation"]["count"], doc["recommendation"]["newCount"]) == ("release", 2, 0)
    r = run("lease", "release", "a100-burst", "--stack", "prod", "--config", str(cfg), "--dry-run",
            "--prometheus", prom.url, "--since", "7d", "--range-end", END, "--format", "md")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert ("Usage 2026-11-22T00:00:00Z .. 2026-11-29T00:00:00Z: busy 0.00 of 1,344.00 GPU-h paid (busy share 0.0%), "
            "CNY - per busy GPU-h.") in lines
    assert next(x for x in lines if x.startswith("Recommendation:")).startswith("Recommendation: **release** (count 2 → 0); rule: busy share")


def test_a_stack_threshold_other_than_the_loaded_rules(prom, tmp_path):
    cfg = tmp_path / "Pulumi.prod.yaml"
    cfg.write_text((ROOT / "stacks" / "Pulumi.prod.yaml").read_text().replace("busyThresholdPercent: 10", "busyThresholdPercent: 20"))
    r = run("usage", "--stack", "prod", "--config", str(cfg), "--prometheus", prom.url, "--since", "7d", "--end", END)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "busy above 10 %, the stack says metrics.busyThresholdPercent 20" in r.stderr
