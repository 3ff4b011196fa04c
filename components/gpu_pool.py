"""GpuNodePool: ECS GPU instances that join the IDC cluster as ordinary workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_alicloud as alicloud

from components.contracts import GpuPoolOutputs, RegionNetworkOutputs
from hybrid.cloudinit import NodeContext, render_cloud_init
from hybrid.gpu_nodes import POOL_TYPE, Slot, host_name, plan_slots


@dataclass
class GpuNodePoolArgs:
    context: NodeContext
    network: RegionNetworkOutputs  # the pool's region: node vSwitch per zone, workers security group
    ca_cert_hash: pulumi.Output[str]
    tags: dict[str, str] = field(default_factory=dict)


class GpuNodePool(pulumi.ComponentResource):
    """One GPU pool of one region.

    Per slot: an ``ecs.Instance`` (node vSwitch of its zone, the region's workers
    security group, no public IP, cloud-init user-data as a secret) and a
    separate, encrypted ``ecs.EcsDisk`` attached with ``EcsDiskAttachment``.
    The disk is protected and not deleted with the instance, so preloaded
    datasets survive an instance replacement; the node finds it again by its
    filesystem label.
    """

    instance_ids: pulumi.Output[list[str]]
    disk_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: GpuNodePoolArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(POOL_TYPE, name, None, opts)
        self._name = name
        self._args = args
        pool = args.context.pool
        self._pool = pool
        self._tags = {**args.tags, "env": args.context.environment, "pool": pool.name, "managed-by": "pulumi",
                      # owner, purpose, lease end and renewal: for the bill, the console and the policy pack
                      **(pool.lease.tags() if pool.lease else {})}

        # No credential in it (the node reads the join token at boot with its RAM role); the CA hash
        # comes from secret config, so the user-data stays a secret output.
        self.user_data: pulumi.Output[str] = pulumi.Output.secret(args.ca_cert_hash.apply(lambda h: render_cloud_init(args.context, h)))

        self.instances: list[alicloud.ecs.Instance] = []
        self.disks: list[alicloud.ecs.EcsDisk] = []
        self.slots = plan_slots(pool.zones, pool.count)
        # Resource name of each slot's instance; its disk and attachment add -data / -data-attach.
        self.node_names = [f"{name}-{slot.suffix}" for slot in self.slots]
        for slot in self.slots:
            self._create_node(slot)

        self.instance_ids = pulumi.Output.all(*[i.id for i in self.instances])
        self.disk_ids = pulumi.Output.all(*[d.id for d in self.disks])
        # Hand-off: what `hybrid-gpu wait-gpus` and operators look for in the cluster.
        self.nodes = pulumi.Output.all(*[
            # The Node is named after the instance (hybrid.cloudinit.FIXED_NODE_NAME); the host name stays the slot's.
            pulumi.Output.all(instanceId=i.id, privateIp=i.private_ip, nodeName=pulumi.Output.concat(self._args.context.region_id, ".", i.id),
                              hostName=host_name(pool, slot), zone=slot.zone)
            for i, slot in zip(self.instances, self.slots)
        ])
        self.outputs = GpuPoolOutputs(
            instance_type=pool.instance_type,
            gpus_per_node=pool.spec.gpus,
            instances=tuple((f"{pool.name}-{slot.suffix}", i.id) for slot, i in zip(self.slots, self.instances)),
            nodes=self.nodes,
        )
        self.register_outputs({"instanceIds": self.instance_ids, "diskIds": self.disk_ids, "nodes": self.nodes})

    # -- children ---------------------------------------------------------

    def _create_node(self, slot: Slot) -> None:
        ctx, pool = self._args.context, self._pool
        base = f"{self._name}-{slot.suffix}"
        host = host_name(pool, slot)
        tags = {**self._tags, "zone": slot.zone}
        spot = pool.billing.strategy == "Spot"
        sysdisk = pool.system_disk

        disk = alicloud.ecs.EcsDisk(
            f"{base}-data",
            zone_id=slot.zone,
            disk_name=f"hybrid-{ctx.environment}-{host}-data",
            description=f"Data disk of {host}: preloaded datasets, kept across instance replacement.",
            category=pool.data_disk.category,
            size=pool.data_disk.size,
            performance_level=pool.data_disk.performance_level,
            encrypted=pool.data_disk.encrypted,
            kms_key_id=pool.data_disk.kms_key_id,
            delete_with_instance=False,
            tags={**tags, "role": "data"},
            # Training data lives here: a deletion must be a deliberate `pulumi state unprotect`.
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        instance = alicloud.ecs.Instance(
            base,
            instance_name=f"hybrid-{ctx.environment}-{host}",
            host_name=host,  # the node's label hybrid.example.com/host; the Node name is <region>.<instance id>
            description=f"Cloud GPU worker of pool {pool.name} ({ctx.region_id}), joined to the IDC cluster.",
            availability_zone=slot.zone,
            vswitch_id=self._args.network.vswitch_ids.apply(lambda ids: ids[slot.zone]),
            security_groups=[self._args.network.security_group_id],
            instance_type=pool.instance_type,
            image_id=pool.image_id,
            instance_charge_type="PostPaid",
            spot_strategy="SpotWithPriceLimit" if spot else "NoSpot",
            spot_price_limit=pool.billing.spot_price_limit if spot else None,
            internet_max_bandwidth_out=0,  # no public IP: traffic goes over the VPC and the leased line
            system_disk_category=sysdisk.category,
            system_disk_size=sysdisk.size,
            system_disk_performance_level=sysdisk.performance_level,
            system_disk_encrypted=sysdisk.encrypted,
            system_disk_kms_key_id=sysdisk.kms_key_id,
            user_data=self.user_data,
            # Security-enhanced metadata mode only: every metadata read needs a session token from a
            # PUT first, so a request forged through a pod (SSRF) cannot read user-data or role credentials.
            http_tokens="required",
            tags=tags,
            volume_tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                # The replacement reuses the host (= node) name: the old node must go first.
                delete_before_replace=True,
                # A changed user-data reboots every node (ECS applies it in place); a rotated
                # bootstrap token must only reach new instances. Roll other cloud-init changes
                # with `pulumi up --replace <urn>` one node at a time: the data disk stays.
                ignore_changes=["userData"],
            ),
        )
        alicloud.ecs.EcsDiskAttachment(
            f"{base}-data-attach",
            disk_id=disk.id,
            instance_id=instance.id,
            delete_with_instance=False,
            # Detach from the old instance before attaching to its replacement.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        if pool.ram_role:
            alicloud.ecs.RamRoleAttachment(
                f"{base}-ram-role",
                instance_id=instance.id,
                ram_role_name=pool.ram_role,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.instances.append(instance)
        self.disks.append(disk)
