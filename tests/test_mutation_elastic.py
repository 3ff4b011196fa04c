"""hybrid.elastic: the node script's bundle, its publication and the autoscaler's grants, against upstream rules.

- OSS bucket policy and RAM policy evaluation (alibabacloud.com/help/en/oss/user-guide/oss-bucket-policy,
  RAM "Policy elements"): a request is allowed when a statement with Effect Allow matches its action, its
  resource (``acs:oss:*:*:<bucket>/<object>``, ``*`` a wildcard) and every condition; nothing else is.
  Written again below (``_allowed``) as the second implementation the policies are checked with.
- cs.AutoscalingConfig arguments (terraform-provider-alicloud website/docs/r/cs_autoscaling_config.html.markdown):
  durations as "<n>m", scan_interval as "<n>s", thresholds as decimal strings ("0.5").
- The fixed pools' cloud-init (hybrid.cloudinit.render_cloud_init): the elastic bundle carries its files
  with the same modes, and the boot-steps file the same ``systemctl enable`` steps as its runcmd.
- tar (GNU tar manual, "Absolute file names"): member names are relative; each directory is a member of its
  own, before what it holds, so extraction creates it with the archive's mode (0755, Debian policy 10.9).
- "Same stack config, byte-identical artifacts" (HELPERS.md): the script does not depend on the clock.
"""

from __future__ import annotations

import base64
import fnmatch
import io
import shlex
import subprocess
import tarfile
import time

import pytest
import yaml

from hybrid import cloudinit, elastic, identity, shtemplate, unconfirmed
from hybrid.model import load
from hybrid.model.elastic import Autoscaler
from tests.conftest import stack_raw

CA_HASH = "sha256:" + "cd" * 32
BUCKET = "hybrid-prod-ai-node-scripts"
SCRIPT_OBJECT = f"acs:oss:*:*:{BUCKET}/elastic/hybrid-elastic-node.sh"


def _allowed(policy: dict, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    context = context or {}
    for st in policy["Statement"]:
        if st["Effect"] != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action, a) for a in st["Action"]):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in st["Resource"]):
            continue
        cond = st.get("Condition", {})
        if all(op == "StringEquals" and all(context.get(k) in v for k, v in kv.items()) for op, kv in cond.items()):
            return True
    return False


@pytest.fixture(scope="module")
def prod():
    return load(stack_raw("prod"))


# --- where the script lives -----------------------------------------------------------------

def test_the_bucket_policy_lets_only_the_listed_vpcs_get_only_the_script():
    pol = elastic.script_bucket_policy(BUCKET, ["vpc-2zeb", "vpc-2zea"])
    assert pol["Version"] == "1"
    assert _allowed(pol, "oss:GetObject", SCRIPT_OBJECT, {"acs:SourceVpc": "vpc-2zea"})
    assert _allowed(pol, "oss:GetObject", SCRIPT_OBJECT, {"acs:SourceVpc": "vpc-2zeb"})
    assert not _allowed(pol, "oss:GetObject", SCRIPT_OBJECT, {"acs:SourceVpc": "vpc-other"})
    assert not _allowed(pol, "oss:GetObject", SCRIPT_OBJECT, {})
    assert not _allowed(pol, "oss:PutObject", SCRIPT_OBJECT, {"acs:SourceVpc": "vpc-2zea"})
    assert not _allowed(pol, "oss:GetObject", f"acs:oss:*:*:{BUCKET}/other", {"acs:SourceVpc": "vpc-2zea"})
    st, = pol["Statement"]
    assert st["Principal"] == ["*"]  # anonymous requests too: the unsigned URL must work from the VPC


def test_the_bucket_policy_does_not_depend_on_the_order_of_the_vpcs():
    assert (identity.policy_json(elastic.script_bucket_policy(BUCKET, ["vpc-b", "vpc-a"]))
            == identity.policy_json(elastic.script_bucket_policy(BUCKET, ["vpc-a", "vpc-b"])))


def test_a_bucket_policy_without_a_vpc_is_refused():
    with pytest.raises(ValueError) as e:
        elastic.script_bucket_policy(BUCKET, [])
    assert str(e.value) == "the node script's bucket policy needs at least one VPC id"


def test_the_script_object_of_the_policies_is_the_one_the_url_points_at():
    url = elastic.script_url(BUCKET, "cn-beijing")
    key = url.split(".aliyuncs.com/", 1)[1]
    assert _allowed(elastic.script_read_policy(BUCKET), "oss:GetObject", f"acs:oss:*:*:{BUCKET}/{key}")
    assert _allowed(elastic.script_bucket_policy(BUCKET, ["vpc-1"]), "oss:GetObject", f"acs:oss:*:*:{BUCKET}/{key}",
                    {"acs:SourceVpc": "vpc-1"})


