"""`hybrid-gpu wait-gpus`: wait until every GPU pool node of a stack is Ready with its GPUs allocatable.

The expected nodes come from the stack config (the same slot plan that names the
instances: ``<pool>-<zone>-<index>``), the actual ones from the IDC apiserver's
``GET /api/v1/nodes`` with the kubeconfig's current context (bearer token or client
certificate; exec plugins are not supported). On timeout the report names every node
that is missing, not Ready, or short of ``nvidia.com/gpu``, and the exit status is 1.
``--format json`` is the same outcome as data (:func:`render_json`), ``md`` a table for a PR
or issue comment; progress goes to stderr in every format.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import ssl
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Optional

import yaml

from hybrid import tables
from hybrid.cloudinit import LABEL_HOST
from hybrid.gpu_nodes import ExpectedNode, expected_nodes
from hybrid.model import load

GPU = "nvidia.com/gpu"
EXIT_BAD_INPUT = 2


class KubeconfigError(ValueError):
    pass


STATES = ("ok", "missing", "not-ready", "no-gpus", "unknown")  # unknown: the apiserver never answered


@dataclass(frozen=True)
class NodeState:
    name: str
    status: str  # one of STATES
    detail: str = ""
    pool: str = ""
    node: Optional[str] = None          # the Node's metadata.name (the slot's name or <region>.<instance-id>)
    ready: Optional[str] = None         # status of the Ready condition: "True", "False", "Unknown"; None if absent
    reason: Optional[str] = None        # reason of the Ready condition
    gpus_expected: int = 0
    gpus_allocatable: Optional[int] = None  # status.allocatable["nvidia.com/gpu"]; None without a Node

    def doc(self) -> dict[str, Any]:
        return {"name": self.name, "pool": self.pool, "state": self.status, "node": self.node, "ready": self.ready,
                "reason": self.reason, "gpusExpected": self.gpus_expected, "gpusAllocatable": self.gpus_allocatable,
                "detail": self.detail}


def _quantity(v: Any) -> int:
    try:
        return int(str(v))
    except ValueError:
        return 0


def evaluate(expected: list[ExpectedNode], node_list: dict) -> list[NodeState]:
    """State of each expected node in a NodeList document."""
    # A fixed pool's Node is named after its instance (<region>.<instance-id>); the slot's host name,
    # which the stack config knows, is its label hybrid.example.com/host (hybrid.cloudinit.LABEL_HOST).
    by_name: dict = {}
    for n in node_list.get("items", []):
        meta = n.get("metadata", {})
        by_name.setdefault(meta.get("name"), n)
        host = (meta.get("labels") or {}).get(LABEL_HOST)
        if host:
            by_name[host] = n
    out = []
    for e in expected:
        node = by_name.get(e.name)
        if node is None:
            out.append(NodeState(e.name, "missing", "no node of this name has registered", e.pool, gpus_expected=e.gpus))
            continue
        status = node.get("status", {})
        ready = next((c for c in status.get("conditions", []) if c.get("type") == "Ready"), None) or {}
        have = _quantity(status.get("allocatable", {}).get(GPU, 0))
        if ready.get("status") != "True":
            state, detail = "not-ready", f"Ready is {ready.get('status', 'absent')} ({ready.get('reason') or 'no Ready condition'})"
        elif have < e.gpus:
            state, detail = "no-gpus", (f"{GPU} allocatable {have}, expected {e.gpus} "
                                        "(driver, container runtime or device plugin not up)")
        else:
            state, detail = "ok", f"Ready, {GPU} {have}"
        out.append(NodeState(e.name, state, detail, e.pool, node.get("metadata", {}).get("name"), ready.get("status"),
                             ready.get("reason"), e.gpus, have))
    return out


class Client:
    """GET against the apiserver of a kubeconfig's current context."""

    def __init__(self, kubeconfig: str):
        where = f"--kubeconfig {kubeconfig}"
        try:
            with open(kubeconfig, "rb") as f:
                doc = yaml.safe_load(f.read().decode("utf-8"))
        except OSError as err:
            raise KubeconfigError(f"{where}: cannot be read: {err.strerror or err}. Fix: pass a readable kubeconfig file.") from None
        except UnicodeDecodeError as err:
            raise KubeconfigError(f"{where}: is not UTF-8 (byte {err.object[err.start]:#04x} at offset {err.start}). "
                                  "Fix: save it as UTF-8.") from None
        except yaml.YAMLError as err:
            problem = " ".join(str(getattr(err, "problem", None) or err).split())
            mark = getattr(err, "problem_mark", None)
            at = f" (line {mark.line + 1})" if mark is not None else ""
            raise KubeconfigError(f"{where}: is not valid YAML{at}: {problem}. Fix: pass a kubeconfig file.") from None

        def find(kind: str, name: Any) -> dict:
            entries = doc.get(kind) if isinstance(doc.get(kind), list) else []
            hit = next((e for e in entries if isinstance(e, dict) and e.get("name") == name), None)
            return hit if isinstance(hit, dict) else {}

        if not isinstance(doc, dict) or not doc.get("current-context"):
            raise KubeconfigError(f"{where}: no current-context. Fix: kubectl config use-context <context> (or pass another kubeconfig).")
        ctx = find("contexts", doc["current-context"]).get("context")
        if not isinstance(ctx, dict):
            raise KubeconfigError(f"{where}: current-context {doc['current-context']!r} is not in contexts. Fix: kubectl config use-context <context>.")
        cluster = find("clusters", ctx.get("cluster")).get("cluster")
        if not isinstance(cluster, dict) or not isinstance(cluster.get("server"), str):
            raise KubeconfigError(f"{where}: context {doc['current-context']!r} names cluster {ctx.get('cluster')!r}, which has no server "
                                  "in clusters. Fix: add the cluster's server URL (kubectl config set-cluster).")
        user = find("users", ctx.get("user")).get("user") or {}
        if not isinstance(user, dict):
            raise KubeconfigError(f"{where}: user {ctx.get('user')!r} is not a mapping. Fix: give it a token or client certificate.")
        if "exec" in user or "auth-provider" in user:
            raise KubeconfigError(f"{where}: kubeconfig users with exec or auth-provider plugins are not supported. "
                                  "Fix: use a token or client certificate.")
        self.server = cluster["server"].rstrip("/")
        self.headers = {"Accept": "application/json"}
        if user.get("token"):
            self.headers["Authorization"] = f"Bearer {user['token']}"
        self._tmp = tempfile.TemporaryDirectory(prefix="hybrid-wait-")
        self.context: Optional[ssl.SSLContext] = None
        if self.server.startswith("https://"):
            try:
                self.context = self._tls(cluster, user)
            except (OSError, ValueError, TypeError) as err:  # ssl.SSLError and binascii.Error included
                raise KubeconfigError(f"{where}: the TLS settings of the current context cannot be used ({err}). "
                                      "Fix: check certificate-authority(-data), client-certificate(-data) and client-key(-data).") from None

    def _tls(self, cluster: dict, user: dict) -> ssl.SSLContext:
        ctx_ssl = ssl.create_default_context()
        if cluster.get("insecure-skip-tls-verify"):
            ctx_ssl.check_hostname = False
            ctx_ssl.verify_mode = ssl.CERT_NONE
        elif cluster.get("certificate-authority-data"):
            ctx_ssl.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"], validate=True).decode())
        elif cluster.get("certificate-authority"):
            ctx_ssl.load_verify_locations(cafile=cluster["certificate-authority"])
        cert, key = self._pem(user, "client-certificate"), self._pem(user, "client-key")
        if cert and key:
            ctx_ssl.load_cert_chain(cert, key)
        return ctx_ssl

    def _pem(self, user: dict, field: str) -> Optional[str]:
        if user.get(f"{field}-data"):
            path = os.path.join(self._tmp.name, field)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
                f.write(base64.b64decode(user[f"{field}-data"]))
            return path
        return user.get(field)

    def get(self, path: str, timeout: float = 10) -> dict:
        req = urllib.request.Request(self.server + path, headers=self.headers)
        with urllib.request.urlopen(req, timeout=timeout, context=self.context) as resp:  # noqa: S310 (URL from kubeconfig)
            return json.load(resp)


