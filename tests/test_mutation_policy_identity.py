"""The identity rules (policy/rules/identity.py) over resources shaped as prod's plan sends them.

Shapes follow build/plan/prod/resources.json: a GPU instance under its hybrid:gpu:GpuNodePool
component, its RamRoleAttachment depending on the instance, the node Role and the policy
attachment; Terway's eni-config rendered by hybrid/cni.py from stacks/Pulumi.prod.yaml; the
registration's bindings. Expectations come from the vendors' grammar (RAM policy: Action and
Resource may be a string or a list, a statement without Effect is read as the conservative Allow;
Kubernetes EnvVar and ConfigMap data are strings; cluster-admin is verbs '*' on every resource,
kubernetes.io "User-facing roles") and from the pack's documented waiver form (10+ characters).
"""

from __future__ import annotations

import json

import pytest

from pulumi_policy import PolicyResource  # noqa: E402
from tests.policy_harness import UNKNOWN, res, run, sentence, stack  # noqa: E402

from hybrid import cni as cni_plan  # noqa: E402
from hybrid.model import load  # noqa: E402
from tests.conftest import stack_raw  # noqa: E402

INSTANCE, ATTACH = "alicloud:ecs/instance:Instance", "alicloud:ecs/ramRoleAttachment:RamRoleAttachment"
ROLE, ROLE_POLICY_ATTACH = "alicloud:ram/role:Role", "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment"
POOL, ADDON, DS = "hybrid:gpu:GpuNodePool", "alicloud:cs/kubernetesAddon:KubernetesAddon", "kubernetes:apps/v1:DaemonSet"
SECRET, CM = "kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CRB, RB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
RAM_POLICY, RAM_AK = "alicloud:ram/policy:Policy", "alicloud:ram/accessKey:AccessKey"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
A10 = "ecs.gn7i-c32g1.8xlarge"  # prod's a10-train instanceType

_PROD = load(stack_raw("prod"))


def gpu_node(name: str = "cn-beijing-a10-train-cn-beijing-g-0", itype: str = A10, parent=None, **props) -> PolicyResource:
    pool = parent if parent is not None else res(POOL, "cn-beijing-a10-train", {})
    return res(INSTANCE, name, {"instanceType": itype, "availabilityZone": "cn-beijing-g", **props}, parent=pool)


def attachment(inst: PolicyResource, name: str = "node-role-g-0") -> PolicyResource:
    """prod's RamRoleAttachment: it depends on the instance, the node Role and its policy attachment."""
    role = res(ROLE, "cn-beijing-node-role-role", {"name": "hybrid-prod-gpu-node-cn-beijing"})
    pa = res(ROLE_POLICY_ATTACH, "cn-beijing-node-role-policy-attach", {"policyType": "Custom"})
    return res(ATTACH, name, {"instanceId": "i-ace1c8e44cb4d9cb5071", "ramRoleName": "hybrid-prod-gpu-node-cn-beijing"},
               deps=[inst, role, pa])


def terway_addon() -> PolicyResource:
    return res(ADDON, "terway-addon", {"name": "terway-eniip", "clusterId": "c", "config": "{}"})


# --- k8s-terway-credentials -----------------------------------------------------------------------

def test_a_gpu_node_without_a_role_is_reported_by_name_with_the_fix():
    node = gpu_node()
    ((msg, urn),) = stack("k8s-terway-credentials", [node, terway_addon()])
    sentence(msg)
    assert urn == node.urn and f"on {node.name}:" in msg
    assert "RAM role with Terway's ENI actions (identity.nodeRole)" in msg and "AccessKey Secret" in msg


def test_other_resources_named_terway_or_other_addons_do_not_make_terway_present():
    node = gpu_node()
    # prod's ClusterRole "terway" is no Terway DaemonSet; cluster-autoscaler is not Terway's addon
    terway_role = res(CLUSTER_ROLE, "cni-clusterrole-terway", {"metadata": {"name": "terway"}, "rules": []})
    autoscaler = res(ADDON, "elastic-autoscaler-addon", {"name": "cluster-autoscaler", "clusterId": "c"})
    assert stack("k8s-terway-credentials", [node, terway_role, autoscaler]) == []


