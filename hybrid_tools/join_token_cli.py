"""``hybrid-gpu join-token put|check --stack S``: the kubeadm join token in each GPU region's OSS object.

The token never passes through Pulumi (config or state, which every preview can decrypt): the
program creates the buckets and the nodes' read grant (components/join_token.py), the operator
writes the object here with the Alibaba OSS SDK ``oss2`` and the deploy identity's AccessKey
(``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``ALIBABA_CLOUD_ACCESS_KEY_SECRET``, as for ``pulumi up``).

* ``put`` reads the token from stdin (``kubeadm token create --ttl 720h | hybrid-gpu join-token
  put --stack prod``; the last word of a ``--print-join-command`` line is not the token, so the
  input must be the token itself or that line, whose ``--token`` value is taken) and writes it,
  server-side encrypted, to every region's ``join-token`` object;
* ``check`` reads each object's ``Last-Modified`` (HEAD) and fails when one is missing or older
  than ``--max-age-days``: the drift/age check to run before a scale-out and on a schedule. The
  age is the object's, not the token's TTL (kubeadm keeps that on the IDC side): rotate well
  before the TTL you chose.

``--endpoint`` replaces each region's public endpoint ``https://oss-<region>.aliyuncs.com``
(``{region}`` is substituted), e.g. an internal endpoint from a host in the region's VPC.
"""

from __future__ import annotations

import argparse
import email.utils
import os
import re
import sys
import time
from typing import Optional

from hybrid.model import join_token
from hybrid_tools.errors import InputError

_JOIN_CMD_TOKEN = re.compile(r"--token\s+(\S+)")
DEFAULT_MAX_AGE_DAYS = 25  # under the 720h (30 days) TTL docs/operations.md recommends


def parse_token(text: str) -> str:
    """The token from stdin: the token alone, or kubeadm's --print-join-command line."""
    text = text.strip()
    m = _JOIN_CMD_TOKEN.search(text)
    token = m.group(1) if m else text
    if not join_token.TOKEN_RE.match(token):
        raise InputError("stdin: not a kubeadm token (abcdef.0123456789abcdef). "
                         "Fix: pipe `kubeadm token create --ttl 720h` (or its --print-join-command line) into this command.")
    return token


def _credentials() -> tuple[str, str]:
    key_id, secret = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if not key_id or not secret:
        raise InputError("ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET: not set. "
                         "Fix: export the deploy identity's AccessKey (the one `pulumi up` uses; previews' read-only key cannot write).")
    return key_id, secret


def targets(stack: str, endpoint: Optional[str], config: Optional[str] = None) -> list[tuple[str, str, str]]:
    """(region, endpoint, bucket) of every GPU region of the stack."""
    from pathlib import Path

    from hybrid_tools.stackconfig import read_stack

    cfg = read_stack(stack, None, Path(config) if config else None)
    platform = cfg.platform
    if platform is None:
        raise InputError(f"--stack {stack}: its config does not load. Fix: run `hybrid-gpu plan --stack {stack}` and fix what it names.")
    regions = join_token.regions(platform)
    if not regions:
        raise InputError(f"--stack {stack}: no region has GPU nodes, so there is no join-token bucket. Fix: nothing to do.")
    return [(r, (endpoint or join_token.public_endpoint("{region}")).replace("{region}", r), join_token.bucket_name(platform, r))
            for r in regions]


def _bucket(endpoint: str, bucket: str):
    import oss2

    key_id, secret = _credentials()
    # oss2.Auth signs with OSS's header signature V1, which the stand-in in tests checks from the doc.
    return oss2.Bucket(oss2.Auth(key_id, secret), endpoint, bucket, connect_timeout=10)


