"""components/registered_cluster.py, measured: the dynamic provider's methods against the CS stand-in
(tests/standin.py, the real SDK) and the component's graph under Pulumi's mocks.

Expectations, each from a source outside the module:
- Pulumi's dynamic provider server (pulumi 3.272.0 pulumi/dynamic/__main__.py) hands every method the
  inputs with ``__provider`` (the pickled provider) and adds that key back to what create, update and
  read return; Check's failures reach the engine as (property, reason); a Read answering with an empty
  id tells the engine the resource is gone; Diff sends changes, replaces and deleteBeforeReplace.
- The CS API (alibabacloud-cs20151215 models): ModifyCluster changes cluster_name and
  deletion_protection and nothing the cluster was placed with (region, VPC, Service CIDR);
  DescribeClusterDetail reports name, region_id, vpc_id, cluster_type, state, deletion_protection;
  DescribeExternalAgent takes PrivateIpAddress "true"/"false" and AgentMode admin/restricted; a
  region's endpoint is cs.<region>.aliyuncs.com (Alibaba Cloud endpoints of Container Service).
- The component's graph: the Fleet (alicloud.ackone.Cluster) spans the registration region's VPC and
  vSwitches; each MembershipAttachment joins a cluster id to the fleet id (terraform-provider-alicloud
  alicloud_ack_one_membership_attachment: id "<cluster_id>:<sub_cluster_id>").
"""

from __future__ import annotations

import base64
import socket

import dill
import pulumi
import pytest
import yaml

from components.registered_cluster import RegisteredClusterProvider
from hybrid import ack_api
from tests.component_graph import provider_urn, record, standin_network
from tests.conftest import settle
from tests.standin import Fault
from tests.test_ack_api import PROPS

ENGINE_KEY = "__provider"  # pulumi/dynamic/__main__.py PROVIDER_KEY


def _provider():
    # a generous read timeout: a loaded machine must not turn a slow stand-in answer into a failure
    return RegisteredClusterProvider(retry_base=0.001, attempts=3, read_timeout_ms=20_000)


def _engine(props: dict) -> dict:
    """Inputs as the dynamic provider server passes them: with the pickled provider."""
    return {**props, ENGINE_KEY: "pickled-provider"}


# --- check ------------------------------------------------------------------------------------

def test_check_returns_the_inputs_and_one_failure_per_bad_field():
    news = _engine(PROPS)
    ok = _provider().check({}, news)
    assert ok.inputs == news and ok.failures == []
    for endpoint, mode in (("public", "admin"), ("private", "restricted")):
        assert _provider().check({}, {**news, "agent_endpoint": endpoint, "agent_mode": mode}).failures == []

    bad = _provider().check({}, {ENGINE_KEY: "pickled-provider", "cluster_name": "", "vpc_id": None,
                                 "agent_endpoint": "internet", "agent_mode": "read-only"})
    assert [(f.property, f.reason) for f in bad.failures] == [
        ("cluster_name", "cluster_name is required"), ("region_id", "region_id is required"), ("vpc_id", "vpc_id is required"),
        ("agent_endpoint", "must be private or public"), ("agent_mode", "must be restricted or admin")]
    for key in ("cluster_name", "region_id", "vpc_id"):
        one = _provider().check({}, {**news, key: ""})
        assert [f.property for f in one.failures] == [key]
    assert [f.property for f in _provider().check({}, {**news, "agent_mode": None}).failures] == ["agent_mode"]


# --- create: every ClusterSpec field reaches CreateCluster ------------------------------------

def test_create_sends_every_field_it_was_given_and_protects_by_default(standin):
    props = {k: v for k, v in PROPS.items() if k != "deletion_protection"}
    props.update(security_group_id="sg-2ze0nodes", pod_vswitch_ids=["vsw-pa", "vsw-pb"])
    result = _provider().create(_engine(props))

    (create,) = standin.calls("CreateCluster")
    body = create.body
    assert (body["security_group_id"], body["pod_vswitch_ids"]) == ("sg-2ze0nodes", ["vsw-pa", "vsw-pb"])
    assert (body["name"], body["region_id"], body["vpcid"]) == ("idc-bj", "cn-beijing", "vpc-2ze0example")
    # deletion protection unset: a registered cluster is protected (the safe side of a missing flag)
    assert body["deletion_protection"] is True and standin.clusters[result.id]["deletion_protection"] is True
    # outputs: the inputs, the id, the state and the manifest
    assert {k: result.outs[k] for k in props} == props
    assert result.outs["cluster_id"] == result.id and result.outs["state"] == "waiting"


