"""The ACK agent in the IDC cluster: its objects, its credentials, the console's scope.

``DescribeExternalAgent`` returns a multi-document YAML manifest. The platform
does not apply it blindly:

* The workload part (the agent Deployment, its ConfigMaps and the Secret with
  the token and certificates) is applied as a *fixed, known set* of objects
  (:data:`WORKLOAD`) whose contents come from the fetched manifest. A manifest
  that adds, drops or renames workload objects fails with an error listing the
  difference, instead of being half-applied.
* RBAC objects in the manifest are never applied. What the console may do is
  decided here instead and bound to the agent's ServiceAccount: the read-only
  ClusterRole (:func:`console_rules`), or in administrator mode the built-in
  ``cluster-admin``, as the manifest binds it (:data:`ADMIN_ROLE`).
* Credentials written inline in the Deployment (env values that look like a
  token, key or certificate) are moved into the Secret and referenced with
  ``secretKeyRef``, so the Deployment spec itself holds nothing sensitive.

The object names follow Alibaba's open-source ``alibabacloud-ack-connector``
manifest and the console-generated agent (``ack-cluster-agent``, ServiceAccount
``ack`` in ``kube-system``, ConfigMaps ``ack-agent-config`` and ``provider``).

The credentials Secret: the connector writes the certificate and key it obtains back
into the Secret named by its ``SECRET_NAME`` env, or else into every Opaque Secret of
its namespace whose name starts with ``ack-credentials`` (which needs ``list`` on all
Secrets). source: AliyunContainerService/alibabacloud-ack-connector@02a61c7:pkg/agent/convert.go
(PutToSecrets), pkg/vars/vars.go. So the manifest's Secret (any ``ack-credentials*``
name) is declared as :data:`CREDENTIALS_SECRET`, the agent container gets
``SECRET_NAME`` pointing at it, and its RBAC allows get/update on that one Secret.
The Secret's key set stays *unconfirmed* (hybrid/unconfirmed.py).

Fields: every field of a workload object that the platform does not carry over
(:data:`CARRIED`) fails the split with its path, so nothing of the manifest is dropped
silently. RBAC objects are replaced by :func:`agent_rules`; a manifest rule that those
do not cover fails the split too.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping

import yaml

from hybrid import unconfirmed, waivers, yamlio
from hybrid.redaction import REDACTED

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "ack"
DEPLOYMENT = "ack-cluster-agent"
# The connector's lookup prefix (convert.go), used as the whole name; SECRET_NAME pins it.
CREDENTIALS_PREFIX = "ack-credentials"
CREDENTIALS_SECRET = CREDENTIALS_PREFIX
SECRET_NAME_ENV = "SECRET_NAME"  # source: alibabacloud-ack-connector@02a61c7:pkg/vars/vars.go
# Keys the connector writes back into that Secret (vars.TlsCrt / vars.TlsKey).
CONNECTOR_WRITES = ("cert", "key")
# Deployment fields ACK changes when it upgrades the agent; the component ignores them after creation.
ACK_MANAGED_FIELDS = ("spec.template.spec.containers[0].image", "spec.template.metadata.annotations")
CREDENTIAL_KEYS = tuple(unconfirmed.value("agent.credentialKeys").split(","))
CONFIG_MAPS = ("ack-agent-config", "provider")
AGENT_CONFIG = CONFIG_MAPS[0]
# The key of ack-agent-config that holds the URL of the elastic pools' node script
# (AliyunContainerService/alibabacloud-ack-connector@e401e7dd:pkg/tcp_tunnel/base/types.go,
# ConfigMapScriptPathKey; https://www.alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/create-a-node-pool, Step 3).
NODE_SCRIPT_KEY = "addNodeScriptPath"
# Env vars of the agent Deployment that may carry a credential inline, and the Secret key each
# moves to. Empty: neither the connector manifest nor the console's agent is known to do that.
ENV_CREDENTIALS: dict[str, str] = {}

# The console's access scope: one ClusterRole bound to the agent's ServiceAccount.
CONSOLE_ROLE = "hybrid-ack-console"
# What the agent needs for itself (from the connector manifest): read its own ConfigMaps, list nodes.
AGENT_SELF_ROLE = "ack-connector-default"

ConsoleAccess = Literal["read-only", "admin"]

# checkov findings on the agent Deployment that stay, each with its reason. The spec is
# Alibaba's (from DescribeExternalAgent); the platform hardens what is safe to harden
# without knowing the image (see :func:`harden`) and waives the rest here, in one place.
# The component writes them as ``checkov.io/skip<N>`` annotations on the Deployment.
AGENT_WAIVERS: dict[str, str] = {
    "CKV_K8S_8": "no liveness probe: the image documents no health endpoint and the agent reconnects by itself; a guessed probe would restart-loop it",
    "CKV_K8S_9": "no readiness probe: the agent serves nothing, so no Service routes to it; readiness would gate nothing",
    "CKV_K8S_15": "IfNotPresent kept: the image comes from the registry VPC endpoint over the leased line; Always would stop the agent restarting during a registry outage",
    "CKV_K8S_38": "service account token mounted: the agent proxies the console to the apiserver as ServiceAccount ack, scoped by the console ClusterRole",
    "CKV_K8S_40": "image user kept: the vendor image's UID is not published; forcing one could break its file permissions (runAsNonRoot still holds)",
    "CKV_K8S_43": "tag kept: the image reference is the one DescribeExternalAgent returns for this cluster; ACK upgrades the agent by tag",
}


def waiver_annotations() -> dict[str, str]:
    """``checkov.io/skip<N>: <check>=<reason>`` annotations for :data:`AGENT_WAIVERS`."""
    return waivers.checkov_annotations(AGENT_WAIVERS.items(), DEPLOYMENT)


def harden(spec: dict[str, Any]) -> dict[str, Any]:
    """Pod-level security the agent needs no knowledge of its image for: the runtime's default
    seccomp profile and non-root. Values the vendor manifest sets itself are kept."""
    out = copy.deepcopy(spec)
    pod = out.setdefault("template", {}).setdefault("spec", {})
    ctx = pod.setdefault("securityContext", {})
    ctx.setdefault("runAsNonRoot", True)
    ctx.setdefault("seccompProfile", {"type": "RuntimeDefault"})
    return out


@dataclass(frozen=True, order=True)
class ObjectKey:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


WORKLOAD: tuple[ObjectKey, ...] = (
    ObjectKey("ConfigMap", NAMESPACE, CONFIG_MAPS[0]),
    ObjectKey("ConfigMap", NAMESPACE, CONFIG_MAPS[1]),
    ObjectKey("Deployment", NAMESPACE, DEPLOYMENT),
    ObjectKey("Secret", NAMESPACE, CREDENTIALS_SECRET),
)
_RBAC_KINDS = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
_SENSITIVE_ENV = re.compile(r"(TOKEN|SECRET|PASSWORD|PRIVATE|_KEY$|^KEY$|CERT|CA_DATA)", re.IGNORECASE)


class AgentManifestError(ValueError):
    """The fetched agent manifest does not have the shape this platform applies."""


@dataclass(frozen=True)
class AgentParts:
    """The manifest split into what the component declares. Only ``credentials`` is sensitive."""

    deployment_spec: dict[str, Any]
    deployment_labels: dict[str, str]
    deployment_annotations: dict[str, str]
    config_maps: dict[str, dict[str, str]]
    credentials: dict[str, str]
    dropped: tuple[str, ...]  # RBAC objects not applied, for the log


def key_of(obj: Mapping[str, Any]) -> ObjectKey:
    """The key of an object :func:`parse_manifest` returned (it has kind and metadata.name)."""
    meta = obj["metadata"]
    return ObjectKey(str(obj["kind"]), str(meta.get("namespace") or ""), str(meta["name"]))


def parse_manifest(text: str) -> list[dict[str, Any]]:
    """Every object of a multi-document YAML manifest; empty documents are skipped."""
    try:
        docs = yamlio.load_all(text)
    except yaml.YAMLError as e:
        raise AgentManifestError(f"the agent manifest is not valid YAML: {e}") from None
    objs = []
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, dict) or not doc.get("kind") or not doc.get("apiVersion") or not (doc.get("metadata") or {}).get("name"):
            raise AgentManifestError(f"document {i} of the agent manifest is not a Kubernetes object with apiVersion, kind and metadata.name")
        objs.append(doc)
    return objs


def _secret_values(obj: Mapping[str, Any]) -> dict[str, str]:
    import base64

    values = {}
    for k, v in (obj.get("data") or {}).items():
        try:
            values[k] = base64.b64decode(str(v), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise AgentManifestError(f"{key_of(obj)}: data.{k} is not base64 text") from None
    # stringData is merged over data on write: its value wins for a key in both (core/v1 Secret, stringData).
    values.update({k: str(v) for k, v in (obj.get("stringData") or {}).items()})
    return values


def _externalize_env(spec: dict[str, Any], credentials: dict[str, str]) -> None:
    """Move literal credential env values into the Secret (keys from ENV_CREDENTIALS); reference them instead.

    A credential-looking env value not in the table is an error: the Secret's key
    set is fixed at declaration time, so it cannot grow with the manifest.
    """
    pod = spec["template"]["spec"]  # split_manifest checked its serviceAccountName and one container
    for container in [*(pod.get("initContainers") or []), *pod["containers"]]:
        for env in container.get("env") or []:
            name = env.get("name")
            # SECRET_NAME holds the Secret's name, not a credential (_pin_secret_name checks its value).
            if not name or name == SECRET_NAME_ENV or "value" not in env or env["value"] in ("", None) or not _SENSITIVE_ENV.search(name):
                continue
            if name not in ENV_CREDENTIALS:
                raise AgentManifestError(
                    f"the agent Deployment sets credential-like env {name} in clear. "
                    "Fix: add it to ENV_CREDENTIALS in hybrid/agent.py so it moves into the Secret.")
            credentials[ENV_CREDENTIALS[name]] = str(env.pop("value"))
            env["valueFrom"] = {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": ENV_CREDENTIALS[name]}}


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _assert_no_leak(where: str, value: Any, credentials: Mapping[str, str]) -> None:
    """Fail if a credential value appears anywhere in a part that is shown in clear."""
    # Values under 8 characters (placeholders, short flags) are too common to search for.
    secrets = {k: v for k, v in credentials.items() if len(v) >= 8 and v != REDACTED}
    for s in _strings(value):
        for k, v in secrets.items():
            if v in s:
                raise AgentManifestError(f"{where} contains the value of credential {k!r}; it would be applied in clear. "
                                         "Fix: reference the Secret instead (see ENV_CREDENTIALS in hybrid/agent.py).")


def secret_keys() -> list[str]:
    """The credentials Secret's fixed key set."""
    return sorted({*CREDENTIAL_KEYS, *ENV_CREDENTIALS.values()})


