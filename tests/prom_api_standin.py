"""A stand-in for the three calls of the Prometheus HTTP API that ``hybrid-gpu usage`` makes, on 127.0.0.1.

The answers have the shapes of prometheus.io/docs/prometheus/latest/querying/api/: every body is
``{"status": "success", "data": ...}``; ``GET /api/v1/rules`` gives ``groups[]`` with ``name``,
``interval`` (seconds, a number) and ``rules[]`` of ``name``, ``query``, ``type``; ``/api/v1/query_range``
a ``matrix`` (``values: [[unix time, "value"], ...]``) and ``/api/v1/query`` a ``vector``
(``value: [unix time, "value"]``), sample values as strings. The series a test wants are given by
record (or metric) name; the stand-in does not evaluate PromQL: it names the series the query reads
and records every request (``requests``), so a test checks the PromQL it was sent.
"""

from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

from tests.http_standin import JsonStandIn


def api_groups(rules_file: dict[str, Any]) -> list[dict[str, Any]]:
    """A rules file (``groups: [{name, interval: "60s", rules: [{record, expr}]}]``) as /api/v1/rules lists it once loaded."""
    out = []
    for g in rules_file["groups"]:
        m = re.fullmatch(r"([0-9]+)s", g["interval"])
        assert m, g["interval"]
        out.append({"name": g["name"], "file": "/etc/prometheus/gpu-usage.rules.yml", "interval": float(m.group(1)),
                    "rules": [{"name": r["record"], "query": r["expr"], "type": "recording", "health": "ok"} for r in g["rules"]]})
    return out


class PromApi(JsonStandIn):
    def __init__(self, groups: list[dict[str, Any]], ranges: Optional[dict[str, list]] = None,
                 instant: Optional[dict[str, list]] = None, fail: Optional[tuple[int, dict]] = None):
        super().__init__()
        self.groups, self.ranges, self.instant, self.fail = groups, ranges or {}, instant or {}, fail
        self.requests: list[tuple[str, dict[str, str]]] = []

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @staticmethod
    def _read(query: str) -> str:
        """The record or metric a query reads: the innermost ``name[range]`` or ``name{...}``."""
        m = re.search(r"([A-Za-z_:][A-Za-z0-9_:]*)(?:\{[^}]*\})?\[", query)
        assert m, query
        return m.group(1)

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict, dict]:
        u = urlsplit(target)
        q = dict(parse_qsl(u.query))
        self.requests.append((u.path, q))
        if self.fail is not None:
            return self.fail[0], self.fail[1], {}
        if method != "GET":
            return 405, {"status": "error", "errorType": "bad_data", "error": "method not allowed"}, {}
        if u.path == "/api/v1/rules":
            return 200, {"status": "success", "data": {"groups": self.groups}}, {}
        if u.path == "/api/v1/query_range":
            return 200, {"status": "success", "data": {"resultType": "matrix", "result": self.ranges.get(self._read(q["query"]), [])}}, {}
        if u.path == "/api/v1/query":
            return 200, {"status": "success", "data": {"resultType": "vector", "result": self.instant.get(self._read(q["query"]), [])}}, {}
        return 404, {"status": "error", "errorType": "not_found", "error": f"{u.path} not found"}, {}
