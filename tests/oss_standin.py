"""A stand-in OSS server: objects of buckets, behind OSS's header signature V1.

What it checks is written from Alibaba's "Include a V1 signature in the Authorization header"
(alibabacloud.com/help/en/oss/developer-reference/include-signatures-in-the-authorization-header),
not from any SDK:

* ``Authorization: OSS <AccessKeyId>:<Signature>``;
  ``Signature = base64(hmac-sha1(AccessKeySecret, VERB + "\\n" + Content-MD5 + "\\n" +
  Content-Type + "\\n" + Date + "\\n" + CanonicalizedOSSHeaders + CanonicalizedResource))``;
* CanonicalizedOSSHeaders: every ``x-oss-`` header, name lower-cased, sorted by name,
  ``name:value\\n`` each (value without surrounding blanks);
* CanonicalizedResource: ``/<bucket>/<object>`` (``/<bucket>/`` for the bucket itself), plus the
  signed sub-resources of the query, sorted (none of the requests here have one);
* STS credentials sign the same way and send their token in ``x-oss-security-token`` (a signed
  ``x-oss-`` header); an STS AccessKeyId without its token is refused;
* a ``Date`` more than 15 minutes off is ``RequestTimeTooSkewed`` (OSS error-code page for 403).

The bucket comes from the Host header (virtual-hosted style ``<bucket>.oss-<region>[-internal].aliyuncs.com``)
or, for an IP endpoint as oss2 uses against 127.0.0.1, from the first path segment (path style).
Errors are OSS's XML body with its ``Code``. Objects are GET, HEAD and PUT (Content-MD5 checked when
sent); responses carry ``Last-Modified``, ``ETag`` and ``x-oss-hash-crc64ecma`` as OSS does.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import ipaddress
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import unquote, urlsplit

import crcmod

# The CRC-64 OSS returns in x-oss-hash-crc64ecma: ECMA-182 polynomial, reflected, register starting
# and ending xored with all ones (CRC-64/XZ; check value of "123456789": 0x995DC9BBDF1939FA).
_CRC64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)
MAX_SKEW_S = 15 * 60


@dataclass
class Key:
    secret: str
    security_token: Optional[str] = None  # STS credentials carry one


@dataclass
class Stored:
    body: bytes
    last_modified: float
    content_type: str
    sse: Optional[str]


@dataclass
class Seen:
    method: str
    bucket: str
    key: str
    status: int
    code: str = ""


@dataclass
class OssStandIn:
    keys: dict[str, Key] = field(default_factory=dict)
    objects: dict[tuple[str, str], Stored] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    # --- the signature, as the doc defines it ----------------------------------------------

    @staticmethod
    def string_to_sign(verb: str, headers: dict[str, str], bucket: str, key: str) -> str:
        oss = sorted((k.lower(), v.strip()) for k, v in headers.items() if k.lower().startswith("x-oss-"))
        canon_headers = "".join(f"{k}:{v}\n" for k, v in oss)
        resource = f"/{bucket}/{key}" if bucket else "/"
        get = {k.lower(): v for k, v in headers.items()}
        return "\n".join([verb, get.get("content-md5", ""), get.get("content-type", ""), get.get("date", "")]) + "\n" + canon_headers + resource

    @staticmethod
    def signature(secret: str, to_sign: str) -> str:
        return base64.b64encode(hmac.new(secret.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()

    def authenticate(self, verb: str, headers: dict[str, str], bucket: str, key: str) -> Optional[tuple[int, str, str]]:
        """None when the request is signed right; else (status, OSS error code, message)."""
        get = {k.lower(): v for k, v in headers.items()}
        auth = get.get("authorization", "")
        if not auth.startswith("OSS ") or ":" not in auth[4:]:
            return 403, "AccessDenied", "You have no right to access this object because of bucket acl."
        key_id, _, sig = auth[4:].rpartition(":")
        k = self.keys.get(key_id)
        if k is None:
            return 403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records."
        if k.security_token is not None and get.get("x-oss-security-token") != k.security_token:
            return 403, "InvalidAccessKeyId", "The security token you provided is invalid."
        try:
            sent = email.utils.parsedate_to_datetime(get.get("date", "")).timestamp()
        except (TypeError, ValueError):
            return 403, "AccessDenied", "Date header missing or not in RFC 1123 form."
        if abs(sent - time.time()) > MAX_SKEW_S:
            return 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."
        want = self.signature(k.secret, self.string_to_sign(verb, headers, bucket, key))
        if not hmac.compare_digest(want, sig):
            return 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
        return None

    # --- HTTP ---------------------------------------------------------------------------------

    def _target(self, host: str, path: str) -> tuple[str, str]:
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host
        try:
            ipaddress.ip_address(name)
            is_ip = True
        except ValueError:
            is_ip = name == "localhost"
        path = unquote(urlsplit(path).path)
        if is_ip:  # path style
            bucket, _, key = path.lstrip("/").partition("/")
            return bucket, key
        return name.split(".", 1)[0], path.lstrip("/")

    def handler(self):
        standin = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def _reply(self, status: int, body: bytes = b"", headers: Optional[dict] = None) -> None:
                self.send_response(status)
                self.send_header("x-oss-request-id", "standin")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, bucket: str, key: str, status: int, code: str, message: str) -> None:
                standin.seen.append(Seen(self.command, bucket, key, status, code))
                body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
                        f"<RequestId>standin</RequestId><HostId>{self.headers.get('Host', '')}</HostId></Error>").encode()
                self._reply(status, body, {"Content-Type": "application/xml"})

            def _object_headers(self, o: Stored) -> dict:
                h = {"Content-Type": o.content_type, "Last-Modified": email.utils.formatdate(o.last_modified, usegmt=True),
                     "ETag": '"' + hashlib.md5(o.body).hexdigest().upper() + '"', "x-oss-hash-crc64ecma": str(_CRC64(o.body))}
                if o.sse:
                    h["x-oss-server-side-encryption"] = o.sse
                return h

            def _handle(self) -> None:
                bucket, key = standin._target(self.headers.get("Host", ""), self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                denied = standin.authenticate(self.command, dict(self.headers.items()), bucket, key)
                if denied:
                    return self._error(bucket, key, *denied)
                if self.command == "PUT":
                    md5 = self.headers.get("Content-MD5")
                    if md5 and md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
                        return self._error(bucket, key, 400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
                    standin.objects[(bucket, key)] = Stored(body, time.time(), self.headers.get("Content-Type", "application/octet-stream"),
                                                            self.headers.get("x-oss-server-side-encryption"))
                    standin.seen.append(Seen("PUT", bucket, key, 200))
                    o = standin.objects[(bucket, key)]
                    return self._reply(200, b"", {"ETag": self._object_headers(o)["ETag"], "x-oss-hash-crc64ecma": str(_CRC64(body))})
                o = standin.objects.get((bucket, key))
                if o is None:
                    return self._error(bucket, key, 404, "NoSuchKey", "The specified key does not exist.")
                standin.seen.append(Seen(self.command, bucket, key, 200))
                return self._reply(200, o.body, self._object_headers(o))

            do_GET = do_HEAD = do_PUT = _handle  # noqa: N815

        return H

    def serve(self, addr: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
        srv = ThreadingHTTPServer((addr, port), self.handler())
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv
