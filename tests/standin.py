"""A local stand-in for the ACK CS API (2015-12-15, ROA style) on 127.0.0.1.

The real SDK client is pointed at it (``HYBRID_ACK_ENDPOINT=127.0.0.1:<port>``,
protocol http). For every request it checks what the real endpoint would:

* method + path route to a known action, and ``x-acs-action`` / ``x-acs-version``
  name that same action and 2015-12-15;
* the ``Authorization`` header is an ACS3-HMAC-SHA256 signature that verifies:
  it recomputes the canonical request (method, path, sorted query, the signed
  headers, the body hash) and the HMAC with the test secret; ``host``,
  ``x-acs-date``, ``x-acs-signature-nonce`` and ``x-acs-content-sha256`` must be
  among the signed headers; the body hash must match the body; a nonce is never
  accepted twice;
* per action: the query (``PrivateIpAddress`` is the string "true"/"false",
  ``AgentMode`` is admin/restricted) and the JSON body fields.

A request that fails a check gets HTTP 400 with an Alibaba-style error body and
is recorded in ``violations``; tests assert that list stays empty. Responses
have the shape of recorded CS responses. Faults (throttling, 5xx, error bodies,
slow answers) can be scripted per action.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

from hybrid import agent
from tests.http_standin import Acs3Verifier, JsonStandIn

ACCESS_KEY_ID = "LTAI-standin-test-key"
ACCESS_KEY_SECRET = "standin-test-secret-0123456789"

ROUTES = (
    ("POST", re.compile(r"^/clusters$"), "CreateCluster"),
    ("GET", re.compile(r"^/clusters/(?P<id>[a-z0-9]+)$"), "DescribeClusterDetail"),
    ("DELETE", re.compile(r"^/clusters/(?P<id>[a-z0-9]+)$"), "DeleteCluster"),
    ("PUT", re.compile(r"^/api/v2/clusters/(?P<id>[a-z0-9]+)$"), "ModifyCluster"),
    ("GET", re.compile(r"^/k8s/(?P<id>[a-z0-9]+)/external/agent/deployment$"), "DescribeExternalAgent"),
)


@dataclass
class Fault:
    status: int = 503
    code: str = "ServiceUnavailable"
    message: str = "The request has failed due to a temporary failure of the server."
    delay: float = 0.0  # seconds to sleep before answering (longer than the client timeout = timeout)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    action: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    signed_headers: list[str]
    status: int = 0


class StandIn(JsonStandIn):
    def __init__(self, region_id: str = "cn-beijing"):
        self.region_id = region_id
        self.clusters: dict[str, dict[str, Any]] = {}
        self.requests: list[Seen] = []
        self.violations: list[str] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.signature = Acs3Verifier(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        self._ids = itertools.count(1)
        super().__init__()

    # scripting
    def fail(self, action: str, fault: Fault, times: int = 1) -> None:
        for _ in range(times):
            self._faults[action].append(fault)

    def calls(self, action: str) -> list[Seen]:
        return [r for r in self.requests if r.action == action]

    def add_cluster(self, **fields: Any) -> str:
        cid = self._new_id()
        self.clusters[cid] = {"cluster_id": cid, "cluster_type": "ExternalKubernetes", "state": "waiting",
                              "region_id": self.region_id, "deletion_protection": False, **fields}
        return cid

    def _new_id(self) -> str:
        return "c" + hashlib.sha256(f"standin-{next(self._ids)}".encode()).hexdigest()[:32]

    def _error(self, status: int, code: str, message: str) -> tuple[int, dict, dict]:
        rid = f"STANDIN-{len(self.requests):04d}"
        return status, {"Code": code, "Message": message, "RequestId": rid, "HostId": self.endpoint}, {}

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        url = urlsplit(target)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        action, params = "", {}
        for m, rx, name in ROUTES:
            hit = rx.match(url.path)
            if hit and m == method:
                action, params = name, hit.groupdict()
                break
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        seen = Seen(action or "?", method, url.path, query, body, [])
        with self._lock:
            self.requests.append(seen)
        seen.signed_headers, problems = self.signature.check(method, url.path, query, headers, raw)
        if not action:
            problems.append(f"no route for {method} {url.path}")
        elif headers.get("x-acs-action") != action:
            problems.append(f"x-acs-action {headers.get('x-acs-action')!r} does not match {method} {url.path} ({action})")
        if headers.get("x-acs-version") != "2015-12-15":
            problems.append(f"x-acs-version is {headers.get('x-acs-version')!r}")
        if not problems:
            problems = getattr(self, f"_check_{action}")(query, body, headers)
        if problems:
            with self._lock:
                self.violations.extend(f"{action or method + ' ' + url.path}: {p}" for p in problems)
            seen.status = 400
            return self._error(400, "StandIn.InvalidRequest", "; ".join(problems))
        with self._lock:
            fault = self._faults[action].popleft() if self._faults[action] else None
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            seen.status = fault.status
            status, err, _ = self._error(fault.status, fault.code, fault.message)
            return status, err, fault.headers
        status, out = getattr(self, f"_do_{action}")(params, query, body)
        seen.status = status
        return status, out, {}


    # per-action request checks
    def _check_CreateCluster(self, query, body, headers) -> list[str]:
        p = []
        if not headers.get("content-type", "").startswith("application/json"):
            p.append("body is not JSON")
        if not isinstance(body, dict):
            return p + ["no JSON object body"]
        if body.get("cluster_type") != "ExternalKubernetes":
            p.append(f"cluster_type is {body.get('cluster_type')!r}, not ExternalKubernetes")
        for key in ("name", "region_id", "vpcid"):
            if not body.get(key):
                p.append(f"{key} is missing")
        if "vpc_id" in body:
            p.append("vpc_id is not a CreateCluster field (it is vpcid)")
        if body.get("region_id") and body["region_id"] != self.region_id:
            p.append(f"region_id {body['region_id']} sent to the {self.region_id} endpoint")
        return p

    def _check_DescribeExternalAgent(self, query, body, headers) -> list[str]:
        p = []
        if query.get("PrivateIpAddress") not in ("true", "false"):
            p.append(f"PrivateIpAddress is {query.get('PrivateIpAddress')!r}, must be the string true/false")
        if query.get("AgentMode") not in ("admin", "restricted"):
            p.append(f"AgentMode is {query.get('AgentMode')!r}")
        return p

    def _check_ModifyCluster(self, query, body, headers) -> list[str]:
        if not isinstance(body, dict) or not ({"cluster_name", "deletion_protection"} & set(body)):
            return ["ModifyCluster without cluster_name or deletion_protection"]
        return []

    def _check_DescribeClusterDetail(self, query, body, headers) -> list[str]:
        return [] if not query else [f"unexpected query {query}"]

    def _check_DeleteCluster(self, query, body, headers) -> list[str]:
        return []

    # recorded-shape responses
    def _rid(self) -> str:
        return f"{len(self.requests):08d}-5A5A-4B4B-9C9C-STANDIN00000"

    def _not_found(self, cid: str) -> tuple[int, dict]:
        status, body, _ = self._error(404, "ErrorClusterNotFound", f"cluster {cid} not found")
        return status, body

    def _do_CreateCluster(self, params, query, body):
        cid = self._new_id()
        self.clusters[cid] = {
            "cluster_id": cid, "name": body["name"], "region_id": body["region_id"], "vpc_id": body["vpcid"],
            "cluster_type": "ExternalKubernetes", "state": "waiting", "service_cidr": body.get("service_cidr", ""),
            "deletion_protection": bool(body.get("deletion_protection", False)),
            "tags": body.get("tags", []), "created": "2025-01-01T00:00:00+08:00",
        }
        return 202, {"cluster_id": cid, "request_id": self._rid(), "task_id": f"T-{cid[:12]}"}

    def _do_DescribeClusterDetail(self, params, query, body):
        c = self.clusters.get(params["id"])
        return (200, dict(c)) if c else self._not_found(params["id"])

    def _do_DescribeExternalAgent(self, params, query, body):
        c = self.clusters.get(params["id"])
        if not c:
            return self._not_found(params["id"])
        manifest = agent.sample_manifest(c["cluster_id"], c["region_id"], query["PrivateIpAddress"] == "true",
                                         query["AgentMode"], token=f"token-of-{c['cluster_id']}")
        return 200, {"config": manifest}

    def _do_ModifyCluster(self, params, query, body):
        c = self.clusters.get(params["id"])
        if not c:
            return self._not_found(params["id"])
        if "cluster_name" in body:
            c["name"] = body["cluster_name"]
        if "deletion_protection" in body:
            c["deletion_protection"] = bool(body["deletion_protection"])
        return 202, {"cluster_id": c["cluster_id"], "request_id": self._rid(), "task_id": ""}

    def _do_DeleteCluster(self, params, query, body):
        c = self.clusters.get(params["id"])
        if not c:
            return self._not_found(params["id"])
        if c.get("deletion_protection"):
            status, err, _ = self._error(400, "ErrDeletionProtection", "the cluster has deletion protection enabled")
            return status, err
        del self.clusters[params["id"]]
        return 202, {"cluster_id": params["id"], "request_id": self._rid(), "task_id": f"T-del-{params['id'][:8]}"}


def loopback_only(monkeypatch) -> None:
    """Name resolution answers for loopback only: a change that drops the stand-in's endpoint (a
    mutant, a bug) makes the SDK fail on the spot instead of looking up and contacting Alibaba's
    real endpoint (tests never leave 127.0.0.0/8)."""
    import ipaddress
    import socket

    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            loopback = ipaddress.ip_address(name).is_loopback
        except ValueError:
            loopback = name == "localhost"
        if not loopback:
            raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known ({name}: tests stay on loopback)")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def sdk_env(monkeypatch, standin: StandIn) -> None:
    """Environment the provider sees: stand-in endpoint over http, test credentials, no proxies;
    names other than loopback do not resolve (loopback_only)."""
    loopback_only(monkeypatch)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
                "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HYBRID_ACK_ENDPOINT", standin.endpoint)
    monkeypatch.setenv("HYBRID_ACK_PROTOCOL", "http")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
    # The credentials chain would otherwise also probe ~/.alibabacloud and the ECS metadata server.
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")


def the_clusters(standin: StandIn, name: Optional[str] = None) -> list[dict[str, Any]]:
    return [c for c in standin.clusters.values() if name is None or c.get("name") == name]
