"""components/gpu_pool.py under Pulumi's mocks: every input, option, parent and link of a pool's
children against the stack file worked by hand (dev's a10-dev pool, prod's a10-train)."""

from __future__ import annotations

import ipaddress

import pulumi

from hybrid.model import load
from tests.component_graph import record
from tests.conftest import settle

INSTANCE = "alicloud:ecs/instance:Instance"
DISK = "alicloud:ecs/ecsDisk:EcsDisk"
ATTACH = "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment"
ROLE_ATTACH = "alicloud:ecs/ramRoleAttachment:RamRoleAttachment"
POOL = "hybrid:gpu:GpuNodePool"


def _pool_program(raw, region_index=0, pool_index=0, tags=None):
    def program():
        import pulumi_alicloud as alicloud

        from components.gpu_pool import GpuNodePool, GpuNodePoolArgs
        from components.network import RegionNetwork, RegionNetworkArgs
        from hybrid.cloudinit import context_for

        p = load(raw)
        region = p.regions[region_index]
        pool = region.gpu_pools[pool_index]
        net = RegionNetwork(region.id, RegionNetworkArgs(region=region, idc=p.idc, environment=p.environment)).outputs
        # the region's provider, as components/platform.py hands it: every child must reach the region's API
        provider = alicloud.Provider(f"alicloud-{region.id}", region=region.id)
        comp = GpuNodePool(f"{region.id}-{pool.name}", GpuNodePoolArgs(
            context=context_for(p, region.id, pool), network=net,
            ca_cert_hash=pulumi.Config().require_secret("caCertHash"), tags=tags or {}),
            opts=pulumi.ResourceOptions(providers={"alicloud": provider}))
        return comp, net.vswitch_ids, net.security_group_id, comp.instance_ids, comp.disk_ids, comp.nodes, comp.outputs.nodes
    return program


def _dev_two_nodes(dev_raw):
    # dev's one pool (a10-dev in cn-beijing-g, Spot at 6.5), two nodes, a role, a leased, PL1 system disk
    pool = dev_raw["regions"][0]["gpuPools"][0]
    pool.update(count=2, ramRole="hybrid-gpu-node",
                systemDisk={"category": "cloud_essd", "size": 120, "performanceLevel": "PL1", "kmsKeyId": "key-sys123"},
                lease={"owner": "ml", "purpose": "dev runs", "end": "2027-01-31", "renewal": "release"})
    pool["dataDisk"].update(performanceLevel="PL1", kmsKeyId="key-data456")
    return dev_raw