HEARTBEAT_SECONDS = 60  # a progress line at least this often while nothing changes


@dataclass(frozen=True)
class Outcome:
    """The end of a wait: the last state of every expected node and how it ended."""

    expected: int
    states: list[NodeState]
    timeout: float
    elapsed: float
    error: str = ""  # the last poll's failure ("apiserver: ..."), empty if it answered

    @property
    def serving(self) -> bool:
        return not self.error and all(s.status == "ok" for s in self.states)

    @property
    def code(self) -> int:
        return 0 if self.serving else 1

    @property
    def summary(self) -> str:
        if self.serving:
            return f"all {len(self.states)} node(s) Ready with their GPUs allocatable"
        bad = sum(s.status != "ok" for s in self.states)
        return f"timed out after {self.timeout:g}s: {bad} of {self.expected} node(s) not serving GPUs"


def poll(expected: list[ExpectedNode], fetch: Callable[[], dict], timeout: float, interval: float,
         clock=time.monotonic, sleep=time.sleep, progress=None) -> Outcome:
    """Poll until every expected node serves its GPUs or ``timeout``; a progress line on ``progress``
    (stderr) whenever the count or the nodes waited for change, and at least every minute."""
    progress = progress or sys.stderr
    start = clock()
    deadline = start + timeout
    last: list[NodeState] = []
    said, said_at = "", start
    while True:
        try:
            last = evaluate(expected, fetch())
            error = ""
        except (OSError, ValueError) as err:  # URLError, HTTPError and bad JSON included
            error = f"apiserver: {err}"
        if not error and all(s.status == "ok" for s in last):
            return Outcome(len(expected), last, timeout, clock() - start)
        if clock() >= deadline:
            break
        waiting = [s for s in last if s.status != "ok"]
        text = (f"{len(last) - len(waiting)} of {len(expected)} node(s) serving GPUs; waiting for "
                + ", ".join(f"{s.name} ({s.status})" for s in waiting[:3]) + (" ..." if len(waiting) > 3 else "")
                if not error else error)
        now = clock()
        if text != said or now - said_at >= HEARTBEAT_SECONDS:
            print(f"wait-gpus: {now - start:.0f}s: {text}", file=progress, flush=True)
            said, said_at = text, now
        sleep(max(0.0, min(interval, deadline - clock())))
    if not last:  # the apiserver never answered: nothing is known of any node
        last = [NodeState(e.name, "unknown", "the apiserver did not answer", e.pool, gpus_expected=e.gpus) for e in expected]
    return Outcome(len(expected), last, timeout, clock() - start, error)