def test_create_leaves_out_what_is_not_set(standin):
    props = {**PROPS, "service_cidr": "", "vswitch_ids": None, "security_group_id": None, "tags": None,
             "deletion_protection": False}
    _provider().create(_engine(props))
    body = standin.calls("CreateCluster")[0].body
    # (the SDK's request model sends its list fields as [] when unset)
    assert [k for k in ("service_cidr", "vswitch_ids", "security_group_id", "pod_vswitch_ids", "tags") if body.get(k)] == []
    assert body["deletion_protection"] is False


# --- the regional endpoint: each method talks to the region of the resource ----------------------

@pytest.fixture
def regional(monkeypatch):
    """A stand-in reachable only as ACK's endpoint of its region, cs.<region>.aliyuncs.com, with no
    endpoint override: a client built for any other region (or none) does not resolve.

    Its region id is unique to the fixture: the SDK keeps one connection pool per endpoint host for
    the life of the process (darabonba/core.py DaraCore._get_session, keyed by protocol, host and
    port), and a pool left by an earlier run in the same process (mutmut runs the tests again in one
    process and forks each mutant from it) would still hold a connection to that run's stand-in."""
    import uuid

    from tests.standin import StandIn, sdk_env

    with StandIn(region_id=f"cn-{uuid.uuid4().hex[:12]}") as standin:
        sdk_env(monkeypatch, standin)
        monkeypatch.delenv(ack_api.ENDPOINT_ENV)
        host, port = standin.endpoint.rsplit(":", 1)
        resolve = socket.getaddrinfo  # held to loopback by sdk_env
        regional_host = f"cs.{standin.region_id}.aliyuncs.com"

        def getaddrinfo(name, service, *args, **kwargs):
            if (name.decode() if isinstance(name, bytes) else name) == regional_host:
                return resolve(host, int(port), *args, **kwargs)
            return resolve(name, service, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield standin
        assert standin.violations == [], standin.violations


def test_every_method_calls_the_endpoint_of_the_clusters_region(regional):
    p = _provider()
    created = p.create(_engine({**PROPS, "region_id": regional.region_id}))
    read = p.read(created.id, dict(created.outs))
    assert read.id == created.id
    p.update(created.id, dict(read.outs), {**read.outs, "cluster_name": "idc-bj-2", "deletion_protection": True})
    p.update(created.id, {**read.outs, "cluster_name": "idc-bj-2", "deletion_protection": True},
             {**read.outs, "cluster_name": "idc-bj-2", "deletion_protection": False})
    p.delete(created.id, dict(read.outs))
    assert regional.clusters == {}
    assert [r.action for r in regional.requests] == ["CreateCluster", "DescribeExternalAgent", "DescribeClusterDetail",
                                                    "ModifyCluster", "ModifyCluster", "DeleteCluster"]


def test_the_provider_makes_the_project_importable_in_the_engines_process(monkeypatch):
    import sys

    from components.registered_cluster import _PROJECT_ROOT

    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != _PROJECT_ROOT])
    monkeypatch.delenv(ack_api.ENDPOINT_ENV, raising=False)
    api, client = _provider()._api("cn-hangzhou")
    assert sys.path[0] == _PROJECT_ROOT and api is ack_api
    assert client.endpoint == "cs.cn-hangzhou.aliyuncs.com"
    # the provider's own retry and timeout (a slow or throttled CS endpoint is retried as configured)
    assert (client.retry.attempts, client.retry.base, client.read_timeout_ms) == (3, 0.001, 20_000)


