"""The compute rules (policy/rules/compute.py) over resources shaped as prod's plan sends them.

Instances, disks, node pools, OSS objects and the ack-virtual-node addon carry the inputs
build/plan/prod/resources.json shows for prod (the cn-beijing a10-train instance, its EcsDisk and
attachment, the a10-elastic cs.NodePool, the elastic node script's bucket, ACL and object), each
taken apart the way a bad change would. Expectations come from the provider's documented defaults
(pulumi-alicloud 4.0.0: ecs/_inputs.py InstanceDataDiskArgs delete_with_instance "Default value:
true", ecs/ecs_disk.py delete_with_instance "Default value: false", cs/_inputs.py
NodePoolDataDiskArgs encrypted a string "true"/"false", "Default is false", oss/bucket_object.py
acl "Defaults to private"; OSS's object ACL "default" inherits the bucket's: OSS PutObjectACL
docs), the pack's prod config (policy/config/prod.json: KMS required on data disks), kubeadm's
bootstrap-token form ([a-z0-9]{6}.[a-z0-9]{16}) and the placement arithmetic worked by hand.
Messages are checked for what the user acts on (the field, the value, the fix) and for STYLE.md's
form (a full imperative sentence).
"""

from __future__ import annotations

import base64
import json

import pytest

from tests import policy_harness  # noqa: E402
from tests.policy_harness import ROOT, UNKNOWN, res, sentence, stack  # noqa: E402

INSTANCE, NODE_POOL = "alicloud:ecs/instance:Instance", "alicloud:cs/nodePool:NodePool"
ECS_DISK, ATTACH = "alicloud:ecs/ecsDisk:EcsDisk", "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment"
OSS_OBJECT, OSS_BUCKET, OSS_ACL = ("alicloud:oss/bucketObject:BucketObject", "alicloud:oss/bucket:Bucket",
                                   "alicloud:oss/bucketAcl:BucketAcl")
ADDON, STACK = "alicloud:cs/kubernetesAddon:KubernetesAddon", "pulumi:pulumi:Stack"
PROD_POLICY = json.loads((ROOT / "policy" / "config" / "prod.json").read_text())
PROD_KMS = PROD_POLICY["ecs-disks-encrypted"]  # kmsKeyRequiredFor: data
BOTH_KMS = {"kmsKeyRequiredFor": ["system", "data"]}

A10 = "ecs.gn7i-c32g1.8xlarge"  # gn7i: NVIDIA A10 (ECS instance families); prod's a10-train pool
A10_BIG = "ecs.gn7i-c48g1.12xlarge"
CPU = "ecs.g7.xlarge"  # g7: general purpose, no GPU
KEY = "key-bjj6a7f1c2d3e4f5g6h7"
NO_PUBLIC, DISKS, OSS, KEPT, USER_DATA, VNODE, PLACEMENT = (
    "ecs-gpu-no-public-ip", "ecs-disks-encrypted", "oss-private-encrypted", "ecs-data-disks-kept",
    "ecs-user-data-no-credentials", "ack-virtual-node-config", "stack-placement-within-capacity")
CANNOT = "known at preview or run the policy after `pulumi up`"  # the pack's "cannot be verified" wording


def changed(base: dict, **changes) -> dict:
    """``base`` with keys set (None: removed)."""
    out = dict(base)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def instance(**changes) -> dict:
    """prod's cn-beijing-a10-train-cn-beijing-g-0 (its data disk is a separate EcsDisk; no userData here)."""
    return changed({"availabilityZone": "cn-beijing-g", "instanceType": A10, "internetMaxBandwidthOut": 0,
                    "instanceChargeType": "PostPaid", "systemDiskCategory": "cloud_essd", "systemDiskEncrypted": True,
                    "systemDiskSize": 100, "vswitchId": "vsw-ad84d695797813fd571d",
                    "securityGroups": ["sg-0d62e30953e00b469af8"]}, **changes)


def node_pool(**changes) -> dict:
    """prod's elastic-a10-elastic node pool (cs.NodePool: systemDiskKmsKey, string data-disk flags)."""
    return changed({"clusterId": "ce7dd1b7d528cb8944d4da48cda36769d", "instanceTypes": [A10, A10_BIG],
                    "internetMaxBandwidthOut": 0, "systemDiskCategory": "cloud_essd", "systemDiskEncrypted": True,
                    "systemDiskKmsKey": KEY,
                    "scalingConfig": {"enable": True, "maxSize": 8, "minSize": 0, "type": "gpu"},
                    "dataDisks": [{"autoFormat": "false", "category": "cloud_essd", "encrypted": "true", "kmsKeyId": KEY,
                                   "size": 2048, "snapshotId": "s-2zeimagenet1kdata0001"}]}, **changes)


def data_disk(**changes) -> dict:
    """prod's cn-beijing-a10-train-cn-beijing-g-0-data."""
    return changed({"category": "cloud_essd", "deleteWithInstance": False, "encrypted": True, "kmsKeyId": KEY,
                    "size": 2048, "zoneId": "cn-beijing-g"}, **changes)