# Fields of each workload kind that the component carries into what it declares. Anything
# else in the manifest (annotations, binaryData, immutable, imagePullSecrets ...) would be lost.
_COMMON = {"apiVersion", "kind", "metadata.name", "metadata.namespace"}
CARRIED: dict[str, set[str]] = {
    "ConfigMap": _COMMON | {"data"},
    "Secret": _COMMON | {"data", "stringData", "type"},
    "Deployment": _COMMON | {"metadata.labels", "metadata.annotations", "spec"},
    # Declared by the component itself (name and namespace only).
    "ServiceAccount": set(_COMMON),
}


def _dropped_fields(obj: Mapping[str, Any]) -> list[str]:
    """Field paths of ``obj`` (top level and metadata) that :data:`CARRIED` does not take."""
    carried = CARRIED[str(obj.get("kind"))]
    paths = []
    for k, v in obj.items():
        if k == "metadata" and isinstance(v, Mapping):
            paths += [f"metadata.{mk}" for mk, mv in v.items() if mv not in (None, {}, [], "")]
        elif v not in (None, {}, [], ""):
            paths.append(k)
    return sorted(p for p in paths if p not in carried)


def _workload_key(obj: Mapping[str, Any]) -> ObjectKey:
    """The manifest's credentials Secret (any ``ack-credentials*`` name) maps to ours."""
    key = key_of(obj)
    if key.kind == "Secret" and key.namespace == NAMESPACE and key.name.startswith(CREDENTIALS_PREFIX):
        return ObjectKey("Secret", NAMESPACE, CREDENTIALS_SECRET)
    return key


