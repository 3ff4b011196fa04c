"""RegisteredCluster under Pulumi mocks, the offline plan's agent manifests, and the registration config checks."""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pulumi
import pytest
import yaml

from hybrid import agent
from hybrid.errors import ConfigError
from hybrid.model import load
from tests.conftest import PROJECT, settle
from tests.conftest import restricted_without_actions

DYN = "pulumi-python:dynamic/ack:RegisteredCluster"
CR = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
SECRET = "kubernetes:core/v1:Secret"
DEPLOY = "kubernetes:apps/v1:Deployment"


def _build(raw):
    import pulumi_kubernetes as k8s

    from components.contracts import RegionNetworkOutputs
    from components.registered_cluster import RegisteredCluster, RegisteredClusterArgs

    p = load(raw)
    idc = k8s.Provider("idc", kubeconfig="apiVersion: v1\nkind: Config\n")
    known = pulumi.Output.from_input
    net = RegionNetworkOutputs(
        region_id="cn-beijing", ipv6=False, vpc_id=known("vpc-test"),
        vswitch_ids=known({"cn-beijing-h": "vsw-h", "cn-beijing-g": "vsw-g"}), pod_vswitch_ids=known({}),
        security_group_id=known("sg-test"), pod_security_group_id=known("sg-pods"), idc_routes=known({}))
    rc = RegisteredCluster("ack", RegisteredClusterArgs(
        registration=p.registration, network=net, service_cidr=p.idc.service_cidr, tags={"env": p.environment}),
        opts=pulumi.ResourceOptions(providers={"kubernetes": idc}))
    return p, rc


def test_registration_inputs_and_read_only_console_scope(pulumi_mocks, dev_raw):
    dev_raw = restricted_without_actions(dev_raw)
    rec = pulumi_mocks(dev_raw)
    cluster_id = settle(lambda: _build(dev_raw)[1].cluster_id)

    dyn = rec.named(DYN, "ack-cluster").inputs
    assert (dyn["cluster_name"], dyn["region_id"], dyn["vpc_id"]) == ("idc-bj-dev", "cn-beijing", "vpc-test")
    assert dyn["vswitch_ids"] == ["vsw-g", "vsw-h"]  # sorted by zone: stable input, no spurious diffs
    assert (dyn["agent_endpoint"], dyn["agent_mode"], dyn["service_cidr"]) == ("private", "restricted", "172.21.0.0/20")
    assert cluster_id.startswith("c") and len(cluster_id) == 33

    role = rec.named(CR, "ack-console").inputs
    assert role["metadata"]["name"] == agent.CONSOLE_ROLE
    verbs = {v for r in role["rules"] for v in r["verbs"]}
    resources = {res for r in role["rules"] for res in r["resources"]}
    assert verbs == {"get", "list", "watch"}
    assert "secrets" not in resources and not any(r.startswith("pods/exec") for r in resources) and "*" not in resources
    binding = rec.named(CRB, "ack-console").inputs
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": agent.CONSOLE_ROLE}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "ack", "namespace": "kube-system"}]
    # The manifest's own RBAC (incl. any cluster-admin binding) is never declared.
    assert not any(a.inputs.get("roleRef", {}).get("name") == "cluster-admin" for a in rec.of_type(CRB))
    for a in rec.resources.values():
        if a.typ.startswith("kubernetes:") and not a.typ.startswith("pulumi:"):
            assert a.provider and "::idc::" in a.provider, a.name  # everything goes to the IDC cluster
    assert rec.of_type("alicloud:ackone/cluster:Cluster") == []  # dev asks for no fleet


