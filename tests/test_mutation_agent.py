"""hybrid.agent: the manifest split's refusals, the credential rules and the offline stand-in, against upstream.

Sources:
- The connector manifest, AliyunContainerService/alibabacloud-ack-connector@e401e7dd:
  manifests/alibabacloud-ack-connector.yaml: ServiceAccount ack in kube-system; ClusterRole
  ack-connector-default (list nodes) bound to it by ack-connector-default-binding; RBAC objects labelled
  ack/creator: "ack"; the admin binding <uid>-cluster-admin-clusterrolebinding of User <uid> to ClusterRole
  cluster-admin; the Deployment's strategy (RollingUpdate, maxSurge 0, maxUnavailable 1), resources
  (requests cpu 100m memory 100Mi, limits cpu 100m memory 256Mi), container securityContext, the node
  affinity term `type NotIn [virtual-kubelet]`, env KUBERNETES_CLUSTER_ID / REGION / INTERNAL_ENDPOINT
  ("true"/"false"), the stub address on port 5533; ConfigMap provider with data provider: "".
- Alibaba's registered-cluster node-pool guide (docs/elastic.md): ack-agent-config's initial data
  addNodeScriptPath "", enableNodepool "true", isInit "true".
- Kubernetes core/v1 Secret: stringData is merged over data on write (its value wins); data values are
  base64 (the API server refuses anything else); type defaults to Opaque.
- Kubernetes RBAC: a PolicyRule grants verbs on resources of its apiGroups, limited to resourceNames if set.
"""

from __future__ import annotations

import base64

import kubernetes_validate
import pytest
import yaml

from hybrid import agent
from hybrid.redaction import REDACTED

TOKEN = "tok-0123456789abcdef"


def _docs(mode="restricted", private=True, cluster="c123", region="cn-beijing") -> list[dict]:
    return list(yaml.safe_load_all(agent.sample_manifest(cluster, region, private, mode, token=TOKEN)))


def _dump(docs) -> str:
    return yaml.safe_dump_all(docs)


def _one(docs, kind, name=None):
    return next(d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name))


def _error(docs_or_text) -> str:
    text = docs_or_text if isinstance(docs_or_text, str) else _dump(docs_or_text)
    with pytest.raises(agent.AgentManifestError) as e:
        agent.split_manifest(text)
    return str(e.value)


def _container(docs):
    return _one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]


# --- the stand-in answers as the connector manifest does ------------------------------------

@pytest.mark.parametrize("mode", ["restricted", "admin"])
def test_every_object_of_the_sample_is_a_valid_kubernetes_object(mode):
    for doc in _docs(mode):
        kubernetes_validate.validate(doc, "1.30", strict=True)


