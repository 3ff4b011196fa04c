"""HybridPlatform's relations, read from the graph the engine is told about (tests/component_graph.py):
which provider each component's resources go through, who parents what, what each component receives
(the registration region's network, each region's own network, the node roles, the addon Secret), and
the stack's exports. dev and prod (and variants of them) are built in process through
``components.platform.build``, the function ``__main__.py`` calls, each inside the test that reads it
(mutmut maps a test to the functions its own run entered: docs/testing.md). Every expected value is
worked out by hand from stacks/Pulumi.dev.yaml and stacks/Pulumi.prod.yaml (the comments say which
field), never from the code's expressions; ids the mocks give are read from the resource that owns
them and followed to where they must land.
"""

from __future__ import annotations

import dataclasses
import json

import pulumi
import pytest

from hybrid_tools.stackconfig import OFFLINE_SECRETS
from tests.component_graph import provider_urn, record
from tests.conftest import PROJECT, settle

PLATFORM = "hybrid:platform:HybridPlatform"
SECRET = "kubernetes:core/v1:Secret"
# hybrid_tools.stackconfig.OFFLINE_KUBECONFIGS, which the pulumi_mocks fixture exports.
IDC_KUBECONFIG, FLEET_KUBECONFIG = "/offline/hybrid-idc.kubeconfig", "/offline/hybrid-fleet.kubeconfig"


def _build(pulumi_mocks, raw, stack, edit_secrets=None):
    """(GraphMonitor, the stack's exports resolved) of ``build`` over ``raw`` under the mocks."""
    from components.config import read_platform
    from components.platform import build

    # A fresh root Stack: the exports of an earlier build in this process must not show here.
    pulumi.runtime.reset_options(project=PROJECT, stack=stack, preview=False)
    _, mon = record(pulumi_mocks, raw, stack)

    def program():
        platform, secrets = read_platform()
        build(platform, edit_secrets(secrets) if edit_secrets else secrets, stack)
        return dict(pulumi.runtime.get_root_resource().outputs)

    return mon, settle(program)


def _provider(mon, reg) -> str:
    """The name of the provider resource a registration goes through."""
    return mon.registrations[provider_urn(reg.provider)].name


def _id(mon, typ, name) -> str:
    return mon.ids[mon.one(typ, name).urn]


def _children_of_platform(mon) -> set[tuple[str, str]]:
    return {(r.type, r.name) for r in mon.children(mon.one(PLATFORM, "hybrid"))}


def _region_vswitches(mon, region, zones, role="nodes") -> set[str]:
    return {_id(mon, "alicloud:vpc/switch:Switch", f"{region}-{z}-{role}") for z in zones}


def _join_token_roles(mon, region) -> list[str]:
    store = mon.one("hybrid:identity:JoinTokenStore", f"{region}-join-token")
    return [r.inputs["roleName"] for r in mon.children(store) if r.type == "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment"]


def _role_name(mon, region) -> str:
    return mon.one("alicloud:ram/role:Role", f"{region}-node-role-role").inputs["roleName"]


def _attached_instances(mon, region) -> set[str]:
    role = mon.one("hybrid:identity:NodeRole", f"{region}-node-role")
    return {r.inputs["instanceId"] for r in mon.children(role) if r.type == "alicloud:ecs/ramRoleAttachment:RamRoleAttachment"}


# prod, by hand: regions cn-beijing (zones g, h, i; pools a10-train 4 nodes, a100-burst 2 nodes; elastic
# pool a10-elastic; the registration region), cn-hangzhou (zones h, i; pool t4-infer 4 nodes; imported
# VPC vpc-bp1k7mq9w2x3r4t5y6u7i), cn-zhangjiakou (zones a, b; pool a10-overflow 2 nodes).
PROD_ZONES = {"cn-beijing": ["cn-beijing-g", "cn-beijing-h", "cn-beijing-i"],
              "cn-hangzhou": ["cn-hangzhou-h", "cn-hangzhou-i"],
              "cn-zhangjiakou": ["cn-zhangjiakou-a", "cn-zhangjiakou-b"]}
PROD_POOLS = {"cn-beijing/a10-train": "cn-beijing", "cn-beijing/a100-burst": "cn-beijing",
              "cn-hangzhou/t4-infer": "cn-hangzhou", "cn-zhangjiakou/a10-overflow": "cn-zhangjiakou"}
# regions[].vpcCidr
PROD_VPC_CIDRS = {"cn-beijing": "10.32.0.0/16", "cn-hangzhou": "10.33.0.0/16", "cn-zhangjiakou": "10.34.0.0/16"}


