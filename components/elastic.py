"""ElasticPools: ACK node pools of the registered cluster that scale with demand, their node script and autoscaler.

* the node script (:mod:`hybrid.elastic`) as a private, server-side encrypted OSS object in the
  registration region, read by the elastic nodes' RAM role (a RAM policy on the role grants
  ``oss:GetObject`` on that one object); its VPC-internal URL goes into ``ack-agent-config``
  (``addNodeScriptPath``) through the agent ConfigMap the RegisteredCluster component manages;
* one ``cs.NodePool`` per elastic pool on the registered cluster, auto scaling on, created only
  after the ConfigMap carries the script path (Alibaba: "You must complete this step before you
  can create a node pool", create-a-node-pool guide, Step 3);
* cluster autoscaling: the ``cluster-autoscaler`` component, its settings
  (``cs.AutoscalingConfig``) and the documented RAM policy for the RAM user whose AccessKey is
  in ``kube-system/alibaba-addon-secret``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_alicloud as alicloud

from components.contracts import NodeRoleOutputs, RegionNetworkOutputs, RegisteredClusterOutputs
from components.oss import private_bucket
from hybrid import elastic, identity
from hybrid.model import Platform


@dataclass
class ElasticPoolsArgs:
    platform: Platform
    # Node pools wait for its agent_config (it carries addNodeScriptPath) and for the agent.
    cluster: RegisteredClusterOutputs
    network: RegionNetworkOutputs            # the registration region's: node vSwitches, workers security group
    ca_cert_hash: pulumi.Output[str]
    # The region's GPU node role (Terway's ENI actions), the component adds the script read;
    # None: the component declares a role (ECS trust only).
    node_role: Optional[NodeRoleOutputs] = None
    # What else must exist first (the alibaba-addon-secret the autoscaler reads).
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


class ElasticPools(pulumi.ComponentResource):
    """Every elastic pool of the registration region, the node script and the cluster autoscaler."""

    def __init__(self, name: str, args: ElasticPoolsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:elastic:ElasticPools", name, None, opts)
        self._name = name
        self._args = args
        p = args.platform
        env = p.environment
        self._tags = {**args.tags, "env": env, "managed-by": "pulumi", "role": "elastic"}
        child = pulumi.ResourceOptions(parent=self)
        region = p.registration.region_id
        role = args.node_role
        # What the node pools and the autoscaler wait for.
        self._waits = [args.cluster.agent_config, args.cluster.connected, *([role.ready] if role else []), *args.depends_on]

        # --- the node script ---------------------------------------------------------
        self.bucket_name = elastic.bucket_name(p)
        self.script_url = elastic.script_url(self.bucket_name, region)
        self.bucket, self.bucket_acl = private_bucket(f"{name}-scripts", f"{name}-scripts-acl", self.bucket_name,
                                                      self._tags, child, versioned=True)
        # No credential in the script: its nodes read the join token with their RAM role. The CA hash
        # comes from secret config, so the content stays a secret output.
        script: pulumi.Output[str] = pulumi.Output.secret(args.ca_cert_hash.apply(lambda h: elastic.render_node_script(p, h)))
        self.script = alicloud.oss.BucketObject(
            f"{name}-node-script",
            bucket=self.bucket.bucket,
            key=elastic.SCRIPT_KEY,
            content=script,
            content_type="text/x-shellscript",
            acl="private",
            server_side_encryption="AES256",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket_acl]),
        )

        # --- who may read it: requests from the cluster region's VPC (unsigned), and the nodes' role ---
        # The internal endpoint serves only the registration region, whose VPC the node pools use.
        self.bucket_policy = alicloud.oss.BucketPolicy(
            f"{name}-scripts-policy",
            bucket=self.bucket.bucket,
            policy=args.network.vpc_id.apply(lambda vpc: identity.policy_json(elastic.script_bucket_policy(self.bucket_name, [vpc]))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket_acl]),
        )
        self.role = None
        role_name = role.role_name if role else None
        if role_name is None:
            self.role = alicloud.ram.Role(
                f"{name}-node-role",
                role_name=f"hybrid-{env}-{region}-elastic-node"[:64],
                assume_role_policy_document=identity.policy_json(identity.ECS_TRUST_POLICY),
                description=f"Elastic GPU nodes of {region} (hybrid {env}).",
                tags=self._tags,
                opts=child,
            )
            role_name = self.role.role_name
        self.role_name = role_name
        self.script_policy = alicloud.ram.Policy(
            f"{name}-script-read",
            policy_name=f"hybrid-{env}-elastic-node-script-read",
            policy_document=identity.policy_json(elastic.script_read_policy(self.bucket_name)),
            description="Elastic GPU nodes read their node script object and nothing else in the bucket.",
            rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
            tags=self._tags,
            opts=child,
        )
        self.script_policy_attachment = alicloud.ram.RolePolicyAttachment(
            f"{name}-script-read",
            role_name=role_name,
            policy_name=self.script_policy.policy_name,
            policy_type="Custom",
            opts=child,
        )

        # --- the node pools ------------------------------------------------------------
        ready = [*self._waits, self.script, self.script_policy_attachment, self.bucket_policy]
        self.node_pools: dict[str, alicloud.cs.NodePool] = {}
        for ref in elastic.elastic_pools(p):
            self.node_pools[ref.pool.name] = self._create_node_pool(ref, role_name, ready)

        # --- cluster autoscaler ----------------------------------------------------------
        self._create_autoscaler()

        self.snapshots = elastic.snapshot_table(p)
        self.register_outputs({
            "scriptUrl": self.script_url,
            "nodePoolIds": {k: v.id for k, v in sorted(self.node_pools.items())},
            "snapshots": self.snapshots,
        })

    def _create_node_pool(self, ref: elastic.ElasticPoolRef, role_name: pulumi.Input[str],
                          ready: list[pulumi.Resource]) -> alicloud.cs.NodePool:
        a, pool = self._args, ref.pool
        p = a.platform
        spot = pool.billing.uses_spot
        zones = tuple(pool.zones)
        disk = pool.data_disk
        labels = elastic.node_pool_labels(p, ref)
        return alicloud.cs.NodePool(
            f"{self._name}-{pool.name}",
            cluster_id=a.cluster.cluster_id,
            node_pool_name=f"hybrid-{p.environment}-{pool.name}",
            # Zones in order of preference: PRIORITY takes the next vSwitch when a zone is out of stock.
            vswitch_ids=a.network.vswitch_ids.apply(lambda ids: [ids[z] for z in zones]),
            multi_az_policy="PRIORITY",
            instance_types=list(pool.instance_types),
            image_id=pool.image_id,
            instance_charge_type="PostPaid",
            on_demand_base_capacity=str(pool.billing.on_demand_base_capacity),
            on_demand_percentage_above_base_capacity=str(pool.billing.on_demand_percentage_above_base),
            spot_strategy="SpotWithPriceLimit" if spot else "NoSpot",
            spot_price_limits=[alicloud.cs.NodePoolSpotPriceLimitArgs(instance_type=t, price_limit=f"{pool.billing.spot_price_limit:g}")
                               for t in pool.instance_types] if spot else None,
            # A reclaimed spot node is replaced before it goes, not after.
            spot_instance_remedy=True if spot else None,
            scaling_config=alicloud.cs.NodePoolScalingConfigArgs(enable=True, min_size=pool.min_size, max_size=pool.max_size, type="gpu"),
            # Scale-in releases the instance (its data disk goes with it; new nodes start from the snapshot).
            scaling_policy="release",
            system_disk_category=pool.system_disk.category,
            system_disk_size=pool.system_disk.size,
            system_disk_performance_level=pool.system_disk.performance_level,
            system_disk_encrypted=pool.system_disk.encrypted,
            system_disk_kms_key=pool.system_disk.kms_key_id,
            data_disks=[alicloud.cs.NodePoolDataDiskArgs(
                category=disk.category,
                size=disk.size,
                performance_level=disk.performance_level,
                encrypted="true" if disk.encrypted else "false",
                kms_key_id=disk.kms_key_id,
                snapshot_id=disk.snapshot_id,
                # The node's own data-disk unit mounts it by label; ACK must not format it.
                auto_format="false",
            )],
            labels=[alicloud.cs.NodePoolLabelArgs(key=k, value=v) for k, v in sorted(labels.items())],
            taints=[alicloud.cs.NodePoolTaintArgs(key=t.key, value=t.value, effect=t.effect) for t in pool.taints],
            security_group_ids=[a.network.security_group_id],
            ram_role_name=role_name,
            internet_max_bandwidth_out=0,
            tags={**self._tags, "pool": pool.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=ready),
        )

    def _create_autoscaler(self) -> None:
        n, p = self._name, self._args.platform
        a = p.registration.autoscaler
        child = pulumi.ResourceOptions(parent=self)
        self.autoscaler_policy = alicloud.ram.Policy(
            f"{n}-autoscaler",
            policy_name=f"hybrid-{p.environment}-cluster-autoscaler",
            policy_document=identity.policy_json(elastic.autoscaler_policy(p.registration.region_id)),
            description="cluster-autoscaler of the registered cluster: Alibaba's documented actions, in the cluster's region.",
            rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
            tags=self._tags,
            opts=child,
        )
        self.autoscaler_policy_attachment = None
        if a.ram_user:
            self.autoscaler_policy_attachment = alicloud.ram.UserPolicyAttachment(
                f"{n}-autoscaler",
                user_name=a.ram_user,
                policy_name=self.autoscaler_policy.policy_name,
                policy_type="Custom",
                opts=child,
            )
        self.autoscaler_addon = alicloud.cs.KubernetesAddon(
            f"{n}-autoscaler-addon",
            cluster_id=self._args.cluster.cluster_id,
            name=elastic.AUTOSCALER_ADDON,
            cleanup_cloud_resources=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self._waits, *self.node_pools.values()]),
        )
        self.autoscaling_config = alicloud.cs.AutoscalingConfig(
            f"{n}-autoscaling",
            cluster_id=self._args.cluster.cluster_id,
            **elastic.autoscaling_config(a),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.autoscaler_addon]),
        )
