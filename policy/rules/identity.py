"""Identity policies: RAM policies, AccessKeys, instance roles, Terway's credential path and
RBAC on Secrets."""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Optional

from pulumi_policy import PolicyConfigSchema, Severity

from hybrid.gpu_nodes import POOL_TYPE as GPU_POOL_TOKEN
from hybrid.identity import ADDON_SECRET
from hybrid.redaction import REDACTED  # what a plan shows in place of a secret
from hybrid.waivers import CLUSTER_ADMIN_KEY as CLUSTER_ADMIN_WAIVER
from .common import (
    ADDON, CLUSTER_ROLE, CONFIGMAP, DAEMONSET, INSTANCE, K8S_SECRET, M, RAM_ACCESS_KEY, RAM_POLICY,
    RAM_ROLE_ATTACHMENT, UNKNOWN, WORKLOAD_TYPES, StackFinding, cannot_verify, config_of, deps, get,
    is_gpu_instance, items, plain, pod_spec, resource_policy, stack_policy,
)


TERWAY_CREDENTIALS_SCHEMA = PolicyConfigSchema(
    properties={
        "terwayAddonName": {"type": "string", "default": "terway-eniip",
                            "description": "The CS addon name of Terway (install: addon)."},
        "addonSecretName": {"type": "string", "default": ADDON_SECRET,
                            "description": "The kube-system Secret registered-cluster components read their AccessKey from."},
    },
)


def _terway_daemonsets(resources: list) -> list:
    return [r for r in resources if r.resource_type == DAEMONSET
            and isinstance(get(r.props, "metadata", "name"), str) and get(r.props, "metadata", "name").startswith("terway")]


@stack_policy(name="k8s-terway-credentials", severity=Severity.HIGH, level=M, config_schema=TERWAY_CREDENTIALS_SCHEMA,
              description="Give Terway credentials on every cloud GPU node: a RAM role, or the AccessKey Secret it reads.")