def test_the_sample_rbac_is_the_connectors():
    docs = _docs("admin")
    role = _one(docs, "ClusterRole", "ack-connector-default")
    assert role["metadata"]["labels"] == {"ack/creator": "ack"}
    assert role["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}]
    binding = _one(docs, "ClusterRoleBinding", "ack-connector-default-binding")
    assert binding["metadata"]["labels"] == {"ack/creator": "ack"}
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "ack-connector-default"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "ack", "namespace": "kube-system"}]
    admin = next(d for d in docs if d["kind"] == "ClusterRoleBinding" and d["roleRef"]["name"] == "cluster-admin")
    subject, = admin["subjects"]
    assert (subject["apiGroup"], subject["kind"]) == ("rbac.authorization.k8s.io", "User")
    assert admin["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}
    assert admin["metadata"]["name"] == f"{subject['name']}-cluster-admin-clusterrolebinding"
    assert not any(d["kind"] == "ClusterRoleBinding" and d["roleRef"]["name"] == "cluster-admin"
                   for d in _docs("restricted"))
    sa = _one(docs, "ServiceAccount")
    assert (sa["metadata"]["name"], sa["metadata"]["namespace"]) == ("ack", "kube-system")


def test_the_sample_restricted_roles_are_the_rbac_pages_and_carry_the_connectors_label():
    # Alibaba's "RBAC permissions required by ack-cluster-agent" page, restricted mode.
    roles = {(d["metadata"]["namespace"], d["metadata"]["name"]): d for d in _docs() if d["kind"] == "Role"}
    assert set(roles) == {("kube-system", "ack-agent-create-cm-role"), ("kube-system", "ack-agent-update-cm-role"),
                          ("kube-public", "ack-agent-read-cm-role")}
    assert all(r["metadata"]["labels"] == {"ack/creator": "ack"} for r in roles.values())
    create, = roles[("kube-system", "ack-agent-create-cm-role")]["rules"]
    assert (create["apiGroups"], create["resources"], create["verbs"]) == ([""], ["configmaps"], ["create"])
    assert "resourceNames" not in create
    update, = roles[("kube-system", "ack-agent-update-cm-role")]["rules"]
    assert (update["apiGroups"], update["resources"], sorted(update["verbs"]), sorted(update["resourceNames"])) == (
        [""], ["configmaps"], ["get", "update"], ["ack-agent-config", "provider"])
    read, = roles[("kube-public", "ack-agent-read-cm-role")]["rules"]
    assert (read["apiGroups"], read["resources"], read["verbs"], read["resourceNames"]) == (
        [""], ["configmaps"], ["get"], ["kube-root-ca.crt"])


def test_the_sample_config_maps_hold_acks_initial_keys():
    docs = _docs()
    assert _one(docs, "ConfigMap", "ack-agent-config")["data"] == {"addNodeScriptPath": "", "enableNodepool": "true",
                                                                   "isInit": "true"}
    assert _one(docs, "ConfigMap", "provider")["data"] == {"provider": ""}
    assert all(_one(docs, "ConfigMap", n)["metadata"]["namespace"] == "kube-system" for n in ("ack-agent-config", "provider"))


def test_the_sample_deployment_runs_as_the_connectors():
    dep = _one(_docs(), "Deployment")
    spec = dep["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    assert spec["selector"]["matchLabels"] and all(
        spec["template"]["metadata"]["labels"].get(k) == v for k, v in spec["selector"]["matchLabels"].items())
    assert dep["metadata"]["labels"] == spec["template"]["metadata"]["labels"]
    # the connector selects its pods by `app: <its name>`
    assert spec["selector"]["matchLabels"] == {"app": dep["metadata"]["name"]}
    terms = spec["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"]
    assert {"key": "type", "operator": "NotIn", "values": ["virtual-kubelet"]} in terms[0]["matchExpressions"]
    c = spec["template"]["spec"]["containers"][0]
    assert c["resources"] == {"requests": {"cpu": "100m", "memory": "100Mi"}, "limits": {"cpu": "100m", "memory": "256Mi"}}
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
    volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
    for m in c["volumeMounts"]:
        assert m["name"] in volumes and m["readOnly"] is True  # the credentials are read, never written, from the mount
        assert volumes[m["name"]]["secret"]["secretName"] == _one(_docs(), "Secret")["metadata"]["name"]


@pytest.mark.parametrize("private, internal", [(True, "true"), (False, "false")])
def test_the_sample_env_names_the_cluster_region_and_endpoint(private, internal):
    env = {e["name"]: e["value"] for e in _container(_docs(private=private, cluster="c9f8", region="cn-hangzhou"))["env"]}
    assert env["KUBERNETES_CLUSTER_ID"] == "c9f8"
    assert env["REGION"] == "cn-hangzhou"
    assert env["INTERNAL_ENDPOINT"] == internal
    assert env["ACK_AGENT_MODE"] == "restricted"


def test_the_sample_secret_holds_the_token_and_the_stub_address_on_5533():
    secret = _one(_docs(cluster="c9f8", region="cn-hangzhou"), "Secret")
    assert secret["type"] == "Opaque" and secret["metadata"]["name"].startswith("ack-credentials")
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert values["token"] == TOKEN
    assert values["url"].startswith("https://c9f8.cn-hangzhou.") and values["url"].endswith(":5533")
    assert sorted(values) == agent.secret_keys()


def test_the_sample_is_the_same_text_for_the_same_input():
    assert agent.sample_manifest("c1", "cn-beijing", True, "admin") == agent.sample_manifest("c1", "cn-beijing", True, "admin")
    assert base64.b64encode(REDACTED.encode()).decode() in agent.sample_manifest("c1", "cn-beijing", True, "admin")


# --- parse --------------------------------------------------------------------------------

def test_empty_documents_are_skipped_anywhere_in_the_manifest():
    docs = _docs()
    text = "---\n" + _dump(docs[:2]) + "---\n---\n" + _dump(docs[2:])
    assert len(agent.parse_manifest(text)) == len(docs)


@pytest.mark.parametrize("doc", [
    ["a", "list"],
    {"apiVersion": "v1", "metadata": {"name": "x"}},
    {"kind": "ConfigMap", "metadata": {"name": "x"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}},
    {"apiVersion": "v1", "kind": "ConfigMap"},
])
def test_a_document_that_is_not_an_object_with_apiversion_kind_and_name_is_named_by_its_index(doc):
    text = _dump([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok"}}, doc])
    with pytest.raises(agent.AgentManifestError) as e:
        agent.parse_manifest(text)
    assert str(e.value) == "document 1 of the agent manifest is not a Kubernetes object with apiVersion, kind and metadata.name"


def test_text_that_is_not_yaml_is_refused_as_such():
    with pytest.raises(agent.AgentManifestError) as e:
        agent.parse_manifest("kind: [unclosed\n")
    assert str(e.value).startswith("the agent manifest is not valid YAML: ")


# --- the split's refusals -------------------------------------------------------------------

def test_only_missing_or_only_unexpected_objects_each_fail_naming_the_other_side_none():
    docs = [d for d in _docs() if not (d["kind"] == "ConfigMap" and d["metadata"]["name"] == "provider")]
    assert _error(docs) == (
        "the agent manifest from DescribeExternalAgent does not match the objects this platform applies "
        "(unexpected: none; missing: ['ConfigMap kube-system/provider']). "
        "Fix: compare it with WORKLOAD in hybrid/agent.py and update the table.")
    docs = _docs() + [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "stub", "namespace": "kube-system"}}]
    assert "(unexpected: ['Service kube-system/stub']; missing: none)" in _error(docs)


def test_the_credentials_secret_is_recognised_by_prefix_in_kube_system_only():
    docs = _docs()
    _one(docs, "Secret")["metadata"]["namespace"] = "default"
    assert "unexpected: ['Secret default/ack-credentials-c123']; missing: ['Secret kube-system/ack-credentials']" in _error(docs)
    docs = _docs()
    _one(docs, "Secret")["metadata"]["name"] = "agent-credentials"
    assert "unexpected: ['Secret kube-system/agent-credentials']" in _error(docs)


def test_an_object_declared_twice_is_refused():
    docs = _docs()
    docs.append(dict(_one(docs, "ConfigMap", "provider")))
    assert _error(docs) == "the agent manifest declares ConfigMap kube-system/provider twice"


def test_fields_the_platform_would_drop_are_listed_with_the_fix():
    docs = _docs()
    _one(docs, "ConfigMap", "provider")["binaryData"] = {"blob": "AAAA"}
    assert _error(docs) == ("the agent manifest sets fields the platform would not apply: "
                            "['ConfigMap kube-system/provider: binaryData']. "
                            "Fix: carry them in hybrid/agent.py (CARRIED and the component) or confirm they may go.")


def test_empty_fields_lose_nothing_and_pass():
    docs = _docs()
    _one(docs, "ConfigMap", "provider")["binaryData"] = ""
    _one(docs, "Secret")["metadata"]["generateName"] = ""
    _one(docs, "Deployment")["status"] = {}
    agent.split_manifest(_dump(docs))


def test_a_manifest_role_beyond_the_agents_rules_is_listed_with_the_fix():
    docs = _docs()
    docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                 "metadata": {"name": "extra", "namespace": "kube-system"},
                 "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"],
                            "resourceNames": ["ack-cluster-agent"]}]})
    assert _error(docs) == ("the agent manifest grants permissions the platform's agent RBAC lacks: "
                            "['Role kube-system/extra: patch apps/deployments/ack-cluster-agent']. "
                            "Fix: add them to agent_rules in hybrid/agent.py with their source, or confirm the agent "
                            "does not need them.")