def test_the_engines_provider_tries_five_times_backing_off_from_one_second(standin, monkeypatch):
    """The component registers RegisteredClusterProvider() as is: throttled CS calls are tried five
    times, with full-jitter pauses under 1, 2, 4 and 8 seconds, and each answer is awaited 30 s."""
    ceilings = []
    monkeypatch.setattr(ack_api.random, "uniform", lambda low, high: ceilings.append(high) or 0.0)
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-2ze0example")
    standin.fail("DescribeClusterDetail", Fault(429, "Throttling.User", "Request was denied due to user flow control."), times=5)
    with pytest.raises(ack_api.AckApiError, match="after 5 attempts"):
        RegisteredClusterProvider().read(cid, _engine({**PROPS, "agent_manifest": "applied"}))
    assert ceilings == [1.0, 2.0, 4.0, 8.0]
    assert RegisteredClusterProvider()._api("cn-beijing")[1].read_timeout_ms == 30_000


def test_retries_of_a_provider_call_stop_after_its_attempts(standin):
    created = _provider().create(_engine(PROPS))
    standin.fail("DescribeClusterDetail", Fault(503), times=5)
    with pytest.raises(ack_api.AckApiError, match="after 3 attempts"):
        _provider().read(created.id, dict(created.outs))
    assert len(standin.calls("DescribeClusterDetail")) == 3


# --- read -------------------------------------------------------------------------------------

def test_read_takes_what_the_api_reports_over_the_state(standin):
    created = _provider().create(_engine({**PROPS, "region_id": "cn-beijing"}))
    c = standin.clusters[created.id]
    c.update(state="running", deletion_protection=True, vpc_id="vpc-2ze0moved")
    stale = _engine({**created.outs, "region_id": "cn-beijing", "vpc_id": "vpc-2ze0example"})
    got = _provider().read(created.id, stale)
    assert got.id == created.id
    assert (got.outs["vpc_id"], got.outs["state"], got.outs["deletion_protection"]) == ("vpc-2ze0moved", "running", True)
    assert got.outs["cluster_id"] == created.id and got.outs[ENGINE_KEY] == "pickled-provider"


def test_read_keeps_the_state_where_the_api_is_silent(standin):
    cid = standin.add_cluster(name="", region_id="", vpc_id="", state="running")
    del standin.clusters[cid]["deletion_protection"]
    state = _engine({**PROPS, "deletion_protection": True, "cluster_id": cid, "state": "waiting", "agent_manifest": "applied"})
    got = _provider().read(cid, state)
    assert {k: got.outs[k] for k in ("cluster_name", "region_id", "vpc_id", "deletion_protection")} == {
        "cluster_name": "idc-bj", "region_id": "cn-beijing", "vpc_id": "vpc-2ze0example", "deletion_protection": True}
    assert got.outs["state"] == "running" and got.outs["agent_manifest"] == "applied"
    assert standin.calls("DescribeExternalAgent") == []


def test_read_of_a_region_the_api_names_differently_keeps_the_apis_region(standin):
    # The endpoint is the stand-in's whatever the region, so the state may hold another region than the API.
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-2ze0example")
    got = _provider().read(cid, _engine({**PROPS, "region_id": "cn-hangzhou", "agent_manifest": "applied"}))
    assert got.outs["region_id"] == "cn-beijing"


def test_read_without_a_manifest_fetches_one_for_the_recorded_endpoint_and_mode(standin):
    cid = standin.add_cluster(name="idc-bj", vpc_id="vpc-2ze0example")
    got = _provider().read(cid, _engine({**PROPS, "agent_endpoint": "public", "agent_mode": "admin"}))
    assert got.id == cid and got.outs["cluster_id"] == cid  # read with the inputs only (no state yet)
    (call,) = standin.calls("DescribeExternalAgent")
    assert call.path == f"/k8s/{cid}/external/agent/deployment"
    assert call.query == {"PrivateIpAddress": "false", "AgentMode": "admin"}
    assert f"token-of-{cid}" in _decoded(got.outs["agent_manifest"])
    # ... and over the leased line, the internal endpoint's credentials
    _provider().read(cid, _engine({**PROPS, "agent_endpoint": "private", "agent_mode": "restricted"}))
    assert standin.calls("DescribeExternalAgent")[-1].query == {"PrivateIpAddress": "true", "AgentMode": "restricted"}


