"""hybrid_tools/wait_gpus.py in-process: the kubeconfig reader, the Node evaluation, the poll loop on a
hand-driven clock, and the three renderings.

Expectations are hand-worked: a Node is serving when its Ready condition's status is "True" and
status.allocatable["nvidia.com/gpu"] covers the instance type's GPUs (Kubernetes API reference,
NodeStatus; NVIDIA device plugin resource name); kubeconfig fields as kubectl writes them
(kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/). No network: the
one request is answered by a stand-in for urlopen.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import io
import json
import os
import ssl
import stat

import pytest
import yaml

from hybrid.gpu_nodes import ExpectedNode
from hybrid_tools import wait_gpus as w

A, B = ExpectedNode("r/p", "a", 1), ExpectedNode("r/q", "b", 4)


def _node(name, ready="True", gpus=None, reason="KubeletReady", host=None):
    status = {"conditions": [{"type": "MemoryPressure", "status": "False"}]}
    if ready is not None:
        status["conditions"].append({"type": "Ready", "status": ready, "reason": reason})
    if gpus is not None:
        status["allocatable"] = {"nvidia.com/gpu": gpus}
    meta = {"name": name, **({"labels": {"hybrid.example.com/host": host}} if host else {})}
    return {"metadata": meta, "status": status}


# -- evaluate ------------------------------------------------------------------------------

def test_each_state_with_its_detail():
    nodes = {"items": [_node("a", gpus="1"), _node("b", gpus="2")]}
    assert [(s.name, s.status, s.detail) for s in w.evaluate([A, B], nodes)] == [
        ("a", "ok", "Ready, nvidia.com/gpu 1"),
        ("b", "no-gpus", "nvidia.com/gpu allocatable 2, expected 4 (driver, container runtime or device plugin not up)")]
    [s] = w.evaluate([B], {"items": [_node("b", gpus="4")]})
    assert (s.status, s.gpus_allocatable, s.gpus_expected, s.pool, s.node, s.ready, s.reason) == \
        ("ok", 4, 4, "r/q", "b", "True", "KubeletReady")
    [s] = w.evaluate([B], {"items": [_node("b", gpus="5")]})
    assert s.status == "ok" and s.detail == "Ready, nvidia.com/gpu 5"


def test_not_ready_names_the_condition_or_its_absence():
    [s] = w.evaluate([A], {"items": [_node("a", ready="Unknown", gpus="1", reason="NodeStatusUnknown")]})
    assert (s.status, s.detail, s.ready, s.reason) == ("not-ready", "Ready is Unknown (NodeStatusUnknown)", "Unknown",
                                                       "NodeStatusUnknown")
    [s] = w.evaluate([A], {"items": [_node("a", ready="False", gpus="1", reason=None)]})
    assert s.detail == "Ready is False (no Ready condition)"
    [s] = w.evaluate([A], {"items": [_node("a", ready=None, gpus="1")]})
    assert (s.status, s.detail, s.ready, s.reason) == ("not-ready", "Ready is absent (no Ready condition)", None, None)
    [s] = w.evaluate([A], {"items": [{"metadata": {"name": "a"}}]})
    assert (s.status, s.gpus_allocatable) == ("not-ready", 0)


def test_missing_nodes_and_unreadable_quantities():
    [s] = w.evaluate([A], {"items": [_node("z", gpus="1")]})
    assert s == w.NodeState("a", "missing", "no node of this name has registered", "r/p", gpus_expected=1)
    assert w.evaluate([A], {}) == [s]
    # a quantity that is not a whole number counts as none
    [s] = w.evaluate([A], {"items": [_node("a", gpus="1k")]})
    assert (s.status, s.gpus_allocatable) == ("no-gpus", 0)
    [s] = w.evaluate([A], {"items": [_node("a")]})
    assert (s.status, s.gpus_allocatable) == ("no-gpus", 0)
    [s] = w.evaluate([A], {"items": [_node("a", gpus=1)]})
    assert (s.status, s.gpus_allocatable) == ("ok", 1)


def test_the_host_label_finds_a_node_named_after_its_instance():
    n = _node("cn-beijing.i-1", gpus="1", host="a")
    [s] = w.evaluate([A], {"items": [n]})
    assert (s.status, s.node) == ("ok", "cn-beijing.i-1")
    # the label wins over a Node of the slot's name; the first of two same-named Nodes counts
    stale = _node("a", ready="False", gpus="1")
    assert w.evaluate([A], {"items": [stale, n]})[0].node == "cn-beijing.i-1"
    assert w.evaluate([A], {"items": [_node("a", gpus="1"), _node("a", ready="False")]})[0].status == "ok"
    labelled_other = _node("x", gpus="1")
    labelled_other["metadata"]["labels"] = {"other": "a"}
    assert w.evaluate([A], {"items": [labelled_other]})[0].status == "missing"
    nolabels = {"metadata": {"name": "a", "labels": None}, "status": _node("a", gpus="1")["status"]}
    assert w.evaluate([A], {"items": [nolabels]})[0].status == "ok"
    assert w.evaluate([A], {"items": [{"status": {}}]})[0].status == "missing"


def test_doc_names_every_field():
    s = w.NodeState("a", "ok", "d", "r/p", "n", "True", "KubeletReady", 1, 1)
    assert s.doc() == {"name": "a", "pool": "r/p", "state": "ok", "node": "n", "ready": "True", "reason": "KubeletReady",
                       "gpusExpected": 1, "gpusAllocatable": 1, "detail": "d"}


# -- the kubeconfig ------------------------------------------------------------------------------

def _kubeconfig(tmp_path, server="http://127.0.0.1:1/", user=None, cluster_extra=None, **top):
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "idc",
           "clusters": [{"name": "idc", "cluster": {"server": server, **(cluster_extra or {})}}],
           "users": [{"name": "admin", "user": user if user is not None else {"token": "t0k"}}],
           "contexts": [{"name": "idc", "context": {"cluster": "idc", "user": "admin"}}], **top}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def _refused(path):
    with pytest.raises(w.KubeconfigError) as err:
        w.Client(path)
    return str(err.value)


def test_a_token_user_over_http(tmp_path):
    c = w.Client(_kubeconfig(tmp_path))
    assert c.server == "http://127.0.0.1:1" and c.context is None
    assert c.headers == {"Accept": "application/json", "Authorization": "Bearer t0k"}


def test_a_user_without_a_token_sends_no_authorization(tmp_path):
    c = w.Client(_kubeconfig(tmp_path, user={}))
    assert c.headers == {"Accept": "application/json"}
    doc = yaml.safe_load(open(_kubeconfig(tmp_path)))
    doc["users"] = []  # the context's user is not listed: no credentials
    (tmp_path / "k2").write_text(yaml.safe_dump(doc))
    assert w.Client(str(tmp_path / "k2")).headers == {"Accept": "application/json"}


def test_files_that_cannot_be_read_are_named(tmp_path):
    where = f"--kubeconfig {tmp_path / 'none'}"
    assert _refused(str(tmp_path / "none")) == (f"{where}: cannot be read: No such file or directory. "
                                                "Fix: pass a readable kubeconfig file.")
    (tmp_path / "latin1").write_bytes(b"a: \xfe\n")
    assert _refused(str(tmp_path / "latin1")) == (f"--kubeconfig {tmp_path / 'latin1'}: is not UTF-8 (byte 0xfe at offset 3). "
                                                  "Fix: save it as UTF-8.")
    (tmp_path / "bad.yaml").write_text("a: 1\nb: [1\nc: 2\n")
    msg = _refused(str(tmp_path / "bad.yaml"))
    assert msg.startswith(f"--kubeconfig {tmp_path / 'bad.yaml'}: is not valid YAML (line ")
    assert msg.endswith(". Fix: pass a kubeconfig file.") and "\n" not in msg and "  " not in msg
    (tmp_path / "tab.yaml").write_text("a:\n\t- b\n")
    assert "is not valid YAML (line 2): " in _refused(str(tmp_path / "tab.yaml"))


def test_contexts_clusters_and_users_are_resolved_by_name(tmp_path):
    path = tmp_path / "k"
    where = f"--kubeconfig {path}"
    path.write_text("- a\n")
    assert _refused(str(path)) == (f"{where}: no current-context. Fix: kubectl config use-context <context> "
                                   "(or pass another kubeconfig).")
    path.write_text(yaml.safe_dump({"current-context": ""}))
    assert "no current-context" in _refused(str(path))
    path.write_text(yaml.safe_dump({"current-context": "x", "contexts": [{"name": "idc", "context": {}}]}))
    assert _refused(str(path)) == f"{where}: current-context 'x' is not in contexts. Fix: kubectl config use-context <context>."
    path.write_text(yaml.safe_dump({"current-context": "x", "contexts": {"x": {}}}))
    assert "current-context 'x' is not in contexts" in _refused(str(path))
    path.write_text(yaml.safe_dump({"current-context": "x", "contexts": ["junk", {"name": "x", "context": "no"}]}))
    assert "current-context 'x' is not in contexts" in _refused(str(path))
    base = {"current-context": "x", "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}]}
    for clusters in ([], [{"name": "c", "cluster": {}}], [{"name": "c", "cluster": {"server": 1}}], [{"name": "c"}]):
        path.write_text(yaml.safe_dump({**base, "clusters": clusters}))
        assert _refused(str(path)) == (f"{where}: context 'x' names cluster 'c', which has no server in clusters. "
                                       "Fix: add the cluster's server URL (kubectl config set-cluster).")
    ok_cluster = [{"name": "other", "cluster": {"server": "http://h:2"}}, {"name": "c", "cluster": {"server": "http://h:1"}}]
    path.write_text(yaml.safe_dump({**base, "clusters": ok_cluster, "users": [{"name": "u", "user": ["t"]}]}))
    assert _refused(str(path)) == f"{where}: user 'u' is not a mapping. Fix: give it a token or client certificate."
    for plugin in ({"exec": {"command": "aliyun"}}, {"auth-provider": {"name": "oidc"}}):
        path.write_text(yaml.safe_dump({**base, "clusters": ok_cluster, "users": [{"name": "u", "user": plugin}]}))
        assert _refused(str(path)) == (f"{where}: kubeconfig users with exec or auth-provider plugins are not supported. "
                                       "Fix: use a token or client certificate.")
    users = [{"name": "v", "user": {"token": "no"}}, {"name": "u", "user": {"token": "yes"}}]
    path.write_text(yaml.safe_dump({**base, "clusters": ok_cluster, "users": users}))
    c = w.Client(str(path))
    assert (c.server, c.headers["Authorization"]) == ("http://h:1", "Bearer yes")


# -- TLS --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pem():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wait-gpus-test")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=36500))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


class Recorder(ssl.SSLContext):
    """A real client context that also notes what it was given (and each client file as it was then)."""

    calls: list

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        self.calls.append(("verify", cafile, cadata))
        return super().load_verify_locations(cafile=cafile, capath=capath, cadata=cadata)

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        files = [(open(f, "rb").read(), stat.S_IMODE(os.stat(f).st_mode)) for f in (certfile, keyfile)]
        self.calls.append(("chain", certfile, keyfile, files))
        return super().load_cert_chain(certfile, keyfile)


@pytest.fixture
def recorder(monkeypatch):
    made = []

    def create():
        ctx = Recorder(ssl.PROTOCOL_TLS_CLIENT)
        ctx.calls = []
        made.append(ctx)
        return ctx

    monkeypatch.setattr(w.ssl, "create_default_context", create)
    return made


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_https_with_certificate_data(tmp_path, pem, recorder):
    cert, key = pem
    c = w.Client(_kubeconfig(tmp_path, "https://10.0.0.1:6443", user={"client-certificate-data": _b64(cert),
                                                                       "client-key-data": _b64(key)},
                             cluster_extra={"certificate-authority-data": _b64(cert)}))
    [ctx] = recorder
    assert c.context is ctx and ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.calls[0] == ("verify", None, cert.decode())
    assert [x["subject"] for x in ctx.get_ca_certs()] == [((("commonName", "wait-gpus-test"),),)]
    kind, certfile, keyfile, files = ctx.calls[1]
    assert kind == "chain" and os.path.basename(certfile) == "client-certificate" and os.path.basename(keyfile) == "client-key"
    assert files == [(cert, 0o600), (key, 0o600)]
    assert "Authorization" not in c.headers


def test_https_with_certificate_files(tmp_path, pem, recorder):
    cert, key = pem
    (tmp_path / "ca.pem").write_bytes(cert)
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    w.Client(_kubeconfig(tmp_path, "https://h:6443", user={"client-certificate": str(tmp_path / "c.pem"),
                                                          "client-key": str(tmp_path / "k.pem")},
                         cluster_extra={"certificate-authority": str(tmp_path / "ca.pem")}))
    [ctx] = recorder
    assert ctx.calls[0] == ("verify", str(tmp_path / "ca.pem"), None)
    assert ctx.calls[1][1:3] == (str(tmp_path / "c.pem"), str(tmp_path / "k.pem"))
    # a certificate without its key is not loaded; the system CAs stay
    w.Client(_kubeconfig(tmp_path, "https://h:6443", user={"client-certificate": str(tmp_path / "c.pem")}))
    assert recorder[1].calls == []


def test_https_without_verification(tmp_path, recorder):
    c = w.Client(_kubeconfig(tmp_path, "https://h:6443", cluster_extra={"insecure-skip-tls-verify": True,
                                                                       "certificate-authority": "/nonexistent"}))
    assert c.context.verify_mode == ssl.CERT_NONE and not c.context.check_hostname and recorder[0].calls == []


def test_unusable_tls_settings_are_named(tmp_path, pem, recorder):
    cert, key = pem
    fix = ("Fix: check certificate-authority(-data), client-certificate(-data) and client-key(-data).")
    for extra, user in (({"certificate-authority-data": "not base64!"}, {}),
                        ({"certificate-authority": str(tmp_path / "missing.pem")}, {}),
                        ({}, {"client-certificate-data": _b64(cert), "client-key-data": _b64(cert)})):
        path = _kubeconfig(tmp_path, "https://h:6443", user=user, cluster_extra=extra)
        msg = _refused(path)
        assert msg.startswith(f"--kubeconfig {path}: the TLS settings of the current context cannot be used (") and msg.endswith(fix)


class Resp(io.BytesIO):
    """What urlopen returns, as a context manager that leaves the body readable."""

    def __exit__(self, *a):
        return False


def test_get_asks_the_server_with_the_headers(tmp_path, monkeypatch):
    seen = []

    def urlopen(req, timeout, context):
        seen.append((req.full_url, dict(req.header_items()), timeout, context))
        return Resp(b'{"items": []}')

    monkeypatch.setattr(w.urllib.request, "urlopen", urlopen)
    c = w.Client(_kubeconfig(tmp_path))
    assert c.get("/api/v1/nodes") == {"items": []}
    assert c.get("/x", timeout=3) == {"items": []}
    assert seen == [("http://127.0.0.1:1/api/v1/nodes", {"Accept": "application/json", "Authorization": "Bearer t0k"}, 10, None),
                    ("http://127.0.0.1:1/x", {"Accept": "application/json", "Authorization": "Bearer t0k"}, 3, None)]


# -- the poll loop on a hand-driven clock -----------------------------------------------------

class Clock:
    def __init__(self):
        self.t, self.slept = 0.0, []

    def __call__(self):
        return self.t

    def sleep(self, s):
        self.slept.append(s)
        self.t += s


def _poll(answers, expected, timeout, interval, clock=None):
    clock = clock or Clock()
    it = iter(answers)

    def fetch():
        a = next(it)
        if isinstance(a, Exception):
            raise a
        return a

    progress = io.StringIO()
    o = w.poll(expected, fetch, timeout, interval, clock=clock, sleep=clock.sleep, progress=progress)
    return o, progress.getvalue().splitlines(), clock


def test_serving_at_once_returns_without_sleeping():
    o, lines, clock = _poll([{"items": [_node("a", gpus="1")]}], [A], 30, 10)
    assert (o.serving, o.code, o.error, o.elapsed, o.expected, o.timeout) == (True, 0, "", 0.0, 1, 30)
    assert lines == [] and clock.slept == []
    assert o.summary == "all 1 node(s) Ready with their GPUs allocatable"


def test_sleeps_are_the_interval_cut_at_the_deadline():
    empty = {"items": []}
    o, lines, clock = _poll([empty] * 5, [A], 25, 10)
    assert clock.slept == [10, 10, 5] and o.elapsed == 25 and not o.serving
    assert lines == ["wait-gpus: 0s: 0 of 1 node(s) serving GPUs; waiting for a (missing)"]
    assert o.summary == "timed out after 25s: 1 of 1 node(s) not serving GPUs"


def test_a_late_clock_sleeps_zero():
    class Jumpy(Clock):
        ticks = iter([0.0, 9.0, 9.0, 11.0, 12.0, 13.0])

        def __call__(self):
            return next(self.ticks)

    o, _, clock = _poll([{"items": []}] * 2, [A], 10, 10, clock=Jumpy())
    assert clock.slept == [0.0] and o.elapsed == 13.0


def test_progress_lists_three_waiting_nodes_then_an_ellipsis():
    names = [ExpectedNode("r/p", n, 1) for n in "abcde"]
    nodes = {"items": [_node("a", gpus="1"), _node("b", ready="False", gpus="1")]}
    _, lines, _ = _poll([nodes, nodes], names, 5, 10)
    assert lines == ["wait-gpus: 0s: 1 of 5 node(s) serving GPUs; waiting for b (not-ready), c (missing), d (missing) ..."]
    _, lines, _ = _poll([nodes, nodes], names[:4], 5, 10)
    assert lines == ["wait-gpus: 0s: 1 of 4 node(s) serving GPUs; waiting for b (not-ready), c (missing), d (missing)"]


def test_a_changed_state_is_said_at_once_and_an_unchanged_one_each_minute():
    empty, half = {"items": []}, {"items": [_node("a", gpus="1")]}
    _, lines, _ = _poll([empty, empty, half] + [half] * 12, [A, B], 130, 10)
    assert lines == ["wait-gpus: 0s: 0 of 2 node(s) serving GPUs; waiting for a (missing), b (missing)",
                     "wait-gpus: 20s: 1 of 2 node(s) serving GPUs; waiting for b (missing)",
                     "wait-gpus: 80s: 1 of 2 node(s) serving GPUs; waiting for b (missing)"]


def test_an_apiserver_that_never_answers_leaves_every_node_unknown():
    o, lines, _ = _poll([OSError("connection refused"), ValueError("bad json"), OSError("connection refused")], [A, B], 20, 10)
    assert o.error == "apiserver: connection refused" and not o.serving and o.code == 1
    assert [(s.name, s.status, s.detail, s.pool, s.gpus_expected, s.gpus_allocatable) for s in o.states] == [
        ("a", "unknown", "the apiserver did not answer", "r/p", 1, None),
        ("b", "unknown", "the apiserver did not answer", "r/q", 4, None)]
    assert lines == ["wait-gpus: 0s: apiserver: connection refused", "wait-gpus: 10s: apiserver: bad json"]
    assert o.summary == "timed out after 20s: 2 of 2 node(s) not serving GPUs"


def test_a_failure_after_an_answer_keeps_the_last_states():
    o, _, _ = _poll([{"items": [_node("a", gpus="1")]}, OSError("reset")], [A, B], 10, 10)
    assert o.error == "apiserver: reset" and [s.status for s in o.states] == ["ok", "missing"]
    # every node serving but the last poll failed: not serving
    o, _, _ = _poll([OSError("reset")] * 2, [], 10, 10)
    assert o.states == [] and not o.serving and o.code == 1
    o, _, _ = _poll([{"items": []}], [], 10, 10)
    assert o.serving and o.summary == "all 0 node(s) Ready with their GPUs allocatable"


def test_progress_goes_to_stderr_by_default(capsys):
    clock = Clock()
    w.poll([A], lambda: {"items": []}, 5, 10, clock=clock, sleep=clock.sleep)
    assert capsys.readouterr().err == "wait-gpus: 0s: 0 of 1 node(s) serving GPUs; waiting for a (missing)\n"


# -- renderings --------------------------------------------------------------------------------

def _outcome(error=""):
    states = [w.NodeState("a", "ok", "Ready, nvidia.com/gpu 1", "r/p", "n1", "True", "KubeletReady", 1, 1),
              w.NodeState("b", "missing", "no node of this name has registered", "r/q", gpus_expected=4)]
    return w.Outcome(2, states, 30.0, 30.04, error)


def test_table():
    assert w.render_table(_outcome()) == (
        "ok        a  r/p: Ready, nvidia.com/gpu 1\n"
        "missing   b  r/q: no node of this name has registered\n"
        "wait-gpus: timed out after 30s: 1 of 2 node(s) not serving GPUs\n")
    assert w.render_table(_outcome("apiserver: x")).splitlines()[0] == "wait-gpus: apiserver: x"


def test_wait_writes_the_table_and_returns_the_code():
    out, clock = io.StringIO(), Clock()
    assert w.wait([A], lambda: {"items": [_node("a", gpus="1")]}, 5, 1, out=out, clock=clock, sleep=clock.sleep) == 0
    assert out.getvalue() == "ok        a  r/p: Ready, nvidia.com/gpu 1\nwait-gpus: all 1 node(s) Ready with their GPUs allocatable\n"


def test_wait_writes_to_stdout_by_default(capsys):
    clock = Clock()
    assert w.wait([A], lambda: {"items": []}, 1, 1, clock=clock, sleep=clock.sleep, progress=io.StringIO()) == 1
    assert capsys.readouterr().out.startswith("missing   a  r/p: ")


def test_json():
    doc = json.loads(w.render_json(_outcome("apiserver: x"), "prod"))
    assert doc == {"stack": "prod", "result": "timed-out", "exitCode": 1,
                   "summary": "timed out after 30s: 1 of 2 node(s) not serving GPUs", "timeoutSeconds": 30.0,
                   "elapsedSeconds": 30.0, "expected": 2, "serving": 1, "apiserverError": "apiserver: x",
                   "nodes": [s.doc() for s in _outcome().states]}
    text = w.render_json(_outcome(), "dev")
    assert text.endswith("}\n") and text.startswith('{\n  "stack": "dev",')
    assert json.loads(text)["apiserverError"] is None


def test_md():
    text = w.render_md(_outcome("apiserver: x"), "prod")
    assert text.split("\n")[:8] == [
        "### wait-gpus: stack `prod`", "",
        "**⏱️ timed out after 30s: 1 of 2 node(s) not serving GPUs** (exit 1)", "",
        "> apiserver: x", "",
        "| node | state | pool | Ready | nvidia.com/gpu allocatable | expected | detail |",
        "|---|---|---|---|---:|---:|---|"]
    assert text.split("\n")[8:] == [
        "| `a` | ok | r/p | True | 1 | 1 | Ready, nvidia.com/gpu 1 |",
        "| `b` | missing | r/q | - | - | 4 | no node of this name has registered |", ""]
    ok = w.Outcome(1, _outcome().states[:1], 30.0, 1.0)
    assert w.render_md(ok, "dev").split("\n")[2:4] == ["**✅ all 1 node(s) Ready with their GPUs allocatable** (exit 0)", ""]


# -- the command line ----------------------------------------------------------------------------

def _parser(monkeypatch, env=None):
    if env is None:
        monkeypatch.delenv("KUBECONFIG", raising=False)
    else:
        monkeypatch.setenv("KUBECONFIG", env)
    p = argparse.ArgumentParser()
    w.add_parser(p.add_subparsers())
    return p


def test_the_subcommands_defaults(monkeypatch):
    a = _parser(monkeypatch).parse_args(["wait-gpus"])
    assert (a.timeout, a.interval, a.pool, a.stack, a.format, a.func) == (1800, 10, [], "dev", "table", w.run)
    assert a.kubeconfig == os.path.expanduser("~/.kube/config")
    a = _parser(monkeypatch, "/k/config").parse_args(["wait-gpus", "--pool", "r/p", "--pool", "r/q", "--timeout", "5",
                                                       "--interval", "0.5", "--format", "json"])
    assert (a.kubeconfig, a.pool, a.timeout, a.interval, a.format) == ("/k/config", ["r/p", "r/q"], 5.0, 0.5, "json")


@pytest.mark.parametrize("timeout,interval", [(0, 10), (-1, 10), (10, 0), (float("nan"), 10), (10, float("inf")),
                                              (float("inf"), 10), (10, float("nan"))])
def test_timeouts_and_intervals_must_be_positive_and_finite(monkeypatch, capsys, timeout, interval):
    args = _parser(monkeypatch).parse_args(["wait-gpus", "--kubeconfig", "/nonexistent"])
    args.timeout, args.interval = timeout, interval
    assert w.run(args) == 2
    err = capsys.readouterr().err
    assert err == (f"wait-gpus: --timeout {timeout:g} --interval {interval:g}: both must be positive numbers of seconds. "
                   "Fix: e.g. --timeout 1800 --interval 10.\n")


def test_run_renders_the_chosen_format(monkeypatch, tmp_path, capsys):
    # dev has one GPU node, a10-dev-cn-beijing-g-0 in pool cn-beijing/a10-dev, of one GPU (stacks/Pulumi.dev.yaml)
    answers = {"items": [_node("a10-dev-cn-beijing-g-0", gpus="1")]}
    monkeypatch.setattr(w.Client, "get", lambda self, path, timeout=10: answers if path == "/api/v1/nodes" else {})
    path = _kubeconfig(tmp_path)
    for fmt, check in (("json", lambda out: json.loads(out)["result"] == "serving"),
                       ("md", lambda out: out.startswith("### wait-gpus: stack `dev`\n")),
                       ("table", lambda out: out.startswith("ok        a10-dev-cn-beijing-g-0  cn-beijing/a10-dev: "))):
        args = _parser(monkeypatch).parse_args(["wait-gpus", "--kubeconfig", path, "--format", fmt, "--timeout", "1"])
        assert w.run(args) == 0
        assert check(capsys.readouterr().out)
    args = _parser(monkeypatch).parse_args(["wait-gpus", "--kubeconfig", path, "--pool", "cn-beijing/a10-dev", "--timeout", "1"])
    assert w.run(args) == 0


def test_run_refuses_unknown_pools_and_bad_kubeconfigs(monkeypatch, tmp_path, capsys):
    args = _parser(monkeypatch).parse_args(["wait-gpus", "--kubeconfig", str(tmp_path / "none"), "--pool", "cn-beijing/x",
                                            "--pool", "cn-beijing/a10-dev", "--pool", "y/z"])
    assert w.run(args) == 2
    assert capsys.readouterr().err == ("wait-gpus: --pool cn-beijing/x, y/z is not a pool of stack dev. "
                                       "Fix: pick from cn-beijing/a10-dev.\n")
    args = _parser(monkeypatch).parse_args(["wait-gpus", "--kubeconfig", str(tmp_path / "none")])
    assert w.run(args) == 2
    assert capsys.readouterr().err == (f"wait-gpus: --kubeconfig {tmp_path / 'none'}: cannot be read: No such file or "
                                       "directory. Fix: pass a readable kubeconfig file.\n")


# -- more of each behaviour (what the first mutation run left alive) -----------------------------

def test_yaml_errors_are_one_line_with_the_line_when_yaml_gives_one(tmp_path):
    path = tmp_path / "k"
    path.write_text("a: 1\nb: [1\nc: 2\n")   # the flow sequence opened on line 2 meets "c:" on line 3
    assert _refused(str(path)) == (f"--kubeconfig {path}: is not valid YAML (line 3): expected ',' or ']', but got ':'. "
                                   "Fix: pass a kubeconfig file.")
    path.write_text("a: \x00\n")               # a character YAML refuses: the reader names no line
    assert _refused(str(path)) == (f"--kubeconfig {path}: is not valid YAML: unacceptable character #x0000: special "
                                   "characters are not allowed in \"<unicode string>\", position 3. Fix: pass a kubeconfig file.")


def test_a_null_list_of_contexts_is_no_context(tmp_path):
    path = tmp_path / "k"
    path.write_text(yaml.safe_dump({"current-context": "x", "contexts": None}))
    assert _refused(str(path)) == f"--kubeconfig {path}: current-context 'x' is not in contexts. Fix: kubectl config use-context <context>."


def test_certificate_data_with_stray_characters_is_refused(tmp_path, pem, recorder):
    cert, _ = pem
    data = _b64(cert)
    corrupt = data[:20] + "*" + data[20:]   # base64 with a character outside its alphabet (RFC 4648 section 3.3)
    assert "cannot be used" in _refused(_kubeconfig(tmp_path, "https://h:6443", cluster_extra={"certificate-authority-data": corrupt}))


def test_get_uses_the_contexts_tls(tmp_path, monkeypatch, recorder):
    seen = []

    monkeypatch.setattr(w.urllib.request, "urlopen", lambda req, timeout, context: seen.append(context) or Resp(b"{}"))
    c = w.Client(_kubeconfig(tmp_path, "https://h:6443", cluster_extra={"insecure-skip-tls-verify": True}))
    assert c.get("/api/v1/nodes") == {} and seen == [recorder[0]] and isinstance(seen[0], ssl.SSLContext)


class Flushed(io.StringIO):
    def __init__(self):
        super().__init__()
        self.flushed_at: list[int] = []

    def flush(self):
        self.flushed_at.append(len(self.getvalue()))
        super().flush()


def test_each_progress_line_is_flushed_and_times_count_from_the_start():
    class Late(Clock):
        def __init__(self):
            super().__init__()
            self.t = 1000.0

    clock, progress = Late(), Flushed()
    o = w.poll([A], lambda: {"items": []}, 70, 30, clock=clock, sleep=clock.sleep, progress=progress)
    lines = progress.getvalue().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["0s", "60s"]
    # every line is out (flushed) when written: a pipe shows it while the wait goes on
    assert progress.flushed_at == [len(lines[0]) + 1, len(progress.getvalue())]
    assert o.elapsed == 70 and o.error == ""
    clock = Late()
    o = w.poll([A], lambda: {"items": [_node("a", gpus="1")]}, 70, 30, clock=clock, sleep=clock.sleep, progress=progress)
    assert o.elapsed == 0.0


def test_json_rounds_elapsed_to_a_tenth_and_counts_the_serving():
    states = [w.NodeState(n, st, "", "r/p", gpus_expected=1) for n, st in (("a", "ok"), ("b", "ok"), ("c", "missing"))]
    doc = json.loads(w.render_json(w.Outcome(3, states, 30.0, 30.46), "dev"))
    assert (doc["elapsedSeconds"], doc["serving"], doc["expected"]) == (30.5, 2, 3)


def test_the_help_names_each_option(monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    w.add_parser(sub)
    assert ("wait-gpus wait until the stack's GPU pool nodes are Ready with nvidia.com/gpu allocatable"
            in " ".join(p.format_help().split()))
    helptext = " ".join(sub.choices["wait-gpus"].format_help().split())
    for expected in ("--kubeconfig KUBECONFIG kubeconfig of the IDC cluster (current context); default $KUBECONFIG or ~/.kube/config",
                     "--pool POOL only this pool, as <region>/<pool>; repeatable",
                     "--timeout TIMEOUT seconds to wait in total; default 1800",
                     "--interval INTERVAL seconds between polls; default 10",
                     "table: one node a line; json: every node's state as data; md: a Markdown table for a PR or issue comment; "
                     "default table"):
        assert expected in helptext, expected
    # the subcommand renders every format itself
    assert p.parse_args(["wait-gpus"]).format_native == ("table", "json", "md")


def test_run_reads_the_given_config_and_filters_pools(monkeypatch, tmp_path, capsys):
    # stacks/Pulumi.prod.yaml: pools a10-train, a100-burst (cn-beijing), t4-infer (cn-hangzhou), a10-overflow (cn-zhangjiakou)
    args = _parser(monkeypatch).parse_args(["wait-gpus", "--stack", "prod", "--kubeconfig", "/nonexistent", "--pool", "x/y"])
    assert w.run(args) == 2
    assert capsys.readouterr().err == ("wait-gpus: --pool x/y is not a pool of stack prod. Fix: pick from cn-beijing/a10-train, "
                                       "cn-beijing/a100-burst, cn-hangzhou/t4-infer, cn-zhangjiakou/a10-overflow.\n")
    dev = open(os.path.join(os.path.dirname(__file__), "..", "stacks", "Pulumi.dev.yaml"), encoding="utf-8").read()
    (tmp_path / "Pulumi.dev.yaml").write_text(dev.replace("- name: a10-dev", "- name: a10-alt", 1), encoding="utf-8")
    args = _parser(monkeypatch).parse_args(["wait-gpus", "--config", str(tmp_path / "Pulumi.dev.yaml"), "--kubeconfig",
                                            "/nonexistent", "--pool", "x/y"])
    assert w.run(args) == 2
    assert capsys.readouterr().err.endswith("Fix: pick from cn-beijing/a10-alt.\n")
    # t4-infer: four slots of one GPU in zones h and i; nothing registered
    monkeypatch.setattr(w.Client, "get", lambda self, path, timeout=10: {"items": []})
    args = _parser(monkeypatch).parse_args(["wait-gpus", "--stack", "prod", "--kubeconfig", _kubeconfig(tmp_path), "--pool",
                                            "cn-hangzhou/t4-infer", "--timeout", "0.02", "--interval", "0.01", "--format", "json"])
    assert w.run(args) == 1
    cap = capsys.readouterr()
    doc = json.loads(cap.out)
    assert doc["stack"] == "prod" and [n["name"] for n in doc["nodes"]] == [
        "t4-infer-cn-hangzhou-h-0", "t4-infer-cn-hangzhou-i-0", "t4-infer-cn-hangzhou-h-1", "t4-infer-cn-hangzhou-i-1"]


def test_a_sub_second_interval_is_accepted(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(w.Client, "get", lambda self, path, timeout=10: {"items": [_node("a10-dev-cn-beijing-g-0", gpus="1")]})
    args = _parser(monkeypatch).parse_args(["wait-gpus", "--kubeconfig", _kubeconfig(tmp_path), "--interval", "0.5"])
    assert w.run(args) == 0
    assert capsys.readouterr().out.startswith("ok        a10-dev-cn-beijing-g-0")


def test_only_the_trailing_slash_of_the_server_is_dropped(tmp_path):
    assert w.Client(_kubeconfig(tmp_path, "http://proxy.example/apiX/")).server == "http://proxy.example/apiX"


def test_client_files_are_written_under_a_named_private_directory(tmp_path, pem, recorder):
    cert, key = pem
    w.Client(_kubeconfig(tmp_path, "https://h:6443", user={"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}))
    certfile = recorder[0].calls[0][1]
    assert os.path.basename(os.path.dirname(certfile)).startswith("hybrid-wait-")
