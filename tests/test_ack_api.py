"""The dynamic provider and the SDK wrapper against a local CS stand-in, with the real SDK client.

Every request goes through alibabacloud-cs20151215 + tea-openapi to
tests/standin.py on 127.0.0.1, which verifies the ACS3-HMAC-SHA256 signature,
the route, the action headers, the query and the body; each test ends by
asserting the stand-in saw no violation.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hybrid import ack_api
from hybrid.ack_api import AckApiError, AckClient, ClusterSpec, RetryPolicy
from tests.standin import ACCESS_KEY_ID, Fault

ROOT = Path(__file__).resolve().parents[1]

PROPS = {
    "cluster_name": "idc-bj",
    "region_id": "cn-beijing",
    "vpc_id": "vpc-2ze0example",
    "service_cidr": "172.21.0.0/20",
    "vswitch_ids": ["vsw-a", "vsw-b"],
    "security_group_id": "sg-2ze0example",
    "deletion_protection": False,
    "tags": {"env": "test", "managed-by": "pulumi"},
    "agent_endpoint": "private",
    "agent_mode": "restricted",
}


@pytest.fixture
def provider():
    from components.registered_cluster import RegisteredClusterProvider

    return RegisteredClusterProvider(retry_base=0.001, attempts=3, read_timeout_ms=20_000)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(**retry) -> tuple[AckClient, Sleeps]:
    sleeps = Sleeps()
    policy = RetryPolicy(**{"attempts": 4, "base": 0.01, "jitter": False, "sleep": sleeps, **retry})
    return AckClient("cn-beijing", retry=policy, read_timeout_ms=2_000), sleeps


# --- create / read / update / delete through the dynamic provider ---------------

def test_create_sends_a_signed_external_cluster_request_and_fetches_the_private_agent(standin, provider):
    result = provider.create(dict(PROPS))

    assert [r.action for r in standin.requests] == ["CreateCluster", "DescribeExternalAgent"]
    create, agent_call = standin.requests
    assert (create.method, create.path, create.query) == ("POST", "/clusters", {})
    assert create.body["cluster_type"] == "ExternalKubernetes"
    assert (create.body["name"], create.body["region_id"], create.body["vpcid"]) == ("idc-bj", "cn-beijing", "vpc-2ze0example")
    assert create.body["service_cidr"] == "172.21.0.0/20" and create.body["vswitch_ids"] == ["vsw-a", "vsw-b"]
    assert create.body["tags"] == [{"key": "env", "value": "test"}, {"key": "managed-by", "value": "pulumi"}]
    assert len(create.body["client_token"]) == 36  # idempotency token, one per create
    assert (agent_call.method, agent_call.path) == ("GET", f"/k8s/{result.id}/external/agent/deployment")
    assert agent_call.query == {"PrivateIpAddress": "true", "AgentMode": "restricted"}
    for seen in standin.requests:  # the signature covered host, date, nonce, body hash and the action
        assert {"host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256", "x-acs-action"} <= set(seen.signed_headers)

    assert result.id in standin.clusters
    assert result.outs["cluster_id"] == result.id and result.outs["state"] == "waiting"
    assert base64.b64decode(_secret_token(result.outs["agent_manifest"])).decode() == f"token-of-{result.id}"


def _secret_token(manifest: str) -> str:
    import yaml

    for doc in yaml.safe_load_all(manifest):
        if doc and doc["kind"] == "Secret":
            return doc["data"]["token"]
    raise AssertionError("no Secret in the agent manifest")


def test_public_agent_endpoint_asks_for_public_credentials(standin, provider):
    provider.create({**PROPS, "agent_endpoint": "public", "agent_mode": "admin"})
    (call,) = standin.calls("DescribeExternalAgent")
    assert call.query == {"PrivateIpAddress": "false", "AgentMode": "admin"}


def test_read_refreshes_from_the_api_and_keeps_the_applied_manifest(standin, provider):
    created = provider.create(dict(PROPS))
    standin.clusters[created.id]["state"] = "running"
    standin.clusters[created.id]["name"] = "renamed-in-console"

    first = provider.read(created.id, dict(created.outs))
    second = provider.read(created.id, dict(first.outs))

    assert first.id == created.id and first.outs["state"] == "running"
    assert first.outs["cluster_name"] == "renamed-in-console"  # drift shows up in the next diff
    assert first.outs["agent_manifest"] == created.outs["agent_manifest"]
    assert second.outs == first.outs  # idempotent: reading twice changes nothing
    assert len(standin.calls("DescribeExternalAgent")) == 1  # refresh does not mint new credentials
    assert [r.path for r in standin.calls("DescribeClusterDetail")] == [f"/clusters/{created.id}"] * 2


def test_read_of_a_deleted_cluster_drops_it_from_the_state(standin, provider):
    created = provider.create(dict(PROPS))
    del standin.clusters[created.id]
    gone = provider.read(created.id, dict(created.outs))
    assert gone.id == "" and gone.outs == {}
    assert standin.calls("DescribeClusterDetail")[-1].status == 404


def test_diff_replaces_on_region_vpc_and_service_cidr_only(provider):
    olds = {**PROPS, "cluster_id": "c1", "state": "running", "agent_manifest": "x"}
    assert provider.diff("c1", olds, dict(PROPS)).changes is False
    for key, value in (("region_id", "cn-hangzhou"), ("vpc_id", "vpc-other"), ("service_cidr", "172.22.0.0/20")):
        d = provider.diff("c1", olds, {**PROPS, key: value})
        assert d.changes is True and d.replaces == [key]
    for key, value in (("cluster_name", "idc-bj-2"), ("deletion_protection", True), ("agent_mode", "admin"), ("agent_endpoint", "public")):
        d = provider.diff("c1", olds, {**PROPS, key: value})
        assert d.changes is True and d.replaces == []
    # Sent at creation only: changing them is not an update of the cluster.
    assert provider.diff("c1", olds, {**PROPS, "tags": {"x": "y"}, "vswitch_ids": ["vsw-c"]}).changes is False


def test_update_renames_in_place_and_refetches_the_agent_for_a_new_mode(standin, provider):
    created = provider.create(dict(PROPS))
    news = {**PROPS, "cluster_name": "idc-bj-renamed", "agent_mode": "admin"}
    updated = provider.update(created.id, dict(created.outs), news)

    (modify,) = standin.calls("ModifyCluster")
    assert (modify.method, modify.path, modify.body) == ("PUT", f"/api/v2/clusters/{created.id}", {"cluster_name": "idc-bj-renamed"})
    assert standin.calls("DescribeExternalAgent")[-1].query == {"PrivateIpAddress": "true", "AgentMode": "admin"}
    assert standin.clusters[created.id]["name"] == "idc-bj-renamed"
    assert updated.outs["cluster_id"] == created.id and "cluster-admin" in updated.outs["agent_manifest"]


def test_delete_removes_the_cluster_and_tolerates_it_being_gone(standin, provider):
    created = provider.create(dict(PROPS))
    provider.delete(created.id, dict(created.outs))
    provider.delete(created.id, dict(created.outs))  # second time: 404, still fine
    assert created.id not in standin.clusters
    deletes = standin.calls("DeleteCluster")
    assert [(d.method, d.path, d.status) for d in deletes] == [("DELETE", f"/clusters/{created.id}", 202),
                                                               ("DELETE", f"/clusters/{created.id}", 404)]


def test_delete_of_a_protected_cluster_says_how_to_proceed(standin, provider):
    created = provider.create({**PROPS, "deletion_protection": True})
    with pytest.raises(ack_api.AckApiError) as err:
        provider.delete(created.id, dict(created.outs))
    assert "ErrDeletionProtection" in str(err.value) and "deletionProtection: false" in str(err.value)
    assert created.id in standin.clusters


# --- failures: retries, error bodies, timeouts, orphans -----------------------------

def test_throttling_is_retried_with_growing_backoff(standin):
    c, sleeps = client()
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-1")
    standin.fail("DescribeClusterDetail", Fault(429, "Throttling.User", "Request was denied due to user flow control."), times=2)
    standin.fail("DescribeClusterDetail", Fault(503, "ServiceUnavailable", "temporarily unavailable"), times=1)

    info = c.describe_cluster(cid)

    assert info.cluster_id == cid and info.cluster_type == "ExternalKubernetes"
    assert [r.status for r in standin.calls("DescribeClusterDetail")] == [429, 429, 503, 200]
    assert c.attempts["DescribeClusterDetail"] == 4
    assert sleeps == [0.01, 0.02, 0.04]  # base * 2**n between attempts


def test_retries_stop_after_the_last_attempt_with_the_code_in_the_error(standin):
    c, sleeps = client(attempts=3)
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-1")
    standin.fail("DescribeExternalAgent", Fault(503, "ServiceUnavailable", "temporarily unavailable"), times=5)
    with pytest.raises(ack_api.AckApiError) as err:
        c.describe_agent(cid, private=True, mode="restricted")
    assert len(standin.calls("DescribeExternalAgent")) == 3 and len(sleeps) == 2
    text = str(err.value)
    assert "DescribeExternalAgent" in text and "ServiceUnavailable" in text and "HTTP 503" in text and "after 3 attempts" in text


def test_create_is_retried_on_throttling_but_not_on_a_5xx(standin):
    c, _ = client()
    spec = ClusterSpec("idc-bj", "cn-beijing", "vpc-1")
    standin.fail("CreateCluster", Fault(429, "Throttling", "Request was denied due to flow control."), times=1)
    cid = c.create_cluster(spec, client_token="tok-1")
    assert [r.status for r in standin.calls("CreateCluster")] == [429, 202] and list(standin.clusters) == [cid]
    assert {r.body["client_token"] for r in standin.calls("CreateCluster")} == {"tok-1"}  # same token on the retry

    standin.fail("CreateCluster", Fault(503, "ServiceUnavailable", "temporarily unavailable"), times=1)
    with pytest.raises(ack_api.AmbiguousCreateError) as err:
        c.create_cluster(spec, client_token="tok-2")
    assert len(standin.calls("CreateCluster")) == 3  # the 503 was not repeated
    assert "may or may not have been created" in str(err.value) and "HTTP 503" in str(err.value)


def test_a_4xx_error_body_becomes_a_clear_error_without_retries(standin):
    c, sleeps = client()
    standin.fail("CreateCluster", Fault(400, "ErrorVpcNotFound", "The specified VPC vpc-1 does not exist."))
    with pytest.raises(ack_api.AckApiError) as err:
        c.create_cluster(ClusterSpec("idc-bj", "cn-beijing", "vpc-1"))
    e = err.value
    assert (e.code, e.status, e.retryable) == ("ErrorVpcNotFound", 400, False)
    assert e.request_id.startswith("STANDIN-")
    assert str(e) == (f"ACK CreateCluster failed: ErrorVpcNotFound (HTTP 400): The specified VPC vpc-1 does not exist. "
                      f"[request id {e.request_id}]")
    assert len(standin.calls("CreateCluster")) == 1 and sleeps == [] and standin.clusters == {}


def test_a_timeout_is_a_clear_network_error_after_retries(standin):
    sleeps = Sleeps()
    c = AckClient("cn-beijing", retry=RetryPolicy(attempts=2, base=0.01, jitter=False, sleep=sleeps), read_timeout_ms=200)
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-1")
    standin.fail("DescribeClusterDetail", Fault(200, delay=0.6), times=2)
    with pytest.raises(ack_api.AckNetworkError) as err:
        c.describe_cluster(cid)
    assert "DescribeClusterDetail" in str(err.value) and "no response from the CS endpoint" in str(err.value)
    assert "timed out" in str(err.value).lower() and "after 2 attempts" in str(err.value)
    assert len(standin.calls("DescribeClusterDetail")) == 2 and sleeps == [0.01]


def test_failed_registration_after_create_deletes_the_cluster(standin, provider):
    standin.fail("DescribeExternalAgent", Fault(403, "Forbidden.RAM", "User not authorized to operate on the specified resource."))
    with pytest.raises(ack_api.RolledBackError) as err:
        provider.create({**PROPS, "deletion_protection": True})
    (created,) = standin.calls("CreateCluster")
    cid = err.value.cluster_id
    assert standin.clusters == {}  # nothing orphaned
    assert "Forbidden.RAM" in str(err.value) and f"cluster {cid} was deleted again" in str(err.value)
    # Protection was lifted on the half-created cluster before deleting it.
    assert [r.action for r in standin.requests][-2:] == ["ModifyCluster", "DeleteCluster"]
    assert standin.calls("ModifyCluster")[0].body == {"deletion_protection": False}


def test_failed_registration_that_cannot_clean_up_reports_the_cluster_id(standin, provider):
    standin.fail("DescribeExternalAgent", Fault(400, "ErrorQueryAgent", "agent config not ready"))
    standin.fail("DeleteCluster", Fault(500, "InternalError", "internal error"), times=3)
    with pytest.raises(ack_api.OrphanedClusterError) as err:
        provider.create(dict(PROPS))
    cid = err.value.cluster_id
    assert list(standin.clusters) == [cid]
    text = str(err.value)
    assert f"Cluster {cid} still exists" in text and "ErrorQueryAgent" in text and "InternalError" in text
    assert len(standin.calls("DeleteCluster")) == 3  # delete is idempotent, so it was retried


def test_the_standin_rejects_a_request_signed_with_another_secret(standin, monkeypatch):
    # Proves the signature check is real: the same call with a wrong secret fails verification.
    from alibabacloud_cs20151215.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    wrong = Client(Config(access_key_id=ACCESS_KEY_ID, access_key_secret="not-the-secret", region_id="cn-beijing",
                          endpoint=standin.endpoint, protocol="http"))
    c = AckClient("cn-beijing", retry=RetryPolicy(attempts=1), sdk=wrong)
    with pytest.raises(ack_api.AckApiError) as err:
        c.describe_cluster("c0000")
    assert err.value.code == "StandIn.InvalidRequest" and "signature does not verify" in str(err.value)
    assert standin.violations == ["DescribeClusterDetail: signature does not verify"]
    standin.violations.clear()


# --- the provider as the engine runs it -------------------------------------------

def test_pickled_provider_creates_from_a_fresh_interpreter(standin, provider, tmp_path):
    """Serialize as pulumi.dynamic does, load in a new process started elsewhere, run create."""
    from pulumi.dynamic.dynamic import serialize_provider

    blob = serialize_provider(provider)
    script = (
        "import base64, json, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.argv[1]))\n"
        "r = p.create(json.loads(sys.argv[2]))\n"
        "print(json.dumps({'id': r.id, 'manifest_bytes': len(r.outs['agent_manifest'])}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", script, blob, json.dumps(PROPS)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["id"] in standin.clusters and result["manifest_bytes"] > 1000
    assert standin.requests[0].signed_headers and ACCESS_KEY_ID  # signed with the env credentials


# --- credentials: the environment as it is when a client is built ---------------

def test_a_key_changed_after_the_first_client_signs_the_next_client(standin, monkeypatch):
    # alibabacloud-credentials' default chain keeps the variables it read when first imported
    # (alibabacloud_credentials/utils/auth_util.py): a key rotated in the environment must still be
    # the one a new client signs with.
    cid = standin.add_cluster(name="idc-bj")
    assert AckClient("cn-beijing").describe_cluster(cid) is not None
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-rotated")
    with pytest.raises(AckApiError):
        AckClient("cn-beijing", retry=RetryPolicy(attempts=1)).describe_cluster(cid)
    assert standin.violations == ["DescribeClusterDetail: signed with access key 'LTAI-rotated', not the one the client was given"]
    standin.violations.clear()


def test_an_sts_token_in_the_environment_is_sent_and_signed(standin, monkeypatch):
    # An STS credential is three values; the token travels as x-acs-security-token (Alibaba Cloud
    # API signature v3: the header is included in the signed headers).
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "sts-token-from-the-environment")
    cid = standin.add_cluster(name="idc-bj")
    assert AckClient("cn-beijing").describe_cluster(cid) is not None
    (seen,) = standin.calls("DescribeClusterDetail")
    assert "x-acs-security-token" in seen.signed_headers


@pytest.mark.parametrize("sts", [False, True], ids=["access-key", "sts"])
@pytest.mark.parametrize("rotated", ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
def test_each_value_of_a_rotated_pair_is_the_one_signed_with(standin, monkeypatch, rotated, sts):
    # Every value comes from the environment as it is now: the library would otherwise fill a missing
    # one from what it read at import (alibabacloud_credentials/provider/static_ak.py, static_sts.py:
    # `access_key_id or auth_util.environment_access_key_id`), the pair the stand-in accepts.
    if sts:
        monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "sts-token-from-the-environment")
    cid = standin.add_cluster(name="idc-bj")
    assert AckClient("cn-beijing").describe_cluster(cid) is not None  # the library has read the environment
    monkeypatch.setenv(rotated, "LTAI-rotated" if rotated.endswith("_ID") else "rotated-secret")
    with pytest.raises(AckApiError):
        AckClient("cn-beijing", retry=RetryPolicy(attempts=1)).describe_cluster(cid)
    assert len(standin.violations) == 1 and standin.violations[0].startswith("DescribeClusterDetail: ")
    standin.violations.clear()