def test_a_deployment_without_a_pod_template_or_with_another_account_is_refused():
    docs = _docs()
    _one(docs, "Deployment")["spec"].pop("template")
    assert _error(docs) == "the agent Deployment runs as ServiceAccount None, expected 'ack'"
    docs = _docs()
    _one(docs, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] = "default"
    assert _error(docs) == "the agent Deployment runs as ServiceAccount 'default', expected 'ack'"


def test_a_deployment_with_a_second_container_is_refused():
    docs = _docs()
    pod = _one(docs, "Deployment")["spec"]["template"]["spec"]
    pod["containers"].append({"name": "sidecar", "image": "busybox"})
    assert _error(docs) == "the agent Deployment has 2 containers, expected 1"


def test_a_secret_without_type_is_opaque_and_another_type_is_refused():
    docs = _docs()
    del _one(docs, "Secret")["type"]
    assert agent.split_manifest(_dump(docs)).credentials["token"] == TOKEN
    docs = _docs()
    _one(docs, "Secret")["type"] = "kubernetes.io/tls"
    assert _error(docs) == "the agent Secret is of type 'kubernetes.io/tls'; the connector only writes Opaque Secrets"


def test_secret_key_differences_are_named_on_each_side():
    docs = _docs()
    _one(docs, "Secret")["data"]["extra"] = base64.b64encode(b"x").decode()
    keys = list(agent.CREDENTIAL_KEYS)
    assert _error(docs) == (f"the agent Secret's keys differ from {keys} (extra: ['extra']; absent: none). "
                            "Fix: update CREDENTIAL_KEYS in hybrid/agent.py.")
    docs = _docs()
    del _one(docs, "Secret")["data"]["ca"]
    assert "(extra: none; absent: ['ca'])" in _error(docs)


