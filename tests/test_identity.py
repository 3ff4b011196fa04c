"""Identities: the GPU node role against Terway's documented policy, credential paths, the prod plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybrid import cni as cni_plan
from hybrid import identity
from hybrid.model import load
from tests.conftest import PlainConfig, stack_raw

UPSTREAM = json.loads((Path(__file__).parent / "data" / "terway-release-1.16" / "ecs-ram-policy.json").read_text())
# terway@release-1.16:docs/ipv6.md: the actions dual-stack adds.
IPV6_ONLY = {"ecs:AssignIpv6Addresses", "ecs:UnassignIpv6Addresses"}


def _actions(doc) -> set[str]:
    return {a for st in doc["Statement"] for a in st["Action"]}


def test_node_policy_is_exactly_terways_documented_actions():
    upstream = _actions(UPSTREAM)
    assert _actions(identity.terway_policy("cn-beijing", ipv6=True)) == upstream
    # An IPv4-only region leaves out only the IPv6 address calls.
    assert _actions(identity.terway_policy("cn-beijing", ipv6=False)) == upstream - IPV6_ONLY
    # Scope "all" is Terway's document as written, statement for statement.
    doc = identity.terway_policy("cn-beijing", ipv6=True, scope="all")
    assert sorted((sorted(s["Action"]), s["Resource"], s["Effect"]) for s in doc["Statement"]) == \
        sorted((sorted(s["Action"]), s["Resource"], s["Effect"]) for s in UPSTREAM["Statement"])


def test_node_policy_is_scoped_to_its_region():
    doc = identity.terway_policy("cn-hangzhou", ipv6=False)
    by_service = {s["Action"][0].split(":")[0]: s["Resource"] for s in doc["Statement"]}
    assert by_service == {"ecs": ["acs:ecs:cn-hangzhou:*:*"], "vpc": ["acs:vpc:cn-hangzhou:*:*"]}


def test_trust_policy_lets_only_ecs_assume_the_role():
    st = identity.ECS_TRUST_POLICY["Statement"]
    assert st == [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}]


@pytest.mark.parametrize("mode,secret,mount,eni_path", [
    ("instanceRole", None, None, None),
    ("accessKey", "terway-credential", "/var/alibaba-addon-secret", None),
    ("credentialFile", "addon.network.token", "/var/addon", "/var/addon/token-config"),
])
def test_terway_credential_modes(mode, secret, mount, eni_path):
    raw = stack_raw("dev")
    raw["cni"]["terway"]["credentials"] = mode
    p = load(raw)
    ds = cni_plan.terway_daemonset(p.cni, "cn-beijing", "x")
    pod = ds["spec"]["template"]["spec"]
    secrets = [v for v in pod["volumes"] if "secret" in v]
    mounts = {m["mountPath"] for c in pod["containers"] for m in c["volumeMounts"]}
    conf = cni_plan.eni_conf(p.cni, p.idc, cni_plan.TerwayRegion("cn-beijing", {"cn-beijing-g": "vsw-1"}, ("sg-1",)))
    if secret is None:
        # Nothing that could carry an AccessKey is mounted: the instance role is the only path.
        assert secrets == [] and "/var/alibaba-addon-secret" not in mounts and "credential_path" not in conf
        return
    assert [v["secret"]["secretName"] for v in secrets] == [secret]
    assert "optional" not in secrets[0]["secret"], "a missing credential Secret must keep the pod pending"
    assert mount in mounts
    assert conf.get("credential_path") == eni_path
    if eni_path:
        item = secrets[0]["secret"]["items"][0]
        assert item == {"key": "addon.token.config", "path": "token-config"}


@pytest.fixture(scope="module")
def prod_plan_resources(tmp_path_factory):
    from hybrid_tools.plan import build_plan, write_plan

    _, platform, run, _ = build_plan("prod")
    out, resources = write_plan("prod", tmp_path_factory.mktemp("plan"), platform, run)
    return platform, out, resources


def test_every_gpu_instance_carries_its_regions_node_role(prod_plan_resources):
    platform, out, resources = prod_plan_resources
    by_type: dict[str, list] = {}
    for r in resources:
        by_type.setdefault(r["type"], []).append(r)
    instances = by_type["alicloud:ecs/instance:Instance"]
    expected = sum(pool.count for r in platform.regions for pool in r.gpu_pools)
    assert len(instances) == expected == 12
    attachments = by_type["alicloud:ecs/ramRoleAttachment:RamRoleAttachment"]
    for inst in instances:
        region = inst["provider"].removeprefix("alicloud-")
        roles = [a["inputs"]["ramRoleName"] for a in attachments if inst["urn"] in a["dependencies"]]
        assert roles == [f"hybrid-prod-gpu-node-{region}"], inst["name"]
        assert inst["inputs"]["httpTokens"] == "required", inst["name"]
    assert len(attachments) == expected
    roles = {r["inputs"]["roleName"] for r in by_type["alicloud:ram/role:Role"]}
    assert roles == {f"hybrid-prod-gpu-node-{r.id}" for r in platform.regions}
    # The elastic pools' policies (script read, autoscaler) and the join-token read policies' scope are
    # checked in tests/test_elastic_plan.py; here: Terway's actions, and which role gets which policy.
    node_policies = [r for r in by_type["alicloud:ram/policy:Policy"]
                     if "ElasticPools" not in r["urn"] and "JoinTokenStore" not in r["urn"]]
    policies = {r["inputs"]["policyName"]: json.loads(r["inputs"]["policyDocument"]) for r in node_policies}
    assert set(policies) == {f"hybrid-prod-terway-eni-{r.id}" for r in platform.regions}
    for pol in policies.values():
        assert _actions(pol) == _actions(UPSTREAM) - IPV6_ONLY
    links = {(a["inputs"]["roleName"], a["inputs"]["policyName"]) for a in by_type["alicloud:ram/rolePolicyAttachment:RolePolicyAttachment"]
             if "ElasticPools" not in a["urn"]}
    # Each region's node role reads its own region's token object only (a node reads the token of the
    # bucket on its region's internal endpoint: hybrid/model/join_token.py).
    assert links == ({(f"hybrid-prod-gpu-node-{r.id}", f"hybrid-prod-terway-eni-{r.id}") for r in platform.regions}
                     | {(f"hybrid-prod-gpu-node-{r.id}", f"hybrid-prod-{r.id}-join-token-read") for r in platform.regions})


def test_addon_secret_is_secret_in_every_artifact(prod_plan_resources):
    _, out, resources = prod_plan_resources
    from hybrid_tools.stackconfig import OFFLINE_SECRETS

    secret = next(r for r in resources if r["type"] == "kubernetes:core/v1:Secret"
                  and r["inputs"]["metadata"]["name"] == "alibaba-addon-secret")
    assert secret["inputs"]["metadata"]["namespace"] == "kube-system" and secret["inputs"]["stringData"] == "[secret]"
    text = "\n".join(f.read_text() for f in out.rglob("*") if f.is_file())
    assert OFFLINE_SECRETS["addonAccessKeySecret"] not in text and OFFLINE_SECRETS["addonAccessKeyId"] not in text


def test_missing_credential_secret_config_names_the_key(monkeypatch):
    from components.config import read_platform
    from hybrid.errors import ConfigError

    raw = stack_raw("dev")
    raw["cni"]["terway"]["credentials"] = "accessKey"
    # The always-required secrets and the addon key are set: Terway's AccessKey is missing.
    monkeypatch.setenv("HYBRID_IDC_KUBECONFIG", "/k/idc.yaml")
    present = {"caCertHash": "sha256:" + "0" * 64,
               "addonAccessKeyId": "id", "addonAccessKeySecret": "s"}
    with pytest.raises(ConfigError) as err:
        read_platform(PlainConfig(raw, present))
    assert [i.path for i in err.value.issues] == ["terwayAccessKeyId", "terwayAccessKeySecret"]
    assert all("pulumi config set --secret" in i.fix for i in err.value.issues)
    # With them set, the platform loads and carries them.
    _, secrets = read_platform(PlainConfig(raw, {**present, "terwayAccessKeyId": "i", "terwayAccessKeySecret": "k"}))
    assert sorted(secrets.credentials) == ["addonAccessKeyId", "addonAccessKeySecret", "terwayAccessKeyId", "terwayAccessKeySecret"]
    # a join token left in stack config is named with the move to `join-token put`
    with pytest.raises(ConfigError) as err:
        read_platform(PlainConfig(raw, {**present, "terwayAccessKeyId": "i", "terwayAccessKeySecret": "k",
                                    "bootstrapToken": "abcdef.0123456789abcdef"}))
    assert [i.path for i in err.value.issues] == ["bootstrapToken"] and "join-token put" in err.value.issues[0].fix


def test_kubeconfig_paths_come_from_the_environment_and_a_missing_one_is_named(monkeypatch):
    """The Kubernetes providers get the path of a kubeconfig file from the job's environment
    (never the credentials: they would sit in the state under the passphrase every preview
    decrypts). Unset, the program stops with the variable's name and the fix; the Fleet's only
    when the Karmada objects are applied."""
    from components.config import read_platform
    from hybrid.errors import ConfigError

    present = {"caCertHash": "sha256:" + "0" * 64,
               "addonAccessKeyId": "id", "addonAccessKeySecret": "s"}
    monkeypatch.delenv("HYBRID_IDC_KUBECONFIG", raising=False)
    monkeypatch.delenv("HYBRID_FLEET_KUBECONFIG", raising=False)
    with pytest.raises(ConfigError) as err:
        read_platform(PlainConfig(stack_raw("dev"), present))
    (issue,) = err.value.issues
    assert issue.path == "HYBRID_IDC_KUBECONFIG" and "export HYBRID_IDC_KUBECONFIG=" in issue.fix
    monkeypatch.setenv("HYBRID_IDC_KUBECONFIG", "/run/idc.kubeconfig")
    _, secrets = read_platform(PlainConfig(stack_raw("dev"), present))
    assert secrets.idc_kubeconfig == "/run/idc.kubeconfig" and secrets.fleet_kubeconfig is None
    prod = stack_raw("prod")
    assert prod["registration"]["fleet"]["apply"] is True
    with pytest.raises(ConfigError) as err:
        read_platform(PlainConfig(prod, present))
    # prod creates its Fleet: the field to change on the first run is named, with the two phases
    (issue,) = err.value.issues
    assert issue.path == "registration.fleet.apply" and "apply: false" in issue.fix and "HYBRID_FLEET_KUBECONFIG" in issue.fix
    # a Fleet referenced by id exists already: only the file is missing
    prod["registration"]["fleet"].pop("name")
    prod["registration"]["fleet"]["id"] = "c0123456789abcdef0"
    with pytest.raises(ConfigError) as err:
        read_platform(PlainConfig(prod, present))
    assert [i.path for i in err.value.issues] == ["HYBRID_FLEET_KUBECONFIG"]