def test_agent_workload_comes_from_the_manifest_with_credentials_only_in_the_secret(pulumi_mocks, dev_raw):
    from hybrid_tools.mockrun import SECRET_SIG, SIG_KEY

    rec = pulumi_mocks(dev_raw)
    cluster_id = settle(lambda: _build(dev_raw)[1].cluster_id)

    secret = rec.named(SECRET, "ack-agent-credentials").inputs
    assert secret["metadata"] == {"name": agent.CREDENTIALS_SECRET, "namespace": "kube-system",
                                  "labels": secret["metadata"]["labels"]}
    wrapped = secret["stringData"]  # the engine sees the whole map as one secret
    assert wrapped[SIG_KEY] == SECRET_SIG and sorted(wrapped["value"]) == agent.secret_keys()
    deploy = rec.named(DEPLOY, "ack-agent").inputs
    pod = deploy["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "ack"
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["KUBERNETES_CLUSTER_ID"] == cluster_id and env["INTERNAL_ENDPOINT"] == "true"
    assert pod["volumes"] == [{"name": "ack-credentials", "secret": {"secretName": agent.CREDENTIALS_SECRET}}]


def test_admin_console_and_fleet_when_the_stack_asks(pulumi_mocks, prod_raw):
    prod_raw["registration"]["consoleAccess"] = "admin"
    prod_raw["registration"]["agent"]["mode"] = "admin"
    rec = pulumi_mocks(prod_raw, stack="prod")

    def program():
        rc = _build(prod_raw)[1]
        return rc.cluster_id, rc.fleet.id

    cluster_id, fleet_id = settle(program)
    # Administrator mode binds the built-in cluster-admin, as the connector manifest does
    # (alibabacloud-ack-connector manifests/alibabacloud-ack-connector.yaml: roleRef ClusterRole cluster-admin),
    # to the agent's ServiceAccount; no ClusterRole of the program's own.
    assert [r.name for r in rec.of_type(CR) if r.name == "ack-console"] == []
    binding = rec.named(CRB, "ack-console").inputs
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "ack", "namespace": "kube-system"}]
    assert binding["metadata"]["labels"]["hybrid.example.com/console-access"] == "admin"
    reason = binding["metadata"]["annotations"]["hybrid-gpu.io/cluster-admin-reason"]
    assert "registration.agent.mode admin" in reason and "administrator mode" in reason
    assert rec.named(DYN, "ack-cluster").inputs["agent_mode"] == "admin"
    fleet = rec.named("alicloud:ackone/cluster:Cluster", "ack-fleet").inputs
    assert fleet["clusterName"] == "ai-fleet" and fleet["argocdEnabled"] is False
    assert fleet["network"] == {"vpcId": "vpc-test", "vswitches": ["vsw-g", "vsw-h"]}
    member = rec.named("alicloud:ackone/membershipAttachment:MembershipAttachment", "ack-fleet-member").inputs
    assert (member["clusterId"], member["subClusterId"]) == (fleet_id, cluster_id)


def test_referenced_fleet_gets_every_member_and_no_new_fleet(pulumi_mocks, prod_raw):
    prod_raw["registration"]["fleet"] = {"enabled": True, "id": "cf1ee7000000000000000000000000001",
                                         "members": {"ack-hz-infer": {"clusterId": "c0a0000000000000000000000000000aa",
                                                                      "availableReplicas": 4}}}
    prod_raw.pop("jobs")  # its failover and FederatedHPA need an applied Fleet
    rec = pulumi_mocks(prod_raw, stack="prod")
    cluster_id = settle(lambda: _build(prod_raw)[1].cluster_id)

    assert rec.of_type("alicloud:ackone/cluster:Cluster") == []  # referenced, not created
    members = {(m.inputs["clusterId"], m.inputs["subClusterId"])
               for m in rec.of_type("alicloud:ackone/membershipAttachment:MembershipAttachment")}
    assert members == {("cf1ee7000000000000000000000000001", cluster_id),
                       ("cf1ee7000000000000000000000000001", "c0a0000000000000000000000000000aa")}


def test_agent_manifest_output_is_secret(pulumi_mocks, dev_raw):
    pulumi_mocks(dev_raw)

    def program():
        rc = _build(dev_raw)[1]

        async def secret_flags():
            return await rc.agent_manifest.is_secret(), await rc.credentials.string_data.is_secret()

        return pulumi.Output.from_input(secret_flags())

    assert settle(program) == (True, True)


def test_engine_is_asked_to_keep_the_agent_manifest_secret_in_state(pulumi_mocks, dev_raw):
    """The registered cluster's own output holds the agent manifest with its token and
    certificates: the engine stores it encrypted only if the registration names it in
    additionalSecretOutputs (wrapping the component's copy in Output.secret does not
    reach the state of the dynamic resource)."""
    from pulumi.runtime.mocks import MockMonitor

    rec = pulumi_mocks(dev_raw)
    asked: dict[str, list[str]] = {}

    class Recording(MockMonitor):  # the monitor sees each RegisterResourceRequest as the engine would
        def RegisterResource(self, request):
            asked[request.type] = sorted(request.additionalSecretOutputs)
            return super().RegisterResource(request)

    pulumi.runtime.set_mocks(rec.mocks, project=PROJECT, stack="dev", preview=False, monitor=Recording(rec.mocks))
    settle(lambda: _build(dev_raw)[1].cluster_id)
    assert asked[DYN] == ["agent_manifest"]