def test_string_data_wins_over_data_for_the_same_key():
    docs = _docs()
    _one(docs, "Secret")["stringData"] = {"token": "tok-from-stringdata-99"}
    assert agent.split_manifest(_dump(docs)).credentials["token"] == "tok-from-stringdata-99"


@pytest.mark.parametrize("value", ["c2Vj!cmV0", "not base64", base64.b64encode(b"\xff\xfe").decode()])
def test_secret_data_that_is_not_base64_text_is_refused_naming_the_key(value):
    docs = _docs()
    _one(docs, "Secret")["data"]["ca"] = value
    assert _error(docs) == "Secret kube-system/ack-credentials-c123: data.ca is not base64 text"


# --- credentials kept out of clear parts ----------------------------------------------------

@pytest.mark.parametrize("name", ["API_KEY", "KEY", "tls_cert", "CA_DATA", "DB_PASSWORD", "PRIVATE_PEM", "X_SECRET"])
def test_a_credential_named_env_with_a_value_is_refused_naming_it_and_the_fix(name):
    docs = _docs()
    _container(docs)["env"].append({"name": name, "value": "some-value"})
    assert _error(docs) == (f"the agent Deployment sets credential-like env {name} in clear. "
                            "Fix: add it to ENV_CREDENTIALS in hybrid/agent.py so it moves into the Secret.")


def test_an_init_container_is_checked_too():
    docs = _docs()
    _one(docs, "Deployment")["spec"]["template"]["spec"]["initContainers"] = [
        {"name": "init", "image": "busybox", "env": [{"name": "BOOT_TOKEN", "value": "abc"}]}]
    assert "credential-like env BOOT_TOKEN in clear" in _error(docs)


@pytest.mark.parametrize("env", [
    {"name": "MONKEY", "value": "x"},            # ends in KEY but not _KEY
    {"name": "KEYBOARD", "value": "x"},
    {"name": "TLS_CERT", "value": ""},           # empty: nothing to hide
    {"name": "TLS_CERT", "value": None},
    {"name": "TLS_CERT", "valueFrom": {"secretKeyRef": {"name": "ack-credentials", "key": "cert"}}},
    {"value": "nameless"},
])
def test_env_that_is_no_inline_credential_passes_unchanged(env):
    docs = _docs()
    _container(docs)["env"].append(env)
    got = agent.split_manifest(_dump(docs)).deployment_spec["template"]["spec"]["containers"][0]["env"]
    assert env in got


