"""components.identity under Pulumi's mocks: the GPU nodes' RAM role, its Terway policy and where it goes;
the credential Secret and its values kept secret.

Expected values from upstream: an ECS instance role's trust policy (pulumi-alicloud 4.0.0
ecs/ram_role_attachment.py example: sts:AssumeRole by the service ecs.aliyuncs.com); Terway's actions
(terway@release-1.16 docs/ecs.md; the IPv6 pair from docs/ipv6.md); RAM policy versions
(alicloud_ram_policy rotate_strategy DeleteOldestNonDefaultVersionWhenLimitExceeded, policy_type Custom in
alicloud_ram_role_policy_attachment); a Secret's stringData (Kubernetes core/v1), type Opaque."""

from __future__ import annotations

import json

import pulumi

from hybrid_tools.mockrun import secret_payload
from tests.component_graph import provider_urn, watch
from tests.conftest import settle

ROLE = "alicloud:ram/role:Role"
POLICY = "alicloud:ram/policy:Policy"
ATTACH = "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment"
RRA = "alicloud:ecs/ramRoleAttachment:RamRoleAttachment"
TRUST = {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}],
         "Version": "1"}
ECS = ["ecs:CreateNetworkInterface", "ecs:DescribeNetworkInterfaces", "ecs:AttachNetworkInterface",
       "ecs:DetachNetworkInterface", "ecs:DeleteNetworkInterface", "ecs:DescribeInstanceTypes",
       "ecs:AssignPrivateIpAddresses", "ecs:UnassignPrivateIpAddresses"]


def _node_role(**kw):
    import pulumi_alicloud as alicloud

    from components.identity import NodeRole, NodeRoleArgs

    bj = alicloud.Provider("cn-beijing", region="cn-beijing")
    inst = pulumi.CustomResource("test:index:Instance", "inst")
    role = NodeRole("nr", NodeRoleArgs(environment="dev", region_id="cn-beijing", instances=[("a10-0", inst.id), ("a10-1", "i-two")],
                                       tags={"env": "dev"}, **kw), opts=pulumi.ResourceOptions(provider=bj))
    return {"role": role, "doc": role.policy_document, "out_role": role.outputs.role_name, "ready": role.outputs.ready.urn,
            "bj": bj.urn, "inst": inst.urn}


def test_the_node_role_trusts_ecs_carries_terways_actions_everywhere_with_scope_all_and_goes_on_every_instance(pulumi_mocks):
    mon = watch(pulumi_mocks)
    got = settle(lambda: _node_role(ipv6=True, scope="all"))
    comp = mon.one("hybrid:identity:NodeRole", "nr")

    role = mon.one(ROLE, "nr-role")
    assert role.inputs["roleName"] == "hybrid-dev-gpu-node-cn-beijing"
    assert json.loads(role.inputs["assumeRolePolicyDocument"]) == TRUST
    assert role.inputs["description"] == "GPU nodes of cn-beijing (hybrid dev): Terway's ENI calls only."
    assert role.inputs["tags"] == {"env": "dev"}

    pol = mon.one(POLICY, "nr-policy")
    assert pol.inputs["policyName"] == "hybrid-dev-terway-eni-cn-beijing"
    doc = json.loads(pol.inputs["policyDocument"])
    assert doc == {"Version": "1", "Statement": [
        {"Action": ECS + ["ecs:AssignIpv6Addresses", "ecs:UnassignIpv6Addresses"], "Effect": "Allow", "Resource": ["*"]},
        {"Action": ["vpc:DescribeVSwitches"], "Effect": "Allow", "Resource": ["*"]}]}
    assert json.loads(got["doc"]) == doc
    assert pol.inputs["description"] == (
        "Terway (ENIMultiIP) ENI management in cn-beijing; actions as terway docs/ecs.md lists them; "
        "resources per identity.nodeRoleScope (all).")
    assert pol.inputs["rotateStrategy"] == "DeleteOldestNonDefaultVersionWhenLimitExceeded"
    assert pol.inputs["tags"] == {"env": "dev"}

    att = mon.one(ATTACH, "nr-policy-attach")
    assert att.inputs == {"roleName": "hybrid-dev-gpu-node-cn-beijing", "policyName": "hybrid-dev-terway-eni-cn-beijing",
                          "policyType": "Custom"}
    # the attachment names the role and the policy through their outputs: it waits for both
    assert att.property_dependencies == {"roleName": [role.urn], "policyName": [pol.urn]}

    on = mon.of_type(RRA)
    assert [r.name for r in on] == ["nr-a10-0", "nr-a10-1"]
    assert on[1].inputs["instanceId"] == "i-two"
    assert on[0].property_dependencies["instanceId"] == [got["inst"]]
    for r in on:
        assert r.inputs["ramRoleName"] == "hybrid-dev-gpu-node-cn-beijing"
        assert r.property_dependencies["ramRoleName"] == [role.urn]
        # the role carries its policy before Terway on the node asks for credentials
        assert att.urn in r.dependencies
    for r in (role, pol, att, *on):
        assert r.parent == comp.urn and provider_urn(r.provider) == got["bj"]

    assert got["out_role"] == "hybrid-dev-gpu-node-cn-beijing" and got["ready"] == att.urn
    assert mon.outputs_of("hybrid:identity:NodeRole", "nr") == {
        "roleName": "hybrid-dev-gpu-node-cn-beijing", "policyName": "hybrid-dev-terway-eni-cn-beijing"}


def test_by_default_the_policy_is_limited_to_the_region_and_ipv4(pulumi_mocks):
    mon = watch(pulumi_mocks)
    settle(lambda: _node_role(ipv6=False))
    pol = mon.one(POLICY, "nr-policy")
    doc = json.loads(pol.inputs["policyDocument"])
    ecs, vpc = doc["Statement"]
    assert ecs["Action"] == ECS and vpc["Action"] == ["vpc:DescribeVSwitches"]
    for st in (ecs, vpc):
        (res,) = st["Resource"]
        assert res != "*" and ":cn-beijing:" in res
    assert pol.inputs["description"].endswith("resources per identity.nodeRoleScope (region).")


def test_the_credential_secret_holds_each_value_as_a_secret(pulumi_mocks):
    from components.identity import CredentialSecret, CredentialSecretArgs

    mon = watch(pulumi_mocks)

    def program():
        import pulumi_kubernetes as k8s

        idc = k8s.Provider("idc", kubeconfig="x")
        s = CredentialSecret("addon", CredentialSecretArgs(
            name="alibaba-addon-secret", namespace="kube-system",
            data={"access-key-secret": "s3cr3t", "access-key-id": pulumi.Output.from_input("LTAIid")},
            labels={"app": "x"}), opts=pulumi.ResourceOptions(providers={"kubernetes": idc}))
        return s.urn, idc.urn

    urn, idc = settle(program)
    sec = mon.one("kubernetes:core/v1:Secret", "addon-secret")
    # in the cluster the caller names (the registered IDC cluster), under the component
    assert sec.parent == urn and provider_urn(sec.provider) == idc
    assert sec.inputs["metadata"] == {"name": "alibaba-addon-secret", "namespace": "kube-system", "labels": {"app": "x"}}
    assert sec.inputs["type"] == "Opaque"
    # stringData reaches the engine as a secret although both values were handed in plain
    assert secret_payload(sec.inputs["stringData"]) == {"access-key-id": "LTAIid", "access-key-secret": "s3cr3t"}
    assert mon.outputs_of("hybrid:identity:CredentialSecret", "addon") == {"name": "alibaba-addon-secret"}
