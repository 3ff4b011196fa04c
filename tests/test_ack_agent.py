"""The agent manifest split (pure): fixed object set, RBAC dropped, credentials kept out of clear parts."""

from __future__ import annotations

import base64

import pytest
import yaml

from hybrid import agent


def _docs(**kw) -> list[dict]:
    return list(yaml.safe_load_all(agent.sample_manifest("c123", "cn-beijing", True, kw.get("mode", "restricted"),
                                                          token="tok-0123456789abcdef")))


def _dump(docs) -> str:
    return yaml.safe_dump_all(docs)


def test_split_keeps_the_workload_and_drops_the_manifest_rbac():
    parts = agent.split_manifest(_dump(_docs(mode="admin")))
    assert parts.credentials["token"] == "tok-0123456789abcdef"
    assert set(parts.config_maps) == set(agent.CONFIG_MAPS)
    assert parts.deployment_spec["template"]["spec"]["serviceAccountName"] == "ack"
    assert "ClusterRoleBinding 1234567890123456-cluster-admin-clusterrolebinding" in parts.dropped
    assert all(d.split()[0] in {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"} for d in parts.dropped)


def test_unexpected_or_missing_objects_fail_with_the_difference():
    docs = _docs() + [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "stub", "namespace": "kube-system"}}]
    docs = [d for d in docs if not (d["kind"] == "ConfigMap" and d["metadata"]["name"] == "provider")]
    with pytest.raises(agent.AgentManifestError) as err:
        agent.split_manifest(_dump(docs))
    assert "unexpected: ['Service kube-system/stub']" in str(err.value)
    assert "missing: ['ConfigMap kube-system/provider']" in str(err.value)


