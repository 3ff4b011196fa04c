"""prod's elastic pool in the offline plan: the node pool, the script object, the ConfigMap entry, the autoscaler.

Every input of the elastic resources is checked against the installed pulumi-alicloud 4.0.0 SDK's
argument classes (generated from the provider schema): unknown names and wrong primitive types fail.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

ELASTIC_TYPES = {
    "alicloud:cs/nodePool:NodePool", "alicloud:oss/bucket:Bucket", "alicloud:oss/bucketAcl:BucketAcl",
    "alicloud:oss/bucketObject:BucketObject", "alicloud:ram/policy:Policy",
    "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", "alicloud:ram/userPolicyAttachment:UserPolicyAttachment",
    "alicloud:cs/kubernetesAddon:KubernetesAddon", "alicloud:cs/autoscalingConfig:AutoscalingConfig",
}
# Alibaba's custom policy for node auto scaling of ACK One registered clusters, as far as the page was
# read (https://www.alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/enable-auto-scaling-for-the-node-pool).
DOC_AUTOSCALER_ACTIONS = """ess:DescribeScalingGroups ess:DescribeScalingInstances ess:DescribeScalingActivities
ess:DescribeScalingConfigurations ess:DescribeScalingRules ess:DescribeScheduledTasks ess:DescribeLifecycleHooks
ess:DescribeNotificationConfigurations ess:DescribeNotificationTypes ess:DescribeRegions ess:CreateScalingRule
ess:ModifyScalingGroup ess:RemoveInstances ess:ExecuteScalingRule ess:ModifyScalingRule ess:DeleteScalingRule
ecs:DescribeInstanceTypes ess:DetachInstances ess:CompleteLifecycleAction ess:ScaleWithAdjustment ess:DescribePatternTypes
vpc:DescribeVSwitches cs:DeleteClusterNodes cs:DescribeClusterNodes cs:DescribeClusterNodePools
cs:DescribeClusterNodePoolDetail""".split()


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plan")
    proc = subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", "prod", "--out", str(out), "--no-policy"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "prod"


@pytest.fixture(scope="module")
def resources(plan):
    return json.loads((plan / "resources.json").read_text())


def _one(resources, type_, name=None):
    found = [r for r in resources if r["type"] == type_ and (name is None or r["name"] == name)]
    assert len(found) == 1, [r["name"] for r in found]
    return found[0]


# --- the SDK's argument classes as a schema ------------------------------------------------

def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _args_class(type_token: str):
    """The resource's own Args class, from the SDK package (importing its submodules directly
    breaks the package's exports for later importers)."""
    _, mod, resource = type_token.split(":")
    package = importlib.import_module(f"pulumi_alicloud.{mod.split('/')[0]}")
    # The generator names it <Resource>InitArgs where <Resource>Args is taken by a nested type.
    init = getattr(package, resource + "InitArgs", None)
    # The package exports its nested input types too (e.g. ecs.InstanceDataDiskArgs).
    return init or getattr(package, resource + "Args"), package


def _check(value, annotation: str, package, where: str, errors: list[str]) -> None:
    if value == "[secret]":
        return
    s = annotation[len("typing.Union["):] if annotation.startswith("typing.Union[") else annotation
    if s.startswith("typing.Sequence["):
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list, got {value!r}")
            return
        for i, v in enumerate(value):
            _check(v, s[len("typing.Sequence["):], package, f"{where}[{i}]", errors)
        return
    if s.startswith("typing.Mapping["):
        if not isinstance(value, dict):
            errors.append(f"{where}: expected a map")
        return
    nested = re.match(r"ForwardRef\('(\w+Args)'\)", s)
    if nested:
        if not isinstance(value, dict):
            errors.append(f"{where}: expected an object")
            return
        _check_args(value, getattr(package, nested.group(1)), package, where, errors)
        return
    prim = re.match(r"(str|int|bool|float)\b", s)
    assert prim, f"{where}: unhandled annotation {annotation}"
    kind = prim.group(1)
    ok = {"str": isinstance(value, str), "bool": isinstance(value, bool),
          "int": isinstance(value, int) and not isinstance(value, bool),
          "float": isinstance(value, (int, float)) and not isinstance(value, bool)}[kind]
    if not ok:
        errors.append(f"{where}: {value!r} is not {kind}")


def _check_args(props: dict, cls, package, where: str, errors: list[str]) -> None:
    params = inspect.signature(cls.__init__).parameters
    for key, value in props.items():
        arg = _snake(key)
        if arg not in params or arg == "__self__":
            errors.append(f"{where}.{key}: not an argument of {cls.__name__}")
            continue
        _check(value, str(params[arg].annotation), package, f"{where}.{key}", errors)