def run(policy: str, rtype: str, props: dict, config: dict | None = None) -> list[str]:
    return policy_harness.run(policy, rtype, props, config)


def cannot(msg: str, what: str) -> None:
    assert msg.startswith(f"Make {what} {CANNOT}"), msg


# --- ecs-gpu-no-public-ip -------------------------------------------------------------------------

def test_prod_s_gpu_instance_and_node_pool_take_no_public_address():
    assert run(NO_PUBLIC, INSTANCE, instance()) == []
    assert run(NO_PUBLIC, NODE_POOL, node_pool()) == []


def test_a_gpu_instance_with_bandwidth_and_a_public_ip_is_told_both():
    bw, pub = run(NO_PUBLIC, INSTANCE, instance(internetMaxBandwidthOut=5, allocatePublicIp=True))
    sentence(bw), sentence(pub)
    assert bw.startswith(f"Set internetMaxBandwidthOut to 0 on GPU node {A10}: 5 Mbit/s gives it a public IP; ")
    assert "leased line" in bw and "NAT gateway" in bw
    assert pub == f"Drop allocatePublicIp from GPU node {A10}: GPU nodes take no public address."


def test_no_bandwidth_or_a_null_one_is_no_public_ip():
    # the provider's default for internetMaxBandwidthOut is 0: no public IP
    assert run(NO_PUBLIC, INSTANCE, instance(internetMaxBandwidthOut=None)) == []  # absent
    assert run(NO_PUBLIC, INSTANCE, {**instance(), "internetMaxBandwidthOut": None}) == []  # null
    assert run(NO_PUBLIC, NODE_POOL, {**node_pool(), "internetMaxBandwidthOut": None}) == []


def test_one_megabit_is_already_a_public_ip():
    (msg,) = run(NO_PUBLIC, INSTANCE, instance(internetMaxBandwidthOut=1))
    assert ": 1 Mbit/s gives it a public IP" in msg


def test_allocate_public_ip_false_passes_and_unknown_is_named():
    assert run(NO_PUBLIC, INSTANCE, instance(allocatePublicIp=False)) == []
    (msg,) = run(NO_PUBLIC, INSTANCE, instance(allocatePublicIp=UNKNOWN))
    cannot(msg, "allocatePublicIp")
    (msg,) = run(NO_PUBLIC, INSTANCE, instance(internetMaxBandwidthOut=UNKNOWN))
    cannot(msg, "internetMaxBandwidthOut")


def test_an_unknown_instance_type_is_not_passed_and_a_cpu_instance_is_not_judged():
    (msg,) = run(NO_PUBLIC, INSTANCE, instance(instanceType=UNKNOWN, internetMaxBandwidthOut=5))
    cannot(msg, "instanceType (needed to tell whether this is a GPU node)")
    assert run(NO_PUBLIC, INSTANCE, instance(instanceType=CPU, internetMaxBandwidthOut=5, allocatePublicIp=True)) == []


def test_a_node_pool_is_named_by_its_first_gpu_type():
    # a CPU type listed first is read past: the pool is a GPU pool through its second type
    (msg,) = run(NO_PUBLIC, NODE_POOL, node_pool(instanceTypes=[CPU, A10_BIG, A10], internetMaxBandwidthOut=10))
    sentence(msg)
    assert msg == (f"Set internetMaxBandwidthOut to 0 on GPU node pool ({A10_BIG}): 10 Mbit/s gives every node a "
                   "public IP.")


def test_a_cpu_node_pool_or_one_without_types_is_not_judged():
    assert run(NO_PUBLIC, NODE_POOL, node_pool(instanceTypes=[CPU], internetMaxBandwidthOut=5)) == []
    assert run(NO_PUBLIC, NODE_POOL, node_pool(instanceTypes=None, internetMaxBandwidthOut=5)) == []


def test_an_unknown_type_before_any_gpu_type_is_not_passed_but_one_after_it_does_not_matter():
    (msg,) = run(NO_PUBLIC, NODE_POOL, node_pool(instanceTypes=[CPU, UNKNOWN, A10], internetMaxBandwidthOut=5))
    cannot(msg, "instanceTypes (needed to tell whether this is a GPU node pool)")
    (msg,) = run(NO_PUBLIC, NODE_POOL, node_pool(instanceTypes=UNKNOWN))
    cannot(msg, "instanceTypes (needed to tell whether this is a GPU node pool)")
    # the first type already makes it a GPU pool: the unknown second one cannot change that
    assert run(NO_PUBLIC, NODE_POOL, node_pool(instanceTypes=[A10, UNKNOWN])) == []
    (msg,) = run(NO_PUBLIC, NODE_POOL, node_pool(instanceTypes=[A10, UNKNOWN], internetMaxBandwidthOut=3))
    assert msg.startswith(f"Set internetMaxBandwidthOut to 0 on GPU node pool ({A10}): 3 Mbit/s")


