"""components/elastic.py under Pulumi's mocks: prod's one elastic pool (cn-beijing a10-elastic, read by
hand from stacks/Pulumi.prod.yaml) built on stand-ins for the registered cluster and the node role,
checked resource by resource: inputs, what each waits for, parents, registered outputs."""

from __future__ import annotations

import json

import pulumi

from hybrid.model import load
from tests.component_graph import record, standin_network
from tests.conftest import settle

NODE_POOL = "alicloud:cs/nodePool:NodePool"
BUCKET = "alicloud:oss/bucket:Bucket"
BUCKET_ACL = "alicloud:oss/bucketAcl:BucketAcl"
OBJECT = "alicloud:oss/bucketObject:BucketObject"
BUCKET_POLICY = "alicloud:oss/bucketPolicy:BucketPolicy"
ROLE = "alicloud:ram/role:Role"
POLICY = "alicloud:ram/policy:Policy"
ROLE_ATTACH = "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment"
USER_ATTACH = "alicloud:ram/userPolicyAttachment:UserPolicyAttachment"
ADDON = "alicloud:cs/kubernetesAddon:KubernetesAddon"
AUTOSCALING = "alicloud:cs/autoscalingConfig:AutoscalingConfig"
COMPONENT = "hybrid:elastic:ElasticPools"

# hand-worked from prod: environment prod, registration.clusterName idc-bj in cn-beijing
BUCKET_NAME = "hybrid-prod-idc-bj-node-scripts"
KEY = "elastic/hybrid-elastic-node.sh"  # one object for every pool (hybrid/model/elastic.py SCRIPT_KEY)
URL = f"https://{BUCKET_NAME}.oss-cn-beijing-internal.aliyuncs.com/{KEY}"


def _program(raw, with_role: bool):
    def program():
        import pulumi_alicloud as alicloud
        import pulumi_kubernetes as k8s

        from components.contracts import NodeRoleOutputs, RegisteredClusterOutputs
        from components.elastic import ElasticPools, ElasticPoolsArgs

        p = load(raw)
        net = standin_network("cn-beijing", ["cn-beijing-g", "cn-beijing-h", "cn-beijing-i"])
        provider = k8s.Provider("idc", kubeconfig="{}")
        k8s_opts = pulumi.ResourceOptions(provider=provider)
        # stand-ins for what RegisteredCluster hands over: the agent's ConfigMap and Deployment
        agent_config = k8s.core.v1.ConfigMap("agent-config", metadata={"name": "ack-agent-config", "namespace": "kube-system"},
                                             opts=k8s_opts)
        connected = k8s.apps.v1.Deployment("agent", metadata={"name": "ack-cluster-agent", "namespace": "kube-system"},
                                           spec={"selector": {"matchLabels": {"app": "a"}},
                                                 "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": []}}},
                                           opts=k8s_opts)
        addon_secret = k8s.core.v1.Secret("addon-secret", metadata={"name": "alibaba-addon-secret", "namespace": "kube-system"},
                                          opts=k8s_opts)
        cluster = RegisteredClusterOutputs(cluster_id=pulumi.Output.from_input("c-standin"), connected=connected,
                                           agent_config=agent_config)
        role = None
        if with_role:
            ready = alicloud.ram.RolePolicyAttachment("role-ready", role_name="hybrid-prod-cn-beijing-gpu-node",
                                                      policy_name="terway", policy_type="Custom")
            role = NodeRoleOutputs(role_name=pulumi.Output.from_input("hybrid-prod-cn-beijing-gpu-node"), ready=ready)
        # the registration region's provider, as components/platform.py hands it to the component
        region = alicloud.Provider("alicloud-cn-beijing", region="cn-beijing")
        comp = ElasticPools("elastic", ElasticPoolsArgs(
            platform=p, cluster=cluster, network=net, ca_cert_hash=pulumi.Config().require_secret("caCertHash"),
            node_role=role, depends_on=[addon_secret], tags={"stack": "prod"}),
            opts=pulumi.ResourceOptions(providers={"alicloud": region}))
        return (comp, net.vswitch_ids, net.security_group_id, net.vpc_id, comp.script_url, comp.role_name,
                comp.node_pools["a10-elastic"].id)
    return program


def _urns(mon, *keys):
    return sorted(mon.one(t, n).urn for t, n in keys)