def test_schema_checker_catches_wrong_names_and_types():
    """Control: the checker rejects a misspelt argument, a bool as string and a nested typo."""
    cls, inputs = _args_class("alicloud:cs/nodePool:NodePool")
    errors: list[str] = []
    _check_args({"clusterId": "c", "instanceType": ["x"], "onDemandBaseCapacity": 1,
                 "scalingConfig": {"enable": "true", "maxSise": 3}}, cls, inputs, "np", errors)
    assert sorted(errors) == sorted([
        "np.instanceType: not an argument of NodePoolArgs",
        "np.onDemandBaseCapacity: 1 is not str",
        "np.scalingConfig.enable: 'true' is not bool",
        "np.scalingConfig.maxSise: not an argument of NodePoolScalingConfigArgs",
    ])


def test_elastic_resources_are_schema_valid(resources):
    seen = set()
    errors: list[str] = []
    for r in resources:
        if r["type"] in ELASTIC_TYPES and "ElasticPools" in r["urn"]:
            seen.add(r["type"])
            cls, inputs = _args_class(r["type"])
            _check_args(r["inputs"], cls, inputs, r["name"], errors)
    assert seen == ELASTIC_TYPES
    assert errors == []


# --- what the issue asks to see --------------------------------------------------------------

def test_node_pool_on_the_registered_cluster(plan, resources):
    np_ = _one(resources, "alicloud:cs/nodePool:NodePool")
    cluster = _one(resources, "pulumi-python:dynamic/ack:RegisteredCluster")
    i = np_["inputs"]
    assert i["clusterId"] == cluster["outputs"]["cluster_id"] if "outputs" in cluster else i["clusterId"]
    assert cluster["urn"] in np_["dependencies"]
    assert i["scalingConfig"] == {"enable": True, "minSize": 0, "maxSize": 8, "type": "gpu"}
    assert i["instanceTypes"] == ["ecs.gn7i-c32g1.8xlarge", "ecs.gn7i-c48g1.12xlarge", "ecs.gn7i-c56g1.14xlarge"]
    assert i["multiAzPolicy"] == "PRIORITY"
    assert (i["onDemandBaseCapacity"], i["onDemandPercentageAboveBaseCapacity"], i["spotStrategy"]) == ("1", "25", "SpotWithPriceLimit")
    assert {s["priceLimit"] for s in i["spotPriceLimits"]} == {"20"}
    assert i["dataDisks"][0]["snapshotId"] == "s-2zeimagenet1kdata0001" and i["dataDisks"][0]["autoFormat"] == "false"
    labels = {x["key"]: x["value"] for x in i["labels"]}
    assert labels["hybrid.example.com/gpu-pool"] == "a10-elastic" and labels["hybrid.example.com/capacity"] == "elastic"
    assert i["taints"] == [{"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"}]
    # zones in the stack's order of preference: h, g, i
    nets = {r["name"]: r for r in resources if r["type"] == "alicloud:vpc/switch:Switch"}
    by_zone = json.loads((plan / "outputs.json").read_text())["networks"]["cn-beijing"]["vswitchIds"]
    assert i["vswitchIds"] == [by_zone["cn-beijing-h"], by_zone["cn-beijing-g"], by_zone["cn-beijing-i"]]
    # created only once ack-agent-config carries the script path
    cm = _one(resources, "kubernetes:core/v1:ConfigMap", "ack-agent-ack-agent-config")
    assert cm["urn"] in np_["dependencies"]
    assert nets  # the vSwitches exist in the plan


def test_script_object_private_encrypted_secret(resources):
    obj = _one(resources, "alicloud:oss/bucketObject:BucketObject")["inputs"]
    bucket = _one(resources, "alicloud:oss/bucket:Bucket", "elastic-scripts")["inputs"]
    acl = _one(resources, "alicloud:oss/bucketAcl:BucketAcl", "elastic-scripts-acl")["inputs"]
    assert obj["acl"] == "private" and acl["acl"] == "private"
    assert obj["serverSideEncryption"] == "AES256" and bucket["serverSideEncryptionRule"] == {"sseAlgorithm": "AES256"}
    assert obj["content"] == "[secret]"  # it carries the join token
    read = _one(resources, "alicloud:ram/policy:Policy", "elastic-script-read")["inputs"]
    doc = json.loads(read["policyDocument"])
    assert doc["Statement"] == [{"Effect": "Allow", "Action": ["oss:GetObject"],
                                 "Resource": [f"acs:oss:*:*:{bucket['bucket']}/{obj['key']}"]}]
    attach = _one(resources, "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", "elastic-script-read")["inputs"]
    np_ = _one(resources, "alicloud:cs/nodePool:NodePool")["inputs"]
    # the registration region's GPU node role (identity work): Terway's ENI actions plus the script read
    role = _one(resources, "alicloud:ram/role:Role", "cn-beijing-node-role-role")["inputs"]
    assert attach["roleName"] == np_["ramRoleName"] == role["roleName"]


