"""RegisteredCluster: the IDC cluster registered to ACK, its agent, the console's scope, an optional fleet.

No pulumi-alicloud resource creates an ACK registered (``ExternalKubernetes``)
cluster, so :class:`RegisteredClusterProvider` is a Pulumi dynamic provider over
the official CS SDK (see :mod:`hybrid.ack_api`).

How the agent manifest is applied: it is a secret known only after the cluster
exists. Rather than a ``yaml.v2.ConfigGroup`` over that output (its objects
would be invisible in preview and under mocks, and it would also apply the
manifest's ``cluster-admin`` binding), the component declares a fixed set of
typed Kubernetes objects whose contents come from the parsed manifest
(:mod:`hybrid.agent`): plans show every object, RBAC stays ours, and a
manifest of an unexpected shape fails with a clear error instead of being
applied half-way. Only the credentials Secret carries secret values; the
Deployment and ConfigMaps are checked to hold none and are shown in clear.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict
from pulumi_kubernetes.rbac.v1 import RoleRefArgsDict, SubjectArgsDict
from pulumi import dynamic

from components.contracts import RegionNetworkOutputs, RegisteredClusterOutputs
from hybrid import agent
# Inputs whose change needs a new registered cluster (shared with the plan diff).
from hybrid.ack_api import DYNAMIC_MODULE, DYNAMIC_NAME, REPLACE_KEYS
from hybrid.model.registration import Registration

if TYPE_CHECKING:
    from types import ModuleType

    from hybrid.ack_api import AckClient, ClusterSpec

# Inputs changed in place: ModifyCluster for these two ...
MODIFY_KEYS = ("cluster_name", "deletion_protection")
# ... and a fresh DescribeExternalAgent for these.
AGENT_KEYS = ("agent_endpoint", "agent_mode")
OUTPUT_KEYS = ("cluster_id", "state", "agent_manifest")

_PROJECT_ROOT = str(Path(__file__).resolve().parents[1])


class RegisteredClusterProvider(dynamic.ResourceProvider):
    """CRUD of an ACK registered cluster.

    This object is pickled into the state and runs in the engine's dynamic
    provider process; the SDK wrapper is imported inside the methods, with the
    project root put on ``sys.path`` first, so nothing depends on how that
    process was started. Credentials come from the alibabacloud-credentials
    default chain of that process; the endpoint is ``cs.<region>.aliyuncs.com``
    unless ``HYBRID_ACK_ENDPOINT`` (and ``HYBRID_ACK_PROTOCOL``) say otherwise.
    """

    def __init__(self, retry_base: float = 1.0, attempts: int = 5, read_timeout_ms: int = 30_000):
        super().__init__()
        self.retry_base = retry_base
        self.attempts = attempts
        self.read_timeout_ms = read_timeout_ms
        self.project_root = _PROJECT_ROOT

    # helpers ---------------------------------------------------------------
    def _api(self, region_id: str) -> tuple[ModuleType, AckClient]:
        import sys

        if self.project_root not in sys.path:
            sys.path.insert(0, self.project_root)
        from hybrid import ack_api

        return ack_api, ack_api.AckClient(region_id, retry=ack_api.RetryPolicy(attempts=self.attempts, base=self.retry_base),
                                          read_timeout_ms=self.read_timeout_ms)

    @staticmethod
    def _spec(ack_api: ModuleType, props: dict[str, Any]) -> ClusterSpec:
        spec: ClusterSpec = ack_api.ClusterSpec(
            name=props["cluster_name"],
            region_id=props["region_id"],
            vpc_id=props["vpc_id"],
            service_cidr=props.get("service_cidr") or None,
            vswitch_ids=tuple(props.get("vswitch_ids") or ()),
            security_group_id=props.get("security_group_id") or None,
            pod_vswitch_ids=tuple(props.get("pod_vswitch_ids") or ()),
            deletion_protection=bool(props.get("deletion_protection", True)),
            tags=dict(props.get("tags") or {}),
        )
        return spec

    @staticmethod
    def _inputs(props: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in props.items() if k not in OUTPUT_KEYS and not k.startswith("__")}

    # CRUD ------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        failures = []
        for key in ("cluster_name", "region_id", "vpc_id"):
            if not news.get(key):
                failures.append(dynamic.CheckFailure(key, f"{key} is required"))
        if news.get("agent_endpoint") not in ("private", "public"):
            failures.append(dynamic.CheckFailure("agent_endpoint", "must be private or public"))
        if news.get("agent_mode") not in ("restricted", "admin"):
            failures.append(dynamic.CheckFailure("agent_mode", "must be restricted or admin"))
        return dynamic.CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        import uuid

        ack_api, client = self._api(props["region_id"])
        cluster_id, manifest = client.register(
            self._spec(ack_api, props),
            private=props["agent_endpoint"] == "private",
            mode=props["agent_mode"],
            client_token=str(uuid.uuid4()),
        )
        outs = {**self._inputs(props), "cluster_id": cluster_id, "state": "waiting", "agent_manifest": manifest}
        return dynamic.CreateResult(cluster_id, outs)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        ack_api, client = self._api(props["region_id"])
        info = client.describe_cluster(id_)
        if info is None:
            return dynamic.ReadResult("", {})  # gone: the engine drops it from the state
        if info.cluster_type != ack_api.CLUSTER_TYPE:
            raise ValueError(f"cluster {id_} is of type {info.cluster_type!r}, not a registered ({ack_api.CLUSTER_TYPE}) cluster")
        outs = dict(props)
        # Refresh what the API reports; keep the agent manifest already applied, since a new
        # DescribeExternalAgent call may mint new credentials and a refresh must not churn them.
        outs.update(cluster_id=id_, cluster_name=info.name or props.get("cluster_name"),
                    region_id=info.region_id or props.get("region_id"), vpc_id=info.vpc_id or props.get("vpc_id"),
                    state=info.state)
        if info.deletion_protection is not None:
            outs["deletion_protection"] = info.deletion_protection
        if not outs.get("agent_manifest"):
            outs["agent_manifest"] = client.describe_agent(id_, outs["agent_endpoint"] == "private", outs["agent_mode"])
        return dynamic.ReadResult(id_, outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = [k for k in (*REPLACE_KEYS, *MODIFY_KEYS, *AGENT_KEYS)
                   if _normalized(olds.get(k)) != _normalized(news.get(k))]
        replaces = [k for k in changed if k in REPLACE_KEYS]
        return dynamic.DiffResult(changes=bool(changed), replaces=replaces, stables=["cluster_id"],
                                  delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        ack_api, client = self._api(news["region_id"])
        name = news["cluster_name"] if olds.get("cluster_name") != news["cluster_name"] else None
        protection = (bool(news["deletion_protection"])
                      if olds.get("deletion_protection") != news.get("deletion_protection") else None)
        if name is not None or protection is not None:
            client.modify_cluster(id_, name=name, deletion_protection=protection)
        manifest = olds.get("agent_manifest")
        if any(olds.get(k) != news.get(k) for k in AGENT_KEYS) or not manifest:
            manifest = client.describe_agent(id_, news["agent_endpoint"] == "private", news["agent_mode"])
        outs = {**self._inputs(news), "cluster_id": id_, "state": olds.get("state", ""), "agent_manifest": manifest}
        return dynamic.UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        ack_api, client = self._api(props["region_id"])
        try:
            client.delete_cluster(id_)
        except ack_api.AckApiError as err:
            if "DeletionProtection" in err.code:
                raise ack_api.AckApiError(
                    err.operation, f"{err.detail}. Set registration.deletionProtection: false and run `pulumi up` "
                    f"before deleting registered cluster {id_}", code=err.code, status=err.status,
                    request_id=err.request_id) from err
            raise


def _normalized(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_normalized(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in sorted(value.items())}
    return value


class RegisteredClusterResource(dynamic.Resource, module=DYNAMIC_MODULE, name=DYNAMIC_NAME):
    """The registered cluster in ACK (type :data:`hybrid.ack_api.DYNAMIC_TYPE`)."""

    cluster_id: pulumi.Output[str]
    state: pulumi.Output[str]
    agent_manifest: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None):
        full = {**props, **{k: None for k in OUTPUT_KEYS}}
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["agent_manifest"]))
        super().__init__(RegisteredClusterProvider(), name, full, opts)


@dataclass
class RegisteredClusterArgs:
    registration: Registration
    network: RegionNetworkOutputs            # the registration region's network
    service_cidr: str                        # the IDC cluster's Service CIDR
    tags: dict[str, str] = field(default_factory=dict)
    # Terway's pod vSwitches are CreateCluster parameters of a registered cluster whose Terway is
    # its component (cni.terway.install: addon).
    terway_pod_vswitches: bool = False
    # Keys the platform sets in ack-agent-config on top of ACK's own (e.g. addNodeScriptPath).
    agent_config: dict[str, str] = field(default_factory=dict)


class RegisteredCluster(pulumi.ComponentResource):
    """Registers the IDC cluster to ACK and runs the agent in it with a bounded console scope.

    Providers through ``opts.providers``: ``kubernetes`` for the IDC cluster, where the agent
    runs; ``alicloud`` for the registration region (the Fleet's resources).
    """

    cluster_id: pulumi.Output[str]
    agent_manifest: pulumi.Output[str]

    def __init__(self, name: str, args: RegisteredClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:ack:RegisteredCluster", name, None, opts)
        self._name = name
        self._args = args
        reg = args.registration
        net = args.network

        self.cluster = RegisteredClusterResource(
            f"{name}-cluster",
            {
                "cluster_name": reg.cluster_name,
                "region_id": reg.region_id,
                "vpc_id": net.vpc_id,
                "service_cidr": args.service_cidr,
                "vswitch_ids": net.vswitch_ids.apply(_by_zone),
                "security_group_id": net.security_group_id,
                **({"pod_vswitch_ids": net.pod_vswitch_ids.apply(_by_zone)} if args.terway_pod_vswitches else {}),
                "deletion_protection": reg.deletion_protection,
                "tags": dict(sorted(args.tags.items())),
                "agent_endpoint": reg.agent.endpoint,
                "agent_mode": reg.agent.mode,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.cluster_id = self.cluster.cluster_id
        self.agent_manifest = pulumi.Output.secret(self.cluster.agent_manifest)
        parts = self.agent_manifest.apply(agent.split_manifest)

        k8s_opts = pulumi.ResourceOptions(parent=self)
        self._create_agent_identity(k8s_opts)
        self.console_role = self._create_console_scope(reg.console_access, k8s_opts)
        self.agent_deployment = self._create_agent_workload(parts, k8s_opts)
        self.fleet: Optional[alicloud.ackone.Cluster] = None
        self.fleet_id: Optional[pulumi.Output[str]] = None
        self.memberships: list[alicloud.ackone.MembershipAttachment] = []
        if reg.fleet.enabled:
            self._create_fleet(reg)
        self.outputs = RegisteredClusterOutputs(cluster_id=self.cluster_id, connected=self.agent_deployment,
                                                agent_config=self.agent_config_maps[agent.AGENT_CONFIG],
                                                memberships=tuple(self.memberships))

        self.register_outputs({
            "clusterId": self.cluster_id,
            "agentManifest": self.agent_manifest,
            "fleetId": self.fleet_id,
        })

    # The agent's own identity and the permissions it needs for itself (hybrid.agent.AGENT_RULES,
    # each rule with its source): a ClusterRole, and a Role per namespace.
    def _create_agent_identity(self, opts: pulumi.ResourceOptions) -> None:
        n = self._name
        meta: ObjectMetaArgsDict = {"namespace": agent.NAMESPACE, "labels": _labels()}
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{n}-agent-sa", metadata={**meta, "name": agent.SERVICE_ACCOUNT}, opts=opts)
        rules = agent.agent_rules()
        self._self_role = k8s.rbac.v1.ClusterRole(
            f"{n}-agent-self", metadata={"name": agent.AGENT_SELF_ROLE, "labels": _labels()}, rules=_api_json(rules[""]), opts=opts)
        self._self_role_binding = k8s.rbac.v1.ClusterRoleBinding(
            f"{n}-agent-self", metadata={"name": agent.AGENT_SELF_ROLE, "labels": _labels()},
            role_ref=_role_ref("ClusterRole", agent.AGENT_SELF_ROLE), subjects=[_agent_subject()], opts=opts)
        self._ns_roles: dict[str, k8s.rbac.v1.Role] = {}
        self._ns_role_bindings: dict[str, k8s.rbac.v1.RoleBinding] = {}
        for ns in sorted(k for k in rules if k):
            # kube-system keeps the resource name its Role was first created under (a rename would replace the Role).
            suffix = "config" if ns == agent.NAMESPACE else ns
            ns_meta: ObjectMetaArgsDict = {"namespace": ns, "labels": _labels(), "name": agent.AGENT_SELF_ROLE}
            self._ns_roles[ns] = k8s.rbac.v1.Role(f"{n}-agent-{suffix}", metadata=ns_meta, rules=_api_json(rules[ns]), opts=opts)
            self._ns_role_bindings[ns] = k8s.rbac.v1.RoleBinding(
                f"{n}-agent-{suffix}", metadata=ns_meta,
                role_ref=_role_ref("Role", agent.AGENT_SELF_ROLE), subjects=[_agent_subject()], opts=opts)
        self._ns_role = self._ns_roles[agent.NAMESPACE]
        self._ns_role_binding = self._ns_role_bindings[agent.NAMESPACE]

    # What the ACK console may do through the agent: the read-only ClusterRole, or in administrator
    # mode the built-in cluster-admin (no ClusterRole of its own), the binding carrying its waiver.
    def _create_console_scope(self, access: agent.ConsoleAccess, opts: pulumi.ResourceOptions) -> Optional[k8s.rbac.v1.ClusterRole]:
        n = self._name
        labels = {**_labels(), "hybrid.example.com/console-access": access}
        role = None
        if access != "admin":
            role = k8s.rbac.v1.ClusterRole(
                f"{n}-console", metadata={"name": agent.CONSOLE_ROLE, "labels": labels},
                rules=_api_json(agent.console_rules(access)), opts=opts)
        annotations = agent.console_binding_annotations(access)
        binding_meta: ObjectMetaArgsDict = {"name": agent.CONSOLE_ROLE, "labels": labels}
        if annotations:
            binding_meta["annotations"] = annotations
        self.console_binding = k8s.rbac.v1.ClusterRoleBinding(
            f"{n}-console", metadata=binding_meta,
            role_ref=_api_json(agent.console_role_ref(access)), subjects=[_agent_subject()], opts=opts)
        return role

    # The agent itself: ConfigMaps, the credentials Secret and the Deployment, contents from the manifest.
    def _create_agent_workload(self, parts: pulumi.Output[agent.AgentParts], opts: pulumi.ResourceOptions) -> k8s.apps.v1.Deployment:
        n = self._name
        meta: ObjectMetaArgsDict = {"namespace": agent.NAMESPACE}
        extra = {agent.AGENT_CONFIG: dict(self._args.agent_config)}
        self.agent_config_maps = {
            cm: k8s.core.v1.ConfigMap(
                f"{n}-agent-{cm}", metadata={**meta, "name": cm, "labels": _labels()},
                # Checked by split_manifest to hold no credential values. ACK's keys stay; the
                # platform's keys (ack-agent-config only) are set over them.
                data=pulumi.Output.unsecret(parts.apply(functools.partial(agent.config_map_data, name=cm, extra=extra.get(cm, {})))),
                opts=opts)
            for cm in agent.CONFIG_MAPS
        }
        config_maps = list(self.agent_config_maps.values())
        # One secret Output per key: the key set is fixed, the values never leave the secret wrapper.
        self.credentials = k8s.core.v1.Secret(
            f"{n}-agent-credentials", metadata={**meta, "name": agent.CREDENTIALS_SECRET, "labels": _labels()},
            type="Opaque",
            string_data={key: _credential(parts, key) for key in agent.secret_keys()},
            # The connector writes the cert and key it obtains into this Secret (SECRET_NAME);
            # those two keys are its from then on.
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                ignore_changes=[f"stringData.{k}" for k in agent.CONNECTOR_WRITES])))
        # The agent only dials out (to the ACK stub and the apiserver): no ingress at all.
        # Egress stays open, the stub's addresses are Alibaba's to change.
        self.network_policy = k8s.networking.v1.NetworkPolicy(
            f"{n}-agent-ingress", metadata={**meta, "name": f"{agent.DEPLOYMENT}-deny-ingress", "labels": _labels()},
            spec=_api_json({"podSelector": {"matchLabels": pulumi.Output.unsecret(
                      parts.apply(lambda p: (p.deployment_spec.get("selector") or {}).get("matchLabels") or {}))},
                  "policyTypes": ["Ingress"]}),
            opts=opts)
        depends = [self.service_account, self._self_role_binding, *self._ns_role_bindings.values(), self.console_binding,
                   self.credentials, self.network_policy, *config_maps]
        return k8s.apps.v1.Deployment(
            f"{n}-agent", metadata={**meta, "name": agent.DEPLOYMENT,
                                    "annotations": pulumi.Output.unsecret(parts.apply(
                                        lambda p: {**p.deployment_annotations, **agent.waiver_annotations()})),
                                    "labels": pulumi.Output.unsecret(parts.apply(lambda p: {**p.deployment_labels, **_labels()}))},
            spec=pulumi.Output.unsecret(parts.apply(lambda p: _api_json(p.deployment_spec))),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                depends_on=depends,
                # ACK upgrades the agent in place (new image, version annotations on the pod template);
                # these fields are ACK's after creation, so `pulumi up` must not roll them back.
                ignore_changes=list(agent.ACK_MANAGED_FIELDS))))

    # Optional: an ACK One Fleet, created or referenced, with the registered cluster and the
    # stack's other ACK clusters (registration.fleet.members) as members.
    def _create_fleet(self, reg: Registration) -> None:
        n, a = self._name, self._args
        opts = pulumi.ResourceOptions(parent=self)
        if reg.fleet.name:
            self.fleet = alicloud.ackone.Cluster(
                f"{n}-fleet",
                cluster_name=reg.fleet.name,
                network=alicloud.ackone.ClusterNetworkArgs(
                    vpc_id=a.network.vpc_id,
                    vswitches=a.network.vswitch_ids.apply(_by_zone),
                ),
                # The provider documents that ArgoCD must be off for the fleet to be deletable;
                # GitOps is not run through the fleet here.
                argocd_enabled=False,
                opts=opts)
            self.fleet_id = self.fleet.id
        else:
            assert reg.fleet.id is not None  # Fleet: an enabled fleet has a name or an id
            self.fleet_id = pulumi.Output.from_input(reg.fleet.id)
        # A registered cluster is attachable once its agent has connected (it leaves "waiting").
        self.membership = alicloud.ackone.MembershipAttachment(
            f"{n}-fleet-member", cluster_id=self.fleet_id, sub_cluster_id=self.cluster_id,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[self.agent_deployment])))
        self.memberships = [self.membership] + [
            alicloud.ackone.MembershipAttachment(f"{n}-fleet-member-{name}", cluster_id=self.fleet_id, sub_cluster_id=cluster_id, opts=opts)
            for name, member in sorted(reg.fleet.members.items()) for cluster_id in [member.cluster_id]
        ]


def _by_zone(ids: dict[str, str]) -> list[str]:
    """vSwitch ids in zone order (the APIs take a list)."""
    return [ids[z] for z in sorted(ids)]


def _labels() -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "hybrid-ack-registration"}


def _role_ref(kind: str, name: str) -> RoleRefArgsDict:
    # api_group: the SDK sends the API's name (apiGroup) from the input type's metadata (pulumi/runtime/rpc.py).
    return {"api_group": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def _agent_subject() -> SubjectArgsDict:
    return {"kind": "ServiceAccount", "name": agent.SERVICE_ACCOUNT, "namespace": agent.NAMESPACE}


def _credential(parts: pulumi.Output[agent.AgentParts], key: str) -> pulumi.Output[str]:
    return pulumi.Output.secret(parts.apply(lambda p: p.credentials[key]))


def _api_json(value: object) -> Any:
    """Kubernetes API JSON from the manifest or hybrid.agent (camelCase, as the API spells it) as a
    resource input. pulumi sends a dict key as given when it is not a Python name of the input type
    (pulumi/runtime/rpc.py serialize_property: ``py_name_to_pulumi_name.get(k) or k``), but
    pulumi-kubernetes' TypedDicts spell only the snake_case names, so no typed form fits."""
    return value