def test_a_node_pool_binding_an_eip_is_told_and_an_unknown_flag_is_named():
    scaling = node_pool()["scalingConfig"]
    (msg,) = run(NO_PUBLIC, NODE_POOL, node_pool(scalingConfig={**scaling, "isBondEip": True}))
    sentence(msg)
    assert msg == f"Drop scalingConfig.isBondEip from GPU node pool ({A10}): GPU nodes take no public address."
    assert run(NO_PUBLIC, NODE_POOL, node_pool(scalingConfig={**scaling, "isBondEip": False})) == []
    assert run(NO_PUBLIC, NODE_POOL, node_pool(scalingConfig=None)) == []
    (msg,) = run(NO_PUBLIC, NODE_POOL, node_pool(scalingConfig={**scaling, "isBondEip": UNKNOWN}))
    cannot(msg, "scalingConfig.isBondEip")
    # bandwidth and EIP together: both, bandwidth first
    both = run(NO_PUBLIC, NODE_POOL, node_pool(internetMaxBandwidthOut=2, scalingConfig={**scaling, "isBondEip": True}))
    assert [m.split(" ", 2)[:2] for m in both] == [["Set", "internetMaxBandwidthOut"], ["Drop", "scalingConfig.isBondEip"]]
    (msg, eip) = run(NO_PUBLIC, NODE_POOL, node_pool(internetMaxBandwidthOut=UNKNOWN, scalingConfig={**scaling, "isBondEip": True}))
    cannot(msg, "internetMaxBandwidthOut")
    assert eip.startswith("Drop scalingConfig.isBondEip")


# --- ecs-disks-encrypted --------------------------------------------------------------------------

def test_prod_s_disks_pass_prod_s_kms_requirement():
    assert run(DISKS, INSTANCE, instance(), PROD_KMS) == []
    assert run(DISKS, ECS_DISK, data_disk(), PROD_KMS) == []
    assert run(DISKS, NODE_POOL, node_pool(), BOTH_KMS) == []


def test_an_unencrypted_or_unset_system_disk_is_told_with_its_value():
    (msg,) = run(DISKS, INSTANCE, instance(systemDiskEncrypted=False))
    sentence(msg)
    assert msg == "Encrypt the system disk: set encrypted to true (it is False)."
    # systemDiskEncrypted defaults to false (ecs.Instance)
    assert run(DISKS, INSTANCE, instance(systemDiskEncrypted=None)) == [msg]
    assert run(DISKS, NODE_POOL, node_pool(systemDiskEncrypted=None)) == [msg]
    (msg,) = run(DISKS, INSTANCE, instance(systemDiskEncrypted=UNKNOWN))
    cannot(msg, "system disk encryption")


def test_the_system_disk_key_is_required_only_where_the_stack_asks():
    assert run(DISKS, INSTANCE, instance(), PROD_KMS) == []  # prod requires KMS on data disks only
    (msg,) = run(DISKS, INSTANCE, instance(), {"kmsKeyRequiredFor": ["system"]})
    sentence(msg)
    assert msg == "Give the system disk a customer KMS key: this stack requires kmsKeyId on system disks."
    assert run(DISKS, INSTANCE, instance(systemDiskKmsKeyId=KEY), {"kmsKeyRequiredFor": ["system"]}) == []
    (msg,) = run(DISKS, INSTANCE, instance(systemDiskKmsKeyId=UNKNOWN), {"kmsKeyRequiredFor": ["system"]})
    cannot(msg, "the system disk KMS key id")
    # not required: an unknown key id does not matter
    assert run(DISKS, INSTANCE, instance(systemDiskKmsKeyId=UNKNOWN)) == []


def test_each_resource_type_is_read_under_its_own_spelling_of_the_system_disk_key():
    # ecs.Instance: systemDiskKmsKeyId; cs.NodePool: systemDiskKmsKey (pulumi-alicloud 4.0.0)
    cfg = {"kmsKeyRequiredFor": ["system"]}
    assert run(DISKS, INSTANCE, instance(systemDiskKmsKey=KEY), cfg) == [
        "Give the system disk a customer KMS key: this stack requires kmsKeyId on system disks."]
    assert run(DISKS, NODE_POOL, node_pool(systemDiskKmsKey=None, systemDiskKmsKeyId=KEY), cfg) == [
        "Give the system disk a customer KMS key: this stack requires kmsKeyId on system disks."]


def test_an_ecs_disk_is_a_data_disk():
    (msg,) = run(DISKS, ECS_DISK, data_disk(encrypted=None))  # EcsDisk encrypted defaults to false
    sentence(msg)
    assert msg == "Encrypt the data disk: set encrypted to true (it is False)."
    (msg,) = run(DISKS, ECS_DISK, data_disk(kmsKeyId=None), PROD_KMS)
    sentence(msg)
    assert msg == "Give the data disk a customer KMS key: this stack requires kmsKeyId on data disks."
    assert run(DISKS, ECS_DISK, data_disk(kmsKeyId=None)) == []
    assert run(DISKS, ECS_DISK, data_disk(kmsKeyId=None), {"kmsKeyRequiredFor": ["system"]}) == []
    enc, kms = run(DISKS, ECS_DISK, data_disk(encrypted=UNKNOWN, kmsKeyId=UNKNOWN), PROD_KMS)
    cannot(enc, "data disk encryption")
    cannot(kms, "the data disk KMS key id")


