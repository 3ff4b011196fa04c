"""GpuNodePool under Pulumi mocks, pool validation, and the prod offline plan."""

from __future__ import annotations

import json
import subprocess
import sys

import pulumi
import pytest
import yaml

from hybrid.errors import ConfigError
from hybrid.model import load
from tests.conftest import ROOT, settle

INSTANCE = "alicloud:ecs/instance:Instance"
DISK = "alicloud:ecs/ecsDisk:EcsDisk"
ATTACH = "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment"


def _build(raw, region_index=0):
    from components.gpu_pool import GpuNodePool, GpuNodePoolArgs
    from components.network import RegionNetwork, RegionNetworkArgs
    from hybrid.cloudinit import context_for

    p = load(raw)
    region = p.regions[region_index]
    net = RegionNetwork(region.id, RegionNetworkArgs(region=region, idc=p.idc, environment=p.environment)).outputs
    cfg = pulumi.Config()
    pools = [
        GpuNodePool(f"{region.id}-{pool.name}", GpuNodePoolArgs(
            context=context_for(p, region.id, pool),
            network=net,
            ca_cert_hash=cfg.require_secret("caCertHash"),
            tags={"env": p.environment},
        ))
        for pool in region.gpu_pools
    ]
    return p, region, net, pools


def test_instances_have_the_real_inputs(pulumi_mocks, prod_raw):
    from hybrid_tools.mockrun import SECRET_SIG, SIG_KEY
    from hybrid_tools.stackconfig import OFFLINE_SECRETS

    rec = pulumi_mocks(prod_raw, stack="prod")
    region = load(prod_raw).regions[0]

    def program():
        _, _, net, pools = _build(prod_raw)
        return (pools, net.vswitch_ids, net.security_group_id,
                [pulumi.Output.all(c.instance_ids, c.disk_ids) for c in pools],
                [pulumi.Output.from_input(c.user_data.is_secret()) for c in pools])

    pools, vsw, sg, ids, secret_flags = settle(program)
    assert all(secret_flags), "user_data must be a secret Output"
    for comp, pool, (inst_ids, disk_ids) in zip(pools, region.gpu_pools, ids):
        inst = [a for a in rec.of_type(INSTANCE) if a.name.startswith(f"{region.id}-{pool.name}-")]
        disks = [a for a in rec.of_type(DISK) if a.name.startswith(f"{region.id}-{pool.name}-")]
        assert len(inst) == len(disks) == len(inst_ids) == len(disk_ids) == pool.count
        for a in inst:
            i = a.inputs
            zone = i["availabilityZone"]
            assert zone in pool.zones
            assert i["instanceType"] == pool.instance_type
            assert i["vswitchId"] == vsw[zone]  # the node vSwitch of the instance's own zone
            assert i["securityGroups"] == [sg]  # the region's workers group
            assert i["internetMaxBandwidthOut"] == 0 and "allocatePublicIp" not in i
            assert i["imageId"] == pool.image_id and i["instanceChargeType"] == "PostPaid"
            if pool.billing.strategy == "Spot":
                assert (i["spotStrategy"], i["spotPriceLimit"]) == ("SpotWithPriceLimit", pool.billing.spot_price_limit)
            else:
                assert i["spotStrategy"] == "NoSpot" and "spotPriceLimit" not in i
            assert i["systemDiskEncrypted"] is True
            # The engine receives user-data wrapped as a secret (the CA hash), with no join token: only the placeholder.
            ud = i["userData"]
            assert isinstance(ud, dict) and ud.get(SIG_KEY) == SECRET_SIG, ud
            assert ud["value"].startswith("#cloud-config\n")
            assert OFFLINE_SECRETS["caCertHash"] in ud["value"] and "token: '@JOIN_TOKEN@'" in ud["value"]
            tags = {k: i["tags"][k] for k in ("env", "pool", "managed-by")}
            assert tags == {"env": "prod", "pool": pool.name, "managed-by": "pulumi"}
        for d in disks:
            x = d.inputs
            assert x["encrypted"] is True and x["kmsKeyId"] == pool.data_disk.kms_key_id
            assert x["size"] == pool.data_disk.size and x["category"] == pool.data_disk.category
            assert x["deleteWithInstance"] is False
        # slot k's disk is attached to slot k's instance, and both sit in the same zone
        for base, inst_id, disk_id in zip(comp.node_names, inst_ids, disk_ids):
            a = rec.named(ATTACH, f"{base}-data-attach")
            assert (a.inputs["instanceId"], a.inputs["diskId"]) == (inst_id, disk_id)
            assert rec.named(DISK, f"{base}-data").inputs["zoneId"] == rec.named(INSTANCE, base).inputs["availabilityZone"]
            assert a.inputs["deleteWithInstance"] is False