def _decoded(manifest: str) -> str:
    secret = next(d for d in yaml.safe_load_all(manifest) if d and d["kind"] == "Secret")
    return base64.b64decode(secret["data"]["token"]).decode()


def _env(manifest: str) -> dict:
    deploy = next(d for d in yaml.safe_load_all(manifest) if d and d["kind"] == "Deployment")
    return {e["name"]: e.get("value") for e in deploy["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_read_refuses_a_cluster_that_is_not_a_registered_one(standin):
    cid = standin.add_cluster(name="idc-bj", cluster_type="ManagedKubernetes")
    with pytest.raises(ValueError) as err:
        _provider().read(cid, _engine(PROPS))
    assert str(err.value) == f"cluster {cid} is of type 'ManagedKubernetes', not a registered (ExternalKubernetes) cluster"


# --- diff -------------------------------------------------------------------------------------

def test_diff_sends_the_engine_what_changes_and_replaces_a_new_cluster_before_deleting_the_old():
    olds = _engine({**PROPS, "cluster_id": "c1", "state": "running", "agent_manifest": "m"})
    same = _provider().diff("c1", olds, _engine(PROPS))
    assert (same.changes, same.replaces) == (False, [])
    moved = _provider().diff("c1", olds, _engine({**PROPS, "vpc_id": "vpc-other", "cluster_name": "idc-bj-2"}))
    assert (moved.changes, moved.replaces) == (True, ["vpc_id"])
    # The new registration exists before the old one goes: the IDC agent keeps a cluster to report to
    # until it is given the new manifest (deleteBeforeReplace false or left out: the server sends it
    # only when it is not None, and the engine reads a missing one as false).
    assert not moved.delete_before_replace
    renamed = _provider().diff("c1", olds, _engine({**PROPS, "cluster_name": "idc-bj-2"}))
    assert (renamed.changes, renamed.replaces) == (True, [])


def test_diff_reads_each_key_from_both_sides():
    # A key present on one side only is a change (an input added or removed), whichever side it is.
    olds = _engine({k: v for k, v in PROPS.items() if k != "service_cidr"})
    news = _engine(PROPS)
    assert _provider().diff("c1", olds, news).replaces == ["service_cidr"]
    assert _provider().diff("c1", news, olds).replaces == ["service_cidr"]


# --- update -----------------------------------------------------------------------------------

def _created(standin, **props):
    created = _provider().create(_engine({**PROPS, **props}))
    standin.clusters[created.id]["state"] = "running"
    return created, {**created.outs, "state": "running"}


def test_update_of_protection_alone_sends_only_protection(standin):
    created, olds = _created(standin)
    out = _provider().update(created.id, olds, {**olds, "deletion_protection": True})
    (modify,) = standin.calls("ModifyCluster")
    assert modify.body == {"deletion_protection": True}
    assert standin.clusters[created.id]["deletion_protection"] is True
    # the agent is untouched: no new credentials, the applied manifest stays
    assert len(standin.calls("DescribeExternalAgent")) == 1 and out.outs["agent_manifest"] == created.outs["agent_manifest"]
    assert out.outs["state"] == "running" and out.outs["cluster_id"] == created.id
    assert out.outs["deletion_protection"] is True


def test_update_lifting_protection_sends_false(standin):
    created, olds = _created(standin, deletion_protection=True)
    _provider().update(created.id, olds, {**olds, "deletion_protection": False})
    (modify,) = standin.calls("ModifyCluster")
    assert modify.body == {"deletion_protection": False}
    assert standin.clusters[created.id]["deletion_protection"] is False


def test_update_of_the_name_alone_sends_only_the_name(standin):
    created, olds = _created(standin)
    _provider().update(created.id, olds, {**olds, "cluster_name": "idc-bj-2"})
    (modify,) = standin.calls("ModifyCluster")
    assert modify.body == {"cluster_name": "idc-bj-2"}


def test_update_of_the_agent_endpoint_alone_fetches_a_public_manifest_and_modifies_nothing(standin):
    created, olds = _created(standin)
    out = _provider().update(created.id, olds, {**olds, "agent_endpoint": "public"})
    assert standin.calls("ModifyCluster") == []
    call = standin.calls("DescribeExternalAgent")[-1]
    assert (call.path, call.query) == (f"/k8s/{created.id}/external/agent/deployment",
                                       {"PrivateIpAddress": "false", "AgentMode": "restricted"})
    assert out.outs["agent_manifest"] != created.outs["agent_manifest"]
    assert _env(out.outs["agent_manifest"])["INTERNAL_ENDPOINT"] == "false"
    assert _decoded(out.outs["agent_manifest"]) == f"token-of-{created.id}"


def test_update_of_the_agent_mode_alone_fetches_that_mode(standin):
    created, olds = _created(standin)
    _provider().update(created.id, olds, {**olds, "agent_mode": "admin"})
    assert standin.calls("DescribeExternalAgent")[-1].query == {"PrivateIpAddress": "true", "AgentMode": "admin"}


def test_update_without_a_manifest_in_the_state_fetches_one(standin):
    created, olds = _created(standin)
    olds = {k: v for k, v in olds.items() if k != "agent_manifest"}
    out = _provider().update(created.id, olds, {**olds, "cluster_name": "idc-bj-2"})
    assert len(standin.calls("DescribeExternalAgent")) == 2
    assert _decoded(out.outs["agent_manifest"]) == f"token-of-{created.id}"


# --- delete -----------------------------------------------------------------------------------

def test_delete_of_a_protected_cluster_keeps_acks_error_and_says_how_to_proceed(standin):
    created = _provider().create(_engine({**PROPS, "deletion_protection": True}))
    with pytest.raises(ack_api.AckApiError) as err:
        _provider().delete(created.id, dict(created.outs))
    e = err.value
    assert (e.operation, e.code, e.status) == ("DeleteCluster", "ErrDeletionProtection", 400)
    assert e.request_id.startswith("STANDIN-")
    assert str(e).endswith(f"Set registration.deletionProtection: false and run `pulumi up` before deleting "
                           f"registered cluster {created.id} [request id {e.request_id}]")


def test_delete_passes_any_other_error_through_unchanged(standin):
    created = _provider().create(_engine(PROPS))
    standin.fail("DeleteCluster", Fault(403, "Forbidden.RAM", "User not authorized to operate on the specified resource."))
    with pytest.raises(ack_api.AckApiError) as err:
        _provider().delete(created.id, dict(created.outs))
    assert err.value.code == "Forbidden.RAM" and "deletionProtection" not in str(err.value)
    assert created.id in standin.clusters


# --- the component's graph under the mocks --------------------------------------------------

COMP = "hybrid:ack:RegisteredCluster"
DYN = ack_api.DYNAMIC_TYPE
FLEET = "alicloud:ackone/cluster:Cluster"
MEMBER = "alicloud:ackone/membershipAttachment:MembershipAttachment"
K8S = "kubernetes:"
# Kubernetes' recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels):
# managed-by names the tool, part-of the application; the plan's tests find the agent's objects by part-of.
LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "hybrid-ack-registration"}
NODE_SCRIPT = "https://oss.example/hybrid/elastic-node.sh"


def _component(raw, *, terway=False, tags=None):
    import pulumi_kubernetes as k8s

    from components.registered_cluster import RegisteredCluster, RegisteredClusterArgs
    from hybrid.model import load

    p = load(raw)
    idc = k8s.Provider("idc", kubeconfig="apiVersion: v1\nkind: Config\n")
    # zones listed out of order: the APIs get them in zone order
    net = standin_network(p.registration.region_id, [f"{p.registration.region_id}-h", f"{p.registration.region_id}-g"])
    rc = RegisteredCluster("ack", RegisteredClusterArgs(
        registration=p.registration, network=net, service_cidr=p.idc.service_cidr,
        tags=tags if tags is not None else {"team": "ai", "env": p.environment}, terway_pod_vswitches=terway,
        agent_config={"addNodeScriptPath": NODE_SCRIPT}),
        opts=pulumi.ResourceOptions(providers={"kubernetes": idc}))
    return {"rc": rc, "idc": idc.urn, "cluster_id": rc.cluster_id, "fleet_id": rc.fleet_id, "out_id": rc.outputs.cluster_id,
            "memberships": [m.urn for m in rc.outputs.memberships], "connected": rc.outputs.connected.urn,
            "agent_config": rc.outputs.agent_config.urn, "manifest": rc.agent_manifest}


def test_prod_registers_the_cluster_with_the_regions_network_and_its_fleet_with_every_member(pulumi_mocks, prod_raw):
    rec, mon = record(pulumi_mocks, prod_raw, stack="prod")
    got = settle(lambda: _component(prod_raw))
    comp = mon.one(COMP, "ack")
    kids = {(k.type, k.name): k for k in mon.children(comp.urn)}
    dyn = kids[(DYN, "ack-cluster")]
    assert {k: v for k, v in dyn.inputs.items() if k != ENGINE_KEY} == {
        "cluster_name": "idc-bj", "region_id": "cn-beijing", "vpc_id": "vpc-cn-beijing",
        "service_cidr": prod_raw["idc"]["serviceCidr"],
        "vswitch_ids": ["vsw-cn-beijing-g-nodes", "vsw-cn-beijing-h-nodes"],
        "security_group_id": "sg-cn-beijing-workers", "deletion_protection": True,
        "tags": {"env": "prod", "team": "ai"}, "agent_endpoint": "private", "agent_mode": "admin"}
    assert list(dyn.inputs["tags"]) == ["env", "team"]  # one order whatever the caller's: no spurious diff
    assert dyn.options == {"additionalSecretOutputs": ["agent_manifest"]}
    # the engine runs this resource's CRUD with the provider it was registered with
    # (pulumi/dynamic/__main__.py get_provider: dill.loads of the base64 "__provider" input)
    engine_provider = dill.loads(base64.b64decode(dyn.inputs[ENGINE_KEY]["value"]))
    assert isinstance(engine_provider, RegisteredClusterProvider)
    assert got["out_id"] == got["cluster_id"] and got["rc"].console_role is None  # admin: cluster-admin, no role

    # The Fleet spans the registration region's VPC and vSwitches; argocd off (the provider's
    # alicloud_ack_one_cluster docs: a fleet with ArgoCD on cannot be deleted).
    fleet = kids[(FLEET, "ack-fleet")]
    assert fleet.inputs == {"clusterName": "ai-fleet", "argocdEnabled": False,
                            "network": {"vpcId": "vpc-cn-beijing", "vswitches": ["vsw-cn-beijing-g-nodes", "vsw-cn-beijing-h-nodes"]}}
    fleet_id = mon.ids[fleet.urn]
    assert got["fleet_id"] == fleet_id
    members = {k[1]: v for k, v in kids.items() if k[0] == MEMBER}
    assert {n: (m.inputs["clusterId"], m.inputs["subClusterId"]) for n, m in members.items()} == {
        "ack-fleet-member": (fleet_id, got["cluster_id"]),
        "ack-fleet-member-ack-sh-infer": (fleet_id, "c5e7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d"),
        "ack-fleet-member-ack-wlcb-train": (fleet_id, "c6f8b0c2e4a6b8d0f2c4e6a8b0d2f4a6c")}
    # The IDC cluster joins once its agent runs (a waiting registered cluster is not attachable);
    # the other members are running ACK clusters and wait for the fleet only.
    deploy = kids[("kubernetes:apps/v1:Deployment", "ack-agent")]
    assert deploy.urn in members["ack-fleet-member"].dependencies
    assert sorted(members["ack-fleet-member"].dependencies) == sorted([deploy.urn, dyn.urn, fleet.urn])
    for name in ("ack-fleet-member-ack-sh-infer", "ack-fleet-member-ack-wlcb-train"):
        assert members[name].dependencies == [fleet.urn]
    # what the Fleet's placement waits for: every membership, the IDC cluster's first
    assert got["memberships"] == [members[n].urn for n in sorted(members)]

    out = mon.outputs[comp.urn]
    assert out["clusterId"] == got["cluster_id"] and out["fleetId"] == fleet_id
    assert out["agentManifest"]["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"  # secret
    for k in kids.values():
        if k.type.startswith(K8S):
            assert provider_urn(k.provider) == got["idc"], k.name


def test_the_agents_objects_carry_its_identity_scope_and_the_manifests_contents(pulumi_mocks, prod_raw):
    from hybrid import agent

    rec, mon = record(pulumi_mocks, prod_raw, stack="prod")
    got = settle(lambda: _component(prod_raw))
    comp = mon.one(COMP, "ack")
    kids = {(k.type.split(":")[-1], k.name): k for k in mon.children(comp.urn) if k.type.startswith(K8S)}
    assert sorted(kids) == [
        ("ClusterRole", "ack-agent-self"), ("ClusterRoleBinding", "ack-agent-self"), ("ClusterRoleBinding", "ack-console"),
        ("ConfigMap", "ack-agent-ack-agent-config"), ("ConfigMap", "ack-agent-provider"), ("Deployment", "ack-agent"),
        ("NetworkPolicy", "ack-agent-ingress"), ("Role", "ack-agent-config"), ("Role", "ack-agent-kube-public"),
        ("RoleBinding", "ack-agent-config"), ("RoleBinding", "ack-agent-kube-public"), ("Secret", "ack-agent-credentials"),
        ("ServiceAccount", "ack-agent-sa")]
    sa = {"kind": "ServiceAccount", "name": "ack", "namespace": "kube-system"}  # the connector manifest's ServiceAccount
    assert kids[("ServiceAccount", "ack-agent-sa")].inputs["metadata"] == {"name": "ack", "namespace": "kube-system", "labels": LABELS}
    # For itself: list nodes cluster-wide (the connector manifest's ClusterRole ack-connector-default) ...
    self_role = kids[("ClusterRole", "ack-agent-self")].inputs
    assert self_role["metadata"] == {"name": "ack-connector-default", "labels": LABELS}
    assert self_role["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}]
    binding = kids[("ClusterRoleBinding", "ack-agent-self")].inputs
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "ack-connector-default"}
    assert binding["subjects"] == [sa] and binding["metadata"] == {"name": "ack-connector-default", "labels": LABELS}
    # ... and a Role per namespace (Alibaba's restricted-mode RBAC page: kube-system ConfigMaps and its
    # Secret, kube-public's kube-root-ca.crt), each bound to the agent by a RoleBinding of that namespace.
    for suffix, ns in (("config", "kube-system"), ("kube-public", "kube-public")):
        role, rb = kids[("Role", f"ack-agent-{suffix}")].inputs, kids[("RoleBinding", f"ack-agent-{suffix}")].inputs
        assert role["metadata"] == rb["metadata"] == {"name": "ack-connector-default", "namespace": ns, "labels": LABELS}
        assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "ack-connector-default"}
        assert rb["subjects"] == [sa]
    assert kids[("Role", "ack-agent-kube-public")].inputs["rules"] == [
        {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["kube-root-ca.crt"], "verbs": ["get"]}]
    system_rules = kids[("Role", "ack-agent-config")].inputs["rules"]
    assert {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["ack-credentials"], "verbs": ["get", "update"]} in system_rules

    # The console in administrator mode: cluster-admin, with the binding's waiver.
    console = kids[("ClusterRoleBinding", "ack-console")].inputs
    assert console["metadata"]["labels"] == {**LABELS, "hybrid.example.com/console-access": "admin"}
    assert console["subjects"] == [sa]

    # The workload: two ConfigMaps, the ack-agent-config one with the platform's key on top of ACK's.
    cms = {n: kids[("ConfigMap", f"ack-agent-{n}")].inputs for n in ("ack-agent-config", "provider")}
    for n, cm in cms.items():
        assert cm["metadata"] == {"name": n, "namespace": "kube-system", "labels": LABELS}
    assert cms["ack-agent-config"]["data"]["addNodeScriptPath"] == NODE_SCRIPT
    assert "addNodeScriptPath" not in cms["provider"]["data"] and cms["provider"]["data"]
    secret = kids[("Secret", "ack-agent-credentials")]
    assert secret.inputs["type"] == "Opaque"
    # each value is the manifest Secret's, base64-decoded (core/v1 Secret: data is base64, stringData plain)
    manifest_secret = next(d for d in yaml.safe_load_all(got["manifest"]) if d and d["kind"] == "Secret")
    assert secret.inputs["stringData"]["value"] == {k: base64.b64decode(v).decode() for k, v in manifest_secret["data"].items()}
    assert secret.inputs["metadata"] == {"name": "ack-credentials", "namespace": "kube-system", "labels": LABELS}
    # the connector writes its cert and key into the Secret (alibabacloud-ack-connector vars.TlsCrt/TlsKey)
    assert secret.options["ignoreChanges"] == ["stringData.cert", "stringData.key"]
    netpol = kids[("NetworkPolicy", "ack-agent-ingress")].inputs
    deploy = kids[("Deployment", "ack-agent")]
    assert netpol["metadata"] == {"name": "ack-cluster-agent-deny-ingress", "namespace": "kube-system", "labels": LABELS}
    assert netpol["spec"] == {"podSelector": {"matchLabels": deploy.inputs["spec"]["selector"]["matchLabels"]},
                              "policyTypes": ["Ingress"]}
    assert deploy.inputs["spec"]["selector"]["matchLabels"]
    meta = deploy.inputs["metadata"]
    assert (meta["name"], meta["namespace"]) == ("ack-cluster-agent", "kube-system")
    assert LABELS.items() <= meta["labels"].items() and len(meta["labels"]) > len(LABELS)  # the manifest's own too
    assert agent.waiver_annotations().items() <= meta["annotations"].items()
    # ACK upgrades the agent in place: image and pod-template annotations are left to it.
    assert deploy.options["ignoreChanges"] == ["spec.template.metadata.annotations", "spec.template.spec.containers[0].image"]
    # The agent starts once its identity, scope, credentials and config exist.
    before = {kids[k].urn for k in kids if k[0] != "Deployment" and k != ("ClusterRole", "ack-agent-self")
              and k[0] != "Role"}
    assert before <= set(deploy.dependencies)
    # what other components wait for: the running agent, and the ConfigMap they add keys to
    assert (got["connected"], got["agent_config"]) == (deploy.urn, kids[("ConfigMap", "ack-agent-ack-agent-config")].urn)


def test_read_only_console_gets_its_own_role_and_terway_gets_the_pod_vswitches(pulumi_mocks, dev_raw):
    from tests.conftest import restricted_without_actions

    dev_raw = restricted_without_actions(dev_raw)
    rec, mon = record(pulumi_mocks, dev_raw)
    got = settle(lambda: _component(dev_raw, terway=True, tags={}))
    comp = mon.one(COMP, "ack")
    kids = {(k.type.split(":")[-1], k.name): k for k in mon.children(comp.urn)}
    dyn = kids[("RegisteredCluster", "ack-cluster")].inputs
    assert dyn["pod_vswitch_ids"] == ["vsw-cn-beijing-g-pods", "vsw-cn-beijing-h-pods"]
    assert dyn["agent_mode"] == "restricted" and dyn["tags"] == {}
    role = kids[("ClusterRole", "ack-console")].inputs
    labels = {**LABELS, "hybrid.example.com/console-access": "read-only"}
    assert role["metadata"] == {"name": "hybrid-ack-console", "labels": labels}
    assert {v for r in role["rules"] for v in r["verbs"]} == {"get", "list", "watch"}
    binding = kids[("ClusterRoleBinding", "ack-console")].inputs
    assert binding["metadata"] == {"name": "hybrid-ack-console", "labels": labels}  # no waiver: nothing waived
    assert binding["roleRef"]["name"] == "hybrid-ack-console"
    assert not any(t in ("Cluster", "MembershipAttachment") for t, _ in kids)
    assert mon.outputs[comp.urn].get("fleetId") is None and got["fleet_id"] is None and got["rc"].fleet is None
    assert got["memberships"] == []
