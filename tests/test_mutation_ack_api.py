"""hybrid.ack_api without the network where the SDK allows it: endpoints, error texts, backoff,
request bodies against the SDK's own models, and the classification of the SDK's exceptions.

The SDK exceptions are built with the SDK's own classes (alibabacloud-tea-openapi
exceptions/_alibaba_cloud.py and _throttling.py, darabonba exceptions.py: the fields a failed
call carries); what a call does on the wire is tests/test_ack_api.py's, against the stand-in.
"""

from __future__ import annotations

import random

import pytest
from alibabacloud_tea_openapi import exceptions as oe

from hybrid import ack_api
from hybrid.ack_api import AckApiError, AckClient, ClusterInfo, ClusterSpec, RetryPolicy, classify, endpoint_for
from tests.standin import Fault

# --- endpoints and protocol ---------------------------------------------------------------


def test_the_regional_endpoint_unless_overridden(monkeypatch):
    # alibabacloud-cs20151215 7.2.3 client.py: endpoint rule "regional", i.e. cs.<region>.aliyuncs.com
    monkeypatch.delenv(ack_api.ENDPOINT_ENV, raising=False)
    assert endpoint_for("cn-hangzhou") == "cs.cn-hangzhou.aliyuncs.com"
    assert endpoint_for("cn-hangzhou", "gw.example:8443") == "gw.example:8443"
    monkeypatch.setenv(ack_api.ENDPOINT_ENV, "127.0.0.1:9")
    assert endpoint_for("cn-hangzhou") == "127.0.0.1:9"
    assert endpoint_for("cn-hangzhou", "gw.example:8443") == "gw.example:8443"  # the explicit one wins


def test_https_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv(ack_api.PROTOCOL_ENV, raising=False)
    monkeypatch.delenv(ack_api.ENDPOINT_ENV, raising=False)
    c = AckClient("cn-shanghai")
    assert (c.endpoint, c.protocol) == ("cs.cn-shanghai.aliyuncs.com", "https")
    assert AckClient("cn-shanghai", protocol="http").protocol == "http"
    assert AckClient("cn-shanghai", endpoint="gw.example:8443").endpoint == "gw.example:8443"
    monkeypatch.setenv(ack_api.PROTOCOL_ENV, "http")
    assert AckClient("cn-shanghai").protocol == "http"
    assert AckClient("cn-shanghai", protocol="https").protocol == "https"


# --- the operator's error line ----------------------------------------------------------------

def test_error_text_with_every_part():
    e = AckApiError("DeleteCluster", "cluster is busy", code="ErrTaskRunning", status=409, request_id="R-1", attempts=3)
    assert str(e) == "ACK DeleteCluster failed: ErrTaskRunning (HTTP 409): cluster is busy [request id R-1] after 3 attempts"
    assert (e.operation, e.detail, e.code, e.status, e.request_id, e.attempts) == (
        "DeleteCluster", "cluster is busy", "ErrTaskRunning", 409, "R-1", 3)


def test_error_text_leaves_out_what_is_unknown():
    # no code, no status, no request id, one attempt: only the operation and the message
    assert str(AckApiError("CreateCluster", "the response carries no cluster_id")) == (
        "ACK CreateCluster failed: the response carries no cluster_id")
    assert str(AckApiError("X", "m", status=503)) == "ACK X failed (HTTP 503): m"
    assert str(AckApiError("X", "m", code="C", attempts=2)) == "ACK X failed: C: m after 2 attempts"


def test_with_attempts_keeps_the_kind_and_every_field():
    e = ack_api.AckNetworkError("DescribeClusterDetail", "no response", code="C", status=502, request_id="R",
                                retryable=True)
    again = e.with_attempts(4)
    assert type(again) is ack_api.AckNetworkError
    assert (again.operation, again.detail, again.code, again.status, again.request_id, again.retryable,
            again.attempts) == ("DescribeClusterDetail", "no response", "C", 502, "R", True, 4)
    assert str(again) == "ACK DescribeClusterDetail failed: C (HTTP 502): no response [request id R] after 4 attempts"


def test_orphan_and_rollback_texts_name_the_cluster_and_both_causes():
    o = ack_api.OrphanedClusterError("c123", ValueError("agent"), RuntimeError("delete"))
    assert o.cluster_id == "c123"
    assert str(o) == ("registration failed after cluster c123 was created (agent); deleting it also failed (delete). "
                      "Cluster c123 still exists: delete it in the ACK console (turn off deletion protection first "
                      "if set) or adopt it with `pulumi import`, then run `pulumi up` again.")
    r = ack_api.RolledBackError("c9", ValueError("agent"))
    assert r.cluster_id == "c9"
    assert str(r) == "registration failed after cluster c9 was created (agent); cluster c9 was deleted again, nothing is left behind."