# --- the offline plan -----------------------------------------------------------------

@pytest.fixture(scope="module")
def prod_plan(tmp_path_factory):
    from hybrid_tools.plan import build_plan, write_plan

    cfg, platform, run, _ = build_plan("prod")
    out, resources = write_plan("prod", tmp_path_factory.mktemp("plan"), platform, run)
    return platform, out, resources


def _agent_manifests(out: Path) -> dict[str, dict]:
    docs = {}
    for f in sorted((out / "manifests").rglob("*.yaml")):
        doc = yaml.safe_load(f.read_text())
        if (doc.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/part-of") == "hybrid-ack-registration":
            docs[str(f.relative_to(out))] = doc
    return docs


def test_plan_writes_the_agent_objects_and_they_validate(prod_plan):
    platform, out, _ = prod_plan
    docs = _agent_manifests(out)
    assert sorted(docs) == [
        "manifests/cluster/clusterrole-ack-connector-default.yaml",
        "manifests/cluster/clusterrolebinding-ack-connector-default.yaml",
        "manifests/cluster/clusterrolebinding-hybrid-ack-console.yaml",
        "manifests/kube-public/role-ack-connector-default.yaml",
        "manifests/kube-public/rolebinding-ack-connector-default.yaml",
        "manifests/kube-system/configmap-ack-agent-config.yaml",
        "manifests/kube-system/configmap-provider.yaml",
        "manifests/kube-system/deployment-ack-cluster-agent.yaml",
        "manifests/kube-system/networkpolicy-ack-cluster-agent-deny-ingress.yaml",
        "manifests/kube-system/role-ack-connector-default.yaml",
        "manifests/kube-system/rolebinding-ack-connector-default.yaml",
        "manifests/kube-system/secret-ack-credentials.yaml",
        "manifests/kube-system/serviceaccount-ack.yaml",
    ]
    version = ".".join(platform.idc.kubernetes_version.split(".")[:2])
    for path, doc in docs.items():
        if doc["kind"] == "Secret":
            # Keys kept, every value redacted: the manifest is a valid Secret as written.
            assert doc["stringData"] == {k: "[secret]" for k in ("ca", "cert", "key", "token", "url")}, path
        assert kubernetes_validate.validate(doc, version, strict=True) == version, path
    # The NetworkPolicy selects exactly the agent's pods and admits no ingress.
    netpol = docs["manifests/kube-system/networkpolicy-ack-cluster-agent-deny-ingress.yaml"]["spec"]
    deployment = docs["manifests/kube-system/deployment-ack-cluster-agent.yaml"]
    assert netpol["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert netpol["policyTypes"] == ["Ingress"] and not netpol.get("ingress")
    # Hardened pod, waivers for the rest, each with a reason.
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    waivers = {k: v for k, v in deployment["metadata"]["annotations"].items() if k.startswith("checkov.io/skip")}
    assert sorted(v.split("=", 1)[0] for v in waivers.values()) == sorted(agent.AGENT_WAIVERS)


def test_prod_plan_binds_the_agent_to_cluster_admin_and_the_policy_takes_only_the_waived_binding(prod_plan):
    from tests.test_policy_rules import run_policy

    _, out, _ = prod_plan
    binding = yaml.safe_load((out / "manifests/cluster/clusterrolebinding-hybrid-ack-console.yaml").read_text())
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "ack", "namespace": "kube-system"}]
    assert not (out / "manifests/cluster/clusterrole-hybrid-ack-console.yaml").exists()
    assert run_policy("k8s-no-wildcard-verbs-on-secrets", CRB, binding) == []
    # The same binding without the program's waiver grants cluster-admin's verbs '*' on Secrets: refused.
    del binding["metadata"]["annotations"]
    assert run_policy("k8s-no-wildcard-verbs-on-secrets", CRB, binding)



def test_plan_never_shows_agent_credentials(prod_plan):
    _, out, resources = prod_plan
    text = "\n".join(f.read_text() for f in out.rglob("*") if f.is_file())
    assert "token-of-" not in text and "BEGIN CERTIFICATE" not in text
    dyn = [r for r in resources if r["type"] == DYN]
    assert len(dyn) == 1 and dyn[0]["inputs"]["__provider"] == "[secret]"
    assert "agent_manifest" not in dyn[0]["inputs"] or dyn[0]["inputs"]["agent_manifest"] in (None, "[secret]")
    outputs = json.loads((out / "outputs.json").read_text())
    assert outputs["registeredClusterId"].startswith("c")


