"""``hybrid-gpu placement``: the JSON contract, and bad input exits 2 naming the field."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from hybrid_tools.cli import main

GOOD = {
    "replicas": 12, "strategy": "static",
    "request": {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": 1},
    "clusters": [
        {"name": "idc-1", "tier": 0, "weight": 3, "available_replicas": 10,
         "allocatable": {"pods": 110, "cpu": "64", "memory": "512Gi", "nvidia.com/gpu": 8},
         "allocated": {"nvidia.com/gpu": 2}, "allocating": {"pods": 5},
         "nodes": [{"allocatable": {"pods": 110, "cpu": "32", "memory": "256Gi", "nvidia.com/gpu": 4}, "allocated": {"nvidia.com/gpu": 3}},
                   {"allocatable": {"pods": 110, "cpu": "32", "memory": "256Gi", "nvidia.com/gpu": 4}}]},
        {"name": "cn-hangzhou", "tier": 1, "available_replicas": 20},
        {"name": "cn-beijing", "tier": 1, "weight": 2, "allocatable": {"pods": 110, "cpu": "64", "memory": "512Gi", "nvidia.com/gpu": 8}},
    ],
    "previous": {"idc-1": 3}, "tie_key": "",
}


def run(payload, capsys, monkeypatch):
    text = payload if isinstance(payload, str) else json.dumps(payload)
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    rc = main(["placement", "--input", "-"])
    out, err = capsys.readouterr()
    return rc, out, err


def test_contract_output(capsys, monkeypatch):
    rc, out, err = run(GOOD, capsys, monkeypatch)
    assert rc == 0, err
    doc = json.loads(out)
    assert set(doc) == {"assignments", "unplaced", "capacity"}
    # nodes win over aggregate and available_replicas: 1 + 4 free GPUs.
    assert doc["capacity"] == {"cn-beijing": 8, "cn-hangzhou": 20, "idc-1": 5}
    # idc keeps 3 and fills its 5 (tier 0 first); tier 1 splits the last 4 at 2:1.
    assert doc["assignments"] == {"cn-beijing": 3, "cn-hangzhou": 1, "idc-1": 8}
    assert doc["unplaced"] == 0


def test_defaults_tier_0_weight_1(capsys, monkeypatch):
    rc, out, _ = run({"replicas": 3, "strategy": "static", "clusters": [{"name": "a", "available_replicas": 9}, {"name": "b", "available_replicas": 9}]}, capsys, monkeypatch)
    assert rc == 0 and json.loads(out)["assignments"] == {"a": 2, "b": 1}


def test_bad_input_names_fields_and_exits_2(capsys, monkeypatch):
    bad = {"replicas": -1, "strategy": "spread", "request": {"cpu": "5x"},
           "clusters": [{"name": "a", "tir": 1, "available_replicas": 1}, {"name": "b"}]}
    rc, out, err = run(bad, capsys, monkeypatch)
    assert rc == 2 and out == ""
    for path in ("replicas:", "strategy:", "request.cpu:", "clusters[0].tir:", "clusters[1]:"):
        assert path in err, err
    assert "Traceback" not in err


def test_duplicate_cluster_and_unbounded_capacity(capsys, monkeypatch):
    dup = {"replicas": 1, "clusters": [{"name": "a", "available_replicas": 1}, {"name": "a", "available_replicas": 1}]}
    rc, _, err = run(dup, capsys, monkeypatch)
    assert rc == 2 and "listed twice" in err
    unbounded = {"replicas": 1, "clusters": [{"name": "a", "allocatable": {"cpu": "4"}}]}
    rc, _, err = run(unbounded, capsys, monkeypatch)
    assert rc == 2 and "clusters[0]" in err and "unbounded" in err


def test_pending_beyond_previous_is_refused_as_the_stack_model_refuses_it(capsys, monkeypatch):
    """Same rule as placement.workloads[].pending in the stack (tests/test_placement_platform.py)."""
    bad = {"replicas": 2, "clusters": [{"name": "a", "availableReplicas": 3}], "previous": {"a": 1}, "pending": {"a": 3}}
    rc, out, err = run(bad, capsys, monkeypatch)
    assert rc == 2 and out == "" and "pending[a] = 3 is more than previous[a] = 1" in err and "Traceback" not in err
    bad["pending"] = {"b": 1}  # pending on a cluster that runs nothing
    rc, _, err = run(bad, capsys, monkeypatch)
    assert rc == 2 and "pending[b] = 1 is more than previous[b] = 0" in err


def test_not_json_and_missing_file(capsys, monkeypatch):
    rc, _, err = run("{", capsys, monkeypatch)
    assert rc == 2 and "not JSON" in err
    assert main(["placement", "--input", "/nonexistent/in.json"]) == 2


def test_console_script_end_to_end(tmp_path):
    f = tmp_path / "in.json"
    f.write_text(json.dumps(GOOD))
    cmd = [sys.executable, "-c", "import sys; from hybrid_tools.cli import main; sys.exit(main())", "placement", "--input", str(f)]
    a = subprocess.run(cmd, capture_output=True, text=True)
    b = subprocess.run(cmd, capture_output=True, text=True)
    assert a.returncode == 0 and a.stdout == b.stdout  # byte-for-byte deterministic


def test_camel_case_input_as_in_the_stack_config_and_snake_case_alias(capsys, monkeypatch):
    camel = {"replicas": 4, "strategy": "static", "tieKey": "ns/w",
             "clusters": [{"name": "a", "availableReplicas": 1}, {"name": "b", "available_replicas": 9}]}
    rc, out, _ = run(camel, capsys, monkeypatch)
    # a holds 1; the other 3 go to b.
    assert rc == 0 and json.loads(out)["assignments"] == {"a": 1, "b": 3}
    rc, _, err = run({"replicas": 1, "clusters": [{"name": "a", "availableReplicas": -1}]}, capsys, monkeypatch)
    assert rc == 2 and "clusters[0].availableReplicas" in err


def test_the_documented_example_gives_the_documented_output(capsys, monkeypatch):
    doc = (Path(__file__).resolve().parents[1] / "docs" / "placement.md").read_text().split("## CLI\n", 1)[1]
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    expected = doc.split("```text\n", 1)[1].split("```", 1)[0]
    rc, out, _ = run(json.loads(example), capsys, monkeypatch)
    assert rc == 0 and json.loads(out) == json.loads(expected)
    assert "availableReplicas" in example and "tieKey" in example  # the camelCase spelling is what the doc shows