def test_a_node_pool_s_data_disk_flag_is_the_string_true():
    (msg,) = run(DISKS, NODE_POOL, node_pool(dataDisks=[{"size": 40, "encrypted": "false"}]))
    sentence(msg)
    assert msg == "Encrypt the data disk dataDisks[0]: set encrypted to true (it is False)."
    # NodePoolDataDiskArgs.encrypted: "Default is false"
    assert run(DISKS, NODE_POOL, node_pool(dataDisks=[{"size": 40}])) == [msg]
    # the engine may hand over a boolean for the string flag: true is true
    assert run(DISKS, NODE_POOL, node_pool(dataDisks=[{"size": 40, "encrypted": True}])) == []
    (msg,) = run(DISKS, NODE_POOL, node_pool(dataDisks=[{"size": 40, "encrypted": UNKNOWN}]))
    cannot(msg, "data disk dataDisks[0] encryption")


def test_an_instance_s_inline_data_disks_are_read_one_by_one():
    disks = [{"size": 500, "encrypted": True, "kmsKeyId": KEY}, {"size": 500}, {"size": 500, "encrypted": True}]
    got = run(DISKS, INSTANCE, instance(dataDisks=disks), PROD_KMS)
    for msg in got:
        sentence(msg)
    # instance data disks take a boolean flag, defaulting to false; the second disk lacks both
    assert got == ["Encrypt the data disk dataDisks[1]: set encrypted to true (it is False).",
                   "Give the data disk dataDisks[1] a customer KMS key: this stack requires kmsKeyId on data disks.",
                   "Give the data disk dataDisks[2] a customer KMS key: this stack requires kmsKeyId on data disks."]
    # on ecs.Instance the flag is a boolean: the string is not read as true
    assert run(DISKS, INSTANCE, instance(dataDisks=[{"size": 1, "encrypted": "true"}])) == [
        "Encrypt the data disk dataDisks[0]: set encrypted to true (it is 'true')."]


def test_unknown_data_disks_are_named_after_the_system_disk_s_findings():
    got = run(DISKS, INSTANCE, instance(systemDiskEncrypted=False, dataDisks=UNKNOWN))
    assert got[0] == "Encrypt the system disk: set encrypted to true (it is False)."
    cannot(got[1], "dataDisks")
    assert len(got) == 2
    got = run(DISKS, INSTANCE, instance(dataDisks=[{"size": 1, "encrypted": True}, UNKNOWN, {"size": 1}]))
    assert len(got) == 2
    cannot(got[0], "dataDisks[1]")
    assert got[1] == "Encrypt the data disk dataDisks[2]: set encrypted to true (it is False)."


# --- oss-private-encrypted ------------------------------------------------------------------------

def test_prod_s_script_bucket_acl_and_object_pass():
    assert run(OSS, OSS_BUCKET, {"bucket": "hybrid-prod-idc-bj-node-scripts",
                                  "serverSideEncryptionRule": {"sseAlgorithm": "AES256"}}) == []
    assert run(OSS, OSS_ACL, {"acl": "private", "bucket": "hybrid-prod-idc-bj-node-scripts"}) == []
    assert run(OSS, OSS_OBJECT, script_object()) == []


def script_object(**changes) -> dict:
    return changed({"acl": "private", "bucket": "hybrid-prod-idc-bj-node-scripts", "content": "#!/bin/sh\n",
                    "key": "elastic/hybrid-elastic-node.sh", "serverSideEncryption": "AES256"}, **changes)


@pytest.mark.parametrize("acl", ["public-read", "public-read-write"])
def test_a_public_bucket_acl_is_named(acl):
    (msg,) = run(OSS, OSS_ACL, {"bucket": "b", "acl": acl})
    sentence(msg)
    assert msg == f"Set the bucket ACL to private (it is '{acl}'): node scripts and datasets are not public."


def test_a_bucket_acl_unknown_or_unset_is_not_passed():
    cannot(run(OSS, OSS_ACL, {"bucket": "b", "acl": UNKNOWN})[0], "acl")
    assert run(OSS, OSS_ACL, {"bucket": "b"}) == [
        "Set the bucket ACL to private (it is None): node scripts and datasets are not public."]


def test_a_bucket_without_default_encryption_is_told_how():
    fix = ("Turn on default server-side encryption for the bucket: set serverSideEncryptionRule.sseAlgorithm "
           "(AES256 or KMS).")
    assert run(OSS, OSS_BUCKET, {"bucket": "b"}) == [fix]
    assert run(OSS, OSS_BUCKET, {"bucket": "b", "serverSideEncryptionRule": {"sseAlgorithm": ""}}) == [fix]
    assert run(OSS, OSS_BUCKET, {"bucket": "b", "serverSideEncryptionRule": {"sseAlgorithm": "KMS"}}) == []
    sentence(fix)
    (msg,) = run(OSS, OSS_BUCKET, {"bucket": "b", "serverSideEncryptionRule": {"sseAlgorithm": UNKNOWN}})
    cannot(msg, "serverSideEncryptionRule.sseAlgorithm")