def test_the_stack_s_addon_secret_name_is_the_one_read():
    node = gpu_node()
    custom = res(SECRET, "s", {"metadata": {"name": "ack-addon-credentials", "namespace": "kube-system"}})
    assert stack("k8s-terway-credentials", [node, terway_addon(), custom], {"addonSecretName": "ack-addon-credentials"}) == []
    assert stack("k8s-terway-credentials", [node, terway_addon(), custom])  # the default name is another


def test_every_gpu_node_is_read_past_cpu_nodes_roled_nodes_and_unknown_types():
    unknown_type = gpu_node("u", itype=UNKNOWN)
    cpu = res(INSTANCE, "bastion", {"instanceType": "ecs.g7.large"})
    roled = gpu_node("roled")
    bare = gpu_node("bare")
    got = stack("k8s-terway-credentials", [unknown_type, cpu, roled, attachment(roled), bare, terway_addon()])
    assert [u for _, u in got] == [unknown_type.urn, bare.urn]
    assert "Make instanceType known" in got[0][0]


def test_an_unknown_role_name_is_not_passed():
    node = gpu_node(roleName=UNKNOWN)
    ((msg, urn),) = stack("k8s-terway-credentials", [node, terway_addon()])
    assert "Make the instance's roleName known" in msg and urn == node.urn


# --- ram-policy-no-wildcards ----------------------------------------------------------------------

def _doc(*statements) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


ENI = {"Effect": "Allow", "Action": ["ecs:CreateNetworkInterface"], "Resource": ["acs:ecs:cn-beijing:*:*"]}


def test_a_single_action_string_is_one_action():
    (msg,) = run("ram-policy-no-wildcards", RAM_POLICY, {"policyDocument": _doc({**ENI, "Action": "ecs:*"})})
    sentence(msg)
    assert "statement 0 one by one: ['ecs:*']" in msg


def test_a_wildcard_after_a_deny_statement_is_still_read():
    deny = {"Effect": "Deny", "Action": ["ram:*"], "Resource": ["*"]}
    (msg,) = run("ram-policy-no-wildcards", RAM_POLICY, {"policyDocument": _doc(deny, {**ENI, "Resource": ["*"]})})
    sentence(msg)
    assert "Scope the resources of statement 1" in msg and "identity.nodeRoleScope: region" in msg


def test_a_statement_without_effect_is_read_as_an_allow():
    st = {k: v for k, v in ENI.items() if k != "Effect"}
    assert run("ram-policy-no-wildcards", RAM_POLICY, {"policyDocument": _doc({**st, "Action": ["ecs:*"]})})


def test_the_deprecated_document_spelling_and_an_object_document_are_read():
    bad = _doc({**ENI, "Action": ["ecs:*"]})
    assert run("ram-policy-no-wildcards", RAM_POLICY, {"document": bad})
    assert run("ram-policy-no-wildcards", RAM_POLICY, {"policyDocument": json.loads(bad)})
    assert run("ram-policy-no-wildcards", RAM_POLICY, {"policyName": "empty"}) == []


def test_an_unknown_or_broken_document_is_reported():
    assert "Make the RAM policy document known" in run("ram-policy-no-wildcards", RAM_POLICY, {"policyDocument": UNKNOWN})[0]
    (msg,) = run("ram-policy-no-wildcards", RAM_POLICY, {"policyDocument": "{\"Statement\": ["})
    sentence(msg)
    assert "not valid JSON" in msg


# --- access-keys-only-in-secrets ------------------------------------------------------------------

def test_prod_s_terway_eni_config_holds_no_access_key():
    data = cni_plan.eni_config_data(_PROD.cni, _PROD.idc, cni_plan.TerwayRegion(
        "cn-beijing", {"cn-beijing-g": ["vsw-2ze0pod0000000000001"]}, ("sg-2ze0000000000000000a",), False))
    assert isinstance(json.loads(data["eni_conf"])["max_pool_size"], int)  # numbers sit beside the strings
    assert run("access-keys-only-in-secrets", CM, {"metadata": {"name": "eni-config"}, "data": data}) == []


def test_a_long_value_under_a_name_that_is_no_key_is_no_finding():
    cm = {"metadata": {"name": "ack-agent-config"}, "data": {"clusterId": "ce7dd1b7d528cb8944d4da48cda36769d"}}
    assert run("access-keys-only-in-secrets", CM, cm) == []