def test_prod_elastic_pool_by_hand(pulumi_mocks, prod_raw):
    _, mon = record(pulumi_mocks, prod_raw, stack="prod")
    comp, vsw, sg, vpc, url, role_name, pool_id = settle(_program(prod_raw, with_role=True))
    tags = {"stack": "prod", "env": "prod", "managed-by": "pulumi", "role": "elastic"}
    comp_reg = mon.one(COMPONENT, "elastic")

    assert url == URL and comp.bucket_name == BUCKET_NAME
    assert role_name == "hybrid-prod-cn-beijing-gpu-node"
    # the script's bucket: private, versioned, encrypted (components/oss.py), the object in it
    bucket = mon.one(BUCKET, "elastic-scripts")
    assert bucket.inputs["bucket"] == BUCKET_NAME and bucket.inputs["tags"] == tags
    assert bucket.inputs["versioning"] == {"status": "Enabled"}
    assert mon.one(BUCKET_ACL, "elastic-scripts-acl").inputs == {"bucket": BUCKET_NAME, "acl": "private"}
    obj = mon.one(OBJECT, "elastic-node-script")
    content = obj.inputs.pop("content")
    assert obj.inputs == {"bucket": BUCKET_NAME, "key": KEY, "contentType": "text/x-shellscript", "acl": "private",
                          "serverSideEncryption": "AES256"}
    assert content["value"].startswith("#!/bin/bash")  # a secret (the CA hash is in it)
    acl_urn = mon.one(BUCKET_ACL, "elastic-scripts-acl").urn
    assert acl_urn in obj.dependencies and obj.property_dependencies["bucket"] == [bucket.urn]
    # unsigned reads only from the registration region's VPC, of that one object
    bp = mon.one(BUCKET_POLICY, "elastic-scripts-policy")
    doc = json.loads(bp.inputs["policy"])
    assert bp.inputs["bucket"] == BUCKET_NAME and acl_urn in bp.dependencies
    (stmt,) = doc["Statement"]
    assert stmt["Resource"] == [f"acs:oss:*:*:{BUCKET_NAME}/{KEY}"] and stmt["Action"] == ["oss:GetObject"]
    assert [v for cond in stmt["Condition"].values() for v in cond["acs:SourceVpc"]] == ["vpc-cn-beijing"]
    # the nodes' role reads that object and nothing else
    assert mon.of_type(ROLE) == []
    read = mon.one(POLICY, "elastic-script-read")
    assert read.inputs == {
        "policyName": "hybrid-prod-elastic-node-script-read",
        "policyDocument": json.dumps({"Statement": [{"Action": ["oss:GetObject"], "Effect": "Allow",
                                                     "Resource": [f"acs:oss:*:*:{BUCKET_NAME}/{KEY}"]}], "Version": "1"},
                                     sort_keys=True, separators=(",", ":")),
        "description": "Elastic GPU nodes read their node script object and nothing else in the bucket.",
        # alicloud_ram_policy rotate_strategy: None | DeleteOldestNonDefaultVersionWhenLimitExceeded
        "rotateStrategy": "DeleteOldestNonDefaultVersionWhenLimitExceeded",
        "tags": tags,
    }
    attach = mon.one(ROLE_ATTACH, "elastic-script-read")
    assert attach.inputs == {"roleName": "hybrid-prod-cn-beijing-gpu-node", "policyName": "hybrid-prod-elastic-node-script-read",
                             "policyType": "Custom"}
    assert attach.property_dependencies["policyName"] == [read.urn]

    # the node pool: prod's a10-elastic
    np = mon.one(NODE_POOL, "elastic-a10-elastic")
    types = ["ecs.gn7i-c32g1.8xlarge", "ecs.gn7i-c48g1.12xlarge", "ecs.gn7i-c56g1.14xlarge"]
    i = dict(np.inputs)
    labels = i.pop("labels")
    assert i == {
        "clusterId": "c-standin",
        "nodePoolName": "hybrid-prod-a10-elastic",
        "vswitchIds": ["vsw-cn-beijing-h-nodes", "vsw-cn-beijing-g-nodes", "vsw-cn-beijing-i-nodes"],  # the pool's zone order
        "multiAzPolicy": "PRIORITY",
        "instanceTypes": types,
        "imageId": "ubuntu_22_04_x64_20G_alibase_20240926.vhd",
        "instanceChargeType": "PostPaid",
        "onDemandBaseCapacity": "1",
        "onDemandPercentageAboveBaseCapacity": "25",
        "spotStrategy": "SpotWithPriceLimit",
        "spotPriceLimits": [{"instanceType": t, "priceLimit": "20"} for t in types],
        "spotInstanceRemedy": True,
        "scalingConfig": {"enable": True, "minSize": 0, "maxSize": 8, "type": "gpu"},
        "scalingPolicy": "release",
        # the system disk's defaults (hybrid/model/gpu.py SystemDisk, hybrid/model/disk.py)
        "systemDiskCategory": "cloud_essd",
        "systemDiskSize": 100,
        "systemDiskEncrypted": True,
        "dataDisks": [{"category": "cloud_essd", "size": 2048, "performanceLevel": "PL1", "encrypted": "true",
                       "kmsKeyId": "key-bjj6a7f1c2d3e4f5g6h7", "snapshotId": "s-2zeimagenet1kdata0001", "autoFormat": "false"}],
        "taints": [{"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"}],
        "securityGroupIds": ["sg-cn-beijing-workers"],
        "ramRoleName": "hybrid-prod-cn-beijing-gpu-node",
        "internetMaxBandwidthOut": 0,
        "tags": {**tags, "pool": "a10-elastic"},
    }
    assert {"key": "hybrid.example.com/capacity", "value": "elastic"} in labels
    assert [x["key"] for x in labels] == sorted(x["key"] for x in labels)
    # a node pool only after the agent carries the script path and runs, the role has its policies,
    # the script and its read grants exist
    assert np.dependencies == _urns(mon, ("kubernetes:core/v1:ConfigMap", "agent-config"), ("kubernetes:apps/v1:Deployment", "agent"),
                                    ("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", "role-ready"),
                                    ("kubernetes:core/v1:Secret", "addon-secret"), (OBJECT, "elastic-node-script"),
                                    (ROLE_ATTACH, "elastic-script-read"), (BUCKET_POLICY, "elastic-scripts-policy"))

    # the cluster autoscaler, for the RAM user prod names
    pol = mon.one(POLICY, "elastic-autoscaler")
    doc = json.loads(pol.inputs["policyDocument"])
    assert pol.inputs["policyName"] == "hybrid-prod-cluster-autoscaler"
    assert pol.inputs["rotateStrategy"] == "DeleteOldestNonDefaultVersionWhenLimitExceeded" and pol.inputs["tags"] == tags
    assert pol.inputs["description"] == ("cluster-autoscaler of the registered cluster: Alibaba's documented actions, "
                                         "in the cluster's region.")
    assert {"ess", "cs", "ecs", "vpc"} == {s["Action"][0].split(":")[0] for s in doc["Statement"]}
    assert all("cn-beijing" in r for s in doc["Statement"] for r in s["Resource"])
    user = mon.one(USER_ATTACH, "elastic-autoscaler")
    assert user.inputs == {"userName": "hybrid-prod-autoscaler", "policyName": "hybrid-prod-cluster-autoscaler", "policyType": "Custom"}
    assert user.property_dependencies["policyName"] == [pol.urn]
    addon = mon.one(ADDON, "elastic-autoscaler-addon")
    # the component's name in ACK (ack-ram-tool scanaddon: "cluster-autoscaler"); its cloud resources stay
    assert addon.inputs == {"clusterId": "c-standin", "name": "cluster-autoscaler", "cleanupCloudResources": False}
    # installed once the agent runs, the secret it reads exists and the pools it scales are there
    assert addon.dependencies == _urns(mon, ("kubernetes:core/v1:ConfigMap", "agent-config"), ("kubernetes:apps/v1:Deployment", "agent"),
                                       ("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", "role-ready"),
                                       ("kubernetes:core/v1:Secret", "addon-secret"), (NODE_POOL, "elastic-a10-elastic"))
    scaling = mon.one(AUTOSCALING, "elastic-autoscaling")
    assert scaling.inputs["clusterId"] == "c-standin" and scaling.inputs["scalerType"] == "cluster-autoscaler"
    # prod: 120 minutes unneeded, 10 after an add, GPU threshold 0.5 (the field that carries which is unconfirmed)
    assert sorted([scaling.inputs["unneededDuration"], scaling.inputs["coolDownDuration"]]) == ["10m", "120m"]
    assert {k: v for k, v in scaling.inputs.items() if k not in ("unneededDuration", "coolDownDuration")} == {
        "clusterId": "c-standin", "scalerType": "cluster-autoscaler", "scaleDownEnabled": True, "utilizationThreshold": "0.5",
        "gpuUtilizationThreshold": "0.5", "scanInterval": "30s", "expander": "least-waste", "skipNodesWithLocalStorage": False}
    assert scaling.dependencies == [addon.urn]

    # every resource is the component's child; what it registers
    # the role is the region's node role: the component declares none (the platform reads this)
    assert comp.role is None
    # every child calls the registration region's API
    region = mon.one("pulumi:providers:alicloud", "alicloud-cn-beijing").urn
    assert {r.provider.rsplit("::", 1)[0] for r in mon.children(comp_reg)} == {region}
    kids = {(r.type, r.name) for r in mon.children(comp_reg)}
    assert kids == {(BUCKET, "elastic-scripts"), (BUCKET_ACL, "elastic-scripts-acl"), (OBJECT, "elastic-node-script"),
                    (BUCKET_POLICY, "elastic-scripts-policy"), (POLICY, "elastic-script-read"), (ROLE_ATTACH, "elastic-script-read"),
                    (NODE_POOL, "elastic-a10-elastic"), (POLICY, "elastic-autoscaler"), (USER_ATTACH, "elastic-autoscaler"),
                    (ADDON, "elastic-autoscaler-addon"), (AUTOSCALING, "elastic-autoscaling")}
    out = mon.outputs[comp_reg.urn]
    assert out["scriptUrl"] == URL
    assert out["nodePoolIds"] == {"a10-elastic": pool_id}
    assert out["snapshots"] == [{"region": "cn-beijing", "pool": "a10-elastic", "snapshotId": "s-2zeimagenet1kdata0001",
                                 "dataDiskGib": 2048, "mountPath": "/data", "preload": ["imagenet-1k"]}]