def _pin_secret_name(spec: dict[str, Any], manifest_secret: str) -> None:
    """Point the pod's credentials volume at :data:`CREDENTIALS_SECRET` and set SECRET_NAME to it,
    so the connector writes its cert/key into that Secret only (and needs no list on Secrets)."""
    pod = spec["template"]["spec"]  # split_manifest checked its serviceAccountName and one container
    for vol in pod.get("volumes") or []:
        if (vol.get("secret") or {}).get("secretName") == manifest_secret:
            vol["secret"]["secretName"] = CREDENTIALS_SECRET
    for container in pod["containers"]:
        env = container.setdefault("env", [])
        existing = [e for e in env if e.get("name") == SECRET_NAME_ENV]
        if existing and existing[0].get("value") not in (manifest_secret, CREDENTIALS_SECRET):
            raise AgentManifestError(f"the agent container {container.get('name')} sets {SECRET_NAME_ENV}="
                                     f"{existing[0].get('value')!r}, not the credentials Secret {manifest_secret!r}")
        for e in existing:
            env.remove(e)
        env.append({"name": SECRET_NAME_ENV, "value": CREDENTIALS_SECRET})


def split_manifest(text: str) -> AgentParts:
    """Check the manifest against :data:`WORKLOAD` and split it; raise :class:`AgentManifestError` on a mismatch."""
    objs = parse_manifest(text)
    by_key: dict[ObjectKey, dict[str, Any]] = {}
    rbac: list[dict[str, Any]] = []
    dropped: list[str] = []
    unexpected: list[str] = []
    for obj in objs:
        key = _workload_key(obj)
        if key.kind in _RBAC_KINDS:
            dropped.append(str(key_of(obj)))
            rbac.append(obj)
        elif key == ObjectKey("ServiceAccount", NAMESPACE, SERVICE_ACCOUNT):
            by_key[key] = obj  # declared by the component itself; checked for dropped fields below
        elif key in WORKLOAD:
            if key in by_key:
                raise AgentManifestError(f"the agent manifest declares {key} twice")
            by_key[key] = obj
        else:
            unexpected.append(str(key))
    missing = [str(k) for k in WORKLOAD if k not in by_key]
    if unexpected or missing:
        raise AgentManifestError(
            "the agent manifest from DescribeExternalAgent does not match the objects this platform applies "
            f"(unexpected: {unexpected or 'none'}; missing: {missing or 'none'}). "
            "Fix: compare it with WORKLOAD in hybrid/agent.py and update the table."
        )
    lost = [f"{key_of(o)}: {f}" for o in by_key.values() for f in _dropped_fields(o)]
    if lost:
        raise AgentManifestError(
            f"the agent manifest sets fields the platform would not apply: {lost}. "
            "Fix: carry them in hybrid/agent.py (CARRIED and the component) or confirm they may go.")
    uncovered = uncovered_rules(rbac)
    if uncovered:
        raise AgentManifestError(
            f"the agent manifest grants permissions the platform's agent RBAC lacks: {uncovered}. "
            "Fix: add them to agent_rules in hybrid/agent.py with their source, or confirm the agent does not need them.")
    deployment = by_key[ObjectKey("Deployment", NAMESPACE, DEPLOYMENT)]  # parsed here: no one else holds it
    spec = deployment.get("spec") or {}
    pod = spec.get("template", {}).get("spec", {})
    sa = pod.get("serviceAccountName")
    if sa != SERVICE_ACCOUNT:
        raise AgentManifestError(f"the agent Deployment runs as ServiceAccount {sa!r}, expected {SERVICE_ACCOUNT!r}")
    if len(pod.get("containers") or []) != 1:
        # ACK upgrades the agent by image; the component leaves containers[0].image to ACK.
        raise AgentManifestError(f"the agent Deployment has {len(pod.get('containers') or [])} containers, expected 1")
    secret = by_key[ObjectKey("Secret", NAMESPACE, CREDENTIALS_SECRET)]
    if secret.get("type", "Opaque") != "Opaque":
        raise AgentManifestError(f"the agent Secret is of type {secret.get('type')!r}; the connector only writes Opaque Secrets")
    credentials = _secret_values(secret)
    extra = sorted(set(credentials) - set(CREDENTIAL_KEYS))
    absent = sorted(set(CREDENTIAL_KEYS) - set(credentials))
    if extra or absent:
        raise AgentManifestError(f"the agent Secret's keys differ from {list(CREDENTIAL_KEYS)} "
                                 f"(extra: {extra or 'none'}; absent: {absent or 'none'}). "
                                 "Fix: update CREDENTIAL_KEYS in hybrid/agent.py.")
    _externalize_env(spec, credentials)
    _pin_secret_name(spec, key_of(secret).name)  # after: SECRET_NAME holds a name, not a credential
    config_maps = {}
    for name in CONFIG_MAPS:
        cm = by_key[ObjectKey("ConfigMap", NAMESPACE, name)]
        config_maps[name] = {k: "" if v is None else str(v) for k, v in (cm.get("data") or {}).items()}
    meta = deployment.get("metadata") or {}
    _assert_no_leak("the agent Deployment", spec, credentials)
    _assert_no_leak("the agent Deployment labels", meta.get("labels") or {}, credentials)
    _assert_no_leak("the agent Deployment annotations", meta.get("annotations") or {}, credentials)
    _assert_no_leak("the agent ConfigMaps", config_maps, credentials)
    return AgentParts(
        deployment_spec=harden(spec),
        deployment_labels=dict(meta.get("labels") or {}),
        deployment_annotations={str(k): str(v) for k, v in (meta.get("annotations") or {}).items()},
        config_maps=config_maps,
        credentials=credentials,
        dropped=tuple(sorted(dropped)),
    )


