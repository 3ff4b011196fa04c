"""The node's join-token fetch (hybrid/scripts/hybrid-join-token.sh), run for real in a network namespace.

The namespace holds the metadata service stand-in (100.100.100.200: session token, the instance
RAM role, its STS credentials) and the stand-in OSS server (tests/oss_standin.py, which checks
the V1 signature as Alibaba's doc defines it) on the address the region's internal endpoint
name resolves to, with TLS from a throwaway CA. The rendered script runs unchanged: its curl
and openssl do the signing; the stand-in, not the script, decides what is accepted.

``python -m tests.test_join_token_fetch`` prints the accepted and the refused run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hybrid import cloudinit
from hybrid.model import join_token, load
from tests.conftest import stack_raw
from tests.node_standins import Namespace, make_certs

METADATA, OSS = "100.100.100.200", "10.40.0.7"
TOKEN = "k3x9qa.7f2m0c4d8e1b5a6z"
STS_ID, STS_SECRET, STS_TOKEN = "STS.NTstandinKey01", "standin/secret+Key=01", "CAISstandin+token/with=chars"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "openssl", "curl", "bash")),
    reason="needs root, ip, openssl, curl and bash")


def _context():
    p = load(stack_raw("dev"))
    region = p.region("cn-beijing")
    return cloudinit.context_for(p, region.id, region.gpu_pools[0])


def fetch(tmp: Path, node_secret: str = STS_SECRET, objects: bool = True, token: str = TOKEN, code: str = "Success", tz: str = "UTC"):
    """Run the rendered fetch in a fresh namespace; (exit code, stdout, stderr, what OSS saw)."""
    ctx = _context()
    host = join_token.internal_host(ctx.token_bucket, ctx.region_id)
    script = tmp / "hybrid-join-token"
    script.write_text(cloudinit.render_join_token_script(ctx, attempts=2, backoff_s=1))
    script.chmod(0o755)
    certs = make_certs(tmp / "certs", [host], [OSS])
    config = {"ttl": 120, "listeners": [
        {"kind": "metadata", "addr": METADATA, "port": 80, "role": "hybrid-dev-cn-beijing-gpu-node",
         "credentials": {"id": STS_ID, "secret": node_secret, "token": STS_TOKEN, "code": code}},
        {"kind": "oss", "addr": OSS, "port": 443, "tls": {"cert": certs["cert"], "key": certs["key"]},
         "keys": {STS_ID: {"secret": STS_SECRET, "token": STS_TOKEN}},
         "objects": [{"bucket": ctx.token_bucket, "key": join_token.TOKEN_KEY, "body": token + "\n"}] if objects else []},
    ]}
    with Namespace([METADATA, OSS], {host: OSS}) as ns:
        ns.serve(config, tmp)
        done = ns.exec(["env", f"CURL_CA_BUNDLE={certs['ca']}", f"TZ={tz}", "bash", str(script)], timeout=120)
    return done.returncode, done.stdout, done.stderr


def _no_secret_in(text: str) -> None:
    for secret in (STS_SECRET, STS_TOKEN, TOKEN):
        assert secret not in text


def test_signed_get_with_the_role_credentials_is_accepted(tmp_path):
    rc, out, err = fetch(tmp_path)
    assert (rc, out) == (0, TOKEN), err
    _no_secret_in(err)


def test_a_wrong_secret_is_refused_by_the_signature_check_and_named(tmp_path):
    rc, out, err = fetch(tmp_path, node_secret="not-the-role-secret")
    assert rc == 1 and out == ""
    assert "HTTP 403 SignatureDoesNotMatch" in err
    assert "join-token read policy" in err and "attempt 2/2" in err
    _no_secret_in(err)


def test_a_missing_object_names_join_token_put(tmp_path):
    rc, out, err = fetch(tmp_path, objects=False)
    assert rc == 1 and out == ""
    assert "HTTP 404" in err and "hybrid-gpu join-token put --stack" in err


def test_an_object_that_is_no_kubeadm_token_is_refused(tmp_path):
    rc, out, err = fetch(tmp_path, token="not a token")
    assert rc == 1 and out == "" and "does not hold a kubeadm token" in err


def test_credentials_the_service_marks_failed_are_not_used(tmp_path):
    """The metadata service answers a role whose STS issue failed with Code other than "Success"
    (alibabacloud-credentials' ecs_ram_role provider raises on it): no request to OSS with them."""
    rc, out, err = fetch(tmp_path, code="Failed")
    assert rc == 1 and out == ""
    assert "are not Code: Success" in err and "HTTP" not in err


def test_a_node_on_china_standard_time_signs_a_gmt_date(tmp_path):
    """The Date header is GMT whatever the node's zone (RFC 1123 form, as OSS's signature doc
    requires); a local time labelled GMT is eight hours off on CST and OSS answers RequestTimeTooSkewed."""
    rc, out, err = fetch(tmp_path, tz="Asia/Shanghai")
    assert (rc, out) == (0, TOKEN), err


if __name__ == "__main__":
    import tempfile

    for title, kw in (("accepted (the role's credentials)", {}), ("refused (wrong secret)", {"node_secret": "not-the-role-secret"})):
        with tempfile.TemporaryDirectory() as d:
            rc, out, err = fetch(Path(d), **kw)
        print(f"--- {title}: exit {rc}; stdout {'= the token' if out == TOKEN else repr(out)}\n{err}")