def test_without_a_node_role_the_component_declares_one_with_ecs_trust(pulumi_mocks, prod_raw):
    del prod_raw["registration"]["autoscaler"]["ramUser"]
    # the same pool all pay-as-you-go, with a system disk of its own
    pool = prod_raw["regions"][0]["elasticPools"][0]
    pool["billing"] = {"onDemandBaseCapacity": 0, "onDemandPercentageAboveBase": 100}
    pool["systemDisk"] = {"category": "cloud_essd", "size": 120, "performanceLevel": "PL1", "kmsKeyId": "key-sys123"}
    pool["dataDisk"].update(encrypted=False)
    del pool["dataDisk"]["kmsKeyId"]
    _, mon = record(pulumi_mocks, prod_raw, stack="prod")
    _, _, _, _, _, role_name, _ = settle(_program(prod_raw, with_role=False))
    role = mon.one(ROLE, "elastic-node-role")
    assert role.inputs == {
        "roleName": "hybrid-prod-cn-beijing-elastic-node",
        "assumeRolePolicyDocument": json.dumps({"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow",
                                                               "Principal": {"Service": ["ecs.aliyuncs.com"]}}], "Version": "1"},
                                               sort_keys=True, separators=(",", ":")),
        "description": "Elastic GPU nodes of cn-beijing (hybrid prod).",
        "tags": {"stack": "prod", "env": "prod", "managed-by": "pulumi", "role": "elastic"},
    }
    assert role_name == "hybrid-prod-cn-beijing-elastic-node"
    assert role.parent == mon.one(COMPONENT, "elastic").urn
    assert mon.one(ROLE_ATTACH, "elastic-script-read").inputs["roleName"] == role_name
    np = mon.one(NODE_POOL, "elastic-a10-elastic").inputs
    assert np["ramRoleName"] == role_name
    assert np["spotStrategy"] == "NoSpot" and "spotPriceLimits" not in np and "spotInstanceRemedy" not in np
    # NodePoolDataDisk.encrypted is a string in the provider's schema (pulumi-alicloud cs/_inputs.py)
    assert np["dataDisks"][0]["encrypted"] == "false" and "kmsKeyId" not in np["dataDisks"][0]
    assert (np["onDemandBaseCapacity"], np["onDemandPercentageAboveBaseCapacity"]) == ("0", "100")
    assert {k: np[k] for k in np if k.startswith("systemDisk")} == {
        "systemDiskCategory": "cloud_essd", "systemDiskSize": 120, "systemDiskPerformanceLevel": "PL1", "systemDiskEncrypted": True,
        "systemDiskKmsKey": "key-sys123"}
    assert mon.of_type(USER_ATTACH) == []  # no RAM user named: nothing to attach the policy to
