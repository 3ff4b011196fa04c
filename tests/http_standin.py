"""What every local Alibaba API stand-in shares: a JSON server on 127.0.0.1 in a daemon thread,
and the check of the ACS3-HMAC-SHA256 signature the real SDK sends.

A subclass answers ``handle(method, target, headers, raw) -> (status, document, extra headers)``
(headers with lower-case names); this class serves it, one thread a request, until the ``with``
block ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

ACS3 = "ACS3-HMAC-SHA256"
# The headers the V3 signature must cover (Alibaba Cloud, "Request signatures" for the V3 API style).
MUST_SIGN = ("host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version")


class Acs3Verifier:
    """Recomputes an ACS3-HMAC-SHA256 signature with the test key, as the real endpoint does.

    Canonical request = method, path, the query sorted by key (RFC 3986 encoding of keys and
    values), the signed headers as ``name:value`` lines, the sorted header list, the SHA-256 of the
    body; string to sign = algorithm and the SHA-256 of the canonical request; HMAC-SHA256 with the
    secret. Also: the key id is the one given, the body hash matches, the date is within 15 minutes,
    and no nonce is accepted twice."""

    def __init__(self, key_id: str, secret: str) -> None:
        self.key_id, self.secret = key_id, secret
        self._nonces: set[str] = set()
        self._nonce_lock = threading.Lock()

    def check(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
              raw: bytes) -> tuple[list[str], list[str]]:
        """(the signed header names, the problems found: empty when the request verifies)."""
        auth = headers.get("authorization", "")
        m = re.fullmatch(rf"{ACS3} Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{{64}})", auth)
        if not m:
            return [], [f"Authorization is not an {ACS3} signature: {auth[:50]!r}"]
        key_id, signed, signature = m.group(1), m.group(2).split(";"), m.group(3)
        problems = []
        if key_id != self.key_id:
            problems.append(f"signed with access key {key_id!r}, not the one the client was given")
        if signed != sorted(signed):
            problems.append("SignedHeaders are not sorted")
        missing = [h for h in MUST_SIGN if h not in signed]
        if missing:
            problems.append(f"headers not signed: {missing}")
        body_hash = hashlib.sha256(raw).hexdigest()
        if headers.get("x-acs-content-sha256") != body_hash:
            problems.append("x-acs-content-sha256 is not the SHA-256 of the body")
        nonce = headers.get("x-acs-signature-nonce", "")
        with self._nonce_lock:
            if not nonce or nonce in self._nonces:
                problems.append(f"nonce {nonce!r} missing or replayed")
            self._nonces.add(nonce)
        try:
            sent = datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            if abs((datetime.now(timezone.utc) - sent).total_seconds()) > 900:
                problems.append("x-acs-date is more than 15 minutes off")
        except ValueError:
            problems.append(f"x-acs-date {headers.get('x-acs-date')!r} is not ISO 8601 UTC")
        pairs = sorted((quote(k, safe="~"), quote(v, safe="~")) for k, v in query.items())
        canonical = "\n".join([
            method, path, "&".join(f"{k}={v}" for k, v in pairs),
            "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed), ";".join(signed), body_hash,
        ])
        to_sign = f"{ACS3}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        expected = hmac.new(self.secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            problems.append("signature does not verify")
        return signed, problems


class JsonStandIn:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll: shutdown() waits for the loop's next poll (0.5 s by default), once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict, dict]:
        raise NotImplementedError

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self):
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, doc, extra = standin.handle(self.command, self.path,
                                                    {k.lower(): v for k, v in self.headers.items()}, raw)
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json;charset=utf-8")
                self.send_header("content-length", str(len(data)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        return Handler


@contextlib.contextmanager
def unaccepted_listener():
    """The address of a loopback listener whose accept queue is full (backlog 0, filled, never
    accepted): Linux drops a new SYN, so a client's connect() waits until its own timeout."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(0)
        fill = []
        try:
            for _ in range(3):
                c = socket.socket()
                c.setblocking(False)
                c.connect_ex(srv.getsockname())
                fill.append(c)
            time.sleep(0.2)
            yield "127.0.0.1:%d" % srv.getsockname()[1]
        finally:
            for c in fill:
                c.close()
