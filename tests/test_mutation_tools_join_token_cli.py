"""hybrid_tools/join_token_cli.py: ``hybrid-gpu join-token put|check``, in-process, through the real oss2
SDK against the stand-in OSS on 127.0.0.1 (tests/oss_standin.py, which checks the V1 signature from
Alibaba's doc). Name resolution is held to loopback (tests/standin.py loopback_only).

Hand-worked facts: bucket names are ``hybrid-<environment>-<region>-join-<cluster name>``; dev has one
GPU region (cn-beijing), prod three (cn-beijing, cn-hangzhou, cn-zhangjiakou; stacks/*.yaml); a kubeadm
token is ``[a-z0-9]{6}.[a-z0-9]{16}`` (kubeadm's bootstrap token format).
"""

from __future__ import annotations

import email.utils
import io
from types import SimpleNamespace

import pytest

from hybrid.model import join_token, load
from hybrid_tools import cli, join_token_cli
from hybrid_tools.errors import InputError
from tests.conftest import DEPLOY_KEY_ID, DEPLOY_SECRET, help_text, prod_stack_file, stack_raw
from tests.standin import loopback_only

TOKEN = "r5t8y1.u4i7o0p3a6s9d2f5"
NOT_A_TOKEN = ("hybrid-gpu: stdin: not a kubeadm token (abcdef.0123456789abcdef). Fix: pipe `kubeadm token create --ttl 720h` "
               "(or its --print-join-command line) into this command.\n")


def _bucket(stack: str, region: str) -> str:
    return join_token.bucket_name(load(stack_raw(stack)), region)


def _put(monkeypatch, capsys, endpoint: str, stdin: str, stack: str = "dev") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = cli.main(["join-token", "put", "--stack", stack, "--endpoint", endpoint])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_parse_token_strips_and_takes_the_token_flag_value():
    assert join_token_cli.parse_token(f"\n\t{TOKEN}  \n") == TOKEN
    assert join_token_cli.parse_token(f"kubeadm join 10.0.0.10:6443 --token   {TOKEN} --discovery-token-ca-cert-hash sha256:ab") == TOKEN
    for bad in ("", "abcdef.0123456789abcde", "ABCDEF.0123456789ABCDEF", f"{TOKEN} extra", "kubeadm join h:6443 --token x"):
        with pytest.raises(InputError) as e:
            join_token_cli.parse_token(bad)
        assert f"hybrid-gpu: {e.value}\n" == NOT_A_TOKEN


def test_put_writes_the_token_encrypted_as_text_and_says_where(oss, monkeypatch, capsys):
    standin, endpoint = oss
    rc, out, err = _put(monkeypatch, capsys, endpoint, TOKEN + "\n", "prod")
    assert (rc, err) == (0, "")
    lines = []
    for region in ("cn-beijing", "cn-hangzhou", "cn-zhangjiakou"):
        bucket = _bucket("prod", region)
        stored = standin.objects[(bucket, "join-token")]
        assert (stored.body, stored.sse, stored.content_type) == ((TOKEN + "\n").encode(), "AES256", "text/plain")
        lines.append(f"wrote oss://{bucket}/join-token ({region}, AES256)")
    assert out == "\n".join(lines) + "\n"


def test_stdin_is_read_up_to_4096_characters(oss, monkeypatch, capsys):
    standin, endpoint = oss
    pad = " " * (4096 - len(TOKEN))
    assert _put(monkeypatch, capsys, endpoint, pad + TOKEN + "x")[0] == 0  # the 4097th character is not read
    assert standin.objects[(_bucket("dev", "cn-beijing"), "join-token")].body == (TOKEN + "\n").encode()
    assert _put(monkeypatch, capsys, endpoint, " " + pad + TOKEN) == (2, "", NOT_A_TOKEN)  # its last character is cut


@pytest.mark.parametrize("unset", ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
def test_either_half_of_the_access_key_missing_is_one_line(unset, oss, monkeypatch, capsys):
    standin, endpoint = oss
    monkeypatch.setenv(unset, "")
    assert _put(monkeypatch, capsys, endpoint, TOKEN) == (2, "", (
        "hybrid-gpu: ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET: not set. Fix: export the deploy identity's "
        "AccessKey (the one `pulumi up` uses; previews' read-only key cannot write).\n"))
    assert not standin.seen


def test_a_refused_put_names_the_object_the_status_and_the_fix(oss, monkeypatch, capsys):
    standin, endpoint = oss
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
    bucket = _bucket("dev", "cn-beijing")
    assert _put(monkeypatch, capsys, endpoint, TOKEN) == (2, "", (
        f"hybrid-gpu: oss://{bucket}/join-token (cn-beijing): OSS answered HTTP 403 SignatureDoesNotMatch. Fix: use the deploy "
        "identity's AccessKey (oss:PutObject/GetObject on the bucket) and check the host's clock.\n"))


def test_an_unreachable_endpoint_names_the_bucket_and_the_flag(monkeypatch, capsys):
    import socket

    loopback_only(monkeypatch)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", DEPLOY_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEPLOY_SECRET)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bucket = _bucket("dev", "cn-beijing")
    for action in ("put", "check"):
        monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN))
        rc = cli.main(["join-token", action, "--stack", "dev", "--endpoint", f"http://127.0.0.1:{port}"])
        cap = capsys.readouterr()
        text = cap.err if action == "put" else cap.out
        assert rc == (2 if action == "put" else 1)
        prefix = "hybrid-gpu: " if action == "put" else "FAIL "
        assert text.startswith(f"{prefix}oss://{bucket} (cn-beijing): ") and text.endswith(
            ". Fix: check that this host reaches the OSS endpoint (--endpoint).\n"), text
        assert text.count("\n") == 1 and "Connection refused" in text and "HTTP" not in text.split("Fix:")[0].replace("HTTPConnection", "")
        # the connection's own error (requests': HTTPConnectionPool(...)), not oss2's dict of status -2 and details
        assert text.startswith(f"{prefix}oss://{bucket} (cn-beijing): HTTPConnectionPool(host='127.0.0.1', port={port}): "), text