def test_a_credential_inline_in_the_deployment_is_refused():
    docs = _docs()
    deploy = next(d for d in docs if d["kind"] == "Deployment")
    deploy["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "ACK_CONNECT_TOKEN", "value": "tok-0123456789abcdef"})
    with pytest.raises(agent.AgentManifestError, match="credential-like env ACK_CONNECT_TOKEN"):
        agent.split_manifest(_dump(docs))
    deploy["spec"]["template"]["spec"]["containers"][0]["env"][-1] = {"name": "EXTRA_ARGS", "value": "--t=tok-0123456789abcdef"}
    with pytest.raises(agent.AgentManifestError, match="contains the value of credential 'token'"):
        agent.split_manifest(_dump(docs))


def test_listed_env_credentials_move_into_the_secret(monkeypatch):
    monkeypatch.setitem(agent.ENV_CREDENTIALS, "ACK_CONNECT_TOKEN", "env-token")
    docs = _docs()
    deploy = next(d for d in docs if d["kind"] == "Deployment")
    deploy["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "ACK_CONNECT_TOKEN", "value": "tok-env-123456789"})
    parts = agent.split_manifest(_dump(docs))
    assert parts.credentials["env-token"] == "tok-env-123456789"
    env = next(e for e in parts.deployment_spec["template"]["spec"]["containers"][0]["env"] if e["name"] == "ACK_CONNECT_TOKEN")
    assert env == {"name": "ACK_CONNECT_TOKEN", "valueFrom": {"secretKeyRef": {"name": agent.CREDENTIALS_SECRET, "key": "env-token"}}}
    assert "env-token" in agent.secret_keys()


def test_secret_keys_must_match_the_table():
    docs = _docs()
    secret = next(d for d in docs if d["kind"] == "Secret")
    secret["data"]["extra"] = base64.b64encode(b"x").decode()
    del secret["data"]["ca"]
    with pytest.raises(agent.AgentManifestError, match=r"extra: \['extra'\]; absent: \['ca'\]"):
        agent.split_manifest(_dump(docs))


def test_console_rules_read_only_never_reach_secrets_or_exec():
    rules = agent.console_rules("read-only")
    assert {v for r in rules for v in r["verbs"]} == {"get", "list", "watch"}
    resources = {x for r in rules for x in r["resources"]}
    assert "secrets" not in resources and not {"pods/exec", "pods/attach", "pods/portforward", "*"} & resources
    with pytest.raises(ValueError):
        agent.console_rules("write")


def test_admin_console_is_the_connector_manifests_cluster_admin_binding_with_the_programs_waiver():
    # The connector manifest's administrator binding: roleRef ClusterRole cluster-admin
    # (AliyunContainerService/alibabacloud-ack-connector manifests/alibabacloud-ack-connector.yaml).
    assert agent.console_role_ref("admin") == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}
    with pytest.raises(ValueError):
        agent.console_rules("admin")  # no ClusterRole of the program's own in administrator mode
    assert agent.console_role_ref("read-only")["name"] == agent.CONSOLE_ROLE
    assert agent.console_binding_annotations("read-only") == {}
    (key, reason), = agent.console_binding_annotations("admin").items()
    assert key == "hybrid-gpu.io/cluster-admin-reason" and reason.startswith("registration.agent.mode admin")


def test_harden_adds_pod_security_but_keeps_what_the_vendor_set():
    spec = {"template": {"spec": {"securityContext": {"runAsNonRoot": False, "fsGroup": 65534}, "containers": []}}}
    hardened = agent.harden(spec)
    assert hardened["template"]["spec"]["securityContext"] == {
        "runAsNonRoot": False, "fsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}}
    assert spec["template"]["spec"]["securityContext"] == {"runAsNonRoot": False, "fsGroup": 65534}  # input untouched
    assert agent.harden({})["template"]["spec"]["securityContext"] == {
        "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    notes = agent.waiver_annotations()
    assert len(notes) == len(agent.AGENT_WAIVERS) and all("=" in v and len(v.split("=", 1)[1]) > 20 for v in notes.values())


# --- the agent's own RBAC against Alibaba's page and the connector's source -----------------

# Restricted mode as Alibaba's "RBAC permissions required by ack-cluster-agent" page lists it
# (namespace, resource, resourceName or None, verb), typed from the page, not from the code.
PAGE_RESTRICTED = [
    ("kube-system", "configmaps", None, "create"),
    ("kube-system", "configmaps", "ack-agent-config", "update"),
    ("kube-system", "configmaps", "ack-agent-config", "get"),
    ("kube-system", "configmaps", "provider", "update"),
    ("kube-system", "configmaps", "provider", "get"),
    ("kube-public", "configmaps", "kube-root-ca.crt", "get"),
]


def _allowed(rules, resource, name, verb):
    for r in rules:
        names = r.get("resourceNames") or []
        if r["apiGroups"] == [""] and resource in r["resources"] and verb in r["verbs"] and (not names or name in names):
            return True
    return False


@pytest.mark.parametrize("ns,resource,name,verb", PAGE_RESTRICTED)
def test_agent_rules_grant_everything_the_restricted_page_lists(ns, resource, name, verb):
    rules = agent.agent_rules()
    assert _allowed(rules.get(ns, []), resource, name, verb)


def test_agent_may_update_only_its_credentials_secret():
    # The connector Gets then Updates the Secret named by SECRET_NAME (convert.go PutToSecrets).
    rules = [r for rs in agent.agent_rules().values() for r in rs if "secrets" in r["resources"]]
    assert rules == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["ack-credentials"], "verbs": ["get", "update"]}]
    assert not _allowed(agent.agent_rules()["kube-system"], "secrets", "other", "get")
    assert not _allowed(agent.agent_rules()["kube-system"], "secrets", None, "list")


def test_split_points_the_connector_at_the_declared_secret():
    parts = agent.split_manifest(_dump(_docs()))
    pod = parts.deployment_spec["template"]["spec"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    # The connector's lookup prefix is "ack-credentials" (pkg/agent/convert.go); the sample's Secret is ack-credentials-c123.
    assert env["SECRET_NAME"] == "ack-credentials"
    assert pod["volumes"] == [{"name": "ack-credentials", "secret": {"secretName": "ack-credentials"}}]


def test_a_manifest_rule_the_platform_lacks_fails_the_split():
    docs = _docs()
    docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                 "metadata": {"name": "ack-connector-user-impersonation"},
                 "rules": [{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"], "resourceNames": ["1234"]}]})
    with pytest.raises(agent.AgentManifestError, match=r"ClusterRole ack-connector-user-impersonation: impersonate users/1234"):
        agent.split_manifest(_dump(docs))


@pytest.mark.parametrize("kind,field,value,path", [
    ("ConfigMap", "binaryData", {"blob": "AAAA"}, "binaryData"),
    ("Secret", "metadata", {"annotations": {"a": "b"}}, "metadata.annotations"),
    ("Deployment", "status", {"replicas": 1}, "status"),
    ("ServiceAccount", "imagePullSecrets", [{"name": "regcred"}], "imagePullSecrets"),
])
def test_a_field_the_platform_would_drop_fails_the_split(kind, field, value, path):
    docs = _docs()
    obj = next(d for d in docs if d["kind"] == kind)
    if field == "metadata":
        obj["metadata"].update(value)
    else:
        obj[field] = value
    with pytest.raises(agent.AgentManifestError, match=f"{kind} kube-system/[a-z0-9-]+: {path}"):
        agent.split_manifest(_dump(docs))


def test_deployment_annotations_are_carried():
    docs = _docs()
    next(d for d in docs if d["kind"] == "Deployment")["metadata"]["annotations"] = {"ack.aliyun.com/version": "1.13.1"}
    assert agent.split_manifest(_dump(docs)).deployment_annotations == {"ack.aliyun.com/version": "1.13.1"}