def test_configmap_entry_keeps_acks_keys(plan, resources):
    obj = _one(resources, "alicloud:oss/bucketObject:BucketObject")["inputs"]
    bucket = _one(resources, "alicloud:oss/bucket:Bucket", "elastic-scripts")["inputs"]["bucket"]
    cm = yaml.safe_load((plan / "manifests/kube-system/configmap-ack-agent-config.yaml").read_text())
    # The form of Alibaba's example: https://<bucket>.oss-<region>-internal.aliyuncs.com/<object>
    assert cm["data"]["addNodeScriptPath"] == f"https://{bucket}.oss-cn-beijing-internal.aliyuncs.com/{obj['key']}"
    # ACK's initial keys of ack-agent-config (Alibaba's registered-cluster guide) stay
    assert cm["data"]["enableNodepool"] == "true" and cm["data"]["isInit"] == "true"


def test_autoscaler_component_and_permissions(resources):
    addon = _one(resources, "alicloud:cs/kubernetesAddon:KubernetesAddon", "elastic-autoscaler-addon")["inputs"]
    assert addon["name"] == "cluster-autoscaler"
    cfg = _one(resources, "alicloud:cs/autoscalingConfig:AutoscalingConfig")["inputs"]
    assert cfg["scaleDownEnabled"] is True and cfg["unneededDuration"] == "120m" and cfg["coolDownDuration"] == "10m"
    assert cfg["gpuUtilizationThreshold"] == "0.5" and cfg["skipNodesWithLocalStorage"] is False
    pol = json.loads(_one(resources, "alicloud:ram/policy:Policy", "elastic-autoscaler")["inputs"]["policyDocument"])
    actions = [a for st in pol["Statement"] for a in st["Action"]]
    assert set(DOC_AUTOSCALER_ACTIONS) <= set(actions)
    assert all(not a.endswith("*") for a in actions)
    # every statement limited to the registered cluster's region, one per service
    for st in pol["Statement"]:
        service = {a.split(":")[0] for a in st["Action"]}
        assert len(service) == 1 and st["Resource"] == [f"acs:{service.pop()}:cn-beijing:*:*"]
    user = _one(resources, "alicloud:ram/userPolicyAttachment:UserPolicyAttachment")["inputs"]
    assert user["userName"] == "hybrid-prod-autoscaler"


def test_plan_shows_which_pool_uses_which_snapshot(plan):
    outputs = json.loads((plan / "outputs.json").read_text())
    assert outputs["elasticPools"]["snapshots"] == [{
        "region": "cn-beijing", "pool": "a10-elastic", "snapshotId": "s-2zeimagenet1kdata0001",
        "dataDiskGib": 2048, "mountPath": "/data", "preload": ["imagenet-1k"]}]
    # the artifact is read from the recorded node pool: same pool, snapshot and size as the model says
    recorded = yaml.safe_load((plan / "elastic/snapshots.yaml").read_text())
    assert [(r["pool"], r["snapshotId"], r["dataDiskGib"]) for r in recorded] == [("a10-elastic", "s-2zeimagenet1kdata0001", 2048)]


def test_node_script_artifacts_read_from_the_recorded_object_and_redacted(plan):
    from hybrid_tools.stackconfig import OFFLINE_SECRETS
    script = (plan / "elastic/hybrid-elastic-node.sh").read_text()
    assert "POOLS=(a10-elastic)" in script and "BUNDLES=(...)" in script
    join = yaml.safe_load((plan / "elastic/a10-elastic/etc/hybrid/kubeadm-join.yaml.tmpl").read_text())
    assert join["discovery"]["bootstrapToken"]["token"] == "@JOIN_TOKEN@"  # read at boot, never in the script
    assert join["discovery"]["bootstrapToken"]["caCertHashes"] == ["[secret]"]
    assert join["nodeRegistration"]["name"] == "@NODE_NAME@"
    # the metadata guard and the preload come with the bundle, as on a fixed pool's nodes
    assert (plan / "elastic/a10-elastic/usr/local/sbin/hybrid-metadata-guard").exists()
    assert (plan / "elastic/a10-elastic/etc/hybrid/preload/imagenet-1k.env").exists()
    for f in (plan / "elastic").rglob("*"):
        if f.is_file():
            text = f.read_text()
            assert OFFLINE_SECRETS["caCertHash"] not in text, f


# What the artifact writer splits the header's arrays with must be shlex.split, for any text:
# words shlex.quote left bare, quoted words, escapes, every kind of whitespace.
_WORD_CHARS = "ab=+/09-_.@%:,\x00\x0b\x0c\x1c\x85\u00a0é'\"\\$` \t\r\n"