def test_an_object_s_acl_defaults_to_private_and_default_inherits_the_bucket_s():
    assert run(OSS, OSS_OBJECT, script_object(acl=None)) == []  # "Defaults to private"
    assert run(OSS, OSS_OBJECT, script_object(acl="default")) == []  # the private bucket's ACL
    (msg,) = run(OSS, OSS_OBJECT, script_object(acl="public-read"))
    sentence(msg)
    assert msg == ("Set the object ACL to private (it is 'public-read'): the object must be readable only through "
                   "RAM.")


def test_an_object_s_acl_and_encryption_are_both_judged():
    acl, sse = run(OSS, OSS_OBJECT, script_object(acl=UNKNOWN, serverSideEncryption=UNKNOWN))
    cannot(acl, "acl")
    cannot(sse, "serverSideEncryption")
    acl, sse = run(OSS, OSS_OBJECT, script_object(acl="public-read-write", serverSideEncryption=None))
    assert acl.startswith("Set the object ACL to private (it is 'public-read-write')")
    sentence(sse)
    assert sse == "Encrypt the object at rest: set serverSideEncryption to AES256 or KMS."
    assert run(OSS, OSS_OBJECT, script_object(serverSideEncryption="KMS")) == []


# --- ecs-data-disks-kept --------------------------------------------------------------------------

KEEP_FIX = "set deleteWithInstance to false so a spot reclaim or instance replacement keeps the data."


@pytest.mark.parametrize("rtype", [ECS_DISK, ATTACH])
def test_a_separate_disk_or_its_attachment_deleted_with_the_instance_is_told(rtype):
    props = data_disk() if rtype == ECS_DISK else {"deleteWithInstance": False, "diskId": "d-e74f588e722063d06e2d",
                                                   "instanceId": "i-ace1c8e44cb4d9cb5071"}
    assert run(KEPT, rtype, props) == []
    assert run(KEPT, rtype, changed(props, deleteWithInstance=None)) == []  # EcsDisk: "Default value: false"
    (msg,) = run(KEPT, rtype, changed(props, deleteWithInstance=True))
    sentence(msg)
    assert msg == f"Keep this disk when its instance goes: {KEEP_FIX}"
    cannot(run(KEPT, rtype, changed(props, deleteWithInstance=UNKNOWN))[0], "deleteWithInstance")


def test_an_instance_s_inline_data_disks_must_say_false_explicitly():
    assert run(KEPT, INSTANCE, instance()) == []  # prod's data disks are EcsDisks
    disks = [{"size": 1, "deleteWithInstance": False}, {"size": 1}, {"size": 1, "deleteWithInstance": None},
             {"size": 1, "deleteWithInstance": True}, {"size": 1, "deleteWithInstance": UNKNOWN}, UNKNOWN]
    got = run(KEPT, INSTANCE, instance(dataDisks=disks))
    for msg in got[:3]:
        sentence(msg)
    # InstanceDataDiskArgs.delete_with_instance: "Default value: true"
    assert got[:3] == [
        "Set dataDisks[1].deleteWithInstance to false explicitly: the provider default deletes the disk with the instance.",
        "Set dataDisks[2].deleteWithInstance to false explicitly: the provider default deletes the disk with the instance.",
        f"Keep dataDisks[3] when the instance goes: {KEEP_FIX}"]
    cannot(got[3], "dataDisks[4].deleteWithInstance")
    cannot(got[4], "dataDisks[5].deleteWithInstance")
    assert len(got) == 5
    (msg,) = run(KEPT, INSTANCE, instance(dataDisks=UNKNOWN))
    cannot(msg, "dataDisks")


# --- ecs-user-data-no-credentials -----------------------------------------------------------------

def user_data(text: str, config: dict | None = None) -> list[str]:
    return run(USER_DATA, INSTANCE, instance(userData=text), config)


def removal(label: str) -> str:
    return (f"Remove {label} from userData: instance metadata serves it in clear text to anything on the node; "
            "use a RAM role or a secret fetched at boot.")


def test_no_user_data_or_an_unknown_one():
    assert user_data("") == []
    assert run(USER_DATA, INSTANCE, instance()) == []
    (msg,) = user_data(UNKNOWN)
    cannot(msg, "userData")


def test_every_credential_found_is_named_once_in_order_of_its_label():
    text = ("#!/bin/sh\nexport ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tAbCdEfGhIjKlMnOpQr\n"
            "export OTHER=LTAI5tZyXwVuTsRqPoNmLkJi\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n")
    got = user_data(text)
    for msg in got:
        sentence(msg)
    # two AccessKey IDs, one message; labels sorted as text ("a private key" before "an Alibaba ...")
    assert got == [removal("a private key"), removal("an Alibaba Cloud AccessKey ID")]


