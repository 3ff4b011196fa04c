"""What the real providers answer for each resource type the program declares: the id's form and
the computed attributes the program reads. One table; the offline plan's mocks answer from it
(hybrid_tools.mockrun.PlanMocks) and the reference check reads its id kinds (hybrid_tools.references).

Sources. pulumi-alicloud 4.0.0 (the installed SDK) wraps terraform-provider-alicloud; the v4.0.0 tag
of pulumi-alicloud is not in the stored sources, whose newest commit (9d2b1e47, after v3.105.0) pins
terraform-provider-alicloud v1.285.0 (provider/go.mod). Every ``tf`` citation below is
``alicloud/<file>:<line>`` at aliyun/terraform-provider-alicloud@v1.285.0 (the ``d.SetId`` of the
create function, the ``d.Set`` of a computed attribute); the ``d.SetId`` lines are the same on that
repository's newest stored commit (81c43b67, after v1.289.0) except alicloud_route_entry's, which
builds the same five-part id in a variable there. ``sdk`` is the import form the installed 4.0.0 SDK
documents (``pulumi_alicloud/<module>.py:<line>``, ``$ pulumi import ...``); where it differs from the
provider's code, the code is what runs and the difference is noted.

Kubernetes objects: pulumi-kubernetes' Create returns ``fqObjName(initialized)`` as the id
(pulumi/pulumi-kubernetes@94977969d provider/pkg/provider/provider.go:1891, the newest stored commit;
the v4.34.2 tag is not stored), i.e. ``<namespace>/<name>``, or ``<name>`` when the namespace is
empty (provider/pkg/provider/util.go:113 fqName); its Diff sets the "default" namespace on a
namespaced kind that has none (provider.go:1510-1514). Cluster-scoped kinds have no namespace.

Pure: no pulumi import; ids are a function of the resource's URN and inputs only.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

import netaddr

from hybrid import unconfirmed
from hybrid.ack_api import DYNAMIC_TYPE
from hybrid.model.leased_line import ID_FORMS, NEXT_HOP_ID  # the forms the stack's ids are checked for

TF = "terraform-provider-alicloud@v1.285.0"
SDK = "pulumi_alicloud 4.0.0"


@dataclass(frozen=True)
class IdKind:
    """One kind of id as an API parameter takes it: its regex and how a realistic one is made."""

    pattern: str       # full-match regex
    prefix: str        # the generated id: prefix + ``digits`` hex characters of a digest
    digits: int
    example: str       # an id of this kind from the source
    source: str

    def generate(self, seed: str) -> str:
        return self.prefix + hashlib.sha256(seed.encode()).hexdigest()[:self.digits]

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and re.fullmatch(self.pattern, value) is not None


_VRT, _FL, _NP = unconfirmed.value("ids.vrouterPrefix"), unconfirmed.value("ids.flowLogPrefix"), unconfirmed.value("ids.nodePoolId")
_FLEET, _ECR = unconfirmed.value("ids.fleetClusterId"), unconfirmed.value("ids.ecrPrefix")

# The kinds of bare ids the program passes between resources. The generated body is 20 hex
# characters (Alibaba's bodies are 17-25 lowercase letters and digits; hex is a subset).
KINDS: dict[str, IdKind] = {
    "vpc": IdKind(ID_FORMS["vpc"], "vpc-", 20, "vpc-abcexample", f"{SDK} oss/access_point.py:258"),
    "vswitch": IdKind(ID_FORMS["vswitch"], "vsw-", 20, "vsw-xxxxxxxxxxxxxxxxxxxxx", f"{SDK} nas/file_system.py:1090"),
    "security group": IdKind(r"sg-[a-z0-9]+", "sg-", 20, "sg-zxcvj0lasdf102350asdf9a", f"{SDK} ecs/launch_template.py:1793"),
    "route table": IdKind(ID_FORMS["route table"], "vtb-", 20, "vtb-bp1lj0ddg846856chpzrv", f"{SDK} cloudfirewall/firewall_vpc_firewall.py:327"),
    "vrouter": IdKind(_VRT + "[a-z0-9]+", _VRT, 20, _VRT + "...", "hybrid/unconfirmed.py ids.vrouterPrefix"),
    "instance": IdKind(r"i-[a-z0-9]+", "i-", 20, "i-abc12345678", f"{SDK} ecs/instance.py:3482"),
    "disk": IdKind(r"d-[a-z0-9]+", "d-", 20, "d-abc12345678", f"{SDK} ecs/disk.py:945"),
    "cen": IdKind(ID_FORMS["cen"], "cen-", 20, "cen-ervw0g12b5jbw*", f"{SDK} cloudfirewall/vpc_firewall_control_policy_order.py:37"),
    "transit router": IdKind(ID_FORMS["transit router"], "tr-", 20, "tr-bb81adb2d8184bc290a5", f"{SDK} cloudfirewall/vpc_firewall_ips_config.py:320"),
    "transit router attachment": IdKind(NEXT_HOP_ID["Attachment"], "tr-attach-", 20, "tr-attach-f1fd1y50rql00emvej",
                                        f"{SDK} cen/get_child_instance_route_entry_to_attachments.py:153"),
    "flow log": IdKind(_FL + "[a-z0-9]+", _FL, 20, _FL + "...", "hybrid/unconfirmed.py ids.flowLogPrefix"),
    # ACK cluster ids: 'c' + 32 hex (tf alicloud/resource_alicloud_cs_kubernetes_node_pool_test.go:2518).
    "ack cluster": IdKind(r"c[0-9a-f]{32}", "c", 32, "c0196d207b11d4a25ae4cad2a6f029a38",
                          f"{TF} alicloud/resource_alicloud_cs_kubernetes_node_pool_test.go:2518"),
    "ack one fleet": IdKind(_FLEET + "[0-9a-f]{32}", _FLEET, 32, _FLEET + "...", "hybrid/unconfirmed.py ids.fleetClusterId"),
    "node pool": IdKind(_NP + "[0-9a-f]{32}", _NP, 32, _NP + "...", "hybrid/unconfirmed.py ids.nodePoolId"),
    "express connect router": IdKind(NEXT_HOP_ID["Ecr"], _ECR, 20, _ECR + "...", "hybrid/unconfirmed.py ids.ecrPrefix"),
    "router interface": IdKind(NEXT_HOP_ID["RouterInterface"], "ri-", 20, "ri-bp1uobww3aputjlwwkyrh", f"{SDK} cloudfirewall/firewall_vpc_firewall.py:329"),
    "vpn gateway": IdKind(NEXT_HOP_ID["VpnGateway"], "vpn-", 20, "vpn-abc123456", f"{SDK} vpn/route_entry.py:350"),
    # Names that are ids (RAM roles and policies, log projects and stores, OSS buckets): the API
    # takes the name; a composite id (with ':') where a name belongs is the mistake to catch.
    "name": IdKind(r"[A-Za-z0-9][A-Za-z0-9._-]*", "", 0, "hybrid-prod-gpu-node-cn-beijing", "RAM/SLS/OSS name rules"),
}

# The next hop a VPC route entry's nexthop_type names, as the kind of id nexthop_id takes
# (pulumi-alicloud 4.0.0 vpc.RouteEntry nexthop_type values the model allows).
NEXT_HOP_KINDS: dict[str, str] = {
    "Attachment": "transit router attachment",
    "Ecr": "express connect router",
    "RouterInterface": "router interface",
    "VpnGateway": "vpn gateway",
}


Lookup = Callable[[str], Optional[Mapping[str, Any]]]  # id -> the state the mocks gave that resource


@dataclass(frozen=True)
class Entry:
    """One resource type: how its id is formed and what the program reads back from it."""

    id: str                 # a kind of KINDS, or a template over inputs and computed attributes
    source: str             # file:line of the provider that sets the id
    computed: Mapping[str, str] = field(default_factory=dict)  # attribute -> kind (or special)
    computed_source: str = ""
    sdk: str = ""           # the SDK's documented import form
    note: str = ""

    @property
    def template(self) -> bool:
        return "{" in self.id


def _t(module: str, line: int) -> str:
    return f"{TF} alicloud/resource_alicloud_{module}.go:{line}"


ALICLOUD: dict[str, Entry] = {
    "alicloud:vpc/network:Network": Entry(
        "vpc", _t("vpc", 286), {"routeTableId": "route table", "routerId": "vrouter", "ipv6CidrBlock": "ipv6 /56"},
        f"{_t('vpc', 403)} route_table_id, :404 router_id, :360 ipv6_cidr_block", f"{SDK} vpc/network.py:1062 <id>"),
    "alicloud:vpc/switch:Switch": Entry("vswitch", _t("vswitch", 161), sdk=f"{SDK} vpc/switch.py:602 <id>"),
    "alicloud:vpc/routeEntry:RouteEntry": Entry(
        "{routeTableId}:{routerId}:{destinationCidrblock}:{nexthopType}:{nexthopId}", _t("route_entry", 145),
        sdk=f"{SDK} vpc/route_entry.py:377 <route_table_id>:<router_id>:<destination_cidrblock>:<nexthop_type>:<nexthop_id>",
        note="routerId: the vRouter of the VPC that owns the route table"),
    "alicloud:vpc/flowLog:FlowLog": Entry("flow log", _t("vpc_flow_log", 174), sdk=f"{SDK} vpc/flow_log.py:626 <id>"),
    "alicloud:ecs/securityGroup:SecurityGroup": Entry("security group", _t("security_group", 144),
                                                      sdk=f"{SDK} ecs/security_group.py:429 <id>"),
    "alicloud:ecs/securityGroupRule:SecurityGroupRule": Entry(
        "{securityGroupId}:{type}:{ipProtocol}:{portRange}:{nicType}:{ruleCidr}:{policy}:{priority}",
        _t("security_group_rule", 270), sdk=f"{SDK} ecs/security_group_rule.py:584 <id>",
        note="ruleCidr: sourceSecurityGroupId, else ipv6CidrIp with ':' replaced by '_', else cidrIp, else prefixListId "
             "(resource_alicloud_security_group_rule.go:150-186, :269-272)"),
    "alicloud:ecs/instance:Instance": Entry(
        "instance", _t("instance", 1280), {"privateIp": "private ip in the vSwitch"}, _t("instance", 1399) + " private_ip",
        f"{SDK} ecs/instance.py:3482 i-abc12345678"),
    "alicloud:ecs/ecsDisk:EcsDisk": Entry("disk", _t("ecs_disk", 292), sdk=f"{SDK} ecs/ecs_disk.py:1134 <id>"),
    "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment": Entry(
        "{diskId}:{instanceId}", _t("ecs_disk_attachment", 112), sdk=f"{SDK} ecs/ecs_disk_attachment.py:326 d-abc12345678:i-abc12355"),
    "alicloud:ecs/ramRoleAttachment:RamRoleAttachment": Entry(
        "{instanceId}:{ramRoleName}", _t("ecs_ram_role_attachment", 86),
        sdk=f"{SDK} ecs/ram_role_attachment.py:222 <instance_id>:<ram_role_name>"),
    "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment": Entry(
        "{cenId}:{transitRouterAttachmentId}", _t("cen_transit_router_vpc_attachment", 283),
        {"transitRouterAttachmentId": "transit router attachment"},
        _t("cen_transit_router_vpc_attachment", 323) + " transit_router_attachment_id",
        f"{SDK} cen/transit_router_vpc_attachment.py:869 <transit_router_attachment_id>",
        note="the SDK's import doc names the bare attachment id, but the provider's create sets <cen id>:<attachment id>"),
    # Read at terraform-provider-alicloud@01d56d9 (the store's copy; v1.285.0's file was not stored): create
    # d.SetId(fmt.Sprintf("%v:%v", request["CenId"], response["TransitRouterAttachmentId"])); read splits it
    # with ParseResourceId(d.Id(), 2) and sets transit_router_attachment_id = parts[1].
    "alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment": Entry(
        "{cenId}:{transitRouterAttachmentId}",
        "terraform-provider-alicloud@01d56d9 alicloud/resource_alicloud_cen_transit_router_peer_attachment.go (create: d.SetId)",
        {"transitRouterAttachmentId": "transit router attachment"},
        "the same file's read: ParseResourceId(d.Id(), 2), transit_router_attachment_id = parts[1]",
        f"{SDK} cen/transit_router_peer_attachment.py:804 <cen_id>:<transit_router_attachment_id>"),
    "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation": Entry(
        "{transitRouterAttachmentId}:{transitRouterRouteTableId}", _t("cen_transit_router_route_table_association", 91),
        sdk=f"{SDK} cen/transit_router_route_table_association.py:229 <transit_router_attachment_id>:<transit_router_route_table_id>"),
    "alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation": Entry(
        "{transitRouterAttachmentId}:{transitRouterRouteTableId}", _t("cen_transit_router_route_table_propagation", 79),
        sdk=f"{SDK} cen/transit_router_route_table_propagation.py:233"),
    "alicloud:cs/nodePool:NodePool": Entry(
        "{clusterId}:{nodePoolId}", _t("cs_kubernetes_node_pool", 1835), {"nodePoolId": "node pool"},
        _t("cs_kubernetes_node_pool", 1888) + " node_pool_id", f"{SDK} cs/node_pool.py:3659 <cluster_id>:<node_pool_id>"),
    "alicloud:cs/kubernetesAddon:KubernetesAddon": Entry(
        "{clusterId}:{name}", _t("cs_kubernetes_addon", 140), sdk=f"{SDK} cs/kubernetes_addon.py:336 <cluster_id>:<addon_name>"),
    "alicloud:cs/autoscalingConfig:AutoscalingConfig": Entry("{clusterId}", _t("cs_autoscaling_config", 294)),
    "alicloud:ackone/cluster:Cluster": Entry("ack one fleet", _t("ack_one_cluster", 140), sdk=f"{SDK} ackone/cluster.py:260 <id>"),
    "alicloud:ackone/membershipAttachment:MembershipAttachment": Entry(
        "{clusterId}:{subClusterId}", _t("ack_one_membership_attachment", 85) + " (resourceId, :51)",
        sdk=f"{SDK} ackone/membership_attachment.py:183 <cluster_id>:<sub_cluster_id>"),
    "alicloud:ram/role:Role": Entry("{roleName}", _t("ram_role", 202), sdk=f"{SDK} ram/role.py:544 <id>"),
    "alicloud:ram/policy:Policy": Entry("{policyName}", _t("ram_policy", 209), sdk=f"{SDK} ram/policy.py:551 <id>"),
    "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment": Entry(
        "role:{policyName}:{policyType}:{roleName}", _t("ram_role_policy_attachment", 82),
        sdk=f"{SDK} ram/role_policy_attachment.py:220 role:<policy_name>:<policy_type>:<role_name>"),
    "alicloud:ram/userPolicyAttachment:UserPolicyAttachment": Entry(
        "user:{policyName}:{policyType}:{userName}", _t("ram_user_policy_attachment", 80),
        sdk=f"{SDK} ram/user_policy_attachment.py:207 user:<policy_name>:<policy_type>:<user_name>"),
    "alicloud:log/project:Project": Entry("{projectName}", _t("log_project", 116), sdk=f"{SDK} log/project.py:381 <id>"),
    "alicloud:log/store:Store": Entry("{projectName}:{logstoreName}", _t("log_store", 353),
                                      sdk=f"{SDK} log/store.py:730 <project_name>:<logstore_name>"),
    "alicloud:oss/bucket:Bucket": Entry("{bucket}", _t("oss_bucket", 591), sdk=f"{SDK} oss/bucket.py:1225 bucket-12345678"),
    "alicloud:oss/bucketAcl:BucketAcl": Entry("{bucket}", _t("oss_bucket_acl", 80), sdk=f"{SDK} oss/bucket_acl.py:150 <id>"),
    "alicloud:oss/bucketObject:BucketObject": Entry("{key}", _t("oss_bucket_object", 264)),
    # read at aliyun/terraform-provider-alicloud@81c43b672 (v1.289.0-8), newer than TF: d.SetId(bucket)
    "alicloud:oss/bucketPolicy:BucketPolicy": Entry(
        "{bucket}", "terraform-provider-alicloud@81c43b672 alicloud/resource_alicloud_oss_bucket_policy.go:80",
        sdk=f"{SDK} oss/bucket_policy.py:158 <id>"),
}

# The registered cluster: this program's own dynamic provider returns the CS API's cluster id
# (components/registered_cluster.py create: CreateResult(cluster_id, ...)).
DYNAMIC: dict[str, Entry] = {
    DYNAMIC_TYPE: Entry("{cluster_id}", "components/registered_cluster.py create() -> CreateResult(cluster_id)",
                        {"cluster_id": "ack cluster"}, "hybrid/ack_api.py CreateCluster response cluster_id"),
}

# Provider resources get their id from the engine, which the program never reads (no input takes
# one); the plan gives a name-derived UUID. The engine's form was not checked in its source here.
PROVIDER_SOURCE = "engine-assigned; read by nothing in the program (form not checked against pulumi/pulumi)"

K8S_FQ = "pulumi-kubernetes@94977969d provider/pkg/provider/provider.go:1891 fqObjName; util.go:113 fqName"
# Kind -> namespaced? (the API's scope: Kubernetes API reference; Calico's crd.projectcalico.org CRDs
# are cluster-scoped, calico v3.28.2 manifests/crds.yaml `scope: Cluster`; Karmada's
# ClusterPropagationPolicy is cluster-scoped, PropagationPolicy and FederatedHPA namespaced,
# karmada charts/karmada/_crds/bases).
K8S_NAMESPACED: dict[str, bool] = {
    "apps/v1:DaemonSet": True,
    "apps/v1:Deployment": True,
    "core/v1:ConfigMap": True,
    "core/v1:Secret": True,
    "core/v1:ServiceAccount": True,
    "networking.k8s.io/v1:NetworkPolicy": True,
    "rbac.authorization.k8s.io/v1:Role": True,
    "rbac.authorization.k8s.io/v1:RoleBinding": True,
    "rbac.authorization.k8s.io/v1:ClusterRole": False,
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": False,
    "scheduling.k8s.io/v1:PriorityClass": False,
    "crd.projectcalico.org/v1:BGPConfiguration": False,
    "crd.projectcalico.org/v1:BGPPeer": False,
    "crd.projectcalico.org/v1:IPPool": False,
    "policy.karmada.io/v1alpha1:PropagationPolicy": True,
    "policy.karmada.io/v1alpha1:ClusterPropagationPolicy": False,
    "autoscaling.karmada.io/v1alpha1:FederatedHPA": True,
    # ACK One Fleet's policy API (docs/placement.md: Alibaba's application-distribution page) has
    # Karmada's kinds and their scopes.
    "policy.one.alibabacloud.com/v1alpha1:PropagationPolicy": True,
    "policy.one.alibabacloud.com/v1alpha1:ClusterPropagationPolicy": False,
    "core/v1:Namespace": False,
    # Patch resources (the adopted calico-node's affinity, the pod IPPool's encapsulation): a Patch's id is
    # the patched object's fqObjName like any other (pulumi-kubernetes patch resources), scopes as the kinds'.
    "apps/v1:DaemonSetPatch": True,
    "crd.projectcalico.org/v1:IPPoolPatch": False,
    "core/v1:Service": True,
    "batch/v1:Job": True,
    # Tenants' GPU ceilings declared in the hybrid cluster without the Fleet (Kubernetes API reference:
    # ResourceQuota v1 core is namespaced).
    "core/v1:ResourceQuota": True,
    # AI jobs (docs/jobs.md): scopes from the vendored CRDs (tests/data: kubeflow training-operator v1.8.1
    # kubeflow.org_pytorchjobs.yaml and kubeflow.org_tfjobs.yaml, scheduler-plugins v0.28.9 scheduling.x-k8s.io_podgroups.yaml, karmada
    # v1.18.2 autoscaling.karmada.io_cronfederatedhpas.yaml, policy.karmada.io_federatedresourcequotas.yaml).
    "kubeflow.org/v1:PyTorchJob": True,
    "kubeflow.org/v1:TFJob": True,
    # kubeflow/spark-operator v2.5.2 sparkoperator.k8s.io_sparkapplications.yaml: scope Namespaced.
    "sparkoperator.k8s.io/v1beta2:SparkApplication": True,
    "scheduling.x-k8s.io/v1alpha1:PodGroup": True,
    "autoscaling.karmada.io/v1alpha1:CronFederatedHPA": True,
    "policy.karmada.io/v1alpha1:FederatedResourceQuota": True,
    # A job's failover members' override (karmada v1.18.2 policy.karmada.io_overridepolicies.yaml: scope
    # Namespaced; ACK's group has Karmada's kinds, docs/placement.md).
    "policy.karmada.io/v1alpha1:OverridePolicy": True,
    "policy.one.alibabacloud.com/v1alpha1:OverridePolicy": True,
    # Calico operator mode patches the operator's Installation "default" (cluster-scoped: tigera
    # operator CRD operator.tigera.io_installations, scope Cluster); a Patch resource's id is the
    # patched object's fqObjName like any other.
    "operator.tigera.io/v1:InstallationPatch": False,
    # GPU operator mode reads the ClusterPolicy (NVIDIA gpu-operator CRD nvidia.com_clusterpolicies,
    # scope Cluster); a read keeps the id it was asked for.
    "nvidia.com/v1:ClusterPolicy": False,
}


def known(type_: str) -> bool:
    if type_.startswith("pulumi:providers:"):
        return True
    if type_.startswith("kubernetes:"):
        return type_.split(":", 1)[1] in K8S_NAMESPACED
    return type_ in ALICLOUD or type_ in DYNAMIC


def entry(type_: str) -> Optional[Entry]:
    return ALICLOUD.get(type_) or DYNAMIC.get(type_)


# -- answers ------------------------------------------------------------------

# The first address of a vSwitch and its last three are reserved (Alibaba Cloud VPC doc "Create
# and manage a vSwitch": "the first IP address and last three IP addresses of each vSwitch are
# reserved by the system").
RESERVED_HEAD, RESERVED_TAIL = 1, 3


def private_ip(cidr: str, seed: str, taken: set[str]) -> str:
    """A deterministic free address of ``cidr`` outside the reserved ones (probing from a digest)."""
    net = netaddr.IPNetwork(cidr)
    usable = net.size - RESERVED_HEAD - RESERVED_TAIL
    start = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % usable
    for step in range(usable):
        ip = str(netaddr.IPAddress(net.first + RESERVED_HEAD + (start + step) % usable))
        if ip not in taken:
            return ip
    raise ValueError(f"vSwitch {cidr} has no free address left")


def _field(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if value is None or isinstance(value, (dict, list)):
        raise KeyError(name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _rule_cidr(inputs: Mapping[str, Any]) -> str:
    # The provider's create (TF alicloud/resource_alicloud_security_group_rule.go:150 cidr_ip, :159 ipv6_cidr_ip with
    # ':' replaced by '_', :168 source_security_group_id, each set one replacing the one before; :269-272 the id's
    # sixth part is that, or prefix_list_id (:186) when it is empty).
    cidr = ""
    if inputs.get("cidrIp"):
        cidr = str(inputs["cidrIp"])
    if inputs.get("ipv6CidrIp"):
        cidr = str(inputs["ipv6CidrIp"]).replace(":", "_")
    if inputs.get("sourceSecurityGroupId"):
        cidr = str(inputs["sourceSecurityGroupId"])
    return cidr or str(inputs.get("prefixListId") or "")


def answer(type_: str, seed: str, inputs: Mapping[str, Any], lookup: Lookup,
           taken_ips: Callable[[str], set[str]]) -> tuple[str, dict[str, Any]]:
    """(id, computed attributes) a real provider returns for one resource of a known type.

    ``seed`` makes generated values deterministic (the resource's type and name); ``lookup`` gives
    the state the run gave a referenced resource (the vSwitch of an instance, the VPC of a route
    table); ``taken_ips`` the addresses already handed out in one vSwitch."""
    if type_.startswith("pulumi:providers:"):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, seed)), {}
    if type_.startswith("kubernetes:"):
        meta = inputs.get("metadata") or {}
        name = meta.get("name") or ""
        if K8S_NAMESPACED[type_.split(":", 1)[1]]:
            return f"{meta.get('namespace') or 'default'}/{name}", {}
        return name, {}
    e = entry(type_)
    if e is None:
        raise KeyError(type_)
    computed: dict[str, Any] = {}
    for attr, kind in e.computed.items():
        if attr in inputs:
            continue
        if kind in KINDS:
            # One digest per resource: each of its ids differs by its prefix.
            computed[attr] = KINDS[kind].generate(seed)
        elif kind == "private ip in the vSwitch":
            vsw = lookup(str(inputs.get("vswitchId"))) or {}
            cidr = vsw.get("cidrBlock")
            if cidr:
                computed[attr] = private_ip(cidr, seed, taken_ips(str(inputs.get("vswitchId"))))
        elif kind == "ipv6 /56" and inputs.get("enableIpv6"):
            # One fixed /56: the block the VPC is given when IPv6 is on.
            computed[attr] = "2408:4005:3c6:8b00::/56"
    if not e.template:
        return KINDS[e.id].generate(seed), computed
    values: dict[str, Any] = {**inputs, **computed}
    if type_ == "alicloud:vpc/routeEntry:RouteEntry":
        vpc = lookup(str(inputs.get("routeTableId"))) or {}
        values["routerId"] = vpc.get("routerId") or KINDS["vrouter"].generate(f"{inputs.get('routeTableId')}#routerId")
    if type_ == "alicloud:ecs/securityGroupRule:SecurityGroupRule":
        values["ruleCidr"] = _rule_cidr(inputs)
    return re.sub(r"\{([A-Za-z_]+)\}", lambda m: _field(values, m.group(1)), e.id), computed


def id_pattern(type_: str) -> str:
    """The id's form as a regex (for the table and the tests)."""
    e = entry(type_)
    if e is None:
        return ""
    if not e.template:
        return KINDS[e.id].pattern
    return re.sub(r"\{([A-Za-z_]+)\}", lambda m: f"<{m.group(1)}>", e.id)


def rows() -> list[tuple[str, str, str, str]]:
    """(resource type, id form, computed attributes used, provider source) for every entry."""
    out = []
    for type_, e in sorted({**ALICLOUD, **DYNAMIC}.items()):
        computed = ", ".join(f"{a} ({k})" for a, k in e.computed.items()) or "-"
        source = e.source + (f"; {e.computed_source}" if e.computed_source else "")
        out.append((type_, id_pattern(type_), computed, source))
    for kind, namespaced in sorted(K8S_NAMESPACED.items()):
        out.append((f"kubernetes:{kind}", "<namespace>/<name>" if namespaced else "<name>", "-", K8S_FQ))
    out.append(("pulumi:providers:*", "UUID", "-", PROVIDER_SOURCE))
    return out