def test_dev_providers_parents_secret_and_exports(pulumi_mocks, dev_raw):
    mon, exports = _build(pulumi_mocks, dev_raw, "dev")
    # dev: one region, one GPU pool without ramRole (so the region's node role), ack-virtual-node on with
    # the default addonSecret credentials, no metrics, no elastic pools, no Fleet, no jobs, Terway by manifest.
    assert _children_of_platform(mon) == {
        ("pulumi:providers:alicloud", "alicloud-cn-beijing"),
        ("pulumi:providers:kubernetes", "idc"), ("pulumi:providers:kubernetes", "idc-adopt"),
        ("hybrid:network:RegionNetwork", "cn-beijing"), ("hybrid:cni:DualCni", "cni"), ("hybrid:calico:Routing", "calico"),
        ("hybrid:gpu:DevicePlugin", "gpu"), ("hybrid:ack:RegisteredCluster", "ack"),
        ("hybrid:gpu:GpuNodePool", "cn-beijing-a10-dev"), ("hybrid:identity:NodeRole", "cn-beijing-node-role"),
        ("hybrid:identity:CredentialSecret", "addon-credentials"),
        ("hybrid:identity:JoinTokenStore", "cn-beijing-join-token"), ("hybrid:vnode:VirtualNode", "vnode")}
    # The IDC cluster (idc.name idc-bj-dev) through the kubeconfig file HYBRID_IDC_KUBECONFIG names;
    # the adopt twin is the same cluster with upsertExistingObjects (pulumi-kubernetes >= 4.29).
    assert mon.one("pulumi:providers:kubernetes", "idc").inputs == {
        "kubeconfig": IDC_KUBECONFIG, "clusterIdentifier": "idc/idc-bj-dev", "enableServerSideApply": "true"}
    assert mon.one("pulumi:providers:kubernetes", "idc-adopt").inputs == {
        "kubeconfig": IDC_KUBECONFIG, "clusterIdentifier": "idc/idc-bj-dev", "enableServerSideApply": "true",
        "upsertExistingObjects": "true"}
    assert mon.one("pulumi:providers:alicloud", "alicloud-cn-beijing").inputs == {"region": "cn-beijing"}
    # Cloud resources through the region's provider, cluster objects through the IDC cluster's,
    # the objects the cluster already runs (calico-node, kube-proxy, the default pool) through the adopt twin.
    # provider -> resources (type, name) that go through it
    through = {
        "alicloud-cn-beijing": [("alicloud:vpc/network:Network", "cn-beijing-vpc"),
                                ("alicloud:ecs/instance:Instance", "cn-beijing-a10-dev-cn-beijing-g-0"),
                                ("alicloud:ram/role:Role", "cn-beijing-node-role-role"),
                                ("alicloud:oss/bucket:Bucket", "cn-beijing-join-token-bucket"),
                                ("alicloud:cs/kubernetesAddon:KubernetesAddon", "vnode-addon")],
        "idc": [(SECRET, "addon-credentials-secret"), ("kubernetes:apps/v1:Deployment", "ack-agent"),
                ("kubernetes:apps/v1:DaemonSet", "gpu-nvidia-device-plugin-cn-beijing"),
                ("kubernetes:apps/v1:DaemonSet", "cni-daemonset-kube-system-terway-eniip-cn-beijing"),
                ("kubernetes:crd.projectcalico.org/v1:IPPool", "calico-ippool-cloud-cn-beijing-vpc")],
        "idc-adopt": [("kubernetes:apps/v1:DaemonSetPatch", "cni-calico-node-affinity"),
                      ("kubernetes:crd.projectcalico.org/v1:IPPoolPatch", "calico-ippool-default-ipv4-ippool")],
    }
    assert {p: [_provider(mon, mon.one(*k)) for k in ks] for p, ks in through.items()} == {p: [p] * len(ks) for p, ks in through.items()}
    # The project's tags (docs/architecture.md): the stack file's environment and the stack's name.
    assert mon.one("alicloud:vpc/network:Network", "cn-beijing-vpc").inputs["tags"] == {
        "env": "dev", "stack": "dev", "managed-by": "pulumi", "platform": "hybrid-gpu", "region": "cn-beijing"}
    # alibaba-addon-secret in kube-system, keys access-key-id / access-key-secret (Alibaba's registered
    # cluster guide, hybrid/identity.py's sources); ack-virtual-node waits for it.
    secret = mon.one(SECRET, "addon-credentials-secret")
    assert (secret.inputs["metadata"]["name"], secret.inputs["metadata"]["namespace"]) == ("alibaba-addon-secret", "kube-system")
    assert secret.inputs["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "pulumi"}
    assert sorted(secret.inputs["stringData"]["value"]) == ["access-key-id", "access-key-secret"]
    assert secret.urn in mon.one("alicloud:cs/kubernetesAddon:KubernetesAddon", "vnode-addon").dependencies
    # no elastic pools: the agent gets no node script path
    assert mon.one("kubernetes:core/v1:ConfigMap", "ack-agent-ack-agent-config").inputs["data"]["addNodeScriptPath"] == ""
    # Exports: no elasticPools, fleet or jobs in dev; the virtual node's config as data.
    assert sorted(exports) == ["gpuPools", "networks", "placement", "placementTopology", "registeredClusterId", "virtualNodeConfig"]
    vpc = _id(mon, "alicloud:vpc/network:Network", "cn-beijing-vpc")
    assert exports["networks"]["cn-beijing"]["vpcId"] == vpc
    assert mon.outputs_of(PLATFORM, "hybrid")["networks"]["cn-beijing"]["vpcId"] == vpc
    assert exports["registeredClusterId"] == _id(mon, "pulumi-python:dynamic/ack:RegisteredCluster", "ack-cluster")
    [region] = exports["virtualNodeConfig"]["Regions"]
    assert (region["RegionId"], region["VpcId"]) == ("cn-beijing", vpc)
    # gpuPools: a10-dev is 1 x ecs.gn7i-c8g1.2xlarge, one A10 per node (Alibaba's gn7i family table)
    instance = _id(mon, "alicloud:ecs/instance:Instance", "cn-beijing-a10-dev-cn-beijing-g-0")
    pools = exports["gpuPools"]
    assert list(pools) == ["cn-beijing/a10-dev"]
    assert (pools["cn-beijing/a10-dev"]["instanceType"], pools["cn-beijing/a10-dev"]["gpusPerNode"]) == ("ecs.gn7i-c8g1.2xlarge", 1)
    assert [n["instanceId"] for n in pools["cn-beijing/a10-dev"]["nodes"]] == [instance]
    assert _join_token_roles(mon, "cn-beijing") == [_role_name(mon, "cn-beijing")]
    assert _attached_instances(mon, "cn-beijing") == {instance}
    # docs/permissions.md: hybrid-<env>-gpu-node-<region>; docs/operations.md: the token's bucket
    # hybrid-<env>-<region>-join-<cluster> (registration.clusterName idc-bj-dev)
    assert _role_name(mon, "cn-beijing") == "hybrid-dev-gpu-node-cn-beijing"
    bucket = mon.one("alicloud:oss/bucket:Bucket", "cn-beijing-join-token-bucket")
    assert (bucket.inputs["bucket"], bucket.inputs["tags"]["region"]) == ("hybrid-dev-cn-beijing-join-idc-bj-dev", "cn-beijing")
    # docs/permissions.md: the token's read policy hybrid-<env>-<region>-join-token-read; the VPC named for env and region
    assert mon.one("alicloud:ram/policy:Policy", "cn-beijing-join-token-read").inputs["policyName"] == "hybrid-dev-cn-beijing-join-token-read"
    assert mon.one("alicloud:vpc/network:Network", "cn-beijing-vpc").inputs["vpcName"] == "hybrid-dev-cn-beijing"
    # the node joins with the IDC CA's hash: the secret config caCertHash (the fixture's OFFLINE_SECRETS)
    assert OFFLINE_SECRETS["caCertHash"] in json.dumps(mon.one("alicloud:ecs/instance:Instance", "cn-beijing-a10-dev-cn-beijing-g-0").inputs)
    # Calico leaves the region's VPC (regions[0].vpcCidr) unNATed
    assert mon.one("kubernetes:crd.projectcalico.org/v1:IPPool", "calico-ippool-cloud-cn-beijing-vpc").inputs["spec"]["cidr"] == "10.40.0.0/16"
    # Placement: placement.workloads[0] finetune-7b over the tiers of the hybrid cluster idc-bj-dev: the IDC,
    # the cloud region cn-beijing (its GPU pool), its Serverless pods (virtualNode.regions); no Fleet.
    assert "finetune-7b" in exports["placement"]
    assert exports["placementTopology"]["hybridCluster"]["tiers"] == [
        {"name": "idc-bj-dev", "tier": "idc"}, {"name": "cn-beijing", "tier": "cloud"}, {"name": "cn-beijing-serverless", "tier": "serverless"}]
    # ack-virtual-node reaches the IDC apiserver at idc.apiserver (10.8.0.10:6443)
    assert (exports["virtualNodeConfig"]["APIServerHost"], exports["virtualNodeConfig"]["APIServerPort"]) == ("10.8.0.10", "6443")


def test_dev_terway_addon_without_virtual_node_or_node_role(pulumi_mocks, dev_raw):
    # dev with a10-dev's own ramRole, no virtual node, Terway as the registered cluster's component.
    dev_raw["regions"][0]["gpuPools"][0]["ramRole"] = "dev-a10-node"
    dev_raw["virtualNode"]["enabled"] = False
    dev_raw["cni"]["terway"]["install"] = "addon"
    del dev_raw["placement"]["serverlessReplicas"]  # Serverless pods need the virtual node
    # the scrape job on ARMS's managed Prometheus: an alicloud resource of the registration region
    dev_raw["metrics"] = {"enabled": True, "prometheus": "managed", "managed": {"environmentId": "env-devprom01"}}
    mon, exports = _build(pulumi_mocks, dev_raw, "dev")
    job = mon.one("alicloud:arms/envCustomJob:EnvCustomJob", "gpu-metrics-scrape")
    assert _provider(mon, job) == "alicloud-cn-beijing"
    kids = _children_of_platform(mon)
    # no node role (no node without a role, no elastic pool), no credential Secret (nothing reads one)
    assert not {t for t, _ in kids} & {"hybrid:identity:NodeRole", "hybrid:identity:CredentialSecret", "hybrid:vnode:VirtualNode"}
    assert ("hybrid:cni:TerwayAddon", "terway") in kids
    addon = [r for r in mon.children(mon.one("hybrid:cni:TerwayAddon", "terway")) if r.custom]
    assert addon and {_provider(mon, a) for a in addon} == {"alicloud-cn-beijing"}
    # the cluster's Terway takes its pod vSwitches from the registered cluster (cn-beijing-g's pod vSwitch)
    cluster = mon.one("pulumi-python:dynamic/ack:RegisteredCluster", "ack-cluster")
    assert set(json.dumps(cluster.inputs["pod_vswitch_ids"]).split('"')) >= _region_vswitches(mon, "cn-beijing", ["cn-beijing-g"], "pods")
    assert _join_token_roles(mon, "cn-beijing") == ["dev-a10-node"]
    assert "virtualNodeConfig" not in exports


def test_applying_the_fleet_without_its_kubeconfig_is_refused(pulumi_mocks, dev_raw):
    # build() called with secrets that lack the Fleet's kubeconfig (read_platform refuses first on the CLI path)
    dev_raw["registration"]["fleet"] = {"enabled": True, "name": "dev-fleet", "apply": True}
    with pytest.raises(ValueError, match=r"^registration\.fleet\.apply needs HYBRID_FLEET_KUBECONFIG$"):
        _build(pulumi_mocks, dev_raw, "dev", lambda s: dataclasses.replace(s, fleet_kubeconfig=None))



def test_prod_components_receive_their_regions_and_the_registration_region(pulumi_mocks, prod_raw):
    mon, exports = _build(pulumi_mocks, prod_raw, "prod")
    regions = list(PROD_ZONES)
    assert _children_of_platform(mon) == {
        *{("pulumi:providers:alicloud", f"alicloud-{r}") for r in regions},
        ("pulumi:providers:kubernetes", "idc"), ("pulumi:providers:kubernetes", "idc-adopt"),
        ("pulumi:providers:kubernetes", "fleet"),
        *{("hybrid:network:RegionNetwork", r) for r in regions},
        ("hybrid:cni:DualCni", "cni"), ("hybrid:calico:Routing", "calico"), ("hybrid:gpu:DevicePlugin", "gpu"),
        ("hybrid:metrics:GpuMetrics", "gpu-metrics"),  # metrics.enabled
        ("hybrid:ack:RegisteredCluster", "ack"),
        *{("hybrid:gpu:GpuNodePool", key.replace("/", "-")) for key in PROD_POOLS},
        *{("hybrid:identity:NodeRole", f"{r}-node-role") for r in regions},
        ("hybrid:identity:CredentialSecret", "addon-credentials"), ("hybrid:elastic:ElasticPools", "elastic"),
        *{("hybrid:identity:JoinTokenStore", f"{r}-join-token") for r in regions},
        ("hybrid:vnode:VirtualNode", "vnode"), ("hybrid:fleet:Placement", "fleet"), ("hybrid:jobs:AiJobs", "jobs")}
    # The Fleet's own apiserver (registration.fleet.name ai-fleet) through HYBRID_FLEET_KUBECONFIG's file.
    assert mon.one("pulumi:providers:kubernetes", "fleet").inputs == {
        "kubeconfig": FLEET_KUBECONFIG, "clusterIdentifier": "fleet/ai-fleet", "enableServerSideApply": "true"}
    assert mon.one("pulumi:providers:kubernetes", "idc").inputs["clusterIdentifier"] == "idc/idc-bj"
    vpcs = {}
    for r in regions:
        assert mon.one("pulumi:providers:alicloud", f"alicloud-{r}").inputs == {"region": r}
        vpc = mon.one("alicloud:vpc/network:Network", f"{r}-vpc")
        assert (_provider(mon, vpc), vpc.inputs["cidrBlock"]) == (f"alicloud-{r}", PROD_VPC_CIDRS[r])
        vpcs[r] = mon.ids[vpc.urn]
        # peers: every other region's VPC range is routed over the transit path
        assert sorted(exports["networks"][r]["idcRoutes"]["vpcRoutes"]) == sorted(c for o, c in PROD_VPC_CIDRS.items() if o != r)
        assert exports["networks"][r]["vpcId"] == vpcs[r]
        assert mon.outputs_of(PLATFORM, "hybrid")["networks"][r]["vpcId"] == vpcs[r]
    assert vpcs["cn-hangzhou"] == "vpc-bp1k7mq9w2x3r4t5y6u7i"  # leasedLine.existingVpc.vpcId
    for r in regions:
        # Calico: each region's VPC range as a no-NAT pool; Terway reaches the apiserver at
        # nodeAccess.controlPlaneEndpoint (k8s-api.idc-bj.corp.internal:6443).
        assert mon.one("kubernetes:crd.projectcalico.org/v1:IPPool", f"calico-ippool-cloud-{r}-vpc").inputs["spec"]["cidr"] == PROD_VPC_CIDRS[r]
        terway = mon.one("kubernetes:apps/v1:DaemonSet", f"cni-daemonset-kube-system-terway-eniip-{r}")
        assert "k8s-api.idc-bj.corp.internal" in json.dumps(terway.inputs)

    # The registered cluster: registration.regionId cn-beijing's network, idc.serviceCidr, the stack's tags.
    cluster = mon.one("pulumi-python:dynamic/ack:RegisteredCluster", "ack-cluster")
    assert (cluster.inputs["vpc_id"], cluster.inputs["region_id"], cluster.inputs["service_cidr"]) == (
        vpcs["cn-beijing"], "cn-beijing", "172.21.0.0/20")
    assert set(cluster.inputs["vswitch_ids"]) == _region_vswitches(mon, "cn-beijing", PROD_ZONES["cn-beijing"])
    assert cluster.inputs["tags"] == {"env": "prod", "stack": "prod", "managed-by": "pulumi", "platform": "hybrid-gpu"}
    assert _provider(mon, mon.one("alicloud:ackone/cluster:Cluster", "ack-fleet")) == "alicloud-cn-beijing"
    assert _provider(mon, mon.one("kubernetes:apps/v1:Deployment", "ack-agent")) == "idc"
    # With elastic pools the agent learns where the node script is: the one the elastic pools export,
    # in the registration region's bucket (Alibaba: ack-agent-config addNodeScriptPath).
    script = exports["elasticPools"]["scriptUrl"]
    assert ".oss-cn-beijing-internal.aliyuncs.com/" in script
    assert mon.one("kubernetes:core/v1:ConfigMap", "ack-agent-ack-agent-config").inputs["data"]["addNodeScriptPath"] == script

    # Fixed pools: each region's provider and vSwitches, the region in the tags; the region's node role on them.
    instances: dict[str, set[str]] = {r: set() for r in regions}
    for key, region in PROD_POOLS.items():
        pool = mon.one("hybrid:gpu:GpuNodePool", key.replace("/", "-"))
        nodes = [r for r in mon.children(pool) if r.type == "alicloud:ecs/instance:Instance"]
        assert {n.name for n in nodes} and all(_provider(mon, n) == f"alicloud-{region}" for n in nodes), key
        assert {n.inputs["vswitchId"] for n in nodes} <= _region_vswitches(mon, region, PROD_ZONES[region]), key
        assert {n.inputs["tags"]["region"] for n in nodes} == {region}
        ids = {mon.ids[n.urn] for n in nodes}
        assert {n["instanceId"] for n in exports["gpuPools"][key]["nodes"]} == ids
        instances[region] |= ids
    # 4 + 2 nodes in cn-beijing, 4 in cn-hangzhou, 2 in cn-zhangjiakou (count per pool)
    assert {r: len(i) for r, i in instances.items()} == {"cn-beijing": 6, "cn-hangzhou": 4, "cn-zhangjiakou": 2}
    for r in regions:
        assert _attached_instances(mon, r) == instances[r], r
        assert _provider(mon, mon.one("alicloud:ram/role:Role", f"{r}-node-role-role")) == f"alicloud-{r}"
        assert mon.one("alicloud:ram/role:Role", f"{r}-node-role-role").inputs["tags"]["region"] == r
        # the join token of each region is read by that region's node role
        assert _join_token_roles(mon, r) == [_role_name(mon, r)], r
        assert _provider(mon, mon.one("alicloud:oss/bucket:Bucket", f"{r}-join-token-bucket")) == f"alicloud-{r}"
    # gpuPools export, sorted by key; GPUs per node from Alibaba's instance family tables: gn7i-c32g1.8xlarge
    # one A10, gn7e-c16g1.16xlarge four A100, gn6i-c16g1.4xlarge one T4, gn7i-c16g1.4xlarge one A10.
    assert {k: (v["instanceType"], v["gpusPerNode"]) for k, v in exports["gpuPools"].items()} == {
        "cn-beijing/a10-train": ("ecs.gn7i-c32g1.8xlarge", 1), "cn-beijing/a100-burst": ("ecs.gn7e-c16g1.16xlarge", 4),
        "cn-hangzhou/t4-infer": ("ecs.gn6i-c16g1.4xlarge", 1), "cn-zhangjiakou/a10-overflow": ("ecs.gn7i-c16g1.4xlarge", 1)}
    assert list(exports["gpuPools"]) == sorted(PROD_POOLS)

    # Elastic pools on the registered cluster: cn-beijing's provider and node vSwitches, cn-beijing's node
    # role, and they wait for alibaba-addon-secret (the autoscaler reads it).
    addon_secret = mon.one(SECRET, "addon-credentials-secret").urn
    node_pool = mon.one("alicloud:cs/nodePool:NodePool", "elastic-a10-elastic")
    assert _provider(mon, node_pool) == "alicloud-cn-beijing"
    assert set(node_pool.inputs["vswitchIds"]) == _region_vswitches(mon, "cn-beijing", PROD_ZONES["cn-beijing"])
    assert node_pool.inputs["ramRoleName"] == _role_name(mon, "cn-beijing")
    assert addon_secret in node_pool.dependencies
    assert {k: node_pool.inputs["tags"][k] for k in ("env", "stack")} == {"env": "prod", "stack": "prod"}
    # elasticPools export: regions[0].elasticPools[0] (three A10 types of one GPU each), its data snapshot
    assert exports["elasticPools"]["nodePools"] == {"a10-elastic": {
        "region": "cn-beijing", "minSize": 0, "maxSize": 8, "gpusPerNode": 1,
        "instanceTypes": ["ecs.gn7i-c32g1.8xlarge", "ecs.gn7i-c48g1.12xlarge", "ecs.gn7i-c56g1.14xlarge"]}}
    assert [s["snapshotId"] for s in exports["elasticPools"]["snapshots"]] == ["s-2zeimagenet1kdata0001"]

    # ack-virtual-node: through the registration region's CS API, every virtualNode region with its own
    # VPC, after the addon Secret.
    vnode = mon.one("alicloud:cs/kubernetesAddon:KubernetesAddon", "vnode-addon")
    assert _provider(mon, vnode) == "alicloud-cn-beijing"
    assert addon_secret in vnode.dependencies
    assert {r["RegionId"]: r["VpcId"] for r in exports["virtualNodeConfig"]["Regions"]} == vpcs

    # Cluster objects: dcgm-exporter, device plugin, CNI through the IDC cluster; the Fleet's objects and
    # the jobs on the Fleet (registration.fleet.apply) after the memberships.
    for typ, comp in (("hybrid:metrics:GpuMetrics", "gpu-metrics"), ("hybrid:gpu:DevicePlugin", "gpu"), ("hybrid:cni:DualCni", "cni")):
        kids = [r for r in mon.children(mon.one(typ, comp)) if r.type == "kubernetes:apps/v1:DaemonSet"]
        assert kids and {_provider(mon, k) for k in kids} == {"idc"}, comp
    memberships = {r.urn for r in mon.of_type("alicloud:ackone/membershipAttachment:MembershipAttachment")}
    for comp, typ in (("fleet", "hybrid:fleet:Placement"), ("jobs", "hybrid:jobs:AiJobs")):
        kids = mon.children(mon.one(typ, comp))
        assert kids and {_provider(mon, k) for k in kids} == {"fleet"}, comp
        assert all(memberships & set(k.dependencies) for k in kids), comp
    # ACK One names Fleet members by cluster id: the priority classes go to every member, the IDC
    # cluster and registration.fleet.members' clusterIds.
    classes = mon.one("kubernetes:policy.one.alibabacloud.com/v1alpha1:ClusterPropagationPolicy",
                      "fleet-clusterpropagationpolicy-cluster-hybrid-gpu-priority-classes")
    text = json.dumps(classes.inputs)
    idc_cluster = _id(mon, "pulumi-python:dynamic/ack:RegisteredCluster", "ack-cluster")
    for cluster_id in (idc_cluster, "c5e7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d", "c6f8b0c2e4a6b8d0f2c4e6a8b0d2f4a6c"):
        assert cluster_id in text
    # batch-infer's first tier is the IDC (idc-bj); llm-pretrain starts in the hybrid cluster
    for typ, name in (("PropagationPolicy", "fleet-propagationpolicy-default-batch-infer"),
                      ("PropagationPolicy", "jobs-propagationpolicy-llm-research-llm-pretrain")):
        assert idc_cluster in json.dumps(mon.one(f"kubernetes:policy.one.alibabacloud.com/v1alpha1:{typ}", name).inputs), name

    assert sorted(exports) == ["elasticPools", "fleet", "gpuPools", "jobs", "networks", "placement", "placementTopology",
                               "registeredClusterId", "virtualNodeConfig"]
    assert exports["fleet"] == {
        "fleetId": _id(mon, "alicloud:ackone/cluster:Cluster", "ack-fleet"), "applied": True,
        "members": {"idc-bj": exports["registeredClusterId"], "ack-sh-infer": "c5e7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d",
                    "ack-wlcb-train": "c6f8b0c2e4a6b8d0f2c4e6a8b0d2f4a6c"}}
    # jobs.jobs and jobs.services: one row each
    assert [row["workload"] for row in exports["jobs"]] == [
        "llm-research/llm-finetune", "data/embed-corpus", "llm-research/llm-pretrain", "inference/llm-serve"]
    assert "batch-infer" in exports["placement"]



def test_prod_pools_with_their_own_role_and_the_fleet_not_applied(pulumi_mocks, prod_raw):
    # prod with ramRoles on cn-beijing's two pools and cn-hangzhou's one, the Fleet declared but not
    # applied, no metrics, no virtual node.
    beijing, hangzhou, _ = prod_raw["regions"]
    beijing["gpuPools"][0]["ramRole"], beijing["gpuPools"][1]["ramRole"] = "ml-a10-node", "llm-a100-node"
    hangzhou["gpuPools"][0]["ramRole"] = "t4-node"
    prod_raw["registration"]["fleet"]["apply"] = False
    prod_raw["metrics"]["enabled"] = False
    prod_raw["virtualNode"]["enabled"] = False
    beijing["ipv6"] = True
    prod_raw["cni"]["terway"]["credentials"] = "accessKey"
    prod_raw["identity"] = {"nodeRoleScope": "all"}
    # Serverless pods and tiers need the virtual node
    del prod_raw["placement"]["serverlessReplicas"]
    for tier in ("cn-hangzhou-serverless", "cn-zhangjiakou-serverless"):
        del prod_raw["placement"]["workloads"][0]["weights"][tier]
    # failover and FederatedHPAs are Fleet objects: llm-finetune and llm-serve without them
    del prod_raw["jobs"]["jobs"][0]["failover"]
    del prod_raw["jobs"]["services"][0]["failover"], prod_raw["jobs"]["services"][0]["autoscaling"]
    mon, exports = _build(pulumi_mocks, prod_raw, "prod")
    kids = _children_of_platform(mon)
    # cn-beijing keeps its node role for the elastic pools (registration region) though no fixed node
    # takes it; cn-hangzhou has none (its only pool brings its own), cn-zhangjiakou after it has one; no
    # dcgm-exporter, no virtual node, no Fleet provider or objects.
    assert {n for t, n in kids if t == "hybrid:identity:NodeRole"} == {"cn-beijing-node-role", "cn-zhangjiakou-node-role"}
    assert not {t for t, _ in kids} & {"hybrid:metrics:GpuMetrics", "hybrid:vnode:VirtualNode", "hybrid:fleet:Placement"}
    assert {n for t, n in kids if t == "pulumi:providers:kubernetes"} == {"idc", "idc-adopt"}
    assert _attached_instances(mon, "cn-beijing") == set()
    # cni.terway.credentials accessKey: Secret terway-credential (terway@release-1.16 types/daemon/config.go),
    # which every region's terwayd waits for
    assert {n for t, n in kids if t == "hybrid:identity:CredentialSecret"} == {"addon-credentials", "terway-credentials"}
    access_key = mon.one(SECRET, "terway-credentials-secret")
    assert access_key.inputs["metadata"]["name"] == "terway-credential"
    for r in PROD_ZONES:
        assert access_key.urn in mon.one("kubernetes:apps/v1:DaemonSet", f"cni-daemonset-kube-system-terway-eniip-{r}").dependencies
    assert len(_attached_instances(mon, "cn-zhangjiakou")) == 2  # a10-overflow's count
    # The token readers: the region's node role, then the pools' own roles in name order.
    assert _join_token_roles(mon, "cn-beijing") == [_role_name(mon, "cn-beijing"), "llm-a100-node", "ml-a10-node"]
    assert _join_token_roles(mon, "cn-hangzhou") == ["t4-node"]
    assert _join_token_roles(mon, "cn-zhangjiakou") == [_role_name(mon, "cn-zhangjiakou")]
    # regions[0].ipv6: cn-beijing's node role may assign IPv6 addresses (Terway's IPv6 actions), cn-zhangjiakou's not
    policies = {r: mon.one("alicloud:ram/policy:Policy", f"{r}-node-role-policy").inputs["policyDocument"]
                for r in ("cn-beijing", "cn-zhangjiakou")}
    assert "ecs:AssignIpv6Addresses" in policies["cn-beijing"] and "ecs:AssignIpv6Addresses" not in policies["cn-zhangjiakou"]
    # identity.nodeRoleScope all: Terway's documented Resource "*" on every statement
    # (terway@release-1.16:docs/ecs.md, "RAM"); the region scope narrows it, this one keeps it
    assert {json.dumps(st["Resource"]) for doc in policies.values() for st in json.loads(doc)["Statement"]} == {'["*"]'}
    # The elastic pools still take cn-beijing's node role and wait for alibaba-addon-secret, which the
    # autoscaler needs without a virtual node too.
    node_pool = mon.one("alicloud:cs/nodePool:NodePool", "elastic-a10-elastic")
    assert node_pool.inputs["ramRoleName"] == _role_name(mon, "cn-beijing")
    assert mon.one(SECRET, "addon-credentials-secret").urn in node_pool.dependencies
    # Jobs in the hybrid cluster: the IDC cluster's provider, waiting for no membership.
    jobs = mon.children(mon.one("hybrid:jobs:AiJobs", "jobs"))
    memberships = {r.urn for r in mon.of_type("alicloud:ackone/membershipAttachment:MembershipAttachment")}
    assert memberships and jobs and {_provider(mon, j) for j in jobs} == {"idc"}
    assert not any(memberships & set(j.dependencies) for j in jobs)
    assert sorted(exports) == ["elasticPools", "fleet", "gpuPools", "jobs", "networks", "placement", "placementTopology",
                               "registeredClusterId"]
    assert exports["fleet"]["applied"] is False


def test_prod_without_node_roles_uses_the_elastic_role_and_terway_credential_file(pulumi_mocks, prod_raw):
    # identity.nodeRole false: every fixed pool brings its ramRole (<pool>-node), Terway reads a credential
    # file; no Fleet and so no jobs (their failover and FederatedHPA are Fleet objects).
    prod_raw["identity"] = {"nodeRole": False}
    prod_raw["cni"]["terway"]["credentials"] = "credentialFile"
    for region in prod_raw["regions"]:
        for pool in region["gpuPools"]:
            pool["ramRole"] = f"{pool['name']}-node"
    prod_raw["registration"]["fleet"] = {"enabled": False}
    prod_raw["regions"][1]["gpuPools"] = []  # cn-hangzhou without GPU nodes: no token store there (nor tier)
    del prod_raw["placement"]["workloads"][0]["weights"]["cn-hangzhou"]
    del prod_raw["jobs"]
    del prod_raw["placement"]["workloads"][0]["weights"]["ack-sh-infer"]  # a Fleet member
    mon, exports = _build(pulumi_mocks, prod_raw, "prod")
    kids = _children_of_platform(mon)
    assert not [n for t, n in kids if t == "hybrid:identity:NodeRole"]
    assert {n for t, n in kids if t == "hybrid:identity:CredentialSecret"} == {"addon-credentials", "terway-credentials"}
    # Terway's chart: Secret addon.network.token, key addon.token.config (terway@release-1.16:
    # charts/terway/templates/terwayd/daemonset.yaml); every region's terwayd waits for it.
    token = mon.one(SECRET, "terway-credentials-secret")
    assert (token.inputs["metadata"]["name"], token.inputs["metadata"]["namespace"]) == ("addon.network.token", "kube-system")
    assert sorted(token.inputs["stringData"]["value"]) == ["addon.token.config"]
    for r in PROD_ZONES:
        assert token.urn in mon.one("kubernetes:apps/v1:DaemonSet", f"cni-daemonset-kube-system-terway-eniip-{r}").dependencies
    # The elastic component's own role then reads the script and, with the pools' roles, the token.
    [elastic_role] = [r for r in mon.children(mon.one("hybrid:elastic:ElasticPools", "elastic")) if r.type == "alicloud:ram/role:Role"]
    assert mon.one("alicloud:cs/nodePool:NodePool", "elastic-a10-elastic").inputs["ramRoleName"] == elastic_role.inputs["roleName"]
    assert _join_token_roles(mon, "cn-beijing") == ["a10-train-node", "a100-burst-node", elastic_role.inputs["roleName"]]
    assert {n for t, n in kids if t == "hybrid:identity:JoinTokenStore"} == {"cn-beijing-join-token", "cn-zhangjiakou-join-token"}
    assert _join_token_roles(mon, "cn-zhangjiakou") == ["a10-overflow-node"]
    assert not {t for t, _ in kids} & {"hybrid:jobs:AiJobs", "hybrid:fleet:Placement"}
    assert sorted(exports) == ["elasticPools", "gpuPools", "networks", "placement", "placementTopology",
                               "registeredClusterId", "virtualNodeConfig"]
