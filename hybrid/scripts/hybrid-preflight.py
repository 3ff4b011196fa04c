#!/usr/bin/env python3
"""hybrid-preflight: check for real that this node (or the IDC, in operator mode) reaches every
endpoint a cloud GPU node needs, layer by layer: DNS, TCP, TLS, then the service itself (a registry
manifest HEAD through the /v2/ API, an apt repository's InRelease, an HTTP answer).

Standard library only: the node runs it with the image's python3 (cloud-init's own interpreter).
The checks come as JSON (``hybrid.preflight.checks``, the same endpoint list as the plan's
reachability.json); each carries the fix to print when it fails. Exit 0 when every check passes,
1 otherwise, 2 on unusable input.

usage: hybrid-preflight [--checks FILE] [--timeout S] [--codename NAME] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import ssl
import sys
from typing import Any, Callable, Optional
from urllib.parse import quote, urlsplit

DEFAULT_CHECKS = "/etc/hybrid/preflight.json"
# What containerd asks a registry for when it resolves a tag (OCI image-spec media types and
# Docker's manifest list / v2 schema 2, as containerd's remotes/docker resolver sends them).
MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
PGP_SIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"


class Failure(Exception):
    pass


def _resolve(host: str) -> str:
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise Failure(f"{host} does not resolve ({err.strerror if hasattr(err, 'strerror') and err.strerror else err})") from None
    addr = infos[0][4][0]
    assert isinstance(addr, str), "an AF_INET sockaddr is (address, port)"
    return addr


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except socket.timeout:
        raise Failure(f"{host}:{port}: no answer within {timeout:g}s (no route, or a firewall drops it)") from None
    except OSError as err:
        raise Failure(f"{host}:{port}: {err.strerror or err}") from None


def _tls_context(verify: bool, cafile: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _tls(host: str, port: int, timeout: float, verify: bool, cafile: str | None) -> str:
    sock = _connect(host, port, timeout)
    try:
        with _tls_context(verify, cafile).wrap_socket(sock, server_hostname=host) as tls:
            return tls.version() or "TLS"
    except ssl.SSLCertVerificationError as err:
        raise Failure(f"{host}:{port}: certificate not trusted ({err.verify_message})") from None
    except (ssl.SSLError, OSError) as err:
        raise Failure(f"{host}:{port}: TLS handshake failed ({getattr(err, 'reason', None) or err})") from None


def _request(url: str, method: str, timeout: float, headers: dict[str, Any], verify: bool, cafile: str | None) -> tuple[int, dict[str, Any], bytes]:
    parts = urlsplit(url)
    host = parts.hostname
    if host is None:
        raise Failure(f"{url}: the URL names no host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, parts.port or 443, timeout=timeout,
                                                                      context=_tls_context(verify, cafile))
    else:
        conn = http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        body = resp.read(65536) if method != "HEAD" else b""
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    except (OSError, http.client.HTTPException) as err:
        raise Failure(f"{method} {url}: {err}") from None
    finally:
        conn.close()


def manifest_url(c: dict[str, Any]) -> str:
    """Where containerd sends a manifest request for ``repo:reference`` through host ``url``
    (containerd docs/hosts.md: /v2 unless override_path; ?ns=<upstream> when the host is a mirror)."""
    base = c["url"].rstrip("/")
    root = base if c.get("overridePath") else base + "/v2"
    url = f"{root}/{c['repo']}/manifests/{quote(c['reference'], safe=':')}"
    if c.get("ns"):
        url += "?ns=" + quote(c["ns"], safe="")
    return url


def run_check(c: dict[str, Any], timeout: float, codename: str) -> str:
    """Run one check; return what passed, or raise Failure."""
    kind = c["kind"]
    if kind == "dns":
        return f"{c['host']} -> {_resolve(c['host'])}"
    if kind == "tcp":
        _connect(c["host"], c["port"], timeout).close()
        return f"{c['host']}:{c['port']} accepts connections"
    if kind == "tls":
        version = _tls(c["host"], c["port"], timeout, c.get("verify", True), c.get("cafile"))
        return f"{c['host']}:{c['port']} {version}" + ("" if c.get("verify", True) else " (handshake only: the cluster CA comes with the join)")
    if kind == "registry":
        url = manifest_url(c)
        status, headers, _ = _request(url, "HEAD", timeout, {"Accept": MANIFEST_ACCEPT}, True, c.get("cafile"))
        if status == 200:
            return f"{c['repo']}:{c['reference']} {headers.get('docker-content-digest', '(no digest header)')}"
        if status == 401:
            raise Failure(f"HEAD {url}: 401, the registry wants credentials ({headers.get('www-authenticate', 'no challenge')})")
        if status == 404:
            raise Failure(f"HEAD {url}: 404, {c['repo']}:{c['reference']} is not there")
        raise Failure(f"HEAD {url}: HTTP {status}")
    if kind == "apt":
        url = c["url"].replace("@CODENAME@", codename)
        status, _, body = _request(url, "GET", timeout, {}, True, c.get("cafile"))
        if status != 200:
            raise Failure(f"GET {url}: HTTP {status}")
        if not body.startswith(PGP_SIGNED):
            raise Failure(f"GET {url}: not a clearsigned InRelease file")
        return f"{url} signed release file"
    if kind == "http":
        status, _, _ = _request(c["url"], c.get("method", "GET"), timeout, {}, True, c.get("cafile"))
        if status >= 500:
            raise Failure(f"{c.get('method', 'GET')} {c['url']}: HTTP {status}")
        return f"{c['url']} answers HTTP {status}"
    raise Failure(f"unknown check kind {kind!r}")


def run(checks: list[dict[str, Any]], timeout: float = 5.0, codename: str = "jammy",
        on_check: Optional[Callable[[int, int, dict[str, Any]], None]] = None) -> list[dict[str, Any]]:
    """Every check in order; a check whose endpoint failed a lower layer is skipped.
    ``on_check(i, total, check)`` is called before each one (progress: a check may wait ``timeout``)."""
    failed: set[str] = set()
    out = []
    for i, c in enumerate(checks):
        if on_check is not None:
            on_check(i, len(checks), c)
        group = c.get("group", "")
        if group in failed:
            out.append({**c, "status": "SKIP", "message": "an earlier check of this endpoint failed"})
            continue
        try:
            out.append({**c, "status": "PASS", "message": run_check(c, timeout, codename)})
        except Failure as err:
            failed.add(group)
            out.append({**c, "status": "FAIL", "message": str(err)})
    return out


def report(results: list[dict[str, Any]]) -> str:
    lines = []
    for r in results:
        lines.append(f"[{r['status']}] {r['kind']:<8} {r['need']}: {r['message']}")
        if r["status"] == "FAIL" and r.get("fix"):
            lines.append(f"       fix: {r['fix']}")
    passed = sum(r["status"] == "PASS" for r in results)
    failed = sum(r["status"] == "FAIL" for r in results)
    lines.append(f"{passed} passed, {failed} failed, {len(results) - passed - failed} skipped")
    return "\n".join(lines) + "\n"


def local_codename() -> str:
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                if line.startswith("VERSION_CODENAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "jammy"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="hybrid-preflight", description=__doc__.split("\n\n")[0])
    ap.add_argument("--checks", default=DEFAULT_CHECKS, help=f"checks JSON (default {DEFAULT_CHECKS})")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds per connection (default 5)")
    ap.add_argument("--codename", default=None, help="Ubuntu release of the apt checks (default: this machine's)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    try:
        with open(args.checks, encoding="utf-8") as f:
            checks = json.load(f)["checks"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"--checks {args.checks}: cannot be used ({err}). Fix: pass the checks file the node got "
              "(/etc/hybrid/preflight.json) or one written by `hybrid-gpu preflight --write-node-bundle DIR`.", file=sys.stderr)
        return 2
    results = run(checks, args.timeout, args.codename or local_codename())
    sys.stdout.write(json.dumps(results, indent=2) + "\n" if args.json else report(results))
    return 0 if all(r["status"] != "FAIL" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