def test_the_node_roles_read_policy_reads_the_script_and_nothing_else():
    pol = elastic.script_read_policy(BUCKET)
    assert pol["Version"] == "1"
    assert _allowed(pol, "oss:GetObject", SCRIPT_OBJECT)
    assert not _allowed(pol, "oss:PutObject", SCRIPT_OBJECT)
    assert not _allowed(pol, "oss:GetObject", f"acs:oss:*:*:{BUCKET}/elastic/other.sh")
    assert not _allowed(pol, "oss:GetObject", "acs:oss:*:*:other-bucket/elastic/hybrid-elastic-node.sh")


def test_canonical_json_sorts_keys_and_has_no_spaces():
    assert identity.policy_json({"b": [1, {"d": 2, "c": "x y"}], "a": True}) == '{"a":true,"b":[1,{"c":"x y","d":2}]}'


# --- cluster autoscaler ---------------------------------------------------------------------

# Actions Alibaba's "Enable auto scaling for node pools" page (Step 1) lists, one per service.
DOCUMENTED = ["ess:ScaleWithAdjustment", "ess:DescribeScalingGroups", "ecs:DescribeInstanceTypes",
              "vpc:DescribeVSwitches", "cs:DescribeClusterNodePools", "cs:DeleteClusterNodes"]


def test_the_autoscaler_gets_each_documented_action_in_its_region_only():
    pol = elastic.autoscaler_policy("cn-beijing")
    assert pol["Version"] == "1"
    for action in DOCUMENTED:
        service = action.split(":")[0]
        assert _allowed(pol, action, f"acs:{service}:cn-beijing:1234567890:scalinggroup/asg-1"), action
        assert not _allowed(pol, action, f"acs:{service}:cn-hangzhou:1234567890:scalinggroup/asg-1"), action
    assert not _allowed(pol, "ecs:DeleteInstance", "acs:ecs:cn-beijing:1:instance/i-1")
    assert not _allowed(pol, "ram:CreateUser", "acs:ram:cn-beijing:1:user/x")


def test_each_statement_grants_one_services_actions_on_that_services_resources():
    pol = elastic.autoscaler_policy("cn-zhangjiakou")
    services = []
    for st in pol["Statement"]:
        svc = {a.split(":")[0] for a in st["Action"]}
        assert len(svc) == 1 and st["Effect"] == "Allow"
        service = svc.pop()
        services.append(service)
        assert all(r.startswith(f"acs:{service}:cn-zhangjiakou:") for r in st["Resource"])
    assert services == ["cs", "ecs", "ess", "vpc"]  # sorted: the same bytes for the same actions
    granted = [a for st in pol["Statement"] for a in st["Action"]]
    assert len(granted) == len(set(granted)) == len(elastic.AUTOSCALER_ACTIONS)


def test_autoscaling_config_maps_each_setting_to_its_field(monkeypatch):
    a = Autoscaler(scale_down_unneeded_minutes=45, scale_down_delay_after_add_minutes=7, utilization_threshold=0.65,
                   gpu_utilization_threshold=0.25, scan_interval_seconds=20, expander="priority")
    assert elastic.autoscaling_config(a) == {
        "scaler_type": "cluster-autoscaler", "scale_down_enabled": True,
        "unneeded_duration": "45m", "cool_down_duration": "7m",
        "utilization_threshold": "0.65", "gpu_utilization_threshold": "0.25",
        "scan_interval": "20s", "expander": "priority",
        # hostPath dataset volumes must not pin a node (cluster-autoscaler FAQ)
        "skip_nodes_with_local_storage": False,
    }
    # Should the CS fields read the other way round (unconfirmed), both swap together.
    entry = unconfirmed.UNCONFIRMED["elastic.unneededField"]
    monkeypatch.setitem(unconfirmed.UNCONFIRMED, "elastic.unneededField",
                        type(entry)(**{**entry.__dict__, "value": "cool_down_duration"}))
    swapped = elastic.autoscaling_config(a)
    assert (swapped["cool_down_duration"], swapped["unneeded_duration"]) == ("45m", "7m")


def test_prods_autoscaler_keeps_an_unneeded_node_two_hours(prod):
    # stacks/Pulumi.prod.yaml: scaleDownUnneededMinutes 120, scaleDownDelayAfterAddMinutes 10, gpu threshold 0.5.
    cfg = elastic.autoscaling_config(prod.registration.autoscaler)
    assert (cfg["unneeded_duration"], cfg["cool_down_duration"], cfg["gpu_utilization_threshold"]) == ("120m", "10m", "0.5")