def test_a_container_without_env_gets_only_secret_name():
    docs = _docs()
    _container(docs).pop("env")
    env = agent.split_manifest(_dump(docs)).deployment_spec["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "SECRET_NAME", "value": "ack-credentials"}]


@pytest.mark.parametrize("where, put, text", [
    ("labels", lambda d, v: d["metadata"].update(labels={"x": v}), "the agent Deployment labels"),
    ("annotations", lambda d, v: d["metadata"].update(annotations={"x": v}), "the agent Deployment annotations"),
    ("spec", lambda d, v: d["spec"]["template"]["metadata"]["labels"].update(x=v), "the agent Deployment"),
])
def test_a_credential_value_in_a_clear_part_is_refused_naming_the_part(where, put, text):
    docs = _docs()
    put(_one(docs, "Deployment"), TOKEN)
    assert _error(docs) == (f"{text} contains the value of credential 'token'; it would be applied in clear. "
                            "Fix: reference the Secret instead (see ENV_CREDENTIALS in hybrid/agent.py).")


def test_a_credential_value_in_a_config_map_is_refused():
    docs = _docs()
    _one(docs, "ConfigMap", "provider")["data"]["provider"] = f"token={TOKEN}"
    assert _error(docs).startswith("the agent ConfigMaps contains the value of credential 'token'")


def test_credentials_of_eight_characters_are_searched_and_shorter_ones_and_the_placeholder_not():
    docs = _docs()
    secret = _one(docs, "Secret")
    secret["data"]["token"] = base64.b64encode(b"12345678").decode()
    _one(docs, "Deployment")["metadata"]["annotations"] = {"build": "v12345678"}
    assert "contains the value of credential 'token'" in _error(docs)
    secret["data"]["token"] = base64.b64encode(b"1234567").decode()
    _one(docs, "Deployment")["metadata"]["annotations"] = {"build": "v1234567", "note": REDACTED}
    agent.split_manifest(_dump(docs))


def test_secret_name_already_pointing_at_the_manifest_secret_is_replaced_once():
    docs = _docs()
    _container(docs)["env"].append({"name": "SECRET_NAME", "value": "ack-credentials-c123"})
    env = agent.split_manifest(_dump(docs)).deployment_spec["template"]["spec"]["containers"][0]["env"]
    assert [e for e in env if e["name"] == "SECRET_NAME"] == [{"name": "SECRET_NAME", "value": "ack-credentials"}]


def test_secret_name_pointing_elsewhere_is_refused_naming_container_and_value():
    docs = _docs()
    _container(docs)["env"].append({"name": "SECRET_NAME", "value": "other-secret"})
    assert _error(docs) == ("the agent container ack-cluster-agent sets SECRET_NAME='other-secret', "
                            "not the credentials Secret 'ack-credentials-c123'")


def test_config_map_values_are_text_and_a_key_without_value_is_empty():
    docs = _docs()
    _one(docs, "ConfigMap", "provider")["data"] = {"provider": None, "port": 5533}
    parts = agent.split_manifest(_dump(docs))
    assert parts.config_maps["provider"] == {"provider": "", "port": "5533"}
    assert parts.config_maps["ack-agent-config"]["isInit"] == "true"


def test_deployment_labels_are_carried():
    parts = agent.split_manifest(_dump(_docs()))
    assert parts.deployment_labels == _one(_docs(), "Deployment")["metadata"]["labels"]
    assert parts.deployment_annotations == {}


def test_config_map_data_puts_the_platforms_keys_over_acks():
    parts = agent.split_manifest(_dump(_docs()))
    url = "https://b.oss-cn-beijing-internal.aliyuncs.com/elastic/hybrid-elastic-node.sh"
    assert agent.config_map_data(parts, "ack-agent-config", {"addNodeScriptPath": url}) == {
        "addNodeScriptPath": url, "enableNodepool": "true", "isInit": "true"}


# --- RBAC -----------------------------------------------------------------------------------

def _role(kind, rules, ns=None, name="r"):
    meta = {"name": name} | ({"namespace": ns} if ns else {})
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules}