def test_every_key_in_flat_configmap_data_is_reported_by_its_place():
    cm = {"data": {"access_key_id": "LTAI5tQ2x8Yb3Kc7Hn9Wm1Zp", "access_key_secret": "s" * 30, "region": "cn-beijing"}}
    got = run("access-keys-only-in-secrets", CM, cm)
    assert len(got) == 2
    assert "in ConfigMap data.access_key_id into a Kubernetes Secret" in got[0]
    assert "in ConfigMap data.access_key_secret into" in got[1]
    for msg in got:
        sentence(msg)
        assert "(pulumi config set --secret)" in msg


def test_a_key_inside_json_data_is_reported_with_its_inner_name():
    cm = {"data": {"eni_conf": json.dumps({"access_key": "LTAI5tQ2x8Yb3Kc7Hn9Wm1Zp", "region_id": "cn-beijing"})}}
    (msg,) = run("access-keys-only-in-secrets", CM, cm)
    assert "in ConfigMap data.eni_conf (access_key) into" in msg


@pytest.mark.parametrize("value,hit", [("s" * 16, True), ("s" * 15, False)])
def test_a_value_under_an_access_key_name_counts_from_sixteen_characters(value, hit):
    # the shortest Alibaba AccessKey ids are 16 characters ("LTAI" + 12, the _AK_ID_RE floor)
    assert bool(run("access-keys-only-in-secrets", CM, {"data": {"access_key_secret": value}})) is hit


def test_an_access_key_in_an_init_container_s_env_is_reported_by_name():
    dep = {"spec": {"template": {"spec": {
        "initContainers": [{"name": "fetch-model", "image": "i",
                            "env": [{"name": "ALIBABA_CLOUD_ACCESS_KEY_ID", "value": "LTAI5tQ2x8Yb3Kc7Hn9Wm1Zp"}]}],
        "containers": [{"name": "server", "image": "i"}]}}}}
    (msg,) = run("access-keys-only-in-secrets", DEPLOYMENT, dep)
    assert "in env ALIBABA_CLOUD_ACCESS_KEY_ID of container fetch-model into a Kubernetes Secret" in msg


def test_ram_access_keys_and_unknowns_are_reported():
    (msg,) = run("access-keys-only-in-secrets", RAM_AK, {"userName": "terway"})
    sentence(msg)
    assert "secret stack config" in msg
    assert "Make the ConfigMap data known" in run("access-keys-only-in-secrets", CM, {"data": UNKNOWN})[0]
    assert "Make the pod spec known" in run("access-keys-only-in-secrets", DEPLOYMENT, {"spec": {"template": {"spec": UNKNOWN}}})[0]


# --- ecs-ram-roles-gpu-pools-only -----------------------------------------------------------------

def test_prod_s_attachment_depending_on_instance_role_and_policy_passes():
    node = gpu_node()
    assert stack("ecs-ram-roles-gpu-pools-only", [node.parent, node, attachment(node)]) == []


def test_a_role_on_a_cpu_instance_of_a_pool_or_a_gpu_instance_outside_one_is_reported():
    cpu_in_pool = gpu_node("cpu-in-pool", itype="ecs.g7.large")
    stray_gpu = res(INSTANCE, "stray-gpu", {"instanceType": A10})
    atts = [attachment(cpu_in_pool, "a1"), attachment(stray_gpu, "a2")]
    got = stack("ecs-ram-roles-gpu-pools-only", [cpu_in_pool, stray_gpu, *atts])
    assert [u for _, u in got] == [a.urn for a in atts]
    sentence(got[0][0])
    assert got[0][0].startswith("Remove the RAM role from cpu-in-pool") and "(hybrid:gpu:GpuNodePool)" in got[0][0]


def test_an_attachment_to_no_declared_instance_is_reported():
    ((msg, urn),) = stack("ecs-ram-roles-gpu-pools-only", [res(ATTACH, "orphan", {"instanceId": "i-1"})])
    sentence(msg)
    assert msg.startswith("Attach RAM role attachment orphan to an instance declared in this stack")