def test_dev_pool_children_inputs_by_hand(pulumi_mocks, dev_raw):
    raw = _dev_two_nodes(dev_raw)
    _, mon = record(pulumi_mocks, raw)
    comp, vsw, sg, inst_ids, disk_ids, nodes, handed_off = settle(_pool_program(raw, tags={"team": "ml"}))

    names = ["cn-beijing-a10-dev-cn-beijing-g-0", "cn-beijing-a10-dev-cn-beijing-g-1"]
    hosts = ["a10-dev-cn-beijing-g-0", "a10-dev-cn-beijing-g-1"]
    assert [r.name for r in mon.of_type(INSTANCE)] == names
    assert [r.name for r in mon.of_type(DISK)] == [n + "-data" for n in names]
    assert [r.name for r in mon.of_type(ATTACH)] == [n + "-data-attach" for n in names]
    assert [r.name for r in mon.of_type(ROLE_ATTACH)] == [n + "-ram-role" for n in names]
    assert comp.node_names == names

    lease = {"owner": "ml", "purpose": "dev runs", "lease-end": "2027-01-31", "lease-renewal": "release"}
    for name, host, inst_id, disk_id in zip(names, hosts, inst_ids, disk_ids):
        tags = {"team": "ml", "env": "dev", "pool": "a10-dev", "managed-by": "pulumi", **lease, "zone": "cn-beijing-g"}
        i = mon.one(INSTANCE, name).inputs
        assert i == {
            "instanceName": f"hybrid-dev-{host}",
            "hostName": host,
            "description": "Cloud GPU worker of pool a10-dev (cn-beijing), joined to the IDC cluster.",
            "availabilityZone": "cn-beijing-g",
            "vswitchId": vsw["cn-beijing-g"],
            "securityGroups": [sg],
            "instanceType": "ecs.gn7i-c8g1.2xlarge",
            "imageId": "ubuntu_22_04_x64_20G_alibase_20240926.vhd",
            "instanceChargeType": "PostPaid",
            "spotStrategy": "SpotWithPriceLimit",
            "spotPriceLimit": 6.5,
            "internetMaxBandwidthOut": 0,
            "systemDiskCategory": "cloud_essd",
            "systemDiskSize": 120,
            "systemDiskPerformanceLevel": "PL1",
            "systemDiskEncrypted": True,
            "systemDiskKmsKeyId": "key-sys123",
            "userData": i["userData"],  # the secret cloud-init: tests/test_gpu_pool.py
            # alicloud_instance http_tokens: "optional" | "required" (security-enhanced metadata mode)
            "httpTokens": "required",
            "tags": tags,
            "volumeTags": tags,
        }
        d = mon.one(DISK, name + "-data").inputs
        assert d == {
            "zoneId": "cn-beijing-g",
            "diskName": f"hybrid-dev-{host}-data",
            "description": f"Data disk of {host}: preloaded datasets, kept across instance replacement.",
            "category": "cloud_essd", "size": 500, "performanceLevel": "PL1",
            "encrypted": True, "kmsKeyId": "key-data456",
            "deleteWithInstance": False,
            "tags": {**tags, "role": "data"},
        }
        a = mon.one(ATTACH, name + "-data-attach")
        assert a.inputs == {"diskId": disk_id, "instanceId": inst_id, "deleteWithInstance": False}
        assert a.property_dependencies == {"diskId": [mon.one(DISK, name + "-data").urn],
                                           "instanceId": [mon.one(INSTANCE, name).urn]}
        r = mon.one(ROLE_ATTACH, name + "-ram-role")
        assert r.inputs == {"instanceId": inst_id, "ramRoleName": "hybrid-gpu-node"}
        assert r.property_dependencies == {"instanceId": [mon.one(INSTANCE, name).urn]}

        # options: the data survives (protected, not deleted with the instance), the host name is
        # freed before its replacement takes it, user-data changes never reboot running nodes
        assert mon.one(DISK, name + "-data").options == {"protect": True}
        # (pulumi-alicloud's Instance marks its password output secret itself)
        assert mon.one(INSTANCE, name).options == {"deleteBeforeReplace": True, "ignoreChanges": ["userData"],
                                                   "additionalSecretOutputs": ["password"]}
        assert a.options == {"deleteBeforeReplace": True}
        assert r.options == {}

    # every child hangs under the pool component
    pool = mon.one(POOL, "cn-beijing-a10-dev")
    assert len(mon.children(pool)) == 8
    provider = mon.one("pulumi:providers:alicloud", "alicloud-cn-beijing").urn
    # a provider reference is "<provider urn>::<provider id>"
    assert {r.provider.rsplit("::", 1)[0] for r in mon.children(pool)} == {provider}
    # the hand-off: one node per slot, named <region>.<instance id>
    assert [dict(n) for n in nodes] == [
        {"instanceId": iid, "privateIp": n["privateIp"], "nodeName": f"cn-beijing.{iid}", "hostName": host,
         "zone": "cn-beijing-g"}
        for iid, host, n in zip(inst_ids, hosts, nodes)]
    # the address ECS gives each instance in its node vSwitch, inside dev's VPC 10.40.0.0/16
    assert all(ipaddress.ip_address(n["privateIp"]) in ipaddress.ip_network("10.40.0.0/16") for n in nodes)
    # what the platform exports as gpuPools (components/platform.py) is the same list
    assert handed_off == nodes
    assert comp.outputs.instance_type == "ecs.gn7i-c8g1.2xlarge" and comp.outputs.gpus_per_node == 1
    assert [n for n, _ in comp.outputs.instances] == hosts
    registered = mon.outputs[pool.urn]
    assert registered["instanceIds"] == list(inst_ids) and registered["diskIds"] == list(disk_ids)
    assert registered["nodes"] == [dict(n) for n in nodes]


def test_on_demand_pool_has_no_spot_price_and_no_role_attachment(pulumi_mocks, prod_raw):
    # prod cn-beijing a10-train: PayAsYouGo, no ramRole, 2 zones x 2; a spot limit set without Spot
    # does nothing (hybrid/model/gpu.py Billing warns), so it must not reach the instance
    prod_raw["regions"][0]["gpuPools"][0]["billing"] = {"strategy": "PayAsYouGo", "spotPriceLimit": 5}
    _, mon = record(pulumi_mocks, prod_raw, stack="prod")
    settle(_pool_program(prod_raw))
    inst = mon.of_type(INSTANCE)
    assert [r.inputs["availabilityZone"] for r in inst] == ["cn-beijing-g", "cn-beijing-g", "cn-beijing-h", "cn-beijing-h"]
    for r in inst:
        assert r.inputs["spotStrategy"] == "NoSpot" and "spotPriceLimit" not in r.inputs
        assert r.inputs["tags"]["lease-renewal"] == "request" and r.inputs["tags"]["owner"] == "ml-platform"
        # the system disk's defaults (hybrid/model/disk.py): no level, no key
        assert "systemDiskPerformanceLevel" not in r.inputs and "systemDiskKmsKeyId" not in r.inputs
    assert mon.of_type(ROLE_ATTACH) == []
