"""Elastic pools in stack config: prod's pool loads; each bad pool names its field and the fix; the CLI exits 2."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml

from hybrid.errors import ConfigError
from hybrid.model import load
from tests.conftest import PROJECT, ROOT, stack_raw


def _pool(raw):
    return raw["regions"][0]["elasticPools"][0]


def test_prod_has_one_elastic_pool_and_dev_none(prod_raw, dev_raw):
    prod, dev = load(prod_raw), load(dev_raw)
    pools = [(r.id, p.name) for r in prod.regions for p in r.elastic_pools]
    assert pools == [("cn-beijing", "a10-elastic")]
    assert not any(r.elastic_pools for r in dev.regions)
    pool = prod.region("cn-beijing").elastic_pools[0]
    # gn7i-c32g1.8xlarge, -c48g1.12xlarge, -c56g1.14xlarge: one A10 each (Alibaba's gn7i table)
    assert pool.gpus_per_node == 1


def _spot_unlimited(p):
    p["billing"] = {"onDemandPercentageAboveBase": 50}


def _mixed_gpus(p):
    p["instanceTypes"] = ["ecs.gn7i-c32g1.8xlarge", "ecs.gn7i-c32g1.16xlarge"]  # 1 vs 2 A10


def _preload_off_disk(p):
    p["preload"][0]["target"] = "/mnt/elsewhere"


def _wrong_region(raw):
    pool = raw["regions"][0].pop("elasticPools")[0]
    raw["regions"][1]["elasticPools"] = [{**pool, "zones": ["cn-hangzhou-h"]}]


BAD = [
    ("max-not-above-min", lambda p: p.update(minSize=4, maxSize=4), "regions[0].elasticPools[0].maxSize", "not above minSize"),
    ("spot-without-limit", _spot_unlimited, "regions[0].elasticPools[0].billing", "spotPriceLimit"),
    ("mixed-gpu-counts", _mixed_gpus, "regions[0].elasticPools[0].instanceTypes", "GPU count"),
    ("cpu-type", lambda p: p.update(instanceTypes=["ecs.g7.xlarge"]), "regions[0].elasticPools[0].instanceTypes", "not a GPU"),
    ("label-grammar", lambda p: p["labels"].update({"team": "a b"}), "regions[0].elasticPools[0].labels.team", "label/taint value"),
    ("label-noderestriction", lambda p: p["labels"].update({"node-role.kubernetes.io/gpu": ""}), "regions[0].elasticPools[0].labels", "NodeRestriction"),
    ("zone-without-vswitch", lambda p: p.update(zones=["cn-beijing-k"]), "regions[0].elasticPools[0].zones[0]", "no node vSwitch"),
    ("rate-above-smallest-bandwidth", lambda p: p["rateLimits"].update(ingressMbit=17000), "regions[0].elasticPools[0].rateLimits", "16000"),
    ("preload-off-disk", _preload_off_disk, "regions[0].elasticPools[0]", "outside the data disk"),
    ("snapshot-id", lambda p: p["dataDisk"].update(snapshotId="snap-1"), "regions[0].elasticPools[0].dataDisk.snapshotId", "pattern"),
]


@pytest.mark.parametrize("case,edit,field,word", BAD, ids=[b[0] for b in BAD])
def test_bad_pool_names_field_and_fix(prod_raw, case, edit, field, word):
    edit(_pool(prod_raw))
    with pytest.raises(ConfigError) as info:
        load(prod_raw)
    match = [i for i in info.value.issues if i.path == field]
    assert match, f"{case}: no error at {field}: {info.value.render()}"
    assert any(word in i.message for i in match), info.value.render()
    assert all(i.fix for i in info.value.issues)


def test_pool_outside_the_registration_region(prod_raw):
    _wrong_region(prod_raw)
    prod_raw.pop("jobs")  # a job names the moved pool's tier: one more issue, tests/test_jobs.py
    with pytest.raises(ConfigError) as info:
        load(prod_raw)
    assert [i.path for i in info.value.issues] == ["regions[1].elasticPools"]
    assert "registration region cn-beijing" in info.value.issues[0].message


def test_name_shared_with_a_fixed_pool(prod_raw):
    _pool(prod_raw)["name"] = "a10-train"
    with pytest.raises(ConfigError) as info:
        load(prod_raw)
    assert "regions[0].elasticPools[0].name" in [i.path for i in info.value.issues]


def test_cli_exits_2_and_writes_nothing(tmp_path):
    raw = copy.deepcopy(stack_raw("prod"))
    _pool(raw).update(minSize=5, maxSize=2)
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text(yaml.safe_dump({"config": {f"{PROJECT}:{k}": v for k, v in raw.items()}}))
    out_dir = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", "bad", "--config", str(stack), "--out", str(out_dir)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "regions[0].elasticPools[0].maxSize" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out_dir.exists()