@pytest.mark.parametrize("fixed", ["", "  ", "a10-elastic", "a b\tc\r\nd", "H4sI+/= x\x0by\x0cz\u00a0w",
                                   "'a b' c", "a\\ b", '"x y"z'])
def test_array_words_are_shlex_split(fixed):
    import shlex

    from hybrid_tools.elastic_artifacts import _words

    assert _words(fixed) == shlex.split(fixed)


def test_array_words_are_shlex_split_for_any_text():
    import shlex

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from hybrid_tools.elastic_artifacts import _words

    @settings(max_examples=400, derandomize=True, deadline=None)
    @given(st.text(alphabet=_WORD_CHARS, max_size=40))
    def check(text):
        try:
            expected = shlex.split(text)
        except ValueError:  # unbalanced quote or trailing escape: shlex raises, and so must _words
            with pytest.raises(ValueError):
                _words(text)
            return
        assert _words(text) == expected

    check()


def test_the_node_script_is_readable_unsigned_only_from_the_cluster_regions_vpc(resources):
    """The unsigned VPC-internal addNodeScriptPath works because a bucket policy lets requests from
    the registration region's VPC GET that one object (Principal "*" with a Condition applies to
    anonymous requests too: Alibaba OSS "Bucket Policy"); the script holds no credential."""
    policy_res = _one(resources, "alicloud:oss/bucketPolicy:BucketPolicy")
    bucket = _one(resources, "alicloud:oss/bucket:Bucket", "elastic-scripts")["inputs"]["bucket"]
    assert policy_res["inputs"]["bucket"] == bucket
    doc = json.loads(policy_res["inputs"]["policy"])
    # the registration region's VPC id, as its node vSwitches reference it
    vpcs = {r["inputs"]["vpcId"] for r in resources if r["type"] == "alicloud:vpc/switch:Switch"
            and r["inputs"]["zoneId"].startswith("cn-beijing-")}
    assert len(vpcs) == 1, vpcs
    (st,) = doc["Statement"]
    assert st == {"Effect": "Allow", "Principal": ["*"], "Action": ["oss:GetObject"],
                  "Resource": [f"acs:oss:*:*:{bucket}/elastic/hybrid-elastic-node.sh"],
                  "Condition": {"StringEquals": {"acs:SourceVpc": sorted(vpcs)}}}
    # the node pools wait for it, as for the script itself
    pool = _one(resources, "alicloud:cs/nodePool:NodePool")
    assert policy_res["urn"] in pool["dependencies"]


def test_every_gpu_region_has_a_private_encrypted_token_bucket_read_only_by_its_node_role(resources):
    """The join token's store (components/join_token.py): per GPU region a private AES256 bucket
    without versioning, a RAM policy allowing oss:GetObject on <bucket>/join-token and nothing
    else, attached to the region's GPU node role; the program never writes the object."""
    for region in ("cn-beijing", "cn-hangzhou", "cn-zhangjiakou"):
        bucket = _one(resources, "alicloud:oss/bucket:Bucket", f"{region}-join-token-bucket")["inputs"]
        name = bucket["bucket"]
        assert name == f"hybrid-prod-{region}-join-idc-bj" and bucket["serverSideEncryptionRule"] == {"sseAlgorithm": "AES256"}
        assert "versioning" not in bucket
        acl = _one(resources, "alicloud:oss/bucketAcl:BucketAcl", f"{region}-join-token-acl")["inputs"]
        assert acl == {"bucket": name, "acl": "private"}
        policy = _one(resources, "alicloud:ram/policy:Policy", f"{region}-join-token-read")["inputs"]
        assert json.loads(policy["policyDocument"]) == {"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": ["oss:GetObject"], "Resource": [f"acs:oss:*:*:{name}/join-token"]}]}
        attach = _one(resources, "alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", f"{region}-join-token-read-0")["inputs"]
        # the role the region's GPU instances get (NodeRole's ram Role, attached by ecs.RamRoleAttachment)
        role = _one(resources, "alicloud:ram/role:Role", f"{region}-node-role-role")["inputs"]["roleName"]
        node_roles = {r["inputs"]["ramRoleName"] for r in resources if r["type"] == "alicloud:ecs/ramRoleAttachment:RamRoleAttachment"
                      and r["urn"].split("::")[-1].startswith(f"{region}-node-role-")}
        assert node_roles == {role}
        assert attach["roleName"] == role and attach["policyName"] == policy["policyName"]
    assert not [r for r in resources if r["type"] == "alicloud:oss/bucketObject:BucketObject" and r["inputs"]["key"] == "join-token"]