def _oss_failure(region: str, bucket: str, err: Exception) -> InputError:
    import oss2

    if isinstance(err, oss2.exceptions.NoSuchKey) or getattr(err, "status", None) == 404:
        return InputError(f"oss://{bucket}/{join_token.TOKEN_KEY} ({region}): does not exist. "
                          "Fix: `kubeadm token create --ttl 720h | hybrid-gpu join-token put --stack <stack>` (after `pulumi up` created the bucket).")
    # oss2's RequestError (no answer: refused, timed out, no route) is an OssError too, with status -2:
    # it gets the connection's own error and the endpoint's fix, not an HTTP status.
    if isinstance(err, oss2.exceptions.OssError) and not isinstance(err, oss2.exceptions.RequestError):
        return InputError(f"oss://{bucket}/{join_token.TOKEN_KEY} ({region}): OSS answered HTTP {err.status} {err.code}. "
                          "Fix: use the deploy identity's AccessKey (oss:PutObject/GetObject on the bucket) and check the host's clock.")
    reason = " ".join(str(getattr(err, "exception", err)).split())
    return InputError(f"oss://{bucket} ({region}): {reason}. Fix: check that this host reaches the OSS endpoint (--endpoint).")


def put(stack: str, token: str, endpoint: Optional[str], config: Optional[str] = None) -> list[str]:
    import oss2

    lines = []
    for region, ep, bucket in targets(stack, endpoint, config):
        try:
            _bucket(ep, bucket).put_object(join_token.TOKEN_KEY, token.encode() + b"\n",
                                           headers={"x-oss-server-side-encryption": "AES256", "Content-Type": "text/plain"})
        except (oss2.exceptions.OssError, oss2.exceptions.RequestError) as err:
            raise _oss_failure(region, bucket, err) from None
        lines.append(f"wrote oss://{bucket}/{join_token.TOKEN_KEY} ({region}, AES256)")
    return lines


def check(stack: str, max_age_days: float, endpoint: Optional[str], now: Optional[float] = None,
          config: Optional[str] = None) -> tuple[bool, list[str]]:
    import oss2

    now = time.time() if now is None else now
    ok, lines = True, []
    for region, ep, bucket in targets(stack, endpoint, config):
        where = f"oss://{bucket}/{join_token.TOKEN_KEY} ({region})"
        try:
            head = _bucket(ep, bucket).head_object(join_token.TOKEN_KEY)
        except (oss2.exceptions.OssError, oss2.exceptions.RequestError) as err:
            ok = False
            lines.append(f"FAIL {_oss_failure(region, bucket, err)}")
            continue
        written = email.utils.parsedate_to_datetime(head.headers["Last-Modified"]).timestamp()
        age = (now - written) / 86400
        if age > max_age_days:
            ok = False
            lines.append(f"FAIL {where}: written {age:.1f} days ago, over --max-age-days {max_age_days:g}. "
                         "Fix: rotate it (docs/operations.md, \"Rotate the join token\").")
        else:
            lines.append(f"ok   {where}: written {age:.1f} days ago")
    return ok, lines


def _cmd(args: argparse.Namespace) -> int:
    if args.action == "put":
        token = parse_token(sys.stdin.read(4096))
        for line in put(args.stack, token, args.endpoint, args.config):
            print(line)
        return 0
    if not args.max_age_days > 0:
        raise InputError(f"--max-age-days {args.max_age_days:g}: must be above 0. Fix: e.g. --max-age-days {DEFAULT_MAX_AGE_DAYS}.")
    ok, lines = check(args.stack, args.max_age_days, args.endpoint, config=args.config)
    for line in lines:
        print(line)
    return 0 if ok else 1


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("join-token", help="write (put) or age-check (check) the kubeadm join token in every GPU region's OSS object")
    p.add_argument("action", choices=("put", "check"), help="put: the token from stdin to every region; check: each object's age")
    from hybrid_tools.formats import add_stack

    add_stack(p)
    p.add_argument("--endpoint", help="OSS endpoint instead of https://oss-{region}.aliyuncs.com ({region} substituted)")
    p.add_argument("--max-age-days", type=float, default=DEFAULT_MAX_AGE_DAYS,
                   help=f"check: fail when an object is older; default {DEFAULT_MAX_AGE_DAYS}")
    p.set_defaults(func=_cmd)
