"""Every input that names another resource has the form its API parameter takes.

A resource's id is not always what another resource's parameter takes: the provider's id of a
transit-router VPC attachment is ``<cen id>:<attachment id>``, a route entry's next hop takes the
bare attachment id (its ``transit_router_attachment_id``). ``REFERENCES`` lists, per resource type,
each input that names another resource (by property dependency or by value from the stack config)
with the id kind it takes (hybrid_tools.provider_ids.KINDS) and the parameter's source. ``check``
runs over a recorded run: each such value is checked against its kind, and an input that carries
another resource's output but has no entry here (nor a reason in ``NO_ID``) is an error too, so a
new reference cannot go unchecked. The offline plan runs it on every plan (hybrid_tools/plan.py).

Paths: keys separated by '.', ``[]`` each element of a list, ``{}`` each value of a map,
``@json`` the JSON document a string holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from hybrid.ack_api import DYNAMIC_TYPE
from hybrid_tools.provider_ids import KINDS, NEXT_HOP_KINDS

TF = "terraform-provider-alicloud@v1.285.0 alicloud/resource_alicloud_"
NEXT_HOP = "next hop (by nexthopType)"


@dataclass(frozen=True)
class Ref:
    type: str
    path: str
    kind: str      # a key of provider_ids.KINDS, or NEXT_HOP
    source: str    # where the parameter's meaning is stated


def _r(type_: str, source: str, **paths: str) -> list[Ref]:
    return [Ref(type_, path.replace("__", "."), kind, source) for path, kind in paths.items()]


REFERENCES: tuple[Ref, ...] = tuple([
    *_r("alicloud:vpc/switch:Switch", TF + "vswitch.go vpc_id", vpcId="vpc"),
    *_r("alicloud:ecs/securityGroup:SecurityGroup", TF + "security_group.go vpc_id", vpcId="vpc"),
    *_r("alicloud:ecs/securityGroupRule:SecurityGroupRule", TF + "security_group_rule.go security_group_id",
        securityGroupId="security group"),
    Ref("alicloud:vpc/routeEntry:RouteEntry", "routeTableId", "route table", TF + "route_entry.go route_table_id"),
    Ref("alicloud:vpc/routeEntry:RouteEntry", "nexthopId", NEXT_HOP,
        TF + "route_entry.go nexthop_id: the id of the next hop of nexthop_type (VPC CreateRouteEntry NextHopId)"),
    *_r("alicloud:vpc/flowLog:FlowLog", TF + "vpc_flow_log.go resource_id (resource_type VPC), project_name, log_store_name",
        resourceId="vpc", projectName="name", logStoreName="name"),
    *_r("alicloud:log/store:Store", TF + "log_store.go project_name", projectName="name"),
    *_r("alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment",
        TF + "cen_transit_router_vpc_attachment.go cen_id, transit_router_id, vpc_id, zone_mappings.vswitch_id",
        cenId="cen", transitRouterId="transit router", vpcId="vpc", **{"zoneMappings[]__vswitchId": "vswitch"}),
    *_r("alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment",
        "terraform-provider-alicloud@01d56d9 cen_transit_router_peer_attachment.go create (CenId, TransitRouterId, PeerTransitRouterId)",
        cenId="cen", transitRouterId="transit router", peerTransitRouterId="transit router"),
    *_r("alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation",
        TF + "cen_transit_router_route_table_association.go:91 (request TransitRouterAttachmentId, TransitRouterRouteTableId)",
        transitRouterAttachmentId="transit router attachment", transitRouterRouteTableId="route table"),
    *_r("alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation",
        TF + "cen_transit_router_route_table_propagation.go:79 (request TransitRouterAttachmentId, TransitRouterRouteTableId)",
        transitRouterAttachmentId="transit router attachment", transitRouterRouteTableId="route table"),
    *_r("alicloud:ecs/instance:Instance", TF + "instance.go vswitch_id, security_groups",
        vswitchId="vswitch", **{"securityGroups[]": "security group"}),
    *_r("alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment", TF + "ecs_disk_attachment.go:112 (request DiskId, InstanceId)",
        diskId="disk", instanceId="instance"),
    *_r("alicloud:ecs/ramRoleAttachment:RamRoleAttachment", TF + "ecs_ram_role_attachment.go:59-60 (RamRoleName, InstanceIds)",
        instanceId="instance", ramRoleName="name"),
    *_r("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", TF + "ram_role_policy_attachment.go:82 (PolicyName, RoleName)",
        policyName="name", roleName="name"),
    *_r("alicloud:ram/userPolicyAttachment:UserPolicyAttachment", TF + "ram_user_policy_attachment.go:80 (PolicyName, UserName)",
        policyName="name", userName="name"),
    *_r("alicloud:oss/bucketAcl:BucketAcl", TF + "oss_bucket_acl.go bucket", bucket="name"),
    *_r("alicloud:oss/bucketObject:BucketObject", TF + "oss_bucket_object.go bucket", bucket="name"),
    *_r("alicloud:oss/bucketPolicy:BucketPolicy",
        "terraform-provider-alicloud@81c43b672 alicloud/resource_alicloud_oss_bucket_policy.go:58 (hostMap bucket); "
        "acs:SourceVpc takes VPC ids (Alibaba OSS 'Bucket Policy', alibabacloud.com/help/en/oss/user-guide/oss-bucket-policy)",
        bucket="name", **{"policy@json__Statement[]__Condition__StringEquals__acs:SourceVpc[]": "vpc"}),
    *_r("alicloud:cs/nodePool:NodePool", TF + "cs_kubernetes_node_pool.go cluster_id, vswitch_ids, security_group_ids, ram_role_name",
        clusterId="ack cluster", ramRoleName="name", **{"vswitchIds[]": "vswitch", "securityGroupIds[]": "security group"}),
    *_r("alicloud:cs/kubernetesAddon:KubernetesAddon", TF + "cs_kubernetes_addon.go cluster_id", clusterId="ack cluster"),
    # The addons' config documents: ack-virtual-node's Regions (hybrid/virtual_node.py) and Terway's
    # PodVswitchId / SecurityGroupIds (hybrid/cni.py), each with its source there.
    *_r("alicloud:cs/kubernetesAddon:KubernetesAddon", "hybrid/virtual_node.py, hybrid/cni.py (addon config keys)",
        **{"config@json__Regions[]__VpcId": "vpc", "config@json__Regions[]__VSwitchIds[]": "vswitch",
           "config@json__Regions[]__SecurityGroupId": "security group",
           "config@json__PodVswitchId[]": "vswitch", "config@json__SecurityGroupIds[]": "security group"}),
    *_r("alicloud:cs/autoscalingConfig:AutoscalingConfig", TF + "cs_autoscaling_config.go cluster_id", clusterId="ack cluster"),
    *_r("alicloud:ackone/cluster:Cluster", TF + "ack_one_cluster.go network.vpc_id, network.vswitches",
        network__vpcId="vpc", **{"network.vswitches[]": "vswitch"}),
    *_r("alicloud:ackone/membershipAttachment:MembershipAttachment", TF + "ack_one_membership_attachment.go:49-51",
        clusterId="ack one fleet", subClusterId="ack cluster"),
    *_r(DYNAMIC_TYPE, "hybrid/ack_api.py ClusterSpec.create_body (CS CreateCluster vpcid, vswitch_ids, security_group_id)",
        vpc_id="vpc", security_group_id="security group", **{"vswitch_ids[]": "vswitch", "pod_vswitch_ids[]": "vswitch"}),
    # Terway's eni_conf (types/daemon/config.go: vswitches {zone: [ids]}, security_groups).
    *_r("kubernetes:core/v1:ConfigMap", "terway release-1.16 types/daemon/config.go (eni_conf)",
        **{"data.eni_conf@json.vswitches{}[]": "vswitch", "data.eni_conf@json.security_groups[]": "security group"}),
])

# Inputs that carry another resource's output but name no resource by id, with the reason.
NO_ID: dict[tuple[str, str], str] = {
    ("kubernetes:apps/v1:DaemonSet", "spec"): "a checksum of the Terway ConfigMap's data (restarts pods on change)",
    ("kubernetes:apps/v1:Deployment", "metadata"): "the ACK agent Deployment as the registered cluster's manifest gives it",
    ("kubernetes:apps/v1:Deployment", "spec"): "the ACK agent Deployment as the registered cluster's manifest gives it",
    ("kubernetes:core/v1:Secret", "stringData"): "the agent credentials from the registered cluster's manifest",
    ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "spec"): "waits on the registered cluster's agent manifest",
    ("kubernetes:policy.karmada.io/v1alpha1:PropagationPolicy", "spec"): "Fleet member cluster names, waiting on the memberships",
    ("kubernetes:policy.karmada.io/v1alpha1:ClusterPropagationPolicy", "spec"): "Fleet member cluster names, waiting on the memberships",
    ("kubernetes:policy.one.alibabacloud.com/v1alpha1:PropagationPolicy", "spec"): "Fleet member cluster names, waiting on the memberships",
    ("kubernetes:policy.one.alibabacloud.com/v1alpha1:ClusterPropagationPolicy", "spec"): "Fleet member cluster names, waiting on the memberships",
    ("kubernetes:policy.karmada.io/v1alpha1:FederatedResourceQuota", "spec"):
        "staticAssignments[].clusterName: the hybrid cluster's Fleet member name, waiting on its membership",
}


class BrokenReference(RuntimeError):
    """A plan with a reference whose value has the wrong form, or one that nothing checks."""


@dataclass(frozen=True)
class Finding:
    resource: str   # URN
    path: str
    value: Any
    expected: str

    def line(self) -> str:
        return f"{self.resource}: input {self.path} = {self.value!r} is not {self.expected}"


def walk(value: Any, parts: list[str], at: str) -> Iterator[tuple[str, Any]]:
    if not parts:
        yield at, value
        return
    head, rest = parts[0], parts[1:]
    key, _, mode = head.partition("@")
    suffix = ""
    while key.endswith("[]") or key.endswith("{}"):
        suffix = key[-2:] + suffix
        key = key[:-2]
    if not isinstance(value, Mapping) or key not in value:
        return
    item, where = value[key], f"{at}.{key}" if at else key
    if mode == "json":
        if not isinstance(item, str):
            return
        try:
            item = json.loads(item)
        except ValueError:
            return
        where += "@json"
    yield from expand(item, suffix, rest, where)


def expand(item: Any, suffix: str, rest: list[str], where: str) -> Iterator[tuple[str, Any]]:
    if not suffix:
        yield from walk(item, rest, where)
        return
    mark, more = suffix[:2], suffix[2:]
    if mark == "[]" and isinstance(item, list):
        for i, element in enumerate(item):
            yield from expand(element, more, rest, f"{where}[{i}]")
    elif mark == "{}" and isinstance(item, Mapping):
        for k, element in sorted(item.items()):
            yield from expand(element, more, rest, f"{where}.{k}")


@dataclass
class Report:
    checked: int
    findings: list[Finding]


def check(registrations: Mapping[str, Any], unknown: str = "") -> Report:
    """Check every reference of a recorded run (``ProgramRun.registrations``)."""
    by_type: dict[str, list[Ref]] = {}
    for ref in REFERENCES:
        by_type.setdefault(ref.type, []).append(ref)
    checked, findings = 0, []
    for reg in sorted(registrations.values(), key=lambda r: r.urn):
        if not reg.custom:
            continue
        refs = by_type.get(reg.type, [])
        for ref in refs:
            for where, value in walk(reg.inputs, ref.path.split("."), ""):
                if unknown and value == unknown:
                    continue
                checked += 1
                if ref.kind == NEXT_HOP:
                    hop = reg.inputs.get("nexthopType")
                    kind = NEXT_HOP_KINDS.get(hop)
                    if kind is None or not KINDS[kind].matches(value):
                        expected = f"the id of a {kind} ({KINDS[kind].pattern}), as nexthopType {hop} takes" if kind else \
                            f"an id of one of the next-hop types {sorted(NEXT_HOP_KINDS)}"
                        findings.append(Finding(reg.urn, where, value, expected))
                elif not KINDS[ref.kind].matches(value):
                    findings.append(Finding(reg.urn, where, value,
                                            f"a {ref.kind} id ({KINDS[ref.kind].pattern}; {ref.source})"))
        covered = {ref.path.split(".")[0].split("@")[0].rstrip("[]{}") for ref in refs}
        for key in sorted(reg.property_dependencies):
            if key not in covered and (reg.type, key) not in NO_ID:
                findings.append(Finding(reg.urn, key, "(another resource's output)",
                                        "listed in hybrid_tools/references.py (REFERENCES with its id kind, or NO_ID with a reason)"))
    k8s = check_kubernetes(registrations)
    return Report(checked + k8s.checked, findings + k8s.findings)


# -- Kubernetes objects that name other objects ---------------------------------------------
# A pod template's ServiceAccount, ConfigMap and Secret (and the key it reads), a binding's role
# and ServiceAccount subjects name objects by name in the same cluster (and namespace): each must
# be declared by the program (with that key), be one of Kubernetes' own, or be listed below with
# the reason it exists before the program runs. Optional references (``optional: true``) are not
# required to resolve (Kubernetes API reference: ConfigMapKeySelector / SecretKeySelector).

# Objects the program relies on without declaring them: (cluster, kind, namespace, name) -> (keys, reason).
EXISTING: dict[tuple[str, str, str, str], tuple[frozenset[str], str]] = {
    ("idc", "ServiceAccount", "kube-system", "calico-node"): (
        frozenset(), "installed with Calico's manifest (projectcalico/calico manifests/calico.yaml, ServiceAccount "
                     "calico-node); the program adopts the calico-node DaemonSet, not its ServiceAccount"),
    ("idc", "ConfigMap", "kube-system", "calico-config"): (
        frozenset({"calico_backend", "veth_mtu", "cni_network_config", "typha_service_name"}),
        "installed with Calico's manifest (projectcalico/calico manifests/calico.yaml, ConfigMap calico-config: "
        "typha_service_name, calico_backend, veth_mtu, cni_network_config)"),
    ("idc", "ServiceAccount", "kube-system", "kube-proxy"): (
        frozenset(), "created by kubeadm's kube-proxy addon phase (kubernetes cmd/kubeadm/app/phases/addons/proxy: "
                     "ServiceAccount kube-proxy in kube-system, bound to system:node-proxier); the cloud nodes' "
                     "kube-proxy-cloud runs under it like kubeadm's own DaemonSet"),
    ("idc", "ConfigMap", "kube-system", "kube-proxy"): (
        frozenset({"config.conf", "kubeconfig.conf"}),
        "created by kubeadm's kube-proxy addon phase (cmd/kubeadm/app/phases/addons/proxy: ConfigMap kube-proxy with "
        "config.conf and kubeconfig.conf); kube-proxy-cloud reads its kubeconfig.conf"),
}

# Kubernetes' default ClusterRoles (kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles).
BUILTIN_CLUSTER_ROLES = frozenset({"cluster-admin", "admin", "edit", "view"})


def _cluster(registrations: Mapping[str, Any], provider_ref: str) -> str:
    """The cluster an object lands in: its provider's clusterIdentifier's kind ("idc", "fleet")."""
    urn = provider_ref.rsplit("::", 1)[0] if provider_ref.count("::") > 3 else provider_ref
    prov = registrations.get(urn)
    ident = str((prov.inputs if prov is not None else {}).get("clusterIdentifier") or urn)
    return ident.split("/", 1)[0]


def _plain_secret(value: Any) -> Any:
    from hybrid_tools.mockrun import SECRET_SIG, SIG_KEY

    if isinstance(value, Mapping) and value.get(SIG_KEY) == SECRET_SIG:
        return value.get("value")
    return value


def _keys(reg: Any) -> frozenset[str]:
    keys: set[str] = set()
    for field_ in ("data", "stringData", "binaryData"):
        doc = _plain_secret(reg.inputs.get(field_))
        if isinstance(doc, Mapping):
            keys.update(str(k) for k in doc)
    return frozenset(keys)


def check_kubernetes(registrations: Mapping[str, Any]) -> Report:
    declared: dict[tuple[str, str, str, str], Any] = {}
    objects = [r for r in registrations.values() if r.custom and r.type.startswith("kubernetes:")]
    for reg in objects:
        meta = reg.inputs.get("metadata") or {}
        kind = reg.type.rsplit(":", 1)[1]
        declared[(_cluster(registrations, reg.provider), kind, meta.get("namespace") or "", meta.get("name") or "")] = reg
    checked, findings = 0, []

    def need(reg: Any, where: str, cluster: str, kind: str, ns: str, name: str, key: str | None = None,
             optional: bool = False) -> None:
        nonlocal checked
        checked += 1
        ident = (cluster, kind, ns, name)
        if ident in declared:
            keys = _keys(declared[ident]) if kind in ("ConfigMap", "Secret") else None
        elif ident in EXISTING:
            keys = EXISTING[ident][0] if kind in ("ConfigMap", "Secret") else None
        elif kind == "ClusterRole" and name in BUILTIN_CLUSTER_ROLES:
            return
        else:
            if not optional:
                place = f" in namespace {ns}" if ns else ""
                findings.append(Finding(reg.urn, where, name, f"the name of a {kind} declared{place} in the {cluster} cluster "
                                                              "(or listed in hybrid_tools/references.py EXISTING with its reason)"))
            return
        if key is not None and keys is not None and key not in keys and not optional:
            findings.append(Finding(reg.urn, where, key, f"a key of {kind} {ns}/{name} ({', '.join(sorted(keys)) or 'none'})"))

    for reg in sorted(objects, key=lambda r: r.urn):
        cluster = _cluster(registrations, reg.provider)
        kind = reg.type.rsplit(":", 1)[1]
        ns = (reg.inputs.get("metadata") or {}).get("namespace") or ""
        if kind in ("RoleBinding", "ClusterRoleBinding"):
            ref = reg.inputs.get("roleRef") or {}
            need(reg, "roleRef.name", cluster, ref.get("kind", ""), ns if ref.get("kind") == "Role" else "", ref.get("name", ""))
            for i, sub in enumerate(reg.inputs.get("subjects") or []):
                if sub.get("kind") == "ServiceAccount":
                    need(reg, f"subjects[{i}].name", cluster, "ServiceAccount", sub.get("namespace") or ns, sub.get("name", ""))
        pod = ((reg.inputs.get("spec") or {}).get("template") or {}).get("spec")
        if not isinstance(pod, Mapping):
            continue
        base = "spec.template.spec"
        if pod.get("serviceAccountName"):
            need(reg, f"{base}.serviceAccountName", cluster, "ServiceAccount", ns, pod["serviceAccountName"])
        for group in ("initContainers", "containers"):
            for ci, c in enumerate(pod.get(group) or []):
                for ei, env in enumerate(c.get("env") or []):
                    src = env.get("valueFrom") or {}
                    for sel, target in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                        if sel in src:
                            r = src[sel]
                            need(reg, f"{base}.{group}[{ci}].env[{ei}].valueFrom.{sel}", cluster, target, ns, r.get("name", ""),
                                 r.get("key"), bool(r.get("optional")))
                for ei, env in enumerate(c.get("envFrom") or []):
                    for sel, target in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                        if sel in env:
                            r = env[sel]
                            need(reg, f"{base}.{group}[{ci}].envFrom[{ei}].{sel}", cluster, target, ns, r.get("name", ""),
                                 None, bool(r.get("optional")))
        for vi, vol in enumerate(pod.get("volumes") or []):
            for sel, target, name_key in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName")):
                if sel in vol:
                    v = vol[sel]
                    items = v.get("items") or [{}]
                    for it in items:
                        need(reg, f"{base}.volumes[{vi}].{sel}", cluster, target, ns, v.get(name_key, ""), it.get("key"),
                             bool(v.get("optional")))
    return Report(checked, findings)


def raise_on_findings(report: Report) -> None:
    if report.findings:
        lines = [f.line() for f in report.findings]
        raise BrokenReference(f"{len(lines)} of {report.checked} references have the wrong form:\n  " + "\n  ".join(lines))