def test_a_kubeadm_bootstrap_token_is_allowed_unless_the_stack_forbids_it():
    text = "discovery:\n  bootstrapToken:\n    token: abcdef.0123456789abcdef\n"  # kubeadm's example token
    assert user_data(text) == []
    assert user_data(text, {"allowBootstrapToken": False}) == [removal("a bearer token")]
    # a token of another form is a bearer token either way
    jwt = "users:\n- user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ\n"
    assert user_data(jwt) == [removal("a bearer token")]
    # the allowance is for the token, not for other credentials beside it
    assert user_data(text + "password: hunter2hunter2\n") == [removal("a password")]
    # nor for a second token after it: each token is judged on its own
    assert user_data(text + jwt) == [removal("a bearer token")]


def test_base64_user_data_is_read_decoded():
    text = "access_key_secret = 'abcdEFGH1234abcdEFGH1234abcd'\n"
    assert user_data(base64.b64encode(text.encode()).decode()) == [removal("an AccessKey secret")]


# --- ack-virtual-node-config ----------------------------------------------------------------------

REGIONS = [{"IsDefaultRegion": True, "RegionId": "cn-beijing", "SecurityGroupId": "sg-16cb3a00f3d5bce51f68",
            "VSwitchIds": ["vsw-7d599f0cee732eff616c"], "VpcId": "vpc-e2c52f1f233eba060234"},
           {"IsDefaultRegion": False, "RegionId": "cn-hangzhou", "SecurityGroupId": "sg-f75a57a894890a7d5fe9",
            "VSwitchIds": ["vsw-9fd9377c40c31775a9cb"], "VpcId": "vpc-bp1k7mq9w2x3r4t5y6u7i"}]


def vnode_config(regions: list = REGIONS) -> str:
    return json.dumps({"APIServerHost": "10.0.0.10", "APIServerPort": "6443", "EnableMultiRegion": True,
                       "EnableVpcInternalEndpoint": True, "Regions": regions})


def addon(**changes) -> dict:
    """prod's ack-virtual-node addon (two of its three regions)."""
    return changed({"cleanupCloudResources": True, "clusterId": "ce7dd1b7d528cb8944d4da48cda36769d",
                    "config": vnode_config(), "name": "ack-virtual-node", "version": "v2.13.0"}, **changes)


def vnode(**changes) -> list[str]:
    config = changes.pop("policy_config", None)
    return run(VNODE, ADDON, addon(**changes), config)


def test_prod_s_addon_passes_and_other_addons_are_not_judged():
    assert vnode() == []
    assert vnode(name="cluster-autoscaler", version="1.0.0", config="{") == []
    cannot(vnode(name=UNKNOWN)[0], "the addon name")


@pytest.mark.parametrize("version", ["2.13.0", "v2.13.1", " 2.13.0 ", "2.100.0", "3.0.0", "2.13.0-rc.1", "2.13.0+build.5"])
def test_versions_at_or_above_the_floor_pass(version):
    # 2.13.0 (hybrid/virtual_node.py MIN_VERSION_TEXT: PrivateLink endpoints); compared as numbers, so
    # 2.100.0 is later than 2.13.0; a pre-release or build suffix is read past
    assert vnode(version=version) == []


@pytest.mark.parametrize("version", ["2.12.9", "v2.9.99", "1.99.99"])
def test_older_versions_are_told_to_upgrade(version):
    (msg,) = vnode(version=version)
    sentence(msg)
    assert msg == (f"Upgrade ack-virtual-node to >= 2.13.0: {version} predates the PrivateLink endpoints this "
                   "platform needs.")


@pytest.mark.parametrize("version,shown", [("latest", "'latest'"), ("", "''"), (None, "None"), ("2.13", "'2.13'")])
def test_a_missing_or_malformed_version_is_told_to_pin(version, shown):
    (msg,) = vnode(version=version)
    sentence(msg)
    assert msg == f"Pin ack-virtual-node to a version >= 2.13.0: {shown} is not a version."


def test_the_stack_sets_the_floor():
    (msg,) = vnode(policy_config={"minVersion": "2.14.0"})
    assert msg.startswith("Upgrade ack-virtual-node to >= 2.14.0: v2.13.0 predates")
    (msg,) = vnode(version="x", policy_config={"minVersion": "2.14.0"})
    assert msg.startswith("Pin ack-virtual-node to a version >= 2.14.0: 'x'")


def test_an_unknown_version_still_lets_the_config_be_judged():
    got = vnode(version=UNKNOWN, config=vnode_config([]))
    cannot(got[0], "the ack-virtual-node version")
    assert got[1].startswith("List the Serverless regions")
    assert len(got) == 2


def test_an_unknown_or_invalid_config_follows_the_version_finding():
    got = vnode(version="2.0.0", config=UNKNOWN)
    assert got[0].startswith("Upgrade ack-virtual-node")
    cannot(got[1], "the ack-virtual-node config")
    got = vnode(version="2.0.0", config="{\"Regions\": [")
    assert got[1] == "Fix the ack-virtual-node config: it is not valid JSON."
    assert len(got) == 2


