"""The whole platform built in-process under Pulumi's mocks through ``components.platform.build``,
the function ``__main__.py`` calls, against counts worked out by hand from stacks/Pulumi.dev.yaml."""

from __future__ import annotations

from collections import Counter

from tests.conftest import settle


# Dev, read by hand: one region (cn-beijing) with one zone (g) and a transit-router path to the
# IDC without a route table id; one GPU pool of count 1 without its own ramRole; Calico from
# its manifest, Terway from manifests (the defaults); ack-virtual-node on (credentials default:
# addonSecret); no Fleet. IDC ranges routed over the line: nodeCidrs (1) + podCidr + extraRanges (1).
EXPECTED_DEV = {
    # components: the platform; one network per region; the CNI and Calico's routing; the device
    # plugin; the registered cluster; one GpuNodePool per pool; the node role of the one region
    # with pools; the addon credential Secret (addonSecret); ack-virtual-node. No TerwayAddon
    # (install: manifest), no FleetPlacement (no Fleet).
    "hybrid:platform:HybridPlatform": 1,
    "hybrid:network:RegionNetwork": 1,
    "hybrid:cni:DualCni": 1,
    "hybrid:calico:Routing": 1,
    "hybrid:gpu:DevicePlugin": 1,
    "hybrid:ack:RegisteredCluster": 1,
    "hybrid:gpu:GpuNodePool": 1,
    "hybrid:identity:NodeRole": 1,
    "hybrid:identity:CredentialSecret": 1,
    "hybrid:identity:JoinTokenStore": 1,
    "hybrid:vnode:VirtualNode": 1,
    # providers: one alicloud per region; the IDC cluster's kubernetes provider and its adopt twin
    "pulumi:providers:alicloud": 1,
    "pulumi:providers:kubernetes": 2,
    # network: VPC, a node and a pod vSwitch in the one zone, workers and pods security groups
    "alicloud:vpc/network:Network": 1,
    "alicloud:vpc/switch:Switch": 2,
    "alicloud:ecs/securityGroup:SecurityGroup": 2,
    # workers: kubelet from the IDC node range, the IDC pod range and the VPC (3); pods: tcp and udp
    # from the node range, the pod range, the zone's pod vSwitch (6); ICMP from each of the three IDC
    # ranges on both groups (6); pods: tcp and udp from the zone's node vSwitch (2)
    "alicloud:ecs/securityGroupRule:SecurityGroupRule": 17,
    "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment": 1,
    # the VPC attachment associated with and propagating into the VBR's route table
    "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation": 1,
    "alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation": 1,
    "alicloud:vpc/routeEntry:RouteEntry": 3,
    # the pool's one node: instance, its data disk and the attachment
    "alicloud:ecs/instance:Instance": 1,
    "alicloud:ecs/ecsDisk:EcsDisk": 1,
    "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment": 1,
    # the region's node role, its Terway policy and the join-token read policy, their attachments to
    # the role, the role on the one instance
    "alicloud:ram/role:Role": 1,
    "alicloud:ram/policy:Policy": 2,
    "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment": 2,
    "alicloud:ecs/ramRoleAttachment:RamRoleAttachment": 1,
    # the region's private join-token bucket and its ACL
    "alicloud:oss/bucket:Bucket": 1,
    "alicloud:oss/bucketAcl:BucketAcl": 1,
    # ack-virtual-node
    "alicloud:cs/kubernetesAddon:KubernetesAddon": 1,
    # the registered cluster (dynamic provider)
    "pulumi-python:dynamic/ack:RegisteredCluster": 1,
    # Terway for the one region, the device plugin for the one region with GPU pools, the cloud nodes' kube-proxy
    "kubernetes:apps/v1:DaemonSet": 3,
    # calico-node's and kubeadm kube-proxy's affinity, applied server-side to the cluster's own DaemonSets
    "kubernetes:apps/v1:DaemonSetPatch": 2,
    # the ACK agent
    "kubernetes:apps/v1:Deployment": 1,
    # Terway's eni-config for the region + the agent's two ConfigMaps
    "kubernetes:core/v1:ConfigMap": 4,
    # the agent's credentials + alibaba-addon-secret for ack-virtual-node
    "kubernetes:core/v1:Secret": 2,
    # Terway's and the agent's
    "kubernetes:core/v1:ServiceAccount": 2,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": 1,
    # Terway; the agent's own; the console's scope
    # terway, the agent's ack-connector-default; dev's agent is in administrator mode, whose console
    # binding takes the built-in cluster-admin (no ClusterRole of the program's own).
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": 2,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": 3,
    # Terway's in kube-system; the agent's in kube-system and kube-public
    "kubernetes:rbac.authorization.k8s.io/v1:Role": 3,
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": 3,
    # Calico: the BGP configuration; the region's VPC as a no-NAT pool; the IDC pod pool's patch
    "kubernetes:crd.projectcalico.org/v1:BGPConfiguration": 1,
    "kubernetes:crd.projectcalico.org/v1:IPPool": 1,
    "kubernetes:crd.projectcalico.org/v1:IPPoolPatch": 1,
}


def _run(pulumi_mocks, raw):
    """build() as the engine runs a program: returns once every registration and Output has
    settled, so resources that wait on others (the addons wait on the agent) are there too."""
    from components.config import read_platform
    from components.platform import build

    rec = pulumi_mocks(raw, stack="dev")

    def program() -> None:
        platform, secrets = read_platform()
        build(platform, secrets, "dev")

    settle(program)
    return rec


def test_dev_platform_builds_in_process_with_the_resources_the_stack_asks_for(pulumi_mocks, dev_raw):
    rec = _run(pulumi_mocks, dev_raw)
    counts = Counter(args.typ for args in rec.resources.values())
    assert dict(sorted(counts.items())) == dict(sorted(EXPECTED_DEV.items()))


def test_terway_access_key_mode_adds_the_secret_terway_reads(pulumi_mocks, dev_raw):
    # Terway's chart mounts Secret terway-credential (kube-system) at /var/alibaba-addon-secret
    # and reads access-key-id / access-key-secret there (terway@release-1.16:
    # charts/terway/templates/terwayd/daemonset.yaml, types/daemon/config.go).
    dev_raw["cni"]["terway"]["credentials"] = "accessKey"
    from hybrid_tools.mockrun import secret_payload

    rec = _run(pulumi_mocks, dev_raw)
    secrets = {a.inputs["metadata"]["name"]: a.inputs for a in rec.of_type("kubernetes:core/v1:Secret")}
    terway = secrets["terway-credential"]
    assert terway["metadata"]["namespace"] == "kube-system"
    data = secret_payload(terway["stringData"]) or terway["stringData"]
    assert sorted(data) == ["access-key-id", "access-key-secret"]
    # the values are the secret config's (hybrid_tools.stackconfig.OFFLINE_SECRETS under the mocks)
    assert data["access-key-id"] == "LTAIofflineplaceholder"
