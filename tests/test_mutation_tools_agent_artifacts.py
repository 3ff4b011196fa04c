"""hybrid_tools/agent_artifacts.py: the offline registered cluster (mock answer) and ``registration/``.

Expectations written out by hand from Alibaba's CS API reference (CS 2015-12-15): CreateCluster is
``POST /clusters`` with a registered cluster's ``cluster_type`` "ExternalKubernetes" and the VPC as
``vpcid``; DescribeExternalAgent is ``GET /k8s/{ClusterId}/external/agent/deployment`` with the
query parameters ``PrivateIpAddress`` ("true"/"false") and ``AgentMode``. ACK cluster ids are "c"
and 32 lower-case hex digits. A hand-built recorded run, no program run.
"""

from __future__ import annotations

import base64
import json
import re

import pulumi
import yaml

from hybrid.ack_api import DYNAMIC_TYPE
from hybrid_tools import agent_artifacts
from hybrid_tools.mockrun import SECRET_SIG, SIG_KEY, UNKNOWN, ProgramRun, Registration


def _reg(type_, name, inputs):
    return Registration(urn=f"urn:{type_}::{name}", type=type_, name=name, parent="", custom=True, provider="",
                        inputs=inputs, protect=False, dependencies=[])


def _run(*regs):
    return ProgramRun(registrations={r.urn: r for r in regs}, outputs={})


def _docs(state):
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(state["agent_manifest"])}


def _env(state):
    dep = _docs(state)[("Deployment", "ack-cluster-agent")]
    return {e["name"]: e["value"] for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_planned_cluster_ids_have_acks_form_and_are_stable():
    a = agent_artifacts.planned_cluster_id("idc-bj")
    assert re.fullmatch(r"c[0-9a-f]{32}", a)
    # Same in every run (a plan is byte-identical for the same config), distinct per cluster.
    assert a == "c4b000c8baa0d60ba2c199aca3ebb07df"
    assert agent_artifacts.planned_cluster_id("idc-sh") != a


def test_the_mock_answers_a_waiting_cluster_with_a_redacted_agent_manifest():
    args = pulumi.runtime.MockResourceArgs(DYNAMIC_TYPE, "idc-bj", {
        "region_id": "cn-beijing", "agent_endpoint": "private", "agent_mode": "admin"})
    state = agent_artifacts.registered_cluster_response(args)
    cid = agent_artifacts.planned_cluster_id("idc-bj")
    assert state["cluster_id"] == cid and state["state"] == "waiting"
    assert _env(state) == {"KUBERNETES_CLUSTER_ID": cid, "REGION": "cn-beijing", "INTERNAL_ENDPOINT": "true",
                           "ACK_AGENT_MODE": "admin"}
    docs = _docs(state)
    token = base64.b64decode(docs[("Secret", f"ack-credentials-{cid}")]["data"]["token"]).decode()
    assert token == "[secret]"
    assert any(k == "ClusterRoleBinding" and d["roleRef"]["name"] == "cluster-admin" for (k, _), d in docs.items())


def test_the_mock_defaults_public_endpoint_restricted_mode_and_an_unknown_region():
    state = agent_artifacts.registered_cluster_state("x", {})
    assert _env(state) == {"KUBERNETES_CLUSTER_ID": agent_artifacts.planned_cluster_id("x"), "REGION": "unknown-region",
                           "INTERNAL_ENDPOINT": "false", "ACK_AGENT_MODE": "restricted"}
    assert not any(d.get("roleRef", {}).get("name") == "cluster-admin" for d in _docs(state).values())
    public = agent_artifacts.registered_cluster_state("x", {"agent_endpoint": "public", "agent_mode": "restricted",
                                                           "region_id": "cn-shanghai"})
    assert _env(public)["INTERNAL_ENDPOINT"] == "false" and _env(public)["REGION"] == "cn-shanghai"


FULL = {
    "__provider": "ignored", "cluster_name": "idc-bj", "region_id": "cn-beijing", "vpc_id": "vpc-1",
    "service_cidr": "172.21.0.0/20", "vswitch_ids": ["vsw-a", "vsw-b"], "security_group_id": UNKNOWN,
    "pod_vswitch_ids": ["vsw-pa", "vsw-pb"], "deletion_protection": False,
    "tags": {"stack": "prod", "env": {SIG_KEY: SECRET_SIG, "value": "hidden"}},
    "agent_endpoint": "private", "agent_mode": "admin",
}

FULL_TEXT = """{
  "CreateCluster": {
    "body": {
      "cluster_type": "ExternalKubernetes",
      "deletion_protection": false,
      "name": "idc-bj",
      "pod_vswitch_ids": [
        "vsw-pa",
        "vsw-pb"
      ],
      "region_id": "cn-beijing",
      "security_group_id": "[unknown]",
      "service_cidr": "172.21.0.0/20",
      "tags": [
        {
          "key": "env",
          "value": "[secret]"
        },
        {
          "key": "stack",
          "value": "prod"
        }
      ],
      "vpcid": "vpc-1",
      "vswitch_ids": [
        "vsw-a",
        "vsw-b"
      ]
    },
    "method": "POST",
    "path": "/clusters"
  },
  "DescribeExternalAgent": {
    "method": "GET",
    "path": "/k8s/{ClusterId}/external/agent/deployment",
    "query": {
      "AgentMode": "admin",
      "PrivateIpAddress": "true"
    },
    "response": "agent manifest, kept as a secret output ([secret] in every artifact)"
  }
}
"""


def test_registration_requests_write_each_clusters_calls():
    other = _reg("alicloud:vpc/network:Network", "aaa", {"cluster_name": "n"})  # not a registered cluster
    out = agent_artifacts.registration_requests(None, _run(other, _reg(DYNAMIC_TYPE, "ack-cluster", FULL)))
    assert out == {"registration/ack-cluster.json": FULL_TEXT}


def test_a_minimal_cluster_sends_only_the_required_fields_and_keeps_deletion_protection():
    out = agent_artifacts.registration_requests(None, _run(_reg(DYNAMIC_TYPE, "c", {
        "cluster_name": "n", "region_id": "cn-x", "vpc_id": "vpc-2", "agent_endpoint": "public"})))
    doc = json.loads(out["registration/c.json"])
    assert doc["CreateCluster"]["body"] == {"cluster_type": "ExternalKubernetes", "deletion_protection": True,
                                           "name": "n", "region_id": "cn-x", "vpcid": "vpc-2"}
    assert doc["DescribeExternalAgent"]["query"] == {"AgentMode": None, "PrivateIpAddress": "false"}


def test_every_registered_cluster_gets_its_own_file():
    out = agent_artifacts.registration_requests(None, _run(*(_reg(DYNAMIC_TYPE, n, {
        "cluster_name": n, "region_id": "cn-x", "vpc_id": "v"}) for n in ("b", "a"))))
    assert list(out) == ["registration/a.json", "registration/b.json"]
    assert json.loads(out["registration/b.json"])["CreateCluster"]["body"]["name"] == "b"