@pytest.mark.parametrize("config", [None, "", "{}", json.dumps({"Regions": []})])
def test_no_region_listed_is_told(config):
    (msg,) = vnode(config=config)
    sentence(msg)
    assert msg == ("List the Serverless regions in the ack-virtual-node config with exactly one default region: "
                   "none is listed.")


def test_two_or_no_default_regions_are_counted_and_named():
    both = [{**REGIONS[0]}, {**REGIONS[1], "IsDefaultRegion": "true"}]  # a string flag counts
    (msg,) = vnode(config=vnode_config(both))
    sentence(msg)
    assert msg == ("Mark exactly one ack-virtual-node region as default: 2 are (cn-beijing, cn-hangzhou), so pods "
                   "without a region label have no single place to go.")
    none = [{**REGIONS[0], "IsDefaultRegion": False}, REGIONS[1]]
    (msg,) = vnode(config=vnode_config(none))
    assert "default: 0 are (none), so pods" in msg


@pytest.mark.parametrize("flag,default", [(True, True), ("true", True), ("TRUE", True), ("yes", False), (1, False),
                                          ("false", False)])
def test_only_true_or_the_string_true_marks_the_default(flag, default):
    regions = [{**REGIONS[0], "IsDefaultRegion": flag}, REGIONS[1]]
    got = vnode(config=vnode_config(regions))
    assert (got == []) is default, got


def test_regions_are_found_at_any_depth_and_inside_json_strings():
    # the keys are unconfirmed (hybrid/unconfirmed.py): any spelling pair, at any depth, counts
    nested = {"serverless": {"spec": {"regions": [{"regionId": "cn-beijing", "default": True},
                                                  {"region_id": "cn-hangzhou", "isDefault": False}]}}}
    assert vnode(config=json.dumps(nested)) == []
    as_text = {"Regions": json.dumps([{"RegionId": "cn-beijing", "IsDefault": True},
                                      {"RegionId": "cn-hangzhou", "IsDefault": True}])}
    (msg,) = vnode(config=json.dumps(as_text))
    assert "2 are (cn-beijing, cn-hangzhou)" in msg
    as_object = {"Serverless": json.dumps({"Regions": [{"RegionId": "cn-beijing", "IsDefault": True},
                                                       {"RegionId": "cn-hangzhou", "IsDefault": True}]})}
    (msg,) = vnode(config=json.dumps(as_object))
    assert "2 are (cn-beijing, cn-hangzhou)" in msg
    # text that only looks like JSON is not a region list, and the values after it are still read
    (msg,) = vnode(config=json.dumps({"note": "{not json", "list": "[1,"}))
    assert msg.startswith("List the Serverless regions")
    assert vnode(config=json.dumps({"note": "{not json", "Regions": REGIONS})) == []
    # an object with a region but no default flag, or a flag but no region, is not a region entry
    half = {"a": {"RegionId": "cn-beijing"}, "b": {"IsDefaultRegion": True}}
    assert vnode(config=json.dumps(half))[0].startswith("List the Serverless regions")


def test_a_default_region_is_named_by_its_first_region_key():
    # regionId before the generic id
    regions = [{"id": "r-1", "regionId": "cn-beijing", "default": True},
               {"id": "r-2", "RegionId": "cn-hangzhou", "default": True}]
    (msg,) = vnode(config=json.dumps({"regions": regions}))
    assert "2 are (cn-beijing, cn-hangzhou)" in msg


# --- stack-placement-within-capacity --------------------------------------------------------------

def stack_res(placement, name="hybrid-gpu-platform-prod"):
    props = {} if placement is None else {"placement": placement}
    return res(STACK, name, props)


def placement(placement_value, *others) -> list[tuple[str, str]]:
    return stack(PLACEMENT, [*others, stack_res(placement_value)])


STACK_URN = "urn:pulumi:prod::hybrid-gpu-platform::pulumi:pulumi:Stack::hybrid-gpu-platform-prod"


def test_prod_s_batch_infer_placement_passes():
    # prod's batch-infer: 16 on idc-bj (capacity 16), 4 on cn-hangzhou (4), 2 on cn-zhangjiakou (2),
    # 0 on cn-beijing-elastic (capacity 0)
    entry = {"assignments": {"idc-bj": 16, "cn-hangzhou": 4, "cn-zhangjiakou": 2, "cn-beijing-elastic": 0},
             "capacity": {"idc-bj": 16, "cn-hangzhou": 4, "cn-zhangjiakou": 2, "cn-beijing-elastic": 0}, "unplaced": 0}
    assert placement({"batch-infer": entry}) == []


def test_a_stack_without_placement_or_no_stack_at_all_is_not_judged():
    assert stack(PLACEMENT, [stack_res(None)]) == []
    assert stack(PLACEMENT, [res(INSTANCE, "i", instance())]) == []


