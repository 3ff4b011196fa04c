"""`hybrid-gpu wait-gpus`: wait until every GPU pool node of a stack is Ready with its GPUs allocatable.

The expected nodes come from the stack config (the same slot plan that names the
instances: ``<pool>-<zone>-<index>``), the actual ones from the IDC apiserver's
``GET /api/v1/nodes`` with the kubeconfig's current context (bearer token or client
certificate; exec plugins are not supported). On timeout the report names every node
that is missing, not Ready, or short of ``nvidia.com/gpu``, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import ssl
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Optional

import yaml

from hybrid.gpu_nodes import ExpectedNode, expected_nodes
from hybrid.model import load

GPU = "nvidia.com/gpu"
EXIT_BAD_INPUT = 2


class KubeconfigError(ValueError):
    pass


@dataclass(frozen=True)
class NodeState:
    name: str
    status: str  # "ok" | "missing" | "not-ready" | "no-gpus"
    detail: str = ""


def _quantity(v: Any) -> int:
    try:
        return int(str(v))
    except ValueError:
        return 0


def evaluate(expected: list[ExpectedNode], node_list: dict) -> list[NodeState]:
    """State of each expected node in a NodeList document."""
    by_name = {n.get("metadata", {}).get("name"): n for n in node_list.get("items", [])}
    out = []
    for e in expected:
        node = by_name.get(e.name)
        if node is None:
            out.append(NodeState(e.name, "missing", f"{e.pool}: no node of this name has registered"))
            continue
        ready = next((c for c in node.get("status", {}).get("conditions", []) if c.get("type") == "Ready"), None)
        if not ready or ready.get("status") != "True":
            why = (ready or {}).get("reason") or "no Ready condition"
            out.append(NodeState(e.name, "not-ready", f"{e.pool}: Ready is {(ready or {}).get('status', 'absent')} ({why})"))
            continue
        have = _quantity(node.get("status", {}).get("allocatable", {}).get(GPU, 0))
        if have < e.gpus:
            out.append(NodeState(e.name, "no-gpus", f"{e.pool}: {GPU} allocatable {have}, expected {e.gpus} "
                                                     "(driver, container runtime or device plugin not up)"))
            continue
        out.append(NodeState(e.name, "ok", f"{e.pool}: Ready, {GPU} {have}"))
    return out


class Client:
    """GET against the apiserver of a kubeconfig's current context."""

    def __init__(self, kubeconfig: str):
        try:
            doc = yaml.safe_load(open(kubeconfig, encoding="utf-8"))
            ctx_name = doc["current-context"]
            ctx = next(c["context"] for c in doc["contexts"] if c["name"] == ctx_name)
            cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
            user = next((u["user"] for u in doc.get("users", []) if u["name"] == ctx.get("user")), {}) or {}
        except (OSError, yaml.YAMLError, KeyError, StopIteration, TypeError) as err:
            raise KubeconfigError(f"cannot read the current context of {kubeconfig}: {err!r}") from None
        if "exec" in user or "auth-provider" in user:
            raise KubeconfigError("kubeconfig users with exec or auth-provider plugins are not supported; use a token or client certificate")
        self.server = cluster["server"].rstrip("/")
        self.headers = {"Accept": "application/json"}
        if user.get("token"):
            self.headers["Authorization"] = f"Bearer {user['token']}"
        self._tmp = tempfile.TemporaryDirectory(prefix="hybrid-wait-")
        self.context: Optional[ssl.SSLContext] = None
        if self.server.startswith("https://"):
            ctx_ssl = ssl.create_default_context()
            if cluster.get("insecure-skip-tls-verify"):
                ctx_ssl.check_hostname = False
                ctx_ssl.verify_mode = ssl.CERT_NONE
            elif cluster.get("certificate-authority-data"):
                ctx_ssl.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
            elif cluster.get("certificate-authority"):
                ctx_ssl.load_verify_locations(cafile=cluster["certificate-authority"])
            cert, key = self._pem(user, "client-certificate"), self._pem(user, "client-key")
            if cert and key:
                ctx_ssl.load_cert_chain(cert, key)
            self.context = ctx_ssl

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


def wait(expected: list[ExpectedNode], fetch: Callable[[], dict], timeout: float, interval: float,
         out=None, clock=time.monotonic, sleep=time.sleep) -> int:
    out = out or sys.stdout
    deadline = clock() + timeout
    last: list[NodeState] = []
    while True:
        try:
            last = evaluate(expected, fetch())
            error = ""
        except (OSError, ValueError) as err:  # URLError, HTTPError and bad JSON included
            error = f"apiserver: {err}"
        if not error and all(s.status == "ok" for s in last):
            for s in last:
                print(f"ok        {s.name}  {s.detail}", file=out)
            print(f"wait-gpus: all {len(last)} node(s) Ready with their GPUs allocatable", file=out)
            return 0
        if clock() >= deadline:
            break
        sleep(max(0.0, min(interval, deadline - clock())))
    if error:
        print(f"wait-gpus: {error}", file=out)
    for s in last:
        print(f"{s.status:<9} {s.name}  {s.detail}", file=out)
    bad = [s for s in last if s.status != "ok"]
    print(f"wait-gpus: timed out after {timeout:g}s: {len(bad) if last else len(expected)} of {len(expected)} node(s) not serving GPUs",
          file=out)
    return 1


def add_parser(sub) -> None:
    p = sub.add_parser("wait-gpus", help="wait until the stack's GPU pool nodes are Ready with nvidia.com/gpu allocatable")
    p.add_argument("--stack", default="dev", help="stack name (stacks/Pulumi.<stack>.yaml); default dev")
    p.add_argument("--config", help="use this stack config file instead of stacks/Pulumi.<stack>.yaml")
    p.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", os.path.expanduser("~/.kube/config")),
                   help="kubeconfig of the IDC cluster (current context); default $KUBECONFIG or ~/.kube/config")
    p.add_argument("--pool", action="append", default=[], help="only this pool, as <region>/<pool>; repeatable")
    p.add_argument("--timeout", type=float, default=1800, help="seconds to wait in total; default 1800")
    p.add_argument("--interval", type=float, default=10, help="seconds between polls; default 10")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hybrid_tools.stackconfig import read_stack

    if args.timeout <= 0 or args.interval <= 0:
        print("wait-gpus: --timeout and --interval must be positive", file=sys.stderr)
        return EXIT_BAD_INPUT
    stack = read_stack(args.stack, config_file=Path(args.config) if args.config else None)
    expected = expected_nodes(load(stack.raw))
    if args.pool:
        known = sorted({e.pool for e in expected})
        unknown = [p for p in args.pool if p not in known]
        if unknown:
            print(f"wait-gpus: --pool {', '.join(unknown)} is not a pool of stack {args.stack}; pools: {', '.join(known)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        expected = [e for e in expected if e.pool in args.pool]
    try:
        client = Client(args.kubeconfig)
    except KubeconfigError as err:
        print(f"wait-gpus: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return wait(expected, lambda: client.get("/api/v1/nodes"), args.timeout, args.interval)