def config_map_data(parts: AgentParts, name: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The data of agent ConfigMap ``name``: ACK's keys from the manifest, the platform's keys over them."""
    return {**parts.config_maps[name], **extra}


# --- the console's access scope ---------------------------------------------------

_READ = ["get", "list", "watch"]
# Read-only: what the console shows (workloads, nodes, events, storage, networking),
# without Secrets, without exec / attach / port-forward / proxy subresources.
_READ_ONLY_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("",), ("configmaps", "endpoints", "events", "limitranges", "namespaces", "nodes", "persistentvolumeclaims",
             "persistentvolumes", "pods", "pods/log", "replicationcontrollers", "resourcequotas", "serviceaccounts",
             "services")),
    (("apps",), ("daemonsets", "deployments", "replicasets", "statefulsets")),
    (("batch",), ("cronjobs", "jobs")),
    (("autoscaling",), ("horizontalpodautoscalers",)),
    (("networking.k8s.io",), ("ingresses", "networkpolicies")),
    (("policy",), ("poddisruptionbudgets",)),
    (("storage.k8s.io",), ("storageclasses", "volumeattachments")),
    (("events.k8s.io",), ("events",)),
    (("metrics.k8s.io",), ("nodes", "pods")),
    (("apiextensions.k8s.io",), ("customresourcedefinitions",)),
)


def console_rules(access: ConsoleAccess) -> list[dict[str, Any]]:
    """PolicyRules (camelCase, as the API takes them) of the console's own ClusterRole (read-only only:
    administrator mode binds :data:`ADMIN_ROLE` and has no ClusterRole of its own)."""
    if access == "read-only":
        return [{"apiGroups": list(groups), "resources": list(resources), "verbs": list(_READ)}
                for groups, resources in _READ_ONLY_RULES]
    raise ValueError(f"console access {access!r} has no ClusterRole of its own")


RBAC_PAGE = ("https://www.alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/"
             "user-guide/rbac-permissions-required-by-ack-cluster-agent")
CONNECTOR = "AliyunContainerService/alibabacloud-ack-connector@02a61c7"

# Administrator mode ("administrator permissions", RBAC_PAGE): the connector manifest binds the built-in
# ClusterRole cluster-admin (ClusterRoleBinding <uid>-cluster-admin-clusterrolebinding, to the Alibaba account
# that ServiceAccount ack impersonates: ClusterRole ack-connector-user-impersonation).
# source: AliyunContainerService/alibabacloud-ack-connector@e401e7dd:manifests/alibabacloud-ack-connector.yaml.
# The platform binds the agent's ServiceAccount to it directly, under the console binding's name.
ADMIN_ROLE = "cluster-admin"
# The policy pack refuses a binding to cluster-admin (verbs '*' on Secrets) unless it carries this waiver.
ADMIN_WAIVER_REASON = ("registration.agent.mode admin chosen by the stack: Alibaba's administrator mode of "
                       "ack-cluster-agent, whose manifest binds cluster-admin")


def console_role_ref(access: ConsoleAccess) -> dict[str, str]:
    """The roleRef of the console binding: the read-only ClusterRole, or cluster-admin in administrator mode."""
    name = ADMIN_ROLE if access == "admin" else CONSOLE_ROLE
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}


def console_binding_annotations(access: ConsoleAccess) -> dict[str, str]:
    """The program's waiver on its one binding to cluster-admin (hybrid/waivers.py); none otherwise."""
    return waivers.cluster_admin_annotations(ADMIN_WAIVER_REASON, CONSOLE_ROLE) if access == "admin" else {}