# --- the node script's bundle ---------------------------------------------------------------

def _bundles(script: str) -> list[tarfile.TarFile]:
    header = script[script.index(shtemplate.BEGIN):script.index(shtemplate.END)]
    out = subprocess.run(["bash", "-c", header + '\nprintf "%s\\n" "${BUNDLES[@]}"'],
                         capture_output=True, text=True, check=True, timeout=10).stdout.split()
    return [tarfile.open(fileobj=io.BytesIO(base64.b64decode(b)), mode="r:gz") for b in out]


def test_the_bundle_holds_the_fixed_pools_files_with_their_modes_under_relative_names(prod):
    tar, = _bundles(elastic.render_node_script(prod, CA_HASH))
    members = tar.getmembers()
    names = [m.name for m in members]
    assert len(names) == len(set(names)) and all(n and not n.startswith("/") for n in names)
    ref = elastic.elastic_pools(prod)[0]
    doc = yaml.safe_load(cloudinit.render_cloud_init(elastic.context_for(prod, ref), CA_HASH))
    files = {m.name: m for m in members if m.isfile()}
    for f in doc["write_files"]:
        name = f["path"].lstrip("/")
        if name.endswith("kubeadm-join.yaml.tmpl"):
            continue  # the elastic join template has placeholders (test_elastic_node.py)
        assert files[name].mode == int(f["permissions"], 8), name
        assert tar.extractfile(files[name]).read().decode() == f["content"], name
    for name in files:  # every directory above a file is a member before it, mode 0755
        parts = name.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            assert d in names and names.index(d) < names.index(name), (d, name)
            assert members[names.index(d)].isdir() and members[names.index(d)].mode == 0o755


def test_the_boot_steps_file_is_the_fixed_pools_systemctl_enable_sequence(prod):
    tar, = _bundles(elastic.render_node_script(prod, CA_HASH))
    steps = tar.extractfile(elastic.BOOT_STEPS_FILE.lstrip("/")).read().decode()
    ref = elastic.elastic_pools(prod)[0]
    doc = yaml.safe_load(cloudinit.render_cloud_init(elastic.context_for(prod, ref), CA_HASH))
    enables = [cmd[2:] for cmd in doc["runcmd"] if cmd[:2] == ["systemctl", "enable"]]
    # read as the script reads it: one `read -ra` per line
    assert steps.endswith("\n")
    assert [shlex.split(line) for line in steps.splitlines()] == enables
    assert elastic.boot_steps_text(ref) == steps


def test_the_script_does_not_depend_on_the_clock(prod, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)
    a = elastic.render_node_script(prod, CA_HASH)
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)
    assert elastic.render_node_script(prod, CA_HASH) == a


def test_a_platform_without_elastic_pools_has_no_script():
    with pytest.raises(ValueError) as e:
        elastic.render_node_script(load(stack_raw("dev")), CA_HASH)
    assert str(e.value) == "no elastic pools: nothing to render"


# --- labels and the plan's table ------------------------------------------------------------

def test_the_node_pool_declares_the_labels_a_node_of_the_pool_carries(prod):
    # stacks/Pulumi.prod.yaml: environment prod, pool a10-elastic of series A10 with label capacity=elastic;
    # alibabacloud.com/external=true marks a registered cluster's node (Alibaba's node-pool page, Step 1 (A)).
    ref = elastic.elastic_pools(prod)[0]
    assert elastic.node_pool_labels(prod, ref) == {
        "alibabacloud.com/external": "true", "hybrid.example.com/environment": "prod",
        "hybrid.example.com/gpu-pool": "a10-elastic", "alibabacloud.com/gpu-model-series": "A10",
        "hybrid.example.com/capacity": "elastic"}


def test_the_snapshot_table_reads_each_pools_data_disk(prod):
    # stacks/Pulumi.prod.yaml, regions[cn-beijing].elasticPools[a10-elastic].dataDisk and preload.
    assert elastic.snapshot_table(prod) == [{
        "region": "cn-beijing", "pool": "a10-elastic", "snapshotId": "s-2zeimagenet1kdata0001",
        "dataDiskGib": 2048, "mountPath": "/data", "preload": ["imagenet-1k"]}]


def test_a_pool_without_a_snapshot_shows_an_empty_snapshot_id():
    raw = stack_raw("prod")
    for r in raw["regions"]:
        for p in r.get("elasticPools", []):
            del p["dataDisk"]["snapshotId"]
    row, = elastic.snapshot_table(load(raw))
    assert row["snapshotId"] == ""