def check_terway_credentials(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    """Every cloud GPU node that Terway serves has a credential path: a RAM role, or an AccessKey Secret Terway reads.

    terwayd tries an AccessKey, then a credential file, then the instance's RAM role; with none of
    them every ENI call fails and no pod on the node gets an IP. Manifest mode: a Secret the Terway
    DaemonSets mount and the stack declares. Addon mode: the Secret registered-cluster components
    read (alibaba-addon-secret). Otherwise each GPU instance needs a RAM role.
    """
    cfg = config_of(config, TERWAY_CREDENTIALS_SCHEMA)
    daemonsets = _terway_daemonsets(resources)
    addons = [a for a in resources if a.resource_type == ADDON and get(a.props, "name") == cfg["terwayAddonName"]]
    if not daemonsets and not addons:
        return []
    out: list[StackFinding] = []
    secrets = {get(r.props, "metadata", "name") for r in resources if r.resource_type == K8S_SECRET}
    mounted = set()
    for ds in daemonsets:
        for _, vol in items(get(pod_spec(ds.props), "volumes", default=[])):
            name = get(vol, "secret", "secretName")
            if isinstance(name, str):
                mounted.add(name)
    if mounted & secrets or (addons and cfg["addonSecretName"] in secrets):
        return []
    roled = {u for att in resources if att.resource_type == RAM_ROLE_ATTACHMENT for u in deps(att)}
    for inst in (r for r in resources if r.resource_type == INSTANCE):
        itype = get(inst.props, "instanceType")
        if itype is UNKNOWN:
            out.append((cannot_verify("instanceType"), inst.urn))
            continue
        if not is_gpu_instance(itype) or inst.urn in roled:
            continue
        role = get(inst.props, "roleName")
        if role is UNKNOWN:
            out.append((cannot_verify("the instance's roleName"), inst.urn))
        elif not role:
            out.append((f"Give Terway credentials on {inst.name}: attach a RAM role with Terway's ENI actions "
                        "(identity.nodeRole) or declare the AccessKey Secret Terway reads; with neither, every ENI "
                        "call fails and no pod on the node gets an IP.", inst.urn))
    return out


# An Alibaba AccessKey id (LTAI + 12..30 alphanumerics) or a key/value that names an AccessKey secret.
_AK_ID_RE = re.compile(r"\bLTAI[0-9A-Za-z]{12,30}\b")
_AK_KEY_RE = re.compile(r"(access[_-]?key[_-]?(id|secret)?|access[_-]?secret|accesskeysecret)$", re.IGNORECASE)


def _as_list(v: Any) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


@resource_policy(name="ram-policy-no-wildcards", severity=Severity.CRITICAL, level=M, types=[RAM_POLICY],
                 description="Grant RAM actions by name on scoped resources: no '*' in actions, no bare '*' resource.")
def check_ram_policy_wildcards(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    doc = get(props, "policyDocument")
    if doc is UNKNOWN:
        return [cannot_verify("the RAM policy document")]
    if doc is None:
        doc = get(props, "document")  # the deprecated spelling
    try:
        parsed = json.loads(doc) if isinstance(doc, str) else plain(doc)
    except json.JSONDecodeError:
        return ["Fix the RAM policy document: it is not valid JSON."]
    out = []
    for i, st in enumerate(_as_list((parsed or {}).get("Statement") or [])):
        if not isinstance(st, Mapping) or str(st.get("Effect", "Allow")) != "Allow":
            continue
        actions = [str(a) for a in _as_list(st.get("Action") or [])]
        wild = [a for a in actions if "*" in a]
        if wild:
            out.append(f"List the RAM actions of statement {i} one by one: {wild} allow(s) every matching action, "
                       "more than the component documents it needs.")
        resources = [str(r) for r in _as_list(st.get("Resource") or [])]
        bare = [r for r in resources if r == "*" or re.fullmatch(r"acs:\*:.*", r)]
        if bare:
            out.append(f"Scope the resources of statement {i} (e.g. acs:ecs:<region>:*:*): {bare} covers every resource "
                       "of every service in every region. For the GPU node role set identity.nodeRoleScope: region.")
    return out


def _ak_findings(where: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, str) or not value or value == REDACTED:
        return []
    if _AK_ID_RE.search(value) or (_AK_KEY_RE.search(key) and len(value) >= 16):
        return [f"Move the AccessKey in {where} into a Kubernetes Secret filled from secret stack config "
                "(pulumi config set --secret): here it is stored and shown in clear."]
    return []


@resource_policy(name="access-keys-only-in-secrets", severity=Severity.CRITICAL, level=M, types=[RAM_ACCESS_KEY, CONFIGMAP, *WORKLOAD_TYPES], pass_type=True,
                 description="Keep AccessKeys in Kubernetes Secrets filled from secret config; never in ConfigMaps, env or RAM AccessKey resources.")
def check_access_keys_in_secrets(props: Mapping, config: Optional[Mapping] = None, resource_type: str = "") -> list[str]:
    if resource_type == RAM_ACCESS_KEY:
        return ["Do not create RAM AccessKeys in the program: their secret lands in the state. Create the RAM user's "
                "key outside it and pass it in as secret stack config."]
    out: list[str] = []
    if resource_type == CONFIGMAP:
        data = get(props, "data")
        if data is UNKNOWN:
            return [cannot_verify("the ConfigMap data")]
        for k, v in sorted((plain(data) or {}).items()):
            inner = None
            if isinstance(v, str) and v.strip().startswith("{"):
                try:
                    inner = json.loads(v)
                except json.JSONDecodeError:
                    inner = None
            if isinstance(inner, Mapping):  # e.g. Terway's eni_conf: look at its keys
                for ik, iv in sorted(inner.items()):
                    out += _ak_findings(f"ConfigMap data.{k} ({ik})", ik, iv)
            else:
                out += _ak_findings(f"ConfigMap data.{k}", k, v)
        return out
    spec = pod_spec(props)
    if spec is UNKNOWN:
        return [cannot_verify("the pod spec")]
    for c in [*(plain(get(spec, "initContainers")) or []), *(plain(get(spec, "containers")) or [])]:
        for env in (c or {}).get("env") or []:
            if "value" in env:
                out += _ak_findings(f"env {env.get('name')} of container {c.get('name')}", str(env.get("name", "")), env.get("value"))
    return out


def _parent_chain(res: Any, by_urn: Mapping[str, Any]) -> list[str]:
    """Type tokens of ``res``'s ancestors (the analyzer links parents present in the stack)."""
    types, seen = [], set()
    cur = getattr(res, "parent", None)
    while cur is not None and cur.urn not in seen:
        seen.add(cur.urn)
        types.append(cur.resource_type)
        cur = getattr(by_urn.get(cur.urn, cur), "parent", None)
    return types


@stack_policy(name="ecs-ram-roles-gpu-pools-only", severity=Severity.HIGH, level=M,
              description="Attach RAM roles only to instances of the GPU pools.")
def check_roles_on_gpu_pools_only(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    by_urn = {r.urn: r for r in resources}
    out: list[StackFinding] = []
    for att in (r for r in resources if r.resource_type == RAM_ROLE_ATTACHMENT):
        targets = [by_urn[u] for u in deps(att) if u in by_urn and by_urn[u].resource_type == INSTANCE]
        if not targets:
            out.append((f"Attach RAM role attachment {att.name} to an instance declared in this stack (its instanceId has "
                        "no dependency on one): roles go only on GPU pool instances.", att.urn))
        for inst in targets:
            if GPU_POOL_TOKEN not in _parent_chain(inst, by_urn) or not is_gpu_instance(get(inst.props, "instanceType")):
                out.append((f"Remove the RAM role from {inst.name}: only instances of a GPU pool ({GPU_POOL_TOKEN}) carry "
                            "the node role, which holds Terway's ENI permissions.", att.urn))
    for inst in (r for r in resources if r.resource_type == INSTANCE):
        role = get(inst.props, "roleName")
        if role not in (None, "", UNKNOWN) and GPU_POOL_TOKEN not in _parent_chain(inst, by_urn):
            out.append((f"Remove roleName {role!r} from {inst.name}: only GPU pool instances carry a RAM role.", inst.urn))
    return out


def check_cluster_role_secret_wildcards(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    rules = get(props, "rules")
    if rules is UNKNOWN:
        return [cannot_verify("the ClusterRole rules")]
    name = get(props, "metadata", "name")
    out = []
    for i, rule in enumerate(plain(rules) or []):
        rule = rule or {}
        groups, res, verbs = rule.get("apiGroups") or [], rule.get("resources") or [], rule.get("verbs") or []
        if "*" in verbs and ({"", "*"} & set(groups)) and ({"secrets", "*"} & set(res)):
            out.append(f"List the verbs of rule {i} of ClusterRole {name}: verbs '*' on {'every resource' if '*' in res else 'secrets'} "
                       "lets its subject read and rewrite every Secret in the cluster.")
    return out


CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
# The built-in ClusterRole with verbs '*' on every resource (Kubernetes "User-facing roles":
# https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles).
CLUSTER_ADMIN = "cluster-admin"


@resource_policy(name="k8s-no-wildcard-verbs-on-secrets", severity=Severity.HIGH, level=M,
                 types=[CLUSTER_ROLE, CLUSTER_ROLE_BINDING, ROLE_BINDING], pass_type=True,
                 description="Give no ClusterRole the verb '*' on Secrets, and bind cluster-admin only with the program's waiver.")
def check_secret_wildcards(props: Mapping, config: Optional[Mapping] = None, resource_type: str = "") -> list[str]:
    """A ClusterRole with verbs '*' on Secrets, or a (Cluster)RoleBinding that grants cluster-admin's.

    The program's own waiver on the object (hybrid/waivers.py CLUSTER_ADMIN_KEY), with a reason of
    10+ characters, lets a binding name cluster-admin."""
    if resource_type == CLUSTER_ROLE:
        return check_cluster_role_secret_wildcards(props, config)
    ref = get(props, "roleRef")
    if ref is UNKNOWN or get(ref, "kind") is UNKNOWN or get(ref, "name") is UNKNOWN:
        return [cannot_verify("the binding's roleRef")]
    if (get(ref, "kind"), get(ref, "name")) != ("ClusterRole", CLUSTER_ADMIN):
        return []
    reason = get(props, "metadata", "annotations", CLUSTER_ADMIN_WAIVER)
    if reason is UNKNOWN:
        return [cannot_verify(f"the binding's annotation {CLUSTER_ADMIN_WAIVER}")]
    if isinstance(reason, str) and len(reason.strip()) >= 10:
        return []
    kind = "ClusterRoleBinding" if resource_type == CLUSTER_ROLE_BINDING else "RoleBinding"
    return [f"Bind a narrower role than ClusterRole {CLUSTER_ADMIN} in {kind} {get(props, 'metadata', 'name')}, or give it the "
            f"program's waiver `{CLUSTER_ADMIN_WAIVER}: <reason>` (10+ characters): cluster-admin has verbs '*' on every "
            "resource, so its subjects read and rewrite every Secret."]