def test_ram_role_attached_only_when_configured(pulumi_mocks, dev_raw):
    dev_raw["regions"][0]["gpuPools"][0]["ramRole"] = "hybrid-gpu-node"
    dev_raw["regions"][0]["gpuPools"][0]["count"] = 2
    rec = pulumi_mocks(dev_raw)
    (inst_ids,) = settle(lambda: [_build(dev_raw)[3][0].instance_ids])

    atts = rec.of_type("alicloud:ecs/ramRoleAttachment:RamRoleAttachment")
    assert len(inst_ids) == 2
    assert sorted(a.inputs["instanceId"] for a in atts) == sorted(inst_ids)
    assert {a.inputs["ramRoleName"] for a in atts} == {"hybrid-gpu-node"}


def test_slot_names_are_stable_when_count_changes():
    from hybrid.gpu_nodes import plan_slots

    zones = ["cn-beijing-g", "cn-beijing-h"]
    four = [s.suffix for s in plan_slots(zones, 4)]
    six = [s.suffix for s in plan_slots(zones, 6)]
    assert four == ["cn-beijing-g-0", "cn-beijing-h-0", "cn-beijing-g-1", "cn-beijing-h-1"]
    assert six[:4] == four and six[4:] == ["cn-beijing-g-2", "cn-beijing-h-2"]
    assert [s.suffix for s in plan_slots(zones, 3)] == four[:3]


# --- validation: named fields, exit 2 -----------------------------------------------

def _pool(raw):
    return raw["regions"][0]["gpuPools"][0]


