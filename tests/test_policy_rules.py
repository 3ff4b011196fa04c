"""Each policy called directly with passing, failing and unknown inputs.

Inputs go through pulumi-policy's own deserializer and unknown-checking proxy,
so the rules see exactly what they see inside the analyzer.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "policy"))

import rules  # noqa: E402  (policy/rules/; never import policy/__main__.py: it blocks)
from rules import common as C, lease  # noqa: E402
from pulumi_policy import PolicyResource, PolicyResourceOptions, ResourceValidationArgs, StackValidationArgs  # noqa: E402
from pulumi_policy.deserialize import deserialize_properties  # noqa: E402
from pulumi_policy.proxy import unknown_checking_proxy  # noqa: E402

U = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown sentinel
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def P(d: dict):
    return unknown_checking_proxy(deserialize_properties(d))


def secret(v):
    return {**SECRET, "value": v}


def run_policy(name: str, rtype: str, props: dict, config: dict | None = None) -> list[str]:
    """Run a resource policy the way the analyzer does; return the reported messages."""
    pol = next(p for p in rules.POLICIES if p.name == name)
    got: list[str] = []
    opts = PolicyResourceOptions(False, [], None, [], None, [], None)
    args = ResourceValidationArgs(rtype, P(props), f"urn:pulumi:t::p::{rtype}::x", "x", opts, None, config)
    pol.validate(args, lambda msg, urn=None: got.append(msg))
    return got


def res(rtype: str, name: str, props: dict, deps: list | None = None) -> PolicyResource:
    r = PolicyResource(rtype, P(props), f"urn:pulumi:t::p::{rtype}::{name}", name,
                       PolicyResourceOptions(False, [], None, [], None, [], None), None, None, [], {})
    r.dependencies = deps or []
    return r


def run_stack(name: str, resources: list, config: dict | None = None) -> list[tuple[str, str | None]]:
    pol = next(p for p in rules.POLICIES if p.name == name)
    got: list = []
    pol.validate(StackValidationArgs(resources, config), lambda msg, urn=None: got.append((msg, urn)))
    return got


# --- metadata --------------------------------------------------------------------

def test_every_policy_has_kebab_name_severity_level_and_imperative_description():
    names = [p.name for p in rules.POLICIES]
    assert len(names) == len(set(names)) == 25
    for p in rules.POLICIES:
        assert p.name == p.name.lower() and " " not in p.name and "_" not in p.name
        assert p.severity is not None and p.enforcement_level is not None
        assert p.description[0].isupper() and p.description.endswith("."), p.name
        first = p.description.split()[0]
        assert not first.endswith("s") or first in ("Pass",), f"{p.name}: description should start with a verb: {first}"


# --- security groups ------------------------------------------------------------

RULE = {"type": "ingress", "ipProtocol": "tcp", "portRange": "22/22", "cidrIp": "0.0.0.0/0", "policy": "accept", "securityGroupId": "sg-1"}


@pytest.mark.parametrize("change,hit", [
    ({}, True),
    ({"portRange": "6443/6443"}, True),
    ({"portRange": "2379/2380"}, True),
    ({"portRange": "170/180"}, True),            # covers BGP 179
    ({"portRange": "2375/2375"}, True),
    ({"ipProtocol": "all", "portRange": "-1/-1"}, True),
    ({"cidrIp": "0.0.0.0/1"}, True),             # broader than /8 counts as anywhere
    ({"cidrIp": None, "ipv6CidrIp": "::/0", "portRange": "3389/3389"}, True),
    ({"cidrIp": "10.0.0.0/8"}, False),
    ({"portRange": "443/443"}, False),
    ({"type": "egress"}, False),
    ({"policy": "drop"}, False),
    ({"ipProtocol": "icmp", "portRange": "-1/-1"}, False),
])
def test_sg_admin_ports(change, hit):
    props = {k: v for k, v in {**RULE, **change}.items() if v is not None}
    got = run_policy("sg-no-public-admin-ports", C.SG_RULE, props)
    assert bool(got) is hit, got
    if hit:
        assert got[0].startswith("Remove this ingress rule")


def test_sg_admin_ports_extra_port_from_config():
    props = {**RULE, "portRange": "9100/9100"}
    assert run_policy("sg-no-public-admin-ports", C.SG_RULE, props) == []
    assert run_policy("sg-no-public-admin-ports", C.SG_RULE, props, {"extraPorts": [9100]})


def test_sg_unknown_source_is_reported_not_passed():
    got = run_policy("sg-no-public-admin-ports", C.SG_RULE, {**RULE, "cidrIp": U})
    assert got and "unknown" in got[0]
    got = run_policy("sg-no-public-all-ports", C.SG_RULE, {**RULE, "cidrIp": U, "portRange": "1/65535"})
    assert got and "unknown" in got[0]


@pytest.mark.parametrize("change,hit", [
    ({"ipProtocol": "all", "portRange": "-1/-1"}, True),   # the case checkov's port check passes
    ({"ipProtocol": "tcp", "portRange": "1/65535"}, True),
    ({"ipProtocol": "udp", "portRange": "-1/-1"}, True),
    ({"ipProtocol": "gre", "portRange": "-1/-1"}, True),
    ({"ipProtocol": "all", "portRange": "-1/-1", "cidrIp": "10.1.0.0/16"}, False),
    ({"ipProtocol": "icmp", "portRange": "-1/-1"}, False),
    ({"ipProtocol": "tcp", "portRange": "443/443"}, False),
])
def test_sg_all_ports(change, hit):
    got = run_policy("sg-no-public-all-ports", C.SG_RULE, {**RULE, **change})
    assert bool(got) is hit, got


# --- ECS ---------------------------------------------------------------------------

GPU = {"instanceType": "ecs.gn7i-c32g1.8xlarge", "internetMaxBandwidthOut": 0, "systemDiskEncrypted": True,
       "systemDiskKmsKeyId": "key-1", "vswitchId": "vsw-n1", "availabilityZone": "cn-beijing-g",
       "dataDisks": [{"size": 500, "encrypted": True, "kmsKeyId": "key-1", "deleteWithInstance": False}],
       "userData": secret("#cloud-config\nnode-labels: alibabacloud.com/external=true\ntoken: abcdef.0123456789abcdef\n")}


def test_gpu_no_public_ip():
    assert run_policy("ecs-gpu-no-public-ip", C.INSTANCE, GPU) == []
    assert run_policy("ecs-gpu-no-public-ip", C.INSTANCE, {**GPU, "internetMaxBandwidthOut": 100})
    assert run_policy("ecs-gpu-no-public-ip", C.INSTANCE, {**GPU, "allocatePublicIp": True})
    # a CPU instance is not this rule's business
    assert run_policy("ecs-gpu-no-public-ip", C.INSTANCE, {**GPU, "instanceType": "ecs.g7.xlarge", "internetMaxBandwidthOut": 5}) == []
    got = run_policy("ecs-gpu-no-public-ip", C.INSTANCE, {**GPU, "internetMaxBandwidthOut": U})
    assert got and "unknown" in got[0]


def test_disks_encrypted_and_kms():
    kms = {"kmsKeyRequiredFor": ["system", "data"]}
    assert run_policy("ecs-disks-encrypted", C.INSTANCE, GPU, kms) == []
    plain = {**GPU, "systemDiskKmsKeyId": None, "dataDisks": [{"size": 500, "encrypted": True, "deleteWithInstance": False}]}
    plain = {k: v for k, v in plain.items() if v is not None}
    assert run_policy("ecs-disks-encrypted", C.INSTANCE, plain) == []          # KMS not asked for
    assert len(run_policy("ecs-disks-encrypted", C.INSTANCE, plain, kms)) == 2  # system + data
    off = {**GPU, "systemDiskEncrypted": False, "dataDisks": [{"size": 1, "encrypted": False}]}
    msgs = run_policy("ecs-disks-encrypted", C.INSTANCE, off)
    assert any("system disk" in m for m in msgs) and any("dataDisks[0]" in m for m in msgs)
    assert run_policy("ecs-disks-encrypted", C.ECS_DISK, {"encrypted": True, "kmsKeyId": "k"}, kms) == []
    assert run_policy("ecs-disks-encrypted", C.ECS_DISK, {"size": 20})  # encrypted defaults to false
    assert "unknown" in run_policy("ecs-disks-encrypted", C.ECS_DISK, {"encrypted": True, "kmsKeyId": U}, kms)[0]


# An elastic GPU node pool as the program declares it (camelCase inputs, cs.NodePool).
NODE_POOL = {"clusterId": "c1", "instanceTypes": ["ecs.gn7i-c32g1.8xlarge"], "internetMaxBandwidthOut": 0,
             "scalingConfig": {"enable": True, "minSize": 0, "maxSize": 8, "type": "gpu"},
             "systemDiskEncrypted": True, "systemDiskKmsKey": "key-1",
             "dataDisks": [{"size": 2048, "encrypted": "true", "kmsKeyId": "key-1", "snapshotId": "s-1"}]}


def test_gpu_node_pool_no_public_ip():
    assert run_policy("ecs-gpu-no-public-ip", C.NODE_POOL, NODE_POOL) == []
    assert run_policy("ecs-gpu-no-public-ip", C.NODE_POOL, {**NODE_POOL, "internetMaxBandwidthOut": 10})
    assert run_policy("ecs-gpu-no-public-ip", C.NODE_POOL, {**NODE_POOL, "scalingConfig": {**NODE_POOL["scalingConfig"], "isBondEip": True}})
    # a CPU pool is not this rule's business; an unknown type list is reported, not passed
    assert run_policy("ecs-gpu-no-public-ip", C.NODE_POOL, {**NODE_POOL, "instanceTypes": ["ecs.g7.xlarge"], "internetMaxBandwidthOut": 5}) == []
    assert "unknown" in run_policy("ecs-gpu-no-public-ip", C.NODE_POOL, {**NODE_POOL, "instanceTypes": U})[0]


def test_node_pool_disks_encrypted():
    kms = {"kmsKeyRequiredFor": ["system", "data"]}
    assert run_policy("ecs-disks-encrypted", C.NODE_POOL, NODE_POOL, kms) == []
    # the provider takes the data disk flag as a string: "false" is off, so is a missing flag
    off = {**NODE_POOL, "dataDisks": [{"size": 40, "encrypted": "false"}, {"size": 40}]}
    msgs = run_policy("ecs-disks-encrypted", C.NODE_POOL, off)
    assert any("dataDisks[0]" in m for m in msgs) and any("dataDisks[1]" in m for m in msgs)
    nokms = {**NODE_POOL, "systemDiskKmsKey": None}
    nokms = {k: v for k, v in nokms.items() if v is not None}
    assert len(run_policy("ecs-disks-encrypted", C.NODE_POOL, nokms, kms)) == 1


def test_oss_private_encrypted():
    obj = {"bucket": "b", "key": "elastic/hybrid-elastic-node.sh", "acl": "private", "serverSideEncryption": "AES256", "content": "x"}
    assert run_policy("oss-private-encrypted", C.OSS_OBJECT, obj) == []
    assert run_policy("oss-private-encrypted", C.OSS_OBJECT, {**obj, "acl": "public-read"})
    assert run_policy("oss-private-encrypted", C.OSS_OBJECT, {k: v for k, v in obj.items() if k != "serverSideEncryption"})
    assert run_policy("oss-private-encrypted", C.OSS_BUCKET_ACL, {"bucket": "b", "acl": "private"}) == []
    assert run_policy("oss-private-encrypted", C.OSS_BUCKET_ACL, {"bucket": "b", "acl": "public-read-write"})
    assert run_policy("oss-private-encrypted", C.OSS_BUCKET, {"bucket": "b", "serverSideEncryptionRule": {"sseAlgorithm": "AES256"}}) == []
    assert run_policy("oss-private-encrypted", C.OSS_BUCKET, {"bucket": "b"})
    assert "unknown" in run_policy("oss-private-encrypted", C.OSS_BUCKET_ACL, {"bucket": "b", "acl": U})[0]


def test_data_disks_kept():
    assert run_policy("ecs-data-disks-kept", C.INSTANCE, GPU) == []
    assert run_policy("ecs-data-disks-kept", C.INSTANCE, {**GPU, "dataDisks": [{"size": 1}]})  # provider default deletes
    assert run_policy("ecs-data-disks-kept", C.INSTANCE, {**GPU, "dataDisks": [{"size": 1, "deleteWithInstance": True}]})
    assert run_policy("ecs-data-disks-kept", C.DISK_ATTACHMENT, {"diskId": "d", "deleteWithInstance": False}) == []
    assert run_policy("ecs-data-disks-kept", C.ECS_DISK, {"deleteWithInstance": True})
    assert "unknown" in run_policy("ecs-data-disks-kept", C.ECS_DISK, {"deleteWithInstance": U})[0]


@pytest.mark.parametrize("text,hit", [
    ("export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tAbCdEfGhIjKlMnOpQr\n", True),
    ("access_key_secret = 'abcdEFGH1234abcdEFGH1234abcd'\n", True),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nxxx\n", True),
    ("users:\n- name: u\n  user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ\n", True),
    ("chpasswd: {list: 'root:x'}\npassword: hunter2hunter2\n", True),
    ("discovery:\n  bootstrapToken:\n    token: abcdef.0123456789abcdef\n", False),
    ("password: ${DB_PASSWORD}\n", False),
    ("#cloud-config\npackages: [containerd]\n", False),
])
def test_user_data_credentials(text, hit):
    assert bool(run_policy("ecs-user-data-no-credentials", C.INSTANCE, {**GPU, "userData": secret(text)})) is hit
    # ECS also takes base64 user data
    b64 = base64.b64encode(text.encode()).decode()
    assert bool(run_policy("ecs-user-data-no-credentials", C.INSTANCE, {**GPU, "userData": b64})) is hit


def test_user_data_bootstrap_token_can_be_forbidden_per_stack():
    ud = secret("discovery:\n  bootstrapToken:\n    token: abcdef.0123456789abcdef\n")
    assert run_policy("ecs-user-data-no-credentials", C.INSTANCE, {**GPU, "userData": ud}, {"allowBootstrapToken": False})


def test_user_data_unknown_is_reported():
    assert "unknown" in run_policy("ecs-user-data-no-credentials", C.INSTANCE, {**GPU, "userData": secret(U)})[0]


# --- VPC (stack) -------------------------------------------------------------------

def test_flow_logs_required_per_stack():
    vpc = res(C.VPC, "vpc", {"cidrBlock": "10.32.0.0/16", "id": "vpc-1"})
    log = res(C.FLOW_LOG, "fl", {"resourceType": "VPC", "resourceId": "vpc-1"})
    assert run_stack("vpc-flow-logs", [vpc]) == []                                  # not asked for
    assert run_stack("vpc-flow-logs", [vpc], {"requireFlowLogs": True})[0][1] == vpc.urn
    assert run_stack("vpc-flow-logs", [vpc, log], {"requireFlowLogs": True}) == []
    by_dep = res(C.FLOW_LOG, "fl2", {"resourceType": "VPC", "resourceId": U}, deps=[vpc])
    assert run_stack("vpc-flow-logs", [vpc, by_dep], {"requireFlowLogs": True}) == []  # unknown id, known dependency
    unknown = res(C.FLOW_LOG, "fl3", {"resourceType": "VPC", "resourceId": U})
    got = run_stack("vpc-flow-logs", [vpc, unknown], {"requireFlowLogs": True})
    assert got and "unknown" in got[0][0]


def _eni(vswitches: dict, region="cn-beijing", name="eni-config") -> PolicyResource:
    conf = {"region_id": region, "vswitches": vswitches}
    return res(C.CONFIGMAP, name, {"metadata": {"name": name, "namespace": "kube-system"}, "data": {"eni_conf": json.dumps(conf)}})


def test_pod_vswitches_distinct():
    inst = res(C.INSTANCE, "n0", GPU)
    assert run_stack("vpc-pod-vswitches-distinct", [inst, _eni({"cn-beijing-g": ["vsw-p1"]})]) == []
    got = run_stack("vpc-pod-vswitches-distinct", [inst, _eni({"cn-beijing-g": ["vsw-n1"]})])
    assert got and "vsw-n1" in got[0][0]
    got = run_stack("vpc-pod-vswitches-distinct", [res(C.INSTANCE, "n1", {**GPU, "vswitchId": U}), _eni({"cn-beijing-g": ["vsw-p1"]})])
    assert got and "unknown" in got[0][0]


def test_cidr_overlap():
    cfg = {"serviceCidr": "172.21.0.0/20", "idcRanges": ["10.0.0.0/18", "10.128.0.0/14"]}
    ok = [res(C.VPC, "v", {"cidrBlock": "10.32.0.0/16"}), res(C.VSWITCH, "s", {"cidrBlock": "10.32.0.0/22"})]
    assert run_stack("vpc-no-cidr-overlap", ok, cfg) == []
    bad = [res(C.VSWITCH, "s2", {"cidrBlock": "172.21.4.0/22"}), res(C.VPC, "v2", {"cidrBlock": "10.0.0.0/16"})]
    got = run_stack("vpc-no-cidr-overlap", bad, cfg)
    assert len(got) == 2 and {u for _, u in got} == {r.urn for r in bad}
    assert "unknown" in run_stack("vpc-no-cidr-overlap", [res(C.VSWITCH, "s3", {"cidrBlock": U})], cfg)[0][0]


# --- Kubernetes --------------------------------------------------------------------

def ds(name: str, terms: list | None, volumes=None, containers=None, annotations=None) -> dict:
    spec = {"containers": containers or [{"name": "c", "image": "i"}], "volumes": volumes or [
        {"name": "cni", "hostPath": {"path": "/etc/cni/net.d"}}]}
    if terms is not None:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "annotations": annotations or {}},
            "spec": {"template": {"metadata": {}, "spec": spec}}}


NOT_VK = {"key": "type", "operator": "NotIn", "values": ["virtual-kubelet"]}


def test_cni_off_virtual_kubelet_reads_the_calico_node_affinity_patch():
    # calico-node is adopted through a DaemonSetPatch of its affinity (components/calico.py): a patch
    # whose terms let virtual nodes through is as wrong as a DaemonSet that does.
    assert run_policy("k8s-cni-off-virtual-kubelet", C.DAEMONSET_PATCH, ds("calico-node", [{"matchExpressions": [NOT_VK]}])) == []
    assert run_policy("k8s-cni-off-virtual-kubelet", C.DAEMONSET_PATCH, ds("calico-node", [{"matchExpressions": []}]))


def test_cni_off_virtual_kubelet():
    assert run_policy("k8s-cni-off-virtual-kubelet", C.DAEMONSET, ds("calico-node", [{"matchExpressions": [NOT_VK]}])) == []
    assert run_policy("k8s-cni-off-virtual-kubelet", C.DAEMONSET, ds("calico-node", None))
    # two ORed terms: the second one lets the DaemonSet onto virtual nodes
    two = [{"matchExpressions": [NOT_VK]}, {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]
    assert "nodeSelectorTerms[1]" in run_policy("k8s-cni-off-virtual-kubelet", C.DAEMONSET, ds("terway-eniip", two))[0]
    # a non-CNI DaemonSet is out of scope
    assert run_policy("k8s-cni-off-virtual-kubelet", C.DAEMONSET, ds("node-exporter", None, volumes=[{"name": "p", "emptyDir": {}}])) == []
    unknown = ds("calico-node", [{"matchExpressions": [NOT_VK]}])
    unknown["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] = U
    assert "unknown" in run_policy("k8s-cni-off-virtual-kubelet", C.DAEMONSET, unknown)[0]


def test_eni_config_covers_cloud_node_zones():
    n_g = res(C.INSTANCE, "g0", GPU)
    n_h = res(C.INSTANCE, "h0", {**GPU, "availabilityZone": "cn-beijing-h"})
    assert run_stack("k8s-terway-eni-config-zones", [n_g, n_h, _eni({"cn-beijing-g": ["p1"], "cn-beijing-h": ["p2"]})]) == []
    got = run_stack("k8s-terway-eni-config-zones", [n_g, n_h, _eni({"cn-beijing-g": ["p1"]}, name="eni-config-cn-beijing")])
    assert len(got) == 1 and "cn-beijing-h" in got[0][0] and "eni-config-cn-beijing" in got[0][0]
    assert run_stack("k8s-terway-eni-config-zones", [n_g])[0][0].startswith("Deploy Terway's eni-config")
    # zone from the vSwitch when availabilityZone is not set; unknown when that cannot be resolved
    sw = res(C.VSWITCH, "sw", {"id": "vsw-n1", "zoneId": "cn-beijing-g"})
    n_sw = res(C.INSTANCE, "s0", {k: v for k, v in GPU.items() if k != "availabilityZone"})
    assert run_stack("k8s-terway-eni-config-zones", [sw, n_sw, _eni({"cn-beijing-g": ["p1"]})]) == []
    assert "unknown" in run_stack("k8s-terway-eni-config-zones", [n_sw, _eni({"cn-beijing-g": ["p1"]})])[0][0]


def test_terway_addon_config_covers_cloud_node_zones():
    """Addon mode: the zones come from the vSwitches the terway-eniip config lists, resolved through the VPC."""
    n_g = res(C.INSTANCE, "g0", GPU)
    n_h = res(C.INSTANCE, "h0", {**GPU, "availabilityZone": "cn-beijing-h"})
    sws = [res(C.VSWITCH, "pg", {"id": "vsw-pg", "zoneId": "cn-beijing-g"}),
           res(C.VSWITCH, "ph", {"id": "vsw-ph", "zoneId": "cn-beijing-h"})]
    cfg = {"terwayAddonName": "terway-eniip", "terwayAddonVswitchKey": "PodVswitchId"}

    def addon(ids, name="terway-eniip"):
        return res(C.ADDON, name, {"name": name, "config": json.dumps({"PodVswitchId": ids, "IPVlan": "false"})})

    assert run_stack("k8s-terway-eni-config-zones", [n_g, n_h, *sws, addon(["vsw-pg", "vsw-ph"])], cfg) == []
    got = run_stack("k8s-terway-eni-config-zones", [n_g, n_h, *sws, addon(["vsw-pg"])], cfg)
    assert len(got) == 1 and "cn-beijing-h" in got[0][0] and "terway-eniip" in got[0][0]
    # Another addon listing vSwitches (ack-virtual-node) is not Terway.
    got = run_stack("k8s-terway-eni-config-zones", [n_g, *sws, addon(["vsw-pg"], name="ack-virtual-node")], cfg)
    assert got and got[0][0].startswith("Deploy Terway's eni-config")
    unknown = res(C.ADDON, "terway-eniip", {"name": "terway-eniip", "config": U})
    assert "unknown" in run_stack("k8s-terway-eni-config-zones", [n_g, *sws, unknown], cfg)[0][0]


def test_terway_credentials_present_in_both_modes():
    gpu = res(C.INSTANCE, "g0", GPU)
    cpu = res(C.INSTANCE, "bastion", {**GPU, "instanceType": "ecs.g7.large"})
    terway_ds = res(C.DAEMONSET, "terway-eniip-cn-beijing", ds("terway-eniip-cn-beijing", []))
    addon = res(C.ADDON, "terway-addon", {"name": "terway-eniip", "config": "{}"})
    role = res(C.RAM_ROLE_ATTACHMENT, "g0-role", {"ramRoleName": "r"}, deps=[gpu])
    for terway in (terway_ds, addon):
        got = run_stack("k8s-terway-credentials", [gpu, cpu, terway])
        assert [u for _, u in got] == [gpu.urn] and "RAM role" in got[0][0]  # the CPU instance runs no Terway
        assert run_stack("k8s-terway-credentials", [gpu, terway, role]) == []
    # Manifest: a credential Secret the Terway DaemonSet mounts and the stack declares.
    mounting = ds("terway-eniip-cn-beijing", [], volumes=[{"name": "c", "secret": {"secretName": "terway-credential"}}])
    secret = res(C.K8S_SECRET, "terway-credential", {"metadata": {"name": "terway-credential", "namespace": "kube-system"}})
    assert run_stack("k8s-terway-credentials", [gpu, res(C.DAEMONSET, "t", mounting), secret]) == []
    assert run_stack("k8s-terway-credentials", [gpu, res(C.DAEMONSET, "t", mounting)])  # mounted but never declared
    # Addon: the Secret registered-cluster components read; a Secret of another name does not count.
    addon_secret = res(C.K8S_SECRET, "a", {"metadata": {"name": "alibaba-addon-secret", "namespace": "kube-system"}})
    assert run_stack("k8s-terway-credentials", [gpu, addon, addon_secret]) == []
    assert run_stack("k8s-terway-credentials", [gpu, addon, secret])
    # No Terway in the stack: nothing to check.
    assert run_stack("k8s-terway-credentials", [gpu]) == []
    assert "unknown" in run_stack("k8s-terway-credentials", [res(C.INSTANCE, "u", {**GPU, "roleName": U}), addon])[0][0]


def test_host_root_only_for_named_init_containers():
    root = [{"name": "host-root", "hostPath": {"path": "/", "type": "Directory"}}]
    init = [{"name": "terway-init", "image": "i", "volumeMounts": [{"name": "host-root", "mountPath": "/host"}]}]
    allow = {"hostRootInitContainers": ["terway-init"]}
    ok = ds("terway-eniip-cn-beijing", [], volumes=root)
    ok["spec"]["template"]["spec"]["initContainers"] = init
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, ok, allow) == []
    # Not named in the stack's policy config: refused.
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, ok)
    # The daemon itself mounting the host root: refused even with the init container named.
    daemon = ds("terway-eniip-cn-beijing", [], volumes=root,
                containers=[{"name": "terway", "image": "i", "volumeMounts": [{"name": "host-root", "mountPath": "/host"}]}])
    daemon["spec"]["template"]["spec"]["initContainers"] = init
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, daemon, allow)


def test_host_root_waiver_on_the_object_needs_no_stack_config():
    # The program's own waiver travels with its DaemonSet: the pack's defaults pass it.
    root = [{"name": "host-root", "hostPath": {"path": "/", "type": "Directory"}}]
    init = [{"name": "terway-init", "image": "i", "volumeMounts": [{"name": "host-root", "mountPath": "/host"}]}]
    waived = ds("terway-eniip-cn-beijing", [], volumes=root,
                annotations={"hybrid-gpu.io/host-root-init.terway-init": "chroots into the host root (chart init.sh)"})
    waived["spec"]["template"]["spec"]["initContainers"] = init
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, waived) == []
    # A reason too short to say anything, or another container named: refused.
    short = ds("t", [], volumes=root, annotations={"hybrid-gpu.io/host-root-init.terway-init": "ok"})
    short["spec"]["template"]["spec"]["initContainers"] = init
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, short)
    other = ds("t", [], volumes=root, annotations={"hybrid-gpu.io/host-root-init.setup": "chroots into the host root"})
    other["spec"]["template"]["spec"]["initContainers"] = init
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, other)


def test_the_rendered_terway_daemonset_carries_its_host_root_waiver(dev_raw):
    from hybrid import cni
    from hybrid.model import load

    p = load(dev_raw)
    ds_obj = cni.terway_daemonset(p.cni, p.regions[0].id, "0" * 8)
    assert any(v.get("hostPath", {}).get("path") == "/" for v in ds_obj["spec"]["template"]["spec"]["volumes"])
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, ds_obj) == []


def test_allowed_host_paths():
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, ds("calico-node", [])) == []
    bad = ds("x", [], volumes=[{"name": "root", "hostPath": {"path": "/"}}, {"name": "esc", "hostPath": {"path": "/etc/cni/net.d/../../shadow"}}])
    assert len(run_policy("k8s-allowed-host-paths", C.DAEMONSET, bad)) == 2
    docker = ds("x", [], volumes=[{"name": "d", "hostPath": {"path": "/var/run/docker.sock"}}])
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, docker)
    assert run_policy("k8s-allowed-host-paths", C.DAEMONSET, docker, {"allowedHostPaths": ["/var/run/docker.sock"]}) == []


def test_privileged_needs_waiver_with_reason():
    priv = [{"name": "init", "image": "i", "securityContext": {"privileged": True}}]
    assert run_policy("k8s-privileged-needs-waiver", C.DAEMONSET, ds("t", [], containers=priv))
    waived = ds("t", [], containers=priv, annotations={"checkov.io/skip4": "CKV_K8S_16=terway-init sets host sysctls and loads modules"})
    assert run_policy("k8s-privileged-needs-waiver", C.DAEMONSET, waived) == []
    no_reason = ds("t", [], containers=priv, annotations={"checkov.io/skip4": "CKV_K8S_16="})
    assert run_policy("k8s-privileged-needs-waiver", C.DAEMONSET, no_reason)
    kl = ds("t", [], containers=priv, annotations={"ignore-check.kube-linter.io/privileged-container": "calico-node: BIRD, iptables"})
    assert run_policy("k8s-privileged-needs-waiver", C.DAEMONSET, kl) == []


def test_virtual_node_version_and_default_region():
    conf = {"regions": [{"regionId": "cn-beijing", "default": True}, {"regionId": "cn-hangzhou", "default": False}]}
    ok = {"name": "ack-virtual-node", "version": "2.13.0", "config": json.dumps(conf), "clusterId": "c"}
    assert run_policy("ack-virtual-node-config", C.ADDON, ok) == []
    assert "Upgrade" in run_policy("ack-virtual-node-config", C.ADDON, {**ok, "version": "2.12.3"})[0]
    two = {"regions": [{"regionId": "cn-beijing", "default": True}, {"regionId": "cn-hangzhou", "default": "true"}]}
    assert "exactly one" in run_policy("ack-virtual-node-config", C.ADDON, {**ok, "config": json.dumps(two)})[0]
    assert run_policy("ack-virtual-node-config", C.ADDON, {**ok, "config": "{}"})
    assert run_policy("ack-virtual-node-config", C.ADDON, {**ok, "name": "terway-eniip", "version": "1.0.0"}) == []
    assert "unknown" in run_policy("ack-virtual-node-config", C.ADDON, {**ok, "version": U})[0]



def test_virtual_node_rule_reads_the_config_the_program_writes():
    """The rule must understand the spelling hybrid.virtual_node emits (its keys are unconfirmed
    and may change in ADDON_KEYS): a real one- and three-region config passes, and the same
    config with the default flag set twice or on no region fails."""
    from hybrid.virtual_node import ADDON_KEYS, RegionEntry, addon_config_json

    def entry(rid, default):
        return RegionEntry(rid, f"vpc-{rid}", (f"vsw-{rid}-a",), f"sg-{rid}", default)

    default_key, regions_key = ADDON_KEYS["default"].json, ADDON_KEYS["regions"].json
    for ids in (["cn-beijing"], ["cn-beijing", "cn-hangzhou", "cn-zhangjiakou"]):
        raw = addon_config_json("10.0.0.10", 6443, [entry(r, r == ids[0]) for r in ids])
        ok = {"name": "ack-virtual-node", "version": "2.13.0", "config": raw, "clusterId": "c"}
        assert run_policy("ack-virtual-node-config", C.ADDON, ok) == []
        for flags in ([True] * len(ids), [False] * len(ids)):
            if flags == [True]:
                continue  # one region flagged default is the valid case
            conf = json.loads(raw)
            for region, flag in zip(conf[regions_key], flags):
                region[default_key] = flag
            bad = run_policy("ack-virtual-node-config", C.ADDON, {**ok, "config": json.dumps(conf)})
            assert bad and "exactly one" in bad[0], (ids, flags, bad)

# --- stack ---------------------------------------------------------------------------

def test_cloud_node_label_in_kubelet_config():
    assert run_stack("stack-gpu-cloud-node-label", [res(C.INSTANCE, "g", GPU)]) == []
    unlabelled = {**GPU, "userData": secret("node-labels: alibabacloud.com/gpu=true")}
    assert run_stack("stack-gpu-cloud-node-label", [res(C.INSTANCE, "g", unlabelled)])
    b64 = {**GPU, "userData": base64.b64encode(b"KUBELET_EXTRA_ARGS=--node-labels=x=y,alibabacloud.com/external=true").decode()}
    assert run_stack("stack-gpu-cloud-node-label", [res(C.INSTANCE, "g", b64)]) == []
    assert "unknown" in run_stack("stack-gpu-cloud-node-label", [res(C.INSTANCE, "g", {**GPU, "userData": secret(U)})])[0][0]


def test_placement_within_capacity():
    def stack(placement):
        return res(C.STACK, "p-s", {"placement": placement})
    ok = {"w": {"assignments": {"idc": 4, "cn-beijing": 2}, "capacity": {"idc": 4, "cn-beijing": 10}, "unplaced": 0}}
    assert run_stack("stack-placement-within-capacity", [stack(ok)]) == []
    over = {"w": {"assignments": {"idc": 5}, "capacity": {"idc": 4}, "unplaced": 0}}
    assert "Move 1 replica" in run_stack("stack-placement-within-capacity", [stack(over)])[0][0]
    assert "capacity" in run_stack("stack-placement-within-capacity", [stack({"w": {"assignments": {"idc": 1}}})])[0][0]
    assert "unknown" in run_stack("stack-placement-within-capacity", [stack(U)])[0][0]
    assert run_stack("stack-placement-within-capacity", [res(C.STACK, "p-s", {})]) == []  # no placement output at all


def test_unknown_marker_refuses_truthiness():
    with pytest.raises(TypeError):
        bool(C.UNKNOWN)


# --- leases and owners --------------------------------------------------------

_GPU = "ecs.gn7i-c32g1.8xlarge"


def _leased(end, owner="ml-platform"):
    tags = {"pool": "a10", "lease-end": end}
    if owner is not None:
        tags["owner"] = owner
    return P({"instanceType": _GPU, "tags": tags})


def test_lease_not_expired():
    import datetime as dt

    day = dt.date(2027, 4, 1)
    assert lease.check_lease_not_expired(_leased("2027-04-01"), today=day) == []  # the last day is inside
    (msg,) = lease.check_lease_not_expired(_leased("2027-03-31"), today=day)
    assert "ended on 2027-03-31" in msg and "ml-platform" in msg
    assert "not a date" in lease.check_lease_not_expired(_leased("31.03.2027"), today=day)[0]
    assert "unknown" in lease.check_lease_not_expired(P({"instanceType": _GPU, "tags": {"lease-end": U}}), today=day)[0]
    assert lease.check_lease_not_expired(P({"instanceType": "ecs.g7.large", "tags": {"lease-end": "2020-01-01"}}), today=day) == []


def test_lease_day_from_the_environment(monkeypatch):
    """HYBRID_TODAY pins the pack's day (the model never reads one); a value that is no date is
    a mandatory violation naming the variable, not a crash of the pack."""
    monkeypatch.setenv("HYBRID_TODAY", "2027-04-01")
    (msg,) = lease.check_lease_not_expired(_leased("2027-03-31"))
    assert "ended on 2027-03-31" in msg
    monkeypatch.setenv("HYBRID_TODAY", "2027-03-31")
    assert lease.check_lease_not_expired(_leased("2027-03-31")) == []
    monkeypatch.setenv("HYBRID_TODAY", "tomorrow")
    (msg,) = lease.check_lease_not_expired(_leased("2027-03-31"))
    assert "HYBRID_TODAY" in msg and "'tomorrow'" in msg
    assert lease.check_lease_ending_soon(_leased("2027-03-31"), {"warnDays": 30}) == []
    assert lease.check_lease_not_expired(_leased(None)) == []  # no lease: nothing to judge, whatever the day


def test_lease_ending_soon_window_per_stack():
    import datetime as dt

    day = dt.date(2027, 3, 1)
    # 30 days left: inside a 30-day window, outside a 14-day one
    assert lease.check_lease_ending_soon(_leased("2027-03-31"), {"warnDays": 30}, today=day)
    assert lease.check_lease_ending_soon(_leased("2027-03-31"), {"warnDays": 14}, today=day) == []
    assert lease.check_lease_ending_soon(_leased("2027-03-31"), None, today=day)  # default 30
    assert lease.check_lease_ending_soon(_leased("2027-02-28"), {"warnDays": 30}, today=day) == []  # past: the mandatory rule's


def test_gpu_owner_tagged():
    assert lease.check_gpu_owner(_leased("2027-03-31")) == []
    assert "owner" in lease.check_gpu_owner(_leased("2027-03-31", owner=None))[0]
    assert "owner" in lease.check_gpu_owner(_leased("2027-03-31", owner=" "))[0]
    assert "unknown" in lease.check_gpu_owner(P({"instanceType": _GPU, "tags": {"owner": U}}))[0]
    assert lease.check_gpu_owner(P({"instanceType": "ecs.g7.large", "tags": {}})) == []


# --- identities -----------------------------------------------------------------------

def _ram(statements) -> dict:
    return {"policyName": "p", "policyDocument": json.dumps({"Version": "1", "Statement": statements})}


@pytest.mark.parametrize("statement,hit", [
    ({"Effect": "Allow", "Action": ["ecs:CreateNetworkInterface"], "Resource": ["acs:ecs:cn-beijing:*:*"]}, None),
    ({"Effect": "Allow", "Action": "*", "Resource": ["acs:ecs:cn-beijing:*:*"]}, "actions"),
    ({"Effect": "Allow", "Action": ["ecs:*"], "Resource": ["acs:ecs:cn-beijing:*:*"]}, "actions"),
    ({"Effect": "Allow", "Action": ["ecs:Describe*"], "Resource": ["acs:ecs:cn-beijing:*:*"]}, "actions"),
    ({"Effect": "Allow", "Action": ["vpc:DescribeVSwitches"], "Resource": "*"}, "resources"),
    ({"Effect": "Allow", "Action": ["vpc:DescribeVSwitches"], "Resource": ["acs:*:*:*:*"]}, "resources"),
    ({"Effect": "Deny", "Action": "*", "Resource": "*"}, None),  # a deny with wildcards only narrows
])
def test_ram_policy_wildcards(statement, hit):
    got = run_policy("ram-policy-no-wildcards", "alicloud:ram/policy:Policy", _ram([statement]))
    if hit is None:
        assert got == []
    else:
        assert len(got) == 1 and hit in got[0]


def test_ram_policy_unknown_document_is_reported():
    got = run_policy("ram-policy-no-wildcards", "alicloud:ram/policy:Policy", {"policyDocument": U})
    assert got and "unknown" in got[0]


def test_access_keys_only_in_secrets():
    ak = "LTAI5tQ2x8Yb3Kc7Hn9Wm1Zp"
    cm = "kubernetes:core/v1:ConfigMap"
    # an AccessKey id inside Terway's eni_conf JSON, and a key named access_secret
    hit = run_policy("access-keys-only-in-secrets", cm, {"data": {"eni_conf": json.dumps({"access_key": ak, "access_secret": "x" * 30})}})
    assert len(hit) == 2 and all("Secret" in m for m in hit)
    assert run_policy("access-keys-only-in-secrets", cm, {"data": {"eni_conf": json.dumps({"region_id": "cn-beijing"})}}) == []
    dep = {"spec": {"template": {"spec": {"containers": [{"name": "c", "env": [
        {"name": "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "value": "s" * 30}, {"name": "REGION", "value": "cn-beijing"}]}]}}}}
    assert len(run_policy("access-keys-only-in-secrets", "kubernetes:apps/v1:Deployment", dep)) == 1
    ref = {"spec": {"template": {"spec": {"containers": [{"name": "c", "env": [
        {"name": "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]}}}}
    assert run_policy("access-keys-only-in-secrets", "kubernetes:apps/v1:Deployment", ref) == []
    assert run_policy("access-keys-only-in-secrets", "alicloud:ram/accessKey:AccessKey", {"userName": "u"})


def _with_parent(r: PolicyResource, parent: PolicyResource | None) -> PolicyResource:
    r.parent = parent
    return r


def test_ram_roles_only_on_gpu_pool_instances():
    pool = res("hybrid:gpu:GpuNodePool", "pool", {})
    gpu = _with_parent(res(INSTANCE_T, "gpu", {"instanceType": "ecs.gn7i-c8g1.2xlarge"}), pool)
    web = res(INSTANCE_T, "web", {"instanceType": "ecs.g7.large"})
    ok = res(ATTACH_T, "ok", {"instanceId": "i-1", "ramRoleName": "r"}, deps=[gpu])
    bad = res(ATTACH_T, "bad", {"instanceId": "i-2", "ramRoleName": "r"}, deps=[web])
    stray = res(ATTACH_T, "stray", {"instanceId": "i-3", "ramRoleName": "r"})
    got = run_stack("ecs-ram-roles-gpu-pools-only", [pool, gpu, web, ok, bad, stray])
    urns = sorted(u.rsplit("::", 1)[1] for _, u in got)
    assert urns == ["bad", "stray"]
    inline = res(INSTANCE_T, "inline", {"instanceType": "ecs.g7.large", "roleName": "admin"})
    assert [u.rsplit("::", 1)[1] for _, u in run_stack("ecs-ram-roles-gpu-pools-only", [inline])] == ["inline"]


INSTANCE_T = "alicloud:ecs/instance:Instance"
ATTACH_T = "alicloud:ecs/ramRoleAttachment:RamRoleAttachment"


@pytest.mark.parametrize("rule,hit", [
    ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}, True),
    ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, True),
    ({"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["ack-credentials"], "verbs": ["get", "update"]}, False),
    ({"apiGroups": ["apps"], "resources": ["*"], "verbs": ["*"]}, False),
    ({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}, False),
])
def test_cluster_role_wildcard_verbs_on_secrets(rule, hit):
    got = run_policy("k8s-no-wildcard-verbs-on-secrets", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
                     {"metadata": {"name": "r"}, "rules": [rule]})
    assert bool(got) is hit


CRB_T = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
RB_T = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"


def _binding(role: str, annotations: dict | None = None, kind: str = "ClusterRole") -> dict:
    meta = {"name": "b", **({"annotations": annotations} if annotations is not None else {})}
    return {"metadata": meta, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": "ack", "namespace": "kube-system"}]}


@pytest.mark.parametrize("rtype,props,hit", [
    # cluster-admin is verbs '*' on every resource (Kubernetes, "User-facing roles"): Secrets included.
    (CRB_T, _binding("cluster-admin"), True),
    (RB_T, _binding("cluster-admin"), True),  # within its namespace, still every Secret there
    (CRB_T, _binding("cluster-admin", {"hybrid-gpu.io/cluster-admin-reason": "ok"}), True),  # no reason given
    (CRB_T, _binding("cluster-admin", {"checkov.io/skip1": "CKV_K8S_1=some reason"}), True),  # another tool's waiver
    (CRB_T, _binding("cluster-admin", {"hybrid-gpu.io/cluster-admin-reason": "Alibaba's administrator mode"}), False),
    (CRB_T, _binding("view"), False),
    (RB_T, _binding("cluster-admin", kind="Role"), False),  # a namespaced Role of that name is someone's own
    (CRB_T, _binding(U), True),  # unknown at preview: a mandatory rule does not pass
])
def test_binding_to_cluster_admin_needs_the_programs_waiver(rtype, props, hit):
    got = run_policy("k8s-no-wildcard-verbs-on-secrets", rtype, props)
    assert bool(got) is hit, got


def test_the_agents_admin_binding_carries_the_waiver_the_policy_reads():
    from hybrid import agent

    binding = _binding("cluster-admin", agent.console_binding_annotations("admin"))
    assert binding["roleRef"] == agent.console_role_ref("admin")
    assert run_policy("k8s-no-wildcard-verbs-on-secrets", CRB_T, binding) == []