def _rule(resources: list[str], verbs: list[str], names: list[str] | None = None, group: str = "") -> dict[str, Any]:
    rule: dict[str, Any] = {"apiGroups": [group], "resources": resources}
    if names:
        rule["resourceNames"] = names
    rule["verbs"] = verbs
    return rule


# What the agent needs for itself in either mode: namespace ("" = cluster scope) -> [(rule, source)].
AGENT_RULES: dict[str, list[tuple[dict[str, Any], str]]] = {
    "": [
        (_rule(["nodes"], ["list"]), f"{CONNECTOR}:manifests/alibabacloud-ack-connector.yaml (ClusterRole ack-connector-default)"),
    ],
    NAMESPACE: [
        (_rule(["configmaps"], ["create"]), f"{RBAC_PAGE} (restricted mode, Role ack-agent-create-cm-role)"),
        (_rule(["configmaps"], ["get", "list", "update", "watch"], list(CONFIG_MAPS)),
         f"{RBAC_PAGE} (restricted mode, Role ack-agent-update-cm-role: get, update); list, watch: "
         f"{CONNECTOR}:manifests/alibabacloud-ack-connector.yaml (Role ack-connector-default)"),
        (_rule(["secrets"], ["get", "update"], [CREDENTIALS_SECRET]),
         f"{CONNECTOR}:pkg/agent/convert.go (PutToSecrets with SECRET_NAME: Get, then Update)"),
    ],
    "kube-public": [
        (_rule(["configmaps"], ["get"], ["kube-root-ca.crt"]), f"{RBAC_PAGE} (restricted mode, Role ack-agent-read-cm-role)"),
    ],
}