def test_check_reports_each_objects_age_against_the_limit(oss, monkeypatch, capsys):
    standin, endpoint = oss
    bucket = _bucket("dev", "cn-beijing")
    where = f"oss://{bucket}/join-token (cn-beijing)"
    assert join_token_cli.check("dev", 25, endpoint) == (False, [
        f"FAIL {where}: does not exist. Fix: `kubeadm token create --ttl 720h | hybrid-gpu join-token put --stack <stack>` "
        "(after `pulumi up` created the bucket)."])
    assert _put(monkeypatch, capsys, endpoint, TOKEN)[0] == 0
    written = standin.objects[(bucket, "join-token")].last_modified
    # Last-Modified is whole seconds (RFC 7231 date): the age counts from that second
    second = email.utils.parsedate_to_datetime(email.utils.formatdate(written, usegmt=True)).timestamp()
    assert join_token_cli.check("dev", 2, endpoint, now=second + 2 * 86400) == (True, [f"ok   {where}: written 2.0 days ago"])
    assert join_token_cli.check("dev", 2, endpoint, now=second + 2 * 86400 + 1) == (False, [
        f"FAIL {where}: written 2.0 days ago, over --max-age-days 2. Fix: rotate it (docs/operations.md, \"Rotate the join token\")."])
    assert join_token_cli.check("dev", 1.5, endpoint, now=second + 0.25 * 86400) == (True, [f"ok   {where}: written 0.2 days ago"])
    ok, lines = join_token_cli.check("dev", 1, endpoint)  # now: this machine's clock
    assert ok and lines == [f"ok   {where}: written 0.0 days ago"]


def test_check_goes_on_after_a_failing_region(oss, monkeypatch, capsys):
    standin, endpoint = oss
    assert _put(monkeypatch, capsys, endpoint, TOKEN, "prod")[0] == 0
    del standin.objects[(_bucket("prod", "cn-hangzhou"), "join-token")]
    assert cli.main(["join-token", "check", "--stack", "prod", "--endpoint", endpoint]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line[:5] for line in out] == ["ok   ", "FAIL ", "ok   "]
    assert "cn-hangzhou): does not exist." in out[1]


def test_check_uses_the_default_limit_and_refuses_one_not_above_zero(oss, monkeypatch, capsys):
    standin, endpoint = oss
    assert _put(monkeypatch, capsys, endpoint, TOKEN)[0] == 0
    bucket = _bucket("dev", "cn-beijing")
    standin.objects[(bucket, "join-token")].last_modified -= 24.9 * 86400
    assert cli.main(["join-token", "check", "--stack", "dev", "--endpoint", endpoint]) == 0  # docs: default 25 days
    capsys.readouterr()
    standin.objects[(bucket, "join-token")].last_modified -= 0.2 * 86400
    assert cli.main(["join-token", "check", "--stack", "dev", "--endpoint", endpoint]) == 1
    assert "over --max-age-days 25." in capsys.readouterr().out
    assert cli.main(["join-token", "check", "--stack", "dev", "--endpoint", endpoint, "--max-age-days", "0.5"]) == 1  # a limit under 1 day
    assert "over --max-age-days 0.5." in capsys.readouterr().out
    for value in ("0", "-1", "nan"):
        assert cli.main(["join-token", "check", "--stack", "dev", "--endpoint", endpoint, "--max-age-days", value]) == 2
        assert capsys.readouterr().err == f"hybrid-gpu: --max-age-days {value}: must be above 0. Fix: e.g. --max-age-days 25.\n"