def test_the_pool_is_found_among_all_ancestors():
    pool = res(POOL, "cn-beijing-a10-train", {})
    # the pool groups its instances in a child component: the pool is the grandparent
    zone_full = res("hybrid:gpu:ZoneGroup", "g", {}, parent=pool)
    zone_stub = res("hybrid:gpu:ZoneGroup", "g", {})  # the analyzer's link without its own parent
    node = gpu_node(parent=zone_stub, roleName="hybrid-prod-gpu-node-cn-beijing")
    assert stack("ecs-ram-roles-gpu-pools-only", [pool, zone_full, node, attachment(node)]) == []
    # the middle component not in the list: its own link is followed
    node = gpu_node(parent=zone_full, roleName="hybrid-prod-gpu-node-cn-beijing")
    assert stack("ecs-ram-roles-gpu-pools-only", [pool, node, attachment(node)]) == []


def test_an_inline_role_name_counts_outside_pools_only_and_empty_is_none():
    in_pool = gpu_node(roleName="hybrid-prod-gpu-node-cn-beijing")
    assert stack("ecs-ram-roles-gpu-pools-only", [in_pool.parent, in_pool]) == []
    assert stack("ecs-ram-roles-gpu-pools-only", [res(INSTANCE, "web", {"instanceType": "ecs.g7.large", "roleName": ""})]) == []
    ((msg, _),) = stack("ecs-ram-roles-gpu-pools-only", [res(INSTANCE, "web", {"instanceType": "ecs.g7.large", "roleName": "admin"})])
    assert msg.startswith("Remove roleName 'admin' from web")


# --- k8s-no-wildcard-verbs-on-secrets -------------------------------------------------------------

@pytest.mark.parametrize("resources,what", [(["secrets"], "secrets"), (["*"], "every resource")])
def test_a_cluster_role_with_all_verbs_is_reported_by_name_and_scope(resources, what):
    role = {"metadata": {"name": "terway"}, "rules": [
        {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": resources, "verbs": ["*"]}]}
    (msg,) = run("k8s-no-wildcard-verbs-on-secrets", CLUSTER_ROLE, role)
    sentence(msg)
    assert f"List the verbs of rule 1 of ClusterRole terway: verbs '*' on {what} " in msg


def test_unknown_rules_or_role_refs_are_not_passed():
    assert "Make the ClusterRole rules known" in run("k8s-no-wildcard-verbs-on-secrets", CLUSTER_ROLE,
                                                     {"metadata": {"name": "r"}, "rules": UNKNOWN})[0]
    for ref in ({"apiGroup": "rbac.authorization.k8s.io", "kind": UNKNOWN, "name": "cluster-admin"},
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": UNKNOWN}):
        (msg,) = run("k8s-no-wildcard-verbs-on-secrets", CRB, {"metadata": {"name": "b"}, "roleRef": ref})
        assert "Make the binding's roleRef known" in msg


def _admin(rtype_kind: str, annotations: dict | None = None) -> dict:
    meta = {"name": "ack-console", **({"annotations": annotations} if annotations else {})}
    return {"metadata": meta, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}}


@pytest.mark.parametrize("rtype,kind", [(CRB, "ClusterRoleBinding"), (RB, "RoleBinding")])
def test_a_cluster_admin_binding_is_reported_with_its_kind_name_and_waiver(rtype, kind):
    (msg,) = run("k8s-no-wildcard-verbs-on-secrets", rtype, _admin(kind))
    sentence(msg)
    assert f"ClusterRole cluster-admin in {kind} ack-console, or give it" in msg
    assert "`hybrid-gpu.io/cluster-admin-reason: <reason>`" in msg


def test_the_cluster_admin_waiver_needs_ten_characters_and_must_be_known():
    key = "hybrid-gpu.io/cluster-admin-reason"
    assert run("k8s-no-wildcard-verbs-on-secrets", CRB, _admin("", {key: "admin mode"})) == []
    assert run("k8s-no-wildcard-verbs-on-secrets", CRB, _admin("", {key: "adminmode"}))
    (msg,) = run("k8s-no-wildcard-verbs-on-secrets", CRB, _admin("", {key: UNKNOWN}))
    assert f"Make the binding's annotation {key} known" in msg