def agent_rules() -> dict[str, list[dict[str, Any]]]:
    """namespace ("" = cluster scope) -> PolicyRules the agent's ServiceAccount gets for itself."""
    return {ns: [copy.deepcopy(r) for r, _ in rules] for ns, rules in AGENT_RULES.items()}


def _covers(rule: Mapping[str, Any], group: str, resource: str, verb: str, name: str | None) -> bool:
    # ``rule`` is one of agent_rules(): no wildcards, apiGroups/resources/verbs always set.
    names = rule.get("resourceNames") or []
    return (group in rule["apiGroups"] and resource in rule["resources"] and verb in rule["verbs"]
            and (not names or (name is not None and name in names)))


def uncovered_rules(objs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Permissions that Roles/ClusterRoles of a manifest grant and :func:`agent_rules` do not.

    Bindings are not permissions; the admin-mode binding of the Alibaba account to
    ``cluster-admin`` is replaced by the console binding (see the module docstring).
    """
    ours = agent_rules()
    out = []
    for obj in objs:
        if obj.get("kind") not in ("Role", "ClusterRole"):
            continue
        ns = (obj.get("metadata") or {}).get("namespace") or ""
        scope = ours[""] + (ours.get(ns, []) if ns else [])
        for rule in obj.get("rules") or []:
            for group in rule.get("apiGroups") or [""]:
                for resource in rule.get("resources") or []:
                    for verb in rule.get("verbs") or []:
                        for name in (rule.get("resourceNames") or [None]):
                            if not any(_covers(r, group, resource, verb, name) for r in scope):
                                where = f"{ns}/" if ns else ""
                                out.append(f"{obj['kind']} {where}{obj['metadata']['name']}: {verb} "
                                           f"{group + '/' if group else ''}{resource}{'/' + name if name else ''}")
    return sorted(set(out))


def sample_manifest(cluster_id: str, region_id: str, private: bool, mode: str, token: str = REDACTED) -> str:
    """A manifest with the recorded shape of ``DescribeExternalAgent`` (for the offline plan and tests).

    Modelled on the open-source connector manifest: ServiceAccount, RBAC (with
    the admin-mode ``cluster-admin`` binding), the two ConfigMaps, a Secret with
    the credentials and the Deployment. Credential values are placeholders.
    """
    import base64

    def b64(s: str) -> str:
        return base64.b64encode(s.encode()).decode()

    labels = {"app": DEPLOYMENT}
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": SERVICE_ACCOUNT, "namespace": NAMESPACE}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": AGENT_SELF_ROLE, "labels": {"ack/creator": "ack"}},
         "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": f"{AGENT_SELF_ROLE}-binding", "labels": {"ack/creator": "ack"}},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": AGENT_SELF_ROLE},
         "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}]},
    ]
    # The restricted-mode Roles of Alibaba's RBAC page (RBAC_PAGE), as a manifest would ship them.
    for name, ns, rule in (("ack-agent-create-cm-role", NAMESPACE, _rule(["configmaps"], ["create"])),
                           ("ack-agent-update-cm-role", NAMESPACE, _rule(["configmaps"], ["update", "get"], list(CONFIG_MAPS))),
                           ("ack-agent-read-cm-role", "kube-public", _rule(["configmaps"], ["get"], ["kube-root-ca.crt"]))):
        docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                     "metadata": {"name": name, "namespace": ns, "labels": {"ack/creator": "ack"}}, "rules": [rule]})
    if mode == "admin":
        docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                     "metadata": {"name": "1234567890123456-cluster-admin-clusterrolebinding"},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                     "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "1234567890123456"}]})
    docs += [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CONFIG_MAPS[0], "namespace": NAMESPACE},
         "data": {"addNodeScriptPath": "", "enableNodepool": "true", "isInit": "true"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CONFIG_MAPS[1], "namespace": NAMESPACE},
         "data": {"provider": ""}},
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
         "metadata": {"name": f"{CREDENTIALS_PREFIX}-{cluster_id}", "namespace": NAMESPACE},
         "data": {"ca": b64(REDACTED), "cert": b64(REDACTED), "key": b64(REDACTED), "token": b64(token),
                  "url": b64(f"https://{cluster_id}.{region_id}.ack-stub.example.invalid:5533")}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": DEPLOYMENT, "namespace": NAMESPACE, "labels": labels},
         "spec": {
             "replicas": 1,
             "selector": {"matchLabels": labels},
             "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
             "template": {
                 "metadata": {"labels": labels},
                 "spec": {
                     "serviceAccountName": SERVICE_ACCOUNT,
                     "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                         {"matchExpressions": [{"key": "type", "operator": "NotIn", "values": ["virtual-kubelet"]}]}]}}},
                     "containers": [{
                         "name": DEPLOYMENT,
                         "image": f"registry-vpc.{region_id}.aliyuncs.com/acs/ack-cluster-agent:v1.0.0",
                         "env": [
                             {"name": "KUBERNETES_CLUSTER_ID", "value": cluster_id},
                             {"name": "REGION", "value": region_id},
                             {"name": "INTERNAL_ENDPOINT", "value": "true" if private else "false"},
                             {"name": "ACK_AGENT_MODE", "value": mode},
                         ],
                         "volumeMounts": [{"name": "ack-credentials", "mountPath": "/ack-credentials", "readOnly": True}],
                         "resources": {"requests": {"cpu": "100m", "memory": "100Mi"},
                                       "limits": {"cpu": "100m", "memory": "256Mi"}},
                         "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                             "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
                     }],
                     "volumes": [{"name": "ack-credentials", "secret": {"secretName": f"{CREDENTIALS_PREFIX}-{cluster_id}"}}],
                 },
             },
         }},
    ]
    return yamlio.dump_all(docs, sort_keys=True)