def test_targets_substitute_the_region_into_the_endpoint():
    buckets = {r: _bucket("prod", r) for r in ("cn-beijing", "cn-hangzhou", "cn-zhangjiakou")}
    assert join_token_cli.targets("prod", None) == [(r, f"https://oss-{r}.aliyuncs.com", b) for r, b in buckets.items()]
    assert join_token_cli.targets("prod", "https://oss-{region}-internal.aliyuncs.com") == [
        (r, f"https://oss-{r}-internal.aliyuncs.com", b) for r, b in buckets.items()]
    assert join_token_cli.targets("dev", "http://127.0.0.1:9") == [("cn-beijing", "http://127.0.0.1:9", _bucket("dev", "cn-beijing"))]


def test_targets_read_the_given_config_file(tmp_path):

    f = prod_stack_file(tmp_path)
    assert [t[0] for t in join_token_cli.targets("prod", None, str(f))] == ["cn-beijing", "cn-hangzhou"]


def test_a_stack_without_gpu_regions_has_no_bucket(monkeypatch):
    import hybrid_tools.stackconfig as sc

    real = sc.read_stack
    platform = load(stack_raw("dev"))
    monkeypatch.setattr(join_token, "regions", lambda p: [])
    with pytest.raises(InputError) as e:
        join_token_cli.targets("dev", None)
    assert str(e.value) == "--stack dev: no region has GPU nodes, so there is no join-token bucket. Fix: nothing to do."
    monkeypatch.setattr(sc, "read_stack", lambda *a, **k: SimpleNamespace(platform=None, raw=real("dev").raw))
    with pytest.raises(InputError) as e:
        join_token_cli.targets("dev", None)
    assert str(e.value) == "--stack dev: its config does not load. Fix: run `hybrid-gpu plan --stack dev` and fix what it names."
    assert platform is not None


def test_oss_failure_texts_for_a_missing_key_by_class_or_by_status():
    import oss2

    bucket = "b"
    missing = ("oss://b/join-token (r): does not exist. Fix: `kubeadm token create --ttl 720h | hybrid-gpu join-token put "
               "--stack <stack>` (after `pulumi up` created the bucket).")
    nsk = oss2.exceptions.NoSuchKey(404, {}, b"", {"Code": "NoSuchKey"})
    assert str(join_token_cli._oss_failure("r", bucket, nsk)) == missing
    plain404 = oss2.exceptions.ServerError(404, {}, b"", {"Code": "NoSuchBucket"})
    assert str(join_token_cli._oss_failure("r", bucket, plain404)) == missing
    other = oss2.exceptions.ServerError(500, {}, b"", {"Code": "InternalError"})
    assert str(join_token_cli._oss_failure("r", bucket, other)) == (
        "oss://b/join-token (r): OSS answered HTTP 500 InternalError. Fix: use the deploy identity's AccessKey "
        "(oss:PutObject/GetObject on the bucket) and check the host's clock.")


def test_the_sdk_client_gets_the_credentials_endpoint_and_a_timeout(monkeypatch):
    import oss2

    seen = {}
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", DEPLOY_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEPLOY_SECRET)
    monkeypatch.setattr(oss2, "Bucket", lambda auth, endpoint, bucket, **kw: seen.update(
        auth=auth.credentials_provider.get_credentials(), endpoint=endpoint, bucket=bucket, **kw) or "client")
    assert join_token_cli._bucket("http://127.0.0.1:9", "b") == "client"
    creds = seen.pop("auth")
    assert (creds.access_key_id, creds.access_key_secret) == (DEPLOY_KEY_ID, DEPLOY_SECRET)
    assert seen == {"endpoint": "http://127.0.0.1:9", "bucket": "b", "connect_timeout": 10}


def test_action_is_put_or_check_and_help_names_the_flags(capsys, monkeypatch):
    loopback_only(monkeypatch)  # a change that lets "get" through must not reach the public endpoint
    with pytest.raises(SystemExit) as e:
        cli.main(["join-token", "get", "--stack", "dev", "--endpoint", "http://127.0.0.1:9"])
    assert e.value.code == 2
    assert "argument action: invalid choice: 'get' (choose from put, check)" in capsys.readouterr().err.replace("'put', 'check'", "put, check")
    text = help_text(capsys, "join-token")
    for part in ("{put,check} put: the token from stdin to every region; check: each object's age",
                 "--endpoint ENDPOINT OSS endpoint instead of https://oss-{region}.aliyuncs.com ({region} substituted)",
                 "--max-age-days MAX_AGE_DAYS check: fail when an object is older; default 25"):
        assert part in text, part
    assert ("join-token write (put) or age-check (check) the kubeadm join token in every GPU region's OSS object"
            in help_text(capsys))


def test_put_and_check_read_the_given_config_file(oss, monkeypatch, capsys, tmp_path):

    standin, endpoint = oss
    f = prod_stack_file(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN))
    assert cli.main(["join-token", "put", "--stack", "prod", "--config", str(f), "--endpoint", endpoint]) == 0
    assert capsys.readouterr().out.count("wrote oss://") == 2
    assert cli.main(["join-token", "check", "--stack", "prod", "--config", str(f), "--endpoint", endpoint]) == 0
    assert capsys.readouterr().out.count("ok   oss://") == 2
