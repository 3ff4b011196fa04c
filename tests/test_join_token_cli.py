"""``hybrid-gpu join-token put|check`` through the real oss2 SDK against the stand-in OSS on 127.0.0.1.

The stand-in (tests/oss_standin.py) checks the V1 signature as Alibaba's doc defines it, so a
pass here means oss2's requests and the doc's algorithm agree; a wrong secret is refused by it.
"""

from __future__ import annotations

import io
import time


from hybrid.model import join_token, load
from hybrid_tools import cli, join_token_cli
from tests.conftest import stack_raw

TOKEN = "r5t8y1.u4i7o0p3a6s9d2f5"


def _buckets(stack: str) -> dict[str, str]:
    p = load(stack_raw(stack))
    return {r: join_token.bucket_name(p, r) for r in join_token.regions(p)}


def test_put_writes_every_gpu_regions_object_encrypted(oss, monkeypatch, capsys):
    standin, endpoint = oss
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
    assert cli.main(["join-token", "put", "--stack", "prod", "--endpoint", endpoint]) == 0
    buckets = _buckets("prod")
    assert len(buckets) == 3  # prod's GPU regions (fixed and elastic)
    for bucket in buckets.values():
        stored = standin.objects[(bucket, "join-token")]
        assert stored.body == (TOKEN + "\n").encode() and stored.sse == "AES256"
    out = capsys.readouterr().out
    assert TOKEN not in out and out.count("wrote oss://") == 3


def test_put_takes_the_token_of_a_print_join_command_line(oss, monkeypatch):
    standin, endpoint = oss
    line = f"kubeadm join 10.0.0.10:6443 --token {TOKEN} --discovery-token-ca-cert-hash sha256:{'0' * 64}\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(line))
    assert cli.main(["join-token", "put", "--stack", "dev", "--endpoint", endpoint]) == 0
    (bucket,) = _buckets("dev").values()
    assert standin.objects[(bucket, "join-token")].body == (TOKEN + "\n").encode()


def test_a_wrong_secret_is_refused_by_the_signature_check(oss, monkeypatch, capsys):
    standin, endpoint = oss
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN))
    assert cli.main(["join-token", "put", "--stack", "dev", "--endpoint", endpoint]) == 2
    err = capsys.readouterr().err
    assert "HTTP 403 SignatureDoesNotMatch" in err and "Fix:" in err and err.count("\n") == 1
    assert not standin.objects and standin.seen[-1].code == "SignatureDoesNotMatch"


def test_bad_input_is_one_line_and_nothing_written(oss, monkeypatch, capsys):
    standin, endpoint = oss
    monkeypatch.setattr("sys.stdin", io.StringIO("not a token"))
    assert cli.main(["join-token", "put", "--stack", "dev", "--endpoint", endpoint]) == 2
    assert "stdin: not a kubeadm token" in capsys.readouterr().err and not standin.seen
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN))
    assert cli.main(["join-token", "put", "--stack", "dev", "--endpoint", endpoint]) == 2
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in capsys.readouterr().err and not standin.objects


def test_check_fails_on_a_missing_or_old_object_and_passes_on_a_fresh_one(oss, monkeypatch, capsys):
    standin, endpoint = oss
    assert cli.main(["join-token", "check", "--stack", "dev", "--endpoint", endpoint]) == 1
    assert "does not exist" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN))
    assert cli.main(["join-token", "put", "--stack", "dev", "--endpoint", endpoint]) == 0
    assert cli.main(["join-token", "check", "--stack", "dev", "--endpoint", endpoint, "--max-age-days", "25"]) == 0
    assert "written 0.0 days ago" in capsys.readouterr().out
    # written 26 days ago (by the server's clock, as Last-Modified carries it)
    (bucket,) = _buckets("dev").values()
    standin.objects[(bucket, "join-token")].last_modified = time.time() - 26 * 86400
    assert cli.main(["join-token", "check", "--stack", "dev", "--endpoint", endpoint, "--max-age-days", "25"]) == 1
    out = capsys.readouterr().out
    assert "written 26.0 days ago, over --max-age-days 25" in out and "Rotate the join token" in out


def test_parse_token_accepts_the_token_alone_or_kubeadms_join_line():
    assert join_token_cli.parse_token(f"  {TOKEN}\n") == TOKEN
    assert join_token_cli.parse_token(f"kubeadm join h:6443 --token {TOKEN} --discovery-token-ca-cert-hash sha256:ab") == TOKEN