# --- backoff ------------------------------------------------------------------------------------

def test_backoff_doubles_up_to_the_cap():
    p = RetryPolicy(base=1.0, cap=20.0, jitter=False)
    assert [p.delay(n) for n in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert RetryPolicy(base=0.5, cap=3.0, jitter=False).delay(3) == 3.0  # 0.5 x 8 = 4 > 3


def test_full_jitter_draws_from_zero_to_the_ceiling():
    # "full jitter": uniform in [0, min(cap, base x 2^n)] (the RetryPolicy docstring; AWS
    # Architecture Blog, "Exponential Backoff And Jitter"); with a fixed seed, the same draws as
    # random.uniform's from that interval.
    p = RetryPolicy(base=1.0, cap=20.0)
    random.seed(7)
    got = [p.delay(n) for n in (0, 3, 6)]
    random.seed(7)
    assert got == [random.uniform(0, 1.0), random.uniform(0, 8.0), random.uniform(0, 20.0)]
    random.seed(11)
    draws = [p.delay(2) for _ in range(400)]
    assert all(0 <= d <= 4.0 for d in draws) and min(draws) < 0.5 and max(draws) > 3.5


def test_a_client_sleeps_through_its_policy():
    # An SDK whose every DescribeClusterDetail is throttled (the SDK's own exception): 3 attempts,
    # sleeping base, then 2 x base cut to the cap, between them.
    class Throttled:
        calls = 0

        def describe_cluster_detail_with_options(self, *args):
            Throttled.calls += 1
            raise oe.ThrottlingException(status_code=429, code="Throttling", message="slow down", request_id="R")

    sleeps: list[float] = []
    c = AckClient("cn-beijing", retry=RetryPolicy(attempts=3, base=0.5, cap=0.75, jitter=False, sleep=sleeps.append),
                  sdk=Throttled())
    with pytest.raises(AckApiError) as err:
        c.describe_cluster("c1")
    assert Throttled.calls == 3 and sleeps == [0.5, 0.75]
    assert err.value.attempts == 3 and c.attempts["DescribeClusterDetail"] == 3
    assert str(err.value) == "ACK DescribeClusterDetail failed: Throttling (HTTP 429): slow down [request id R] after 3 attempts"


# --- request and response shapes ------------------------------------------------------------------

FULL = ClusterSpec("idc-bj", "cn-beijing", "vpc-1", service_cidr="172.21.0.0/20", vswitch_ids=("vsw-a", "vsw-b"),
                   security_group_id="sg-1", pod_vswitch_ids=("vsw-p1",), deletion_protection=False,
                   tags={"z": "1", "a": "2"})


def test_create_body_with_every_field():
    assert FULL.create_body("tok") == {
        "cluster_type": "ExternalKubernetes", "name": "idc-bj", "region_id": "cn-beijing", "vpcid": "vpc-1",
        "deletion_protection": False, "service_cidr": "172.21.0.0/20", "vswitch_ids": ["vsw-a", "vsw-b"],
        "security_group_id": "sg-1", "pod_vswitch_ids": ["vsw-p1"],
        "tags": [{"key": "a", "value": "2"}, {"key": "z", "value": "1"}], "client_token": "tok"}


def test_create_body_without_the_optional_fields():
    assert ClusterSpec("idc-bj", "cn-beijing", "vpc-1").create_body() == {
        "cluster_type": "ExternalKubernetes", "name": "idc-bj", "region_id": "cn-beijing", "vpcid": "vpc-1",
        "deletion_protection": True}


def test_every_body_key_is_a_field_of_the_sdk_request():
    # The SDK's from_map drops a key it does not know (alibabacloud-cs20151215 7.2.3
    # models/_create_cluster_request.py): a misspelt key would never reach the API.
    from alibabacloud_cs20151215 import models

    body = FULL.create_body("tok")
    back = models.CreateClusterRequest().from_map(body).to_map()  # (the SDK adds its empty lists)
    assert {k: back.get(k) for k in body} == body


def test_cluster_info_from_a_sparse_body():
    info = ClusterInfo.from_body({"cluster_id": "c1", "state": "running"})
    assert info == ClusterInfo("c1", "", "", "", "", "running", None)
    full = ClusterInfo.from_body({"cluster_id": "c1", "name": "n", "region_id": "r", "vpc_id": "v",
                                  "cluster_type": "ExternalKubernetes", "state": "s", "deletion_protection": False})
    assert full == ClusterInfo("c1", "n", "r", "v", "ExternalKubernetes", "s", False)
    assert ClusterInfo.from_body({"name": None}).name == ""


# --- classifying the SDK's exceptions ---------------------------------------------------------------

def _sdk_error(cls=oe.AlibabaCloudException, **kw):
    return cls(**kw)


def test_error_fields_prefer_alibabas_error_body():
    exc = _sdk_error(status_code=400, code="attr-code", message="attr-message", request_id="attr-rid",
                     data={"Code": "BodyCode", "Message": "body message", "RequestId": "BODY-RID"})
    err = classify("CreateCluster", exc, idempotent=False)
    assert (err.code, err.detail, err.request_id, err.status, err.retryable) == (
        "BodyCode", "body message", "BODY-RID", 400, False)
    assert type(err) is AckApiError


def test_error_fields_from_a_lower_case_body_and_from_the_attributes():
    exc = _sdk_error(status_code=403, data={"code": "c", "message": "m", "requestId": "r"})
    assert (lambda e: (e.code, e.detail, e.request_id))(classify("X", exc, True)) == ("c", "m", "r")
    exc = _sdk_error(status_code=403, code="C", message="M", request_id="R")
    assert (lambda e: (e.code, e.detail, e.request_id))(classify("X", exc, True)) == ("C", "M", "R")


def test_the_sdks_none_strings_are_no_code_and_no_request_id():
    # tea-openapi formats a missing field as the string "None" in some paths: not an error code to show
    exc = _sdk_error(status_code=400, data={"Code": "None", "Message": "bad", "RequestId": "None"})
    err = classify("X", exc, True)
    assert (err.code, err.request_id, str(err)) == ("", "", "ACK X failed (HTTP 400): bad")


def test_without_any_message_the_exception_text_is_the_message():
    exc = _sdk_error(status_code=400)
    err = classify("X", exc, True)
    assert (err.detail, err.code, err.request_id) == (str(exc), "", "")  # nothing known: no code, no request id


@pytest.mark.parametrize("exc", [
    _sdk_error(oe.ThrottlingException, status_code=400, code="Whatever", message="m"),  # the SDK's own kind
    _sdk_error(status_code=429, code="TooMany", message="m"),
    *[_sdk_error(status_code=400, code=c, message="m")
      for c in ("Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable.Throttling")],
], ids=["ThrottlingException", "429", "Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable.Throttling"])
def test_throttling_is_retryable_even_for_create(exc):
    err = classify("CreateCluster", exc, idempotent=False)
    assert err.retryable is True and type(err) is AckApiError


def test_a_4xx_is_final_and_a_5xx_depends_on_idempotence():
    assert classify("DeleteCluster", _sdk_error(status_code=499, code="E", message="m"), True).retryable is False
    for status in (500, 503):
        read = classify("DescribeClusterDetail", _sdk_error(status_code=status, code="E", message="m", request_id="R"), True)
        assert read.retryable is True and type(read) is AckApiError
        assert (read.detail, read.code, read.status, read.request_id) == ("m", "E", status, "R")
    create = classify("CreateCluster", _sdk_error(status_code=500, code="InternalError", message="boom",
                                                  request_id="R"), idempotent=False)
    assert type(create) is ack_api.AmbiguousCreateError and create.retryable is False
    assert str(create) == ("ACK CreateCluster failed: InternalError (HTTP 500): boom; the cluster may or may not have "
                           "been created, so the call is not repeated. Look for it in the ACK console (or ListClusters "
                           "by name) before running `pulumi up` again [request id R]")


def test_no_status_is_a_final_error():
    err = classify("X", _sdk_error(code="E", message="m"), True)
    assert (err.status, err.retryable) == (None, False)


def test_a_programming_error_is_not_an_api_error():
    boom = KeyError("k")
    with pytest.raises(KeyError):
        classify("X", boom, True)


# --- no answer at all (the stand-in answers too late) ----------------------------------------------

def test_no_answer_to_create_is_ambiguous_and_not_repeated(standin):
    sleeps: list[float] = []
    c = AckClient("cn-beijing", retry=RetryPolicy(attempts=3, base=0.01, jitter=False, sleep=sleeps.append),
                  read_timeout_ms=200)
    standin.fail("CreateCluster", Fault(202, delay=0.6), times=1)
    with pytest.raises(ack_api.AmbiguousCreateError) as err:
        c.create_cluster(ClusterSpec("idc-bj", "cn-beijing", "vpc-1"), client_token="tok")
    text = str(err.value)
    assert text.startswith("ACK CreateCluster failed: no response from the CS endpoint (")
    assert text.endswith("); the cluster may or may not have been created, so the call is not repeated. "
                         "Look for it in the ACK console before running `pulumi up` again")
    assert "timed out" in text.lower() and err.value.retryable is False
    assert len(standin.calls("CreateCluster")) == 1 and sleeps == []


def _client_for(standin, attempts=2):
    return AckClient("cn-beijing", retry=RetryPolicy(attempts=attempts, base=0.01, jitter=False, sleep=lambda s: None),
                     read_timeout_ms=2_000)


def test_a_create_answer_without_a_cluster_id_is_an_error(standin):
    # HTTP 200 with a body that is no CreateCluster answer (the stand-in's error body): nothing to register
    standin.fail("CreateCluster", Fault(200, "Odd", "no id here"), times=1)
    with pytest.raises(AckApiError) as err:
        _client_for(standin).create_cluster(ClusterSpec("idc-bj", "cn-beijing", "vpc-1"))
    assert str(err.value) == "ACK CreateCluster failed: the response carries no cluster_id"


def test_an_agent_answer_without_config_is_an_error(standin):
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-1")
    standin.fail("DescribeExternalAgent", Fault(200, "Odd", "no config here"), times=1)
    with pytest.raises(AckApiError) as err:
        _client_for(standin).describe_agent(cid, private=False, mode="admin")
    assert str(err.value) == f"ACK DescribeExternalAgent failed: cluster {cid}: the response carries no agent config"


def test_rollback_of_an_unprotected_cluster_deletes_it_directly(standin):
    # deletion_protection false at creation: nothing to lift, DeleteCluster right after the failure
    standin.fail("DescribeExternalAgent", Fault(403, "Forbidden.RAM", "not authorized"), times=1)
    with pytest.raises(ack_api.RolledBackError) as err:
        _client_for(standin).register(ClusterSpec("idc-bj", "cn-beijing", "vpc-1", deletion_protection=False),
                                      private=True, mode="restricted")
    assert [r.action for r in standin.requests] == ["CreateCluster", "DescribeExternalAgent", "DeleteCluster"]
    assert standin.clusters == {} and err.value.cluster_id in str(err.value)


def test_register_returns_the_id_and_the_manifest(standin):
    cid, manifest = _client_for(standin).register(ClusterSpec("idc-bj", "cn-beijing", "vpc-1"), private=True,
                                                  mode="restricted")
    assert list(standin.clusters) == [cid] and standin.clusters[cid]["deletion_protection"] is True
    # the stand-in's agent manifest for this cluster: its Secret carries the cluster's own token
    import base64

    import yaml

    (secret,) = [d for d in yaml.safe_load_all(manifest) if d and d["kind"] == "Secret"]
    assert base64.b64decode(secret["data"]["token"]).decode() == f"token-of-{cid}"


def test_describe_of_a_missing_cluster_is_none_and_other_errors_raise(standin):
    c = _client_for(standin)
    assert c.describe_cluster("c0000missing") is None
    assert c.attempts["DescribeClusterDetail"] == 1  # a 404 is not retried
    standin.fail("DescribeClusterDetail", Fault(403, "Forbidden.RAM", "no"), times=1)
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-1")
    with pytest.raises(AckApiError) as err:
        c.describe_cluster(cid)
    assert err.value.status == 403


def test_delete_raises_what_is_not_a_404(standin):
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-1")
    standin.fail("DeleteCluster", Fault(400, "ErrTaskRunning", "busy"), times=1)
    with pytest.raises(AckApiError) as err:
        _client_for(standin).delete_cluster(cid)
    assert (err.value.code, err.value.status) == ("ErrTaskRunning", 400) and cid in standin.clusters


def test_an_empty_cluster_body_reads_as_empty_fields():
    assert ClusterInfo.from_body({}) == ClusterInfo("", "", "", "", "", "", None)


def test_modify_is_named_in_its_error_and_retried_on_a_5xx(standin):
    # ModifyCluster sets a name or a flag: repeating it does no harm, so a 503 is retried
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-1")
    standin.fail("ModifyCluster", Fault(503, "ServiceUnavailable", "temporarily unavailable"), times=1)
    c = _client_for(standin)
    c.modify_cluster(cid, name="idc-bj-2")
    assert [r.status for r in standin.calls("ModifyCluster")] == [503, 202] and standin.clusters[cid]["name"] == "idc-bj-2"
    standin.fail("ModifyCluster", Fault(400, "ErrBad", "bad"), times=1)
    with pytest.raises(AckApiError) as err:
        c.modify_cluster(cid, deletion_protection=True)
    assert str(err.value).startswith("ACK ModifyCluster failed: ErrBad (HTTP 400): bad")
    assert c.attempts["ModifyCluster"] == 1


def test_delete_is_named_in_its_error(standin):
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-1")
    standin.fail("DeleteCluster", Fault(400, "ErrTaskRunning", "busy"), times=1)
    c = _client_for(standin)
    with pytest.raises(AckApiError) as err:
        c.delete_cluster(cid)
    assert str(err.value).startswith("ACK DeleteCluster failed: ErrTaskRunning (HTTP 400): busy")
    assert c.attempts["DeleteCluster"] == 1


def test_describe_agent_is_named_in_its_error(standin):
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-1")
    standin.fail("DescribeExternalAgent", Fault(400, "ErrorQueryAgent", "agent config not ready"), times=1)
    with pytest.raises(AckApiError) as err:
        _client_for(standin).describe_agent(cid, private=True, mode="restricted")
    assert str(err.value).startswith("ACK DescribeExternalAgent failed: ErrorQueryAgent (HTTP 400): agent config not ready")


def test_no_response_names_the_transport_error_itself():
    # darabonba's UnretryableException wraps the transport error (exceptions.py: inner_exception; its
    # own message is the inner's repr): the operator reads the inner error's text
    from darabonba.exceptions import UnretryableException
    from darabonba.policy.retry import RetryPolicyContext

    exc = UnretryableException(RetryPolicyContext(exception=ConnectionResetError("connection reset by peer")))
    read = classify("DescribeClusterDetail", exc, idempotent=True)
    assert type(read) is ack_api.AckNetworkError and read.retryable is True
    assert str(read) == "ACK DescribeClusterDetail failed: no response from the CS endpoint (connection reset by peer)"


def test_no_response_prefers_the_inner_errors_own_message():
    # a Tea exception inside (Tea/exceptions.py: `message` set, str() "Error: <code> <message> Response: ...")
    from darabonba.exceptions import UnretryableException
    from darabonba.policy.retry import RetryPolicyContext
    from Tea.exceptions import TeaException

    inner = TeaException({"code": "SDK.Timeout", "message": "read timed out"})
    exc = UnretryableException(RetryPolicyContext(exception=inner))
    assert str(classify("DeleteCluster", exc, idempotent=True)) == (
        "ACK DeleteCluster failed: no response from the CS endpoint (read timed out)")



def test_a_connection_never_accepted_gives_up_at_the_connect_timeout_given(monkeypatch):
    # A listener whose accept queue is full (backlog 0, filled, never accepted): Linux drops the SYN, so
    # connect() waits. At connect_timeout_ms 300 the call gives up long before the SDK's own default
    # (darabonba-core 1.0.9 core.py DEFAULT_CONNECT_TIMEOUT = 5000 ms, used when none is given).
    import time

    from tests.http_standin import unaccepted_listener

    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAItest")  # signing needs a key; nothing answers
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    with unaccepted_listener() as address:
        client = AckClient("cn-beijing", endpoint=address, protocol="http", retry=RetryPolicy(attempts=1), connect_timeout_ms=300)
        client.sdk()  # the SDK's imports, outside the timing
        start = time.monotonic()
        with pytest.raises(ack_api.AckNetworkError):
            client.describe_cluster("c0123")
        elapsed = time.monotonic() - start
    assert elapsed < 3.0, elapsed


@pytest.mark.parametrize("given", ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
def test_half_a_key_pair_is_left_to_the_librarys_chain(monkeypatch, given):
    # One of the two values is no AccessKey: the client is the library's default chain (profile, ECS RAM
    # role, OIDC: asked only when a call signs), not a static key with an empty half, which
    # alibabacloud-credentials refuses when it is built (provider/static_ak.py: "the access key ... is
    # empty"; the half it lacks taken from what the library read at import, none here).
    from alibabacloud_credentials.utils import auth_util

    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(auth_util, "environment_access_key_id", None)
    monkeypatch.setattr(auth_util, "environment_access_key_secret", None)
    monkeypatch.setenv(given, "half-of-a-pair")
    ack_api.credential_client()  # built; nothing is asked until a call signs