def render_table(o: Outcome) -> str:
    lines = [f"wait-gpus: {o.error}"] if o.error else []
    lines += [f"{s.status:<9} {s.name}  {s.pool}: {s.detail}" for s in o.states]
    return "\n".join([*lines, f"wait-gpus: {o.summary}"]) + "\n"


def render_json(o: Outcome, stack: str) -> str:
    doc = {"stack": stack, "result": "serving" if o.serving else "timed-out", "exitCode": o.code, "summary": o.summary,
           "timeoutSeconds": o.timeout, "elapsedSeconds": round(o.elapsed, 1), "expected": o.expected,
           "serving": sum(s.status == "ok" for s in o.states), "apiserverError": o.error or None,
           "nodes": [s.doc() for s in o.states]}
    return json.dumps(doc, indent=2) + "\n"


def render_md(o: Outcome, stack: str) -> str:
    out = [f"### wait-gpus: stack `{stack}`", "", f"**{'✅' if o.serving else '⏱️'} {o.summary}** (exit {o.code})", ""]
    if o.error:
        out += [f"> {o.error}", ""]
    out += tables.md(("node", "state", "pool", "Ready", f"{GPU} allocatable", "expected", "detail"),
                    [(f"`{s.name}`", s.status, s.pool, s.ready or "-", "-" if s.gpus_allocatable is None else str(s.gpus_allocatable),
                      str(s.gpus_expected), s.detail) for s in o.states], right={4, 5})
    return "\n".join(out) + "\n"


def wait(expected: list[ExpectedNode], fetch: Callable[[], dict], timeout: float, interval: float,
         out=None, clock=time.monotonic, sleep=time.sleep, progress=None) -> int:
    """:func:`poll`, then the terminal report on ``out``; the exit status."""
    o = poll(expected, fetch, timeout, interval, clock=clock, sleep=sleep, progress=progress)
    (out or sys.stdout).write(render_table(o))
    return o.code


def add_parser(sub) -> None:
    p = sub.add_parser("wait-gpus", help="wait until the stack's GPU pool nodes are Ready with nvidia.com/gpu allocatable")
    from hybrid_tools.formats import FORMATS, add_format, add_stack

    add_stack(p)
    add_format(p, "table: one node a line; json: every node's state as data; md: a Markdown table for a PR or issue comment",
               native=FORMATS)
    p.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", os.path.expanduser("~/.kube/config")),
                   help="kubeconfig of the IDC cluster (current context); default $KUBECONFIG or ~/.kube/config")
    p.add_argument("--pool", action="append", default=[], help="only this pool, as <region>/<pool>; repeatable")
    p.add_argument("--timeout", type=float, default=1800, help="seconds to wait in total; default 1800")
    p.add_argument("--interval", type=float, default=10, help="seconds between polls; default 10")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hybrid_tools.stackconfig import read_stack

    if not (0 < args.timeout < math.inf and 0 < args.interval < math.inf):  # nan fails both
        print(f"wait-gpus: --timeout {args.timeout:g} --interval {args.interval:g}: both must be positive numbers of seconds. "
              "Fix: e.g. --timeout 1800 --interval 10.", file=sys.stderr)
        return EXIT_BAD_INPUT
    stack = read_stack(args.stack, config_file=Path(args.config) if args.config else None)
    expected = expected_nodes(load(stack.raw))
    if args.pool:
        known = sorted({e.pool for e in expected})
        unknown = [p for p in args.pool if p not in known]
        if unknown:
            print(f"wait-gpus: --pool {', '.join(unknown)} is not a pool of stack {args.stack}. Fix: pick from {', '.join(known)}.", file=sys.stderr)
            return EXIT_BAD_INPUT
        expected = [e for e in expected if e.pool in args.pool]
    try:
        client = Client(args.kubeconfig)
    except KubeconfigError as err:
        print(f"wait-gpus: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    o = poll(expected, lambda: client.get("/api/v1/nodes"), args.timeout, args.interval)
    if args.format == "json":
        sys.stdout.write(render_json(o, args.stack))
    elif args.format == "md":
        sys.stdout.write(render_md(o, args.stack))
    else:
        sys.stdout.write(render_table(o))
    return o.code