BAD = {
    "non-GPU type": (lambda r: _pool(r).update(instanceType="ecs.g7.2xlarge"),
                     "regions[0].gpuPools[0].instanceType", "not a GPU instance type"),
    "zone without vSwitch": (lambda r: _pool(r).update(zones=["cn-beijing-a"]),
                             "regions[0].gpuPools[0].zones[0]", "has no node vSwitch"),
    "rate 0": (lambda r: _pool(r)["rateLimits"].update(egressMbit=0),
               "regions[0].gpuPools[0].rateLimits.egressMbit", "greater than 0"),
    "rate above bandwidth": (lambda r: _pool(r)["rateLimits"].update(ingressMbit=16001),
                             "regions[0].gpuPools[0].rateLimits", "ingressMbit = 16001 exceeds the 16000 Mbit/s bandwidth"),
    "preload outside mount": (lambda r: _pool(r)["preload"][0].update(target="/mnt/corpus"),
                              "regions[0].gpuPools[0].preload", "preload[0].target '/mnt/corpus' is outside the data disk mount /data"),
    "same disk sizes": (lambda r: _pool(r).update(systemDisk={"size": 500}),
                        "regions[0].gpuPools[0].dataDisk", "equals systemDisk.size"),
    "space in source": (lambda r: _pool(r)["preload"][0].update(source="/mnt/idc/my data/"),
                        "regions[0].gpuPools[0].preload[0].source", "contains"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_pool_config_names_the_field(dev_raw, case):
    mutate, path, text = BAD[case]
    mutate(dev_raw)
    with pytest.raises(ConfigError) as err:
        load(dev_raw)
    hits = [i for i in err.value.issues if i.path == path]
    assert hits and text in hits[0].message and hits[0].fix, err.value.render()


def test_cli_exits_2_with_the_field_path(tmp_path):
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    pool = doc["config"]["hybrid-gpu-platform:regions"][0]["gpuPools"][0]
    pool["instanceType"] = "ecs.g7.2xlarge"
    pool["rateLimits"]["ingressMbit"] = 0
    cfg = tmp_path / "Pulumi.bad.yaml"
    cfg.write_text(yaml.safe_dump(doc))
    out = subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", "dev", "--config", str(cfg),
                          "--out", str(tmp_path / "plan")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "regions[0].gpuPools[0].instanceType" in out.stderr
    assert "regions[0].gpuPools[0].rateLimits.ingressMbit" in out.stderr
    assert not (tmp_path / "plan").exists()


# --- the prod offline plan --------------------------------------------------------

@pytest.fixture(scope="module")
def prod_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu-plan")
    runs = [subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", "prod", "--out", str(out / n)],
                           capture_output=True, text=True, cwd=ROOT, timeout=300) for n in ("a", "b")]
    for r in runs:
        assert r.returncode == 0, r.stderr
    return out / "a" / "prod", out / "b" / "prod", runs[0].stdout


def test_prod_plan_has_the_pools(prod_plan, prod_raw):
    d, _, stdout = prod_plan
    resources = json.loads((d / "resources.json").read_text())
    p = load(prod_raw)
    for region in p.regions:
        for pool in region.gpu_pools:
            comp = [r for r in resources if r["type"] == "hybrid:gpu:GpuNodePool" and r["name"] == f"{region.id}-{pool.name}"]
            assert len(comp) == 1
            kids = [r for r in resources if r["parent"] == comp[0]["urn"]]
            inst = [r for r in kids if r["type"] == INSTANCE]
            disks = [r for r in kids if r["type"] == DISK]
            atts = [r for r in kids if r["type"] == ATTACH]
            assert len(inst) == len(disks) == len(atts) == pool.count
            assert all(r["provider"] == f"alicloud-{region.id}" for r in kids)
            assert all((r.get("options") or {}).get("protect") is True for r in disks)  # training data is protected
            for r in inst:
                assert r["inputs"]["userData"] == "[secret]"
                assert r["options"]["deleteBeforeReplace"] is True and r["options"]["ignoreChanges"] == ["userData"]
            assert all(r["options"]["deleteBeforeReplace"] is True for r in atts)
    total = sum(pool.count for r in p.regions for pool in r.gpu_pools)
    assert total == 12
    assert "alicloud:ecs/instance:Instance" in stdout


def test_prod_plan_cloud_init_artifacts(prod_plan, prod_raw):
    """The artifact is the instances' recorded user-data with the join secrets redacted.

    Expectations from outside the renderer: one file per pool of the stack file, a
    kubeadm JoinConfiguration whose token and CA hash are the marker, and tc shaping of
    every ENI (eth*, as the ECS images the pools use name them) through the service the
    runcmd enables."""
    d, other, _ = prod_plan
    pools = {(r["id"], pool["name"]) for r in prod_raw["regions"] for pool in r.get("gpuPools", [])}
    names = sorted(f.name for f in (d / "cloud-init").iterdir())
    assert names == sorted(f"{rid}-{name}.yaml" for rid, name in pools)
    for name in names:
        text = (d / "cloud-init" / name).read_text()
        doc = yaml.safe_load(text)
        files = {f["path"]: f["content"] for f in doc["write_files"]}
        join = yaml.safe_load(files["/etc/hybrid/kubeadm-join.yaml.tmpl"])
        discovery = join["discovery"]["bootstrapToken"]
        assert discovery["token"] == "@JOIN_TOKEN@" and discovery["caCertHashes"] == ["[secret]"]
        # every ENI (eth*), not eth0 only: the service runs the script without a device, a udev rule per new ENI
        assert "ExecStart=/usr/local/sbin/hybrid-tc\n" in files["/etc/systemd/system/hybrid-tc.service"]
        assert 'KERNEL=="eth*"' in files["/etc/udev/rules.d/90-hybrid-tc.rules"]
        assert ["systemctl", "enable", "--now", "hybrid-tc.service", "hybrid-tc.timer"] in doc["runcmd"]
        assert text == (other / "cloud-init" / name).read_text()  # deterministic
    assert (d / "resources.json").read_bytes() == (other / "resources.json").read_bytes()


def test_prod_plan_exports_each_pools_nodes(prod_plan, prod_raw):
    """Stack output gpuPools: per pool the instance ids of the plan's instances, the node names the
    hosts register under, and the private IPs (known once the provider created the instances)."""
    d, _, _ = prod_plan
    resources = json.loads((d / "resources.json").read_text())
    out = json.loads((d / "outputs.json").read_text())["gpuPools"]
    # hand-read from stacks/Pulumi.prod.yaml
    assert sorted(out) == ["cn-beijing/a10-train", "cn-beijing/a100-burst", "cn-hangzhou/t4-infer", "cn-zhangjiakou/a10-overflow"]
    assert out["cn-beijing/a100-burst"]["gpusPerNode"] == 4
    assert [n["hostName"] for n in out["cn-beijing/a10-train"]["nodes"]] == [
        "a10-train-cn-beijing-g-0", "a10-train-cn-beijing-h-0", "a10-train-cn-beijing-g-1", "a10-train-cn-beijing-h-1"]
    hosts = {r["inputs"]["hostName"]: r for r in resources if r["type"] == INSTANCE}
    for region_pool, pool in out.items():
        for n in pool["nodes"]:
            inst = hosts[n["hostName"]]  # the instance whose host name is the slot's
            assert n["zone"] == inst["inputs"]["availabilityZone"]
            assert n["instanceId"].startswith("i-") and "privateIp" in n
            # the Node is the instance's: a replacement (new id) registers a new Node
            assert n["nodeName"] == f"{region_pool.split('/')[0]}.{n['instanceId']}"