def test_replicas_above_capacity_are_moved_and_reported_on_the_stack():
    over = {"w": {"assignments": {"idc-bj": 6, "cn-beijing": 2}, "capacity": {"idc-bj": 4, "cn-beijing": 2}}}
    # the stack found among other resources
    ((msg, urn),) = placement(over, res(INSTANCE, "i", instance()))
    sentence(msg)
    assert msg == "Move 2 replica(s) of w off idc-bj: 6 are placed where capacity is 4."
    assert urn == STACK_URN


def test_workloads_and_clusters_are_reported_in_name_order():
    p = {"w2": {"assignments": {"b": 2, "a": 3}, "capacity": {"a": 1, "b": 1}},
         "w1": {"assignments": {"z": 5}, "capacity": {"z": 0}}}
    assert [m for m, _ in placement(p)] == [
        "Move 5 replica(s) of w1 off z: 5 are placed where capacity is 0.",
        "Move 2 replica(s) of w2 off a: 3 are placed where capacity is 1.",
        "Move 1 replica(s) of w2 off b: 2 are placed where capacity is 1."]


def test_a_cluster_without_a_capacity_may_take_no_replica():
    p = {"w": {"assignments": {"idc-bj": 3, "cn-hangzhou": 0}, "capacity": {}}}
    ((msg, _),) = placement(p)
    sentence(msg)
    assert msg == "Give placement[w] a capacity for idc-bj: 3 replicas go there against no stated capacity."
    ((msg, _),) = placement({"w": {"assignments": {"idc-bj": 1}, "capacity": {"cn-beijing": 4}}})  # one is one too many
    assert msg.startswith("Give placement[w] a capacity for idc-bj: 1 replicas go there")


@pytest.mark.parametrize("n,shown", [(-1, "-1"), ("3", "'3'"), (None, "None")])
def test_a_replica_count_that_is_not_one_is_named(n, shown):
    ((msg, _),) = placement({"w": {"assignments": {"idc-bj": n}, "capacity": {"idc-bj": 4}}})
    sentence(msg)
    assert msg == f"Fix placement[w] for idc-bj: {shown} is not a replica count."


def test_zero_replicas_and_exactly_full_pass():
    assert placement({"w": {"assignments": {"idc-bj": 0, "a": 4}, "capacity": {"idc-bj": 0, "a": 4}}}) == []


def test_unknown_counts_capacities_or_outputs_are_not_passed():
    ((msg, urn),) = placement(UNKNOWN)
    cannot(msg, "the placement output")
    assert urn == STACK_URN
    got = placement({"w": {"assignments": {"a": UNKNOWN, "b": 1}, "capacity": {"a": 1, "b": UNKNOWN}}})
    assert len(got) == 2
    cannot(got[0][0], "placement[w] for a")
    cannot(got[1][0], "placement[w] for b")


def test_list_forms_of_the_output_and_of_assignments_are_read():
    p = [{"name": "train", "assignments": [{"cluster": "idc-bj", "replicas": 5}], "capacity": {"idc-bj": 4}},
         {"workload": "infer", "assignments": [{"target": "a", "count": 3}, {"name": "b", "replicas": 1}],
          "capacity": [{"cluster": "a", "replicas": 2}, {"cluster": "b", "replicas": 1}]},
         {"assignments": {"c": 2}, "capacity": {"c": 1}},  # no name: its index
         "not a workload"]
    assert [m for m, _ in placement(p)] == [
        "Move 1 replica(s) of 2 off c: 2 are placed where capacity is 1.",
        "Move 1 replica(s) of infer off a: 3 are placed where capacity is 2.",
        "Move 1 replica(s) of train off idc-bj: 5 are placed where capacity is 4."]


def test_malformed_outputs_are_told_their_expected_shape():
    ((msg, _),) = placement("batch-infer")
    sentence(msg)
    assert msg == ("Publish the placement output as {workload: {assignments, capacity, unplaced}}: its shape is not "
                   "recognised.")
    ((msg, _),) = placement({"w": 3})
    assert msg == "Publish placement[w] as an object with assignments and capacity."
    for assignments in (None, "idc-bj=3", [{"cluster": "idc-bj", "replicas": 3}, "x"]):
        entry = {"capacity": {"idc-bj": 4}} if assignments is None else {"assignments": assignments,
                                                                         "capacity": {"idc-bj": 4}}
        ((msg, _),) = placement({"w": entry})
        sentence(msg)
        assert msg == "Publish placement[w].assignments as {cluster: replicas}: it is missing or malformed."
    ((msg, _),) = placement({"w": {"assignments": {"idc-bj": 1}}})
    sentence(msg)
    assert msg == ("Publish placement[w].capacity ({cluster: replicas it can host}) beside its assignments: without "
                   "it nothing proves the placement stays within capacity.")
    # later workloads are still judged after a malformed one, whichever part is malformed
    over = {"assignments": {"x": 2}, "capacity": {"x": 1}}
    for bad in (3, {"capacity": {"x": 1}}, {"assignments": {"x": 1}}):
        got = placement({"a": bad, "b": over})
        assert [m.split(" ")[0] for m, _ in got] == ["Publish", "Move"], got