def test_plan_shows_the_create_request(prod_plan):
    _, out, _ = prod_plan
    doc = json.loads((out / "registration" / "ack-cluster.json").read_text())
    body = doc["CreateCluster"]["body"]
    assert body["cluster_type"] == "ExternalKubernetes" and body["vpcid"].startswith("vpc-") and "vpc_id" not in body
    assert doc["DescribeExternalAgent"]["query"] == {"AgentMode": "admin", "PrivateIpAddress": "true"}


# --- config checks ----------------------------------------------------------------------

def _issues(raw) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(raw)
    return [f"{i.path}: {i.message}" for i in err.value.issues]


def test_config_checks_agent_endpoint_against_the_leased_line(dev_raw):
    dev_raw["idc"]["leasedLine"] = False
    assert any(i.startswith("registration.agent.endpoint: the agent is set to the private endpoint") for i in _issues(dev_raw))
    dev_raw["idc"]["leasedLine"] = True
    dev_raw["registration"]["agent"] = {"endpoint": "public"}
    assert any(i.startswith("registration.agent.endpoint: the agent uses the public endpoint") for i in _issues(dev_raw))


def test_config_checks_vpc_against_the_service_cidr(dev_raw):
    dev_raw["regions"][0]["vpcCidr"] = "172.21.0.0/16"  # contains idc.serviceCidr 172.21.0.0/20
    assert any("overlaps the cluster Service CIDR" in i for i in _issues(dev_raw))


def test_config_checks_fleet_name_and_admin_agent_with_read_only_console(dev_raw):
    dev_raw["registration"]["fleet"] = {"enabled": True}
    assert _issues(dev_raw) == ["registration.fleet: fleet.enabled is true but neither a fleet name nor an id is given."]
    dev_raw["registration"]["fleet"] = {"enabled": True, "name": "f", "id": "c0123456789abcdef"}
    assert _issues(dev_raw) == ["registration.fleet: fleet.name and fleet.id are both set."]
    dev_raw["registration"]["fleet"] = {"apply": True}
    assert _issues(dev_raw) == ["registration.fleet: fleet.apply or fleet.members is set but the fleet is not enabled."]
    dev_raw["registration"]["fleet"] = {"enabled": False}
    # Nothing for ACK to do in the cluster: admin mode with a read-only console is a preference, a warning.
    restricted_without_actions(dev_raw)
    dev_raw["registration"]["agent"] = {"mode": "admin"}
    from hybrid.model import warnings

    assert [(w.path, w.message.split(":")[0]) for w in warnings(load(dev_raw))] == [
        ("registration.agent.mode", "is admin but consoleAccess is read-only")]
    # With a component to install the agent must hold cluster-admin: an error naming consoleAccess.
    dev_raw["virtualNode"] = {"enabled": True, "version": "v2.13.0", "regions": [{"id": "cn-beijing", "default": True}]}
    assert [i.split(":")[0] for i in _issues(dev_raw)] == ["registration.consoleAccess"]


def test_ack_managed_fields_are_left_to_ack(prod_plan):
    """ACK upgrades the agent's image and pod-template annotations; the connector writes cert/key into its Secret."""
    _, _, resources = prod_plan
    dep = next(r for r in resources if r["type"] == "kubernetes:apps/v1:Deployment" and r["name"] == "ack-agent")
    assert set(dep["options"]["ignoreChanges"]) == {"spec.template.spec.containers[0].image", "spec.template.metadata.annotations"}
    sec = next(r for r in resources if r["type"] == "kubernetes:core/v1:Secret" and r["name"] == "ack-agent-credentials")
    assert set(sec["options"]["ignoreChanges"]) == {"stringData.cert", "stringData.key"}
    assert sec["inputs"]["metadata"]["name"] == "ack-credentials"
    roles = {(r["inputs"]["metadata"].get("namespace"), r["inputs"]["metadata"]["name"]) for r in resources
             if r["type"] == "kubernetes:rbac.authorization.k8s.io/v1:Role" and r["parent"].endswith("RegisteredCluster::ack")}
    assert roles == {("kube-system", "ack-connector-default"), ("kube-public", "ack-connector-default")}