def test_the_connectors_own_role_is_covered_by_the_agents_rules():
    # Role ack-connector-default of the connector manifest.
    role = _role("Role", [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["ack-agent-config", "provider"],
                           "verbs": ["get", "watch", "update", "list"]}], ns="kube-system")
    assert agent.uncovered_rules([role]) == []


def test_a_grant_on_another_name_verb_group_or_namespace_is_uncovered():
    rules = [
        _role("Role", [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["other"], "verbs": ["get"]}],
              ns="kube-system", name="a"),
        _role("Role", [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["provider"], "verbs": ["delete"]}],
              ns="kube-system", name="b"),
        _role("Role", [{"apiGroups": ["apps"], "resources": ["configmaps"], "verbs": ["create"]}], ns="kube-system", name="c"),
        _role("Role", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]}], ns="default", name="d"),
        _role("ClusterRole", [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "get"]}], name="e"),
        _role("Role", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}], ns="kube-system", name="f"),
    ]
    assert agent.uncovered_rules(rules) == [
        "ClusterRole e: get nodes",
        "Role default/d: create configmaps",
        "Role kube-system/a: get secrets/other",
        "Role kube-system/b: delete configmaps/provider",
        "Role kube-system/c: create apps/configmaps",
        "Role kube-system/f: get secrets",
    ]


def test_a_rule_without_api_groups_is_read_as_the_core_group_and_bindings_grant_nothing():
    core = _role("Role", [{"resources": ["configmaps"], "verbs": ["create"]}], ns="kube-system")
    assert agent.uncovered_rules([core]) == []
    binding = {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "kube-system"},
               "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}
    assert agent.uncovered_rules([binding]) == []


def test_the_agents_and_consoles_rules_are_valid_policy_rules_and_a_copy_each_time():
    for ns, rules in agent.agent_rules().items():
        kind = "Role" if ns else "ClusterRole"
        kubernetes_validate.validate(_role(kind, rules, ns=ns or None), "1.30", strict=True)
    kubernetes_validate.validate(_role("ClusterRole", agent.console_rules("read-only")), "1.30", strict=True)
    agent.agent_rules()["kube-system"][0]["verbs"].append("delete")
    assert "delete" not in agent.agent_rules()["kube-system"][0]["verbs"]


def test_console_access_without_a_cluster_role_of_its_own_is_named():
    with pytest.raises(ValueError) as e:
        agent.console_rules("admin")
    assert str(e.value) == "console access 'admin' has no ClusterRole of its own"


# kubectl api-resources (Kubernetes 1.30, plus metrics-server's metrics.k8s.io): group -> resources.
API_RESOURCES = {
    "": {"configmaps", "endpoints", "events", "limitranges", "namespaces", "nodes", "persistentvolumeclaims",
         "persistentvolumes", "pods", "pods/log", "pods/exec", "pods/attach", "pods/portforward", "replicationcontrollers",
         "resourcequotas", "secrets", "serviceaccounts", "services"},
    "apps": {"controllerrevisions", "daemonsets", "deployments", "replicasets", "statefulsets"},
    "batch": {"cronjobs", "jobs"},
    "autoscaling": {"horizontalpodautoscalers"},
    "networking.k8s.io": {"ingressclasses", "ingresses", "networkpolicies"},
    "policy": {"poddisruptionbudgets"},
    "storage.k8s.io": {"csidrivers", "csinodes", "csistoragecapacities", "storageclasses", "volumeattachments"},
    "events.k8s.io": {"events"},
    "metrics.k8s.io": {"nodes", "pods"},
    "apiextensions.k8s.io": {"customresourcedefinitions"},
}


def test_every_read_only_console_resource_exists_in_its_api_group():
    for rule in agent.console_rules("read-only"):
        for group in rule["apiGroups"]:
            assert set(rule["resources"]) <= API_RESOURCES[group], (group, set(rule["resources"]) - API_RESOURCES[group])
    shown = {(g, r) for rule in agent.console_rules("read-only") for g in rule["apiGroups"] for r in rule["resources"]}
    # what the console's pages read: pods and their logs, workloads, nodes, events
    assert {("", "pods"), ("", "pods/log"), ("apps", "deployments"), ("", "nodes"), ("", "events")} <= shown
