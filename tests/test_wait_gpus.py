"""`hybrid-gpu wait-gpus` against a fake apiserver on 127.0.0.1 serving /api/v1/nodes."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from hybrid.gpu_nodes import expected_nodes
from hybrid.model import load
from hybrid_tools import wait_gpus
from hybrid_tools.cli import main

TOKEN = "test-token-123"


def node(name, ready="True", gpus=None):
    status = {"conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady" if ready == "True" else "KubeletNotReady"}],
              "allocatable": {"cpu": "8", "memory": "30Gi"}}
    if gpus is not None:
        status["allocatable"]["nvidia.com/gpu"] = str(gpus)
    return {"metadata": {"name": name}, "status": status}


class FakeApi:
    """Serves a NodeList that tests change between polls; rejects requests without the token."""

    def __init__(self):
        self.items: list = []
        self.requests = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                api.requests += 1
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    return
                if self.path != "/api/v1/nodes":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.dumps({"kind": "NodeList", "apiVersion": "v1", "items": api.items}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    a = FakeApi()
    yield a
    a.close()


@pytest.fixture
def kubeconfig(tmp_path, api):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "idc",
        "clusters": [{"name": "idc", "cluster": {"server": api.url}}],
        "users": [{"name": "admin", "user": {"token": TOKEN}}],
        "contexts": [{"name": "idc", "context": {"cluster": "idc", "user": "admin"}}],
    }))
    return str(path)


def test_expected_nodes_of_dev_are_the_instance_host_names(dev_raw):
    # dev: one a10-dev instance in cn-beijing-g, ecs.gn7i-c8g1.2xlarge has 1 GPU
    assert [(e.pool, e.name, e.gpus) for e in expected_nodes(load(dev_raw))] == [("cn-beijing/a10-dev", "a10-dev-cn-beijing-g-0", 1)]


def test_all_ready_with_gpus_exits_0(api, kubeconfig, capsys):
    api.items = [node("a10-dev-cn-beijing-g-0", gpus=1), node("idc-node-1", gpus=8)]
    assert main(["wait-gpus", "--stack", "dev", "--kubeconfig", kubeconfig, "--timeout", "5", "--interval", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "ok        a10-dev-cn-beijing-g-0  cn-beijing/a10-dev: Ready, nvidia.com/gpu 1" in out
    assert "all 1 node(s) Ready" in out


def test_timeout_names_missing_not_ready_and_gpu_less_nodes(api, kubeconfig, capsys):
    # prod a10-train: 4 nodes of 1 GPU; a100-burst: 2 nodes of 4 GPUs (hand-counted from stacks/Pulumi.prod.yaml)
    api.items = [
        node("a10-train-cn-beijing-g-0", gpus=1),
        node("a10-train-cn-beijing-h-0", ready="False", gpus=1),
        node("a10-train-cn-beijing-g-1"),                 # joined, no device plugin yet
        node("a100-burst-cn-beijing-i-0", gpus=2),        # fewer GPUs than the type has
    ]
    rc = main(["wait-gpus", "--stack", "prod", "--kubeconfig", kubeconfig, "--pool", "cn-beijing/a10-train",
               "--pool", "cn-beijing/a100-burst", "--timeout", "0.5", "--interval", "0.1"])
    out = capsys.readouterr().out
    print(out)
    assert rc == 1
    lines = {line.split()[1]: line.split()[0] for line in out.splitlines() if not line.startswith("wait-gpus")}
    assert lines == {
        "a10-train-cn-beijing-g-0": "ok",
        "a10-train-cn-beijing-h-0": "not-ready",
        "a10-train-cn-beijing-g-1": "no-gpus",
        "a10-train-cn-beijing-h-1": "missing",
        "a100-burst-cn-beijing-i-0": "no-gpus",
        "a100-burst-cn-beijing-i-1": "missing",
    }
    assert "nvidia.com/gpu allocatable 2, expected 4" in out
    assert "timed out after 0.5s: 5 of 6 node(s) not serving GPUs" in out
    assert api.requests >= 2  # it polled


def test_nodes_that_come_up_while_waiting(api, kubeconfig, dev_raw):
    api.items = []
    calls = []

    def fetch():
        calls.append(1)
        if len(calls) == 3:
            api.items = [node("a10-dev-cn-beijing-g-0", gpus=1)]
        return wait_gpus.Client(kubeconfig).get("/api/v1/nodes")

    out, progress = io.StringIO(), io.StringIO()
    assert wait_gpus.wait(expected_nodes(load(dev_raw)), fetch, 10, 0.05, out=out, progress=progress) == 0
    assert len(calls) == 3  # two polls with nothing, the third sees the node
    # Progress while waiting: one line for the first state; the second poll, unchanged and within the
    # minute, says nothing new.
    lines = progress.getvalue().splitlines()
    assert len(lines) == 1 and "0 of 1 node(s) serving GPUs; waiting for a10-dev-cn-beijing-g-0 (missing)" in lines[0]


def test_progress_heartbeat_when_nothing_changes(dev_raw):
    # A hand-driven clock: polls every 10 s, nothing ever registers; a line at 0 s, then one a minute.
    t = [0.0]
    progress = io.StringIO()
    rc = wait_gpus.wait(expected_nodes(load(dev_raw)), lambda: {"items": []}, 150, 10, out=io.StringIO(),
                        clock=lambda: t[0], sleep=lambda s: t.__setitem__(0, t[0] + s), progress=progress)
    assert rc == 1
    assert [line.split(":")[1].strip() for line in progress.getvalue().splitlines()] == ["0s", "60s", "120s"]


def test_unauthorized_is_reported(api, kubeconfig, tmp_path, capsys):
    bad = tmp_path / "bad"
    doc = yaml.safe_load(open(kubeconfig))
    doc["users"][0]["user"]["token"] = "wrong"
    bad.write_text(yaml.safe_dump(doc))
    assert main(["wait-gpus", "--stack", "dev", "--kubeconfig", str(bad), "--timeout", "0.2", "--interval", "0.1"]) == 1
    assert "401" in capsys.readouterr().out


def test_bad_inputs_exit_2(kubeconfig, tmp_path, capsys):
    assert main(["wait-gpus", "--stack", "dev", "--kubeconfig", kubeconfig, "--pool", "cn-beijing/nope"]) == 2
    assert "not a pool of stack dev" in capsys.readouterr().err
    assert main(["wait-gpus", "--stack", "dev", "--kubeconfig", str(tmp_path / "none")]) == 2
    exec_cfg = tmp_path / "exec"
    doc = yaml.safe_load(open(kubeconfig))
    doc["users"][0]["user"] = {"exec": {"command": "aliyun"}}
    exec_cfg.write_text(yaml.safe_dump(doc))
    assert main(["wait-gpus", "--stack", "dev", "--kubeconfig", str(exec_cfg)]) == 2


def test_nodes_named_after_their_instance_are_found_by_their_host_label(dev_raw):
    # hybrid-join names the Node <region>.<instance-id> and labels it with the slot's host name
    expected = expected_nodes(load(dev_raw))
    n = node("cn-beijing.i-2zeabcdef0123456789", gpus=expected[0].gpus)
    n["metadata"]["labels"] = {"hybrid.example.com/host": expected[0].name}
    states = wait_gpus.evaluate(expected, {"items": [n]})
    assert [s.status for s in states] == ["ok"]


# --- --format json / md: the same outcome as data -------------------------------------------

def _prod_mix(api):
    # prod a10-train: 4 nodes of 1 GPU in zones g, h (slots g-0, h-0, g-1, h-1); a100-burst: 2 nodes of
    # 4 GPUs in zone i (i-0, i-1): hand-counted from stacks/Pulumi.prod.yaml, as in the timeout test.
    ok = node("cn-beijing.i-2zeaaaa0000000001", gpus=1)
    ok["metadata"]["labels"] = {"hybrid.example.com/host": "a10-train-cn-beijing-g-0"}
    api.items = [
        ok,
        node("a10-train-cn-beijing-h-0", ready="False", gpus=1),
        node("a10-train-cn-beijing-g-1"),
        node("a100-burst-cn-beijing-i-0", gpus=2),
    ]
    return ["wait-gpus", "--stack", "prod", "--pool", "cn-beijing/a10-train", "--pool", "cn-beijing/a100-burst",
            "--timeout", "0.5", "--interval", "0.1"]


def test_json_is_every_node_as_data(api, kubeconfig, capsys):
    rc = main([*_prod_mix(api), "--kubeconfig", kubeconfig, "--format", "json"])
    cap = capsys.readouterr()
    doc = json.loads(cap.out)  # stdout is the document alone
    assert rc == 1
    nodes = {n["name"]: (n["state"], n["pool"], n["node"], n["ready"], n["gpusAllocatable"], n["gpusExpected"]) for n in doc["nodes"]}
    assert nodes == {
        "a10-train-cn-beijing-g-0": ("ok", "cn-beijing/a10-train", "cn-beijing.i-2zeaaaa0000000001", "True", 1, 1),
        "a10-train-cn-beijing-h-0": ("not-ready", "cn-beijing/a10-train", "a10-train-cn-beijing-h-0", "False", 1, 1),
        "a10-train-cn-beijing-g-1": ("no-gpus", "cn-beijing/a10-train", "a10-train-cn-beijing-g-1", "True", 0, 1),
        "a10-train-cn-beijing-h-1": ("missing", "cn-beijing/a10-train", None, None, None, 1),
        "a100-burst-cn-beijing-i-0": ("no-gpus", "cn-beijing/a100-burst", "a100-burst-cn-beijing-i-0", "True", 2, 4),
        "a100-burst-cn-beijing-i-1": ("missing", "cn-beijing/a100-burst", None, None, None, 4),
    }
    assert [n["name"] for n in doc["nodes"]][:2] == ["a10-train-cn-beijing-g-0", "a10-train-cn-beijing-h-0"]  # slot order
    assert {k: doc[k] for k in ("stack", "result", "exitCode", "timeoutSeconds", "expected", "serving", "apiserverError")} == {
        "stack": "prod", "result": "timed-out", "exitCode": 1, "timeoutSeconds": 0.5, "expected": 6, "serving": 1,
        "apiserverError": None}
    assert doc["elapsedSeconds"] >= 0.5
    assert next(n for n in doc["nodes"] if n["name"] == "a10-train-cn-beijing-h-0")["reason"] == "KubeletNotReady"
    assert "wait-gpus: 0s: 1 of 6 node(s) serving GPUs" in cap.err  # progress stays on stderr


def test_json_when_all_serve(api, kubeconfig, capsys):
    api.items = [node("a10-dev-cn-beijing-g-0", gpus=1)]
    assert main(["wait-gpus", "--stack", "dev", "--kubeconfig", kubeconfig, "--timeout", "5", "--interval", "0.1", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["result"], doc["exitCode"], doc["expected"], doc["serving"]) == ("serving", 0, 1, 1)
    assert doc["nodes"] == [{"name": "a10-dev-cn-beijing-g-0", "pool": "cn-beijing/a10-dev", "state": "ok",
                             "node": "a10-dev-cn-beijing-g-0", "ready": "True", "reason": "KubeletReady",
                             "gpusExpected": 1, "gpusAllocatable": 1, "detail": "Ready, nvidia.com/gpu 1"}]


def test_json_when_the_apiserver_never_answers(api, kubeconfig, tmp_path, capsys):
    bad = tmp_path / "bad"
    doc = yaml.safe_load(open(kubeconfig))
    doc["users"][0]["user"]["token"] = "wrong"
    bad.write_text(yaml.safe_dump(doc))
    assert main(["wait-gpus", "--stack", "dev", "--kubeconfig", str(bad), "--timeout", "0.2", "--interval", "0.1", "--format", "json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["result"] == "timed-out" and got["serving"] == 0 and "401" in got["apiserverError"]
    # nothing is known of the node: its state says so rather than "missing"
    assert [(n["name"], n["state"], n["gpusAllocatable"]) for n in got["nodes"]] == [("a10-dev-cn-beijing-g-0", "unknown", None)]


def _md_rows(text: str) -> list[list[str]]:
    import re

    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", r)[1:-1]] for r in rows]


def test_md_is_a_table_of_the_nodes(api, kubeconfig, capsys):
    argv = _prod_mix(api)
    api.items[1]["status"]["conditions"][0]["reason"] = "NetworkUnavailable|PLEG"  # a | must stay inside its cell
    assert main([*argv, "--kubeconfig", kubeconfig, "--format", "md"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "### wait-gpus: stack `prod`"
    assert "timed out after 0.5s: 5 of 6 node(s) not serving GPUs** (exit 1)" in out
    rows = _md_rows(out)
    assert rows[0] == ["node", "state", "pool", "Ready", "nvidia.com/gpu allocatable", "expected", "detail"]
    assert rows[1] == ["---", "---", "---", "---", "---:", "---:", "---"]
    body = {r[0]: r[1:6] for r in rows[2:]}
    assert all(len(r) == 7 for r in rows)
    assert body == {
        "`a10-train-cn-beijing-g-0`": ["ok", "cn-beijing/a10-train", "True", "1", "1"],
        "`a10-train-cn-beijing-h-0`": ["not-ready", "cn-beijing/a10-train", "False", "1", "1"],
        "`a10-train-cn-beijing-g-1`": ["no-gpus", "cn-beijing/a10-train", "True", "0", "1"],
        "`a10-train-cn-beijing-h-1`": ["missing", "cn-beijing/a10-train", "-", "-", "1"],
        "`a100-burst-cn-beijing-i-0`": ["no-gpus", "cn-beijing/a100-burst", "True", "2", "4"],
        "`a100-burst-cn-beijing-i-1`": ["missing", "cn-beijing/a100-burst", "-", "-", "4"],
    }
    assert rows[3][6] == "Ready is False (NetworkUnavailable|PLEG)"


def test_bad_input_in_json_leaves_stdout_empty(kubeconfig, capsys):
    assert main(["wait-gpus", "--stack", "dev", "--kubeconfig", kubeconfig, "--pool", "cn-beijing/nope", "--format", "json"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.count("\n") == 1 and "not a pool of stack dev" in cap.err
