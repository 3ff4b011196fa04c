"""Elastic GPU pools: the node script, where it is published, and what the cloud side needs (pure).

ACK adds an instance to a node pool of the registered cluster, then runs the custom node
script whose URL is the ``addNodeScriptPath`` key of the ``ack-agent-config`` ConfigMap in
``kube-system`` (key name: AliyunContainerService/alibabacloud-ack-connector@e401e7dd:
pkg/tcp_tunnel/base/types.go, ``ConfigMapScriptPathKey``; usage:
https://www.alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/create-a-node-pool,
"Step 3"). The script gets the node's provider id, name, labels and taints in
``ALIBABA_CLOUD_*`` variables (same page, "Step 1 (A)").

One script serves every elastic pool of the cluster: it carries one bundle per pool, the files
:func:`hybrid.cloudinit.node_files` renders for a fixed pool (so driver path, data disk, tc
shaping, preload and join are the fixed pools' own scripts and units), plus the boot order.
The join template has placeholders for the node name, the extra labels and the taints; the
script fills them from the environment (``hybrid/scripts/hybrid-elastic-node.sh``).
"""

from __future__ import annotations

import base64
import gzip
import io
import tarfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hybrid import cloudinit, identity, shtemplate, unconfirmed
# bucket_name and script_url live with the model (the reachability list needs them); components use them from here.
from hybrid.model.elastic import AUTOSCALER_ADDON as AUTOSCALER_ADDON, SCRIPT_KEY as SCRIPT_KEY, Autoscaler, ElasticPool
from hybrid.model.elastic import bucket_name as bucket_name, script_url as script_url

if TYPE_CHECKING:
    from hybrid.model import Platform

SCRIPT_TEMPLATE = "hybrid-elastic-node.sh"
BOOT_STEPS_FILE = f"{cloudinit.CONF_DIR}/elastic/boot-steps"

@dataclass(frozen=True)
class ElasticPoolRef:
    region_id: str
    pool: ElasticPool


def elastic_pools(platform: "Platform") -> list[ElasticPoolRef]:
    return [ElasticPoolRef(r.id, p) for r in platform.regions for p in r.elastic_pools]


def context_for(platform: "Platform", ref: ElasticPoolRef) -> cloudinit.NodeContext:
    return cloudinit.context_for(platform, ref.region_id, ref.pool.node_pool())


def node_pool_labels(platform: "Platform", ref: ElasticPoolRef) -> dict[str, str]:
    """Labels the node pool declares: the platform's node labels and the pool's own.

    ACK hands them to the node script in ALIBABA_CLOUD_LABELS (the pool label is how the script
    finds its pool), and cluster-autoscaler builds the template node of a pool that has no node
    yet from the node pool's labels and taints: a pod selecting the GPU series or the pool
    triggers a scale-out only if the label is declared here.
    """
    return {**cloudinit.static_node_labels(context_for(platform, ref)), **ref.pool.labels}


def boot_steps_text(ref: ElasticPoolRef) -> str:
    return "".join(" ".join(step) + "\n" for step in cloudinit.boot_steps(ref.pool.node_pool()))


def _tar_gz(files: list[dict]) -> bytes:
    """Deterministic tar.gz of the files (fixed owner and mtime, sorted): same config, same bytes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        for f in sorted(files, key=lambda f: f["path"]):
            parts = f["path"].strip("/").split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
                    tar.addfile(info)
            data = f["content"].encode()
            info = tarfile.TarInfo("/".join(parts))
            info.size, info.mode, info.mtime = len(data), int(f["permissions"], 8), 0
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def pool_files(platform: "Platform", ref: ElasticPoolRef, ca_cert_hash: str) -> list[dict]:
    ctx = context_for(platform, ref)
    files = cloudinit.node_files(ctx, cloudinit.render_join_config(ctx, ca_cert_hash, elastic=True))
    files.append({"path": BOOT_STEPS_FILE, "content": boot_steps_text(ref), "owner": "root:root", "permissions": "0644"})
    return files


def render_node_script(platform: "Platform", ca_cert_hash: str) -> str:
    """The one node script of the cluster's elastic pools: no credential in it (the node reads the
    join token at boot with its RAM role, as the fixed pools' nodes do)."""
    cloudinit.check_ca_hash(ca_cert_hash)
    refs = elastic_pools(platform)
    if not refs:
        raise ValueError("no elastic pools: nothing to render")
    bundles = [base64.b64encode(_tar_gz(pool_files(platform, ref, ca_cert_hash))).decode()
               for ref in refs]
    return shtemplate.render(SCRIPT_TEMPLATE, POOLS=[ref.pool.name for ref in refs], BUNDLES=bundles,
                             POOL_LABEL=cloudinit.LABEL_POOL, PACKAGES=list(cloudinit.NODE_PACKAGES),
                             CONF_DIR=cloudinit.CONF_DIR)


# --- where the script lives ----------------------------------------------------------

# How ACK's node initialisation downloads addNodeScriptPath is not documented beyond "you can
# use a signed URL": whether it signs with the node's RAM role is the one open point.
SCRIPT_FETCH = unconfirmed.value("elastic.scriptFetch")


# Operator of the acs:SourceVpc condition (the key is documented; the operator's use here is not confirmed).
SOURCE_VPC_OPERATOR = unconfirmed.value("elastic.sourceVpcCondition")


def script_bucket_policy(bucket: str, vpc_ids: list[str]) -> dict[str, Any]:
    """OSS bucket policy: anyone whose request comes from one of ``vpc_ids`` may GET the node script, nothing else.

    The script carries no credential (nodes read the join token with their RAM role), so the unsigned
    VPC-internal ``addNodeScriptPath`` URL works however ACK's node initialisation downloads it.
    Principal ``*`` with a Condition applies to anonymous requests too; ``acs:SourceVpc`` is the
    request's VPC (Alibaba OSS "Bucket Policy", alibabacloud.com/help/en/oss/user-guide/oss-bucket-policy).
    """
    if not vpc_ids:
        raise ValueError("the node script's bucket policy needs at least one VPC id")
    return {"Version": "1", "Statement": [{
        "Effect": "Allow", "Principal": ["*"], "Action": ["oss:GetObject"],
        "Resource": [f"acs:oss:*:*:{bucket}/{SCRIPT_KEY}"],
        "Condition": {SOURCE_VPC_OPERATOR: {"acs:SourceVpc": sorted(vpc_ids)}}}]}


def script_read_policy(bucket: str) -> dict[str, Any]:
    """RAM policy for the elastic nodes' role: read the node script object and nothing else."""
    return {"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": ["oss:GetObject"], "Resource": [f"acs:oss:*:*:{bucket}/{SCRIPT_KEY}"]}]}


# --- cluster autoscaler ----------------------------------------------------------------

# The custom policy Alibaba's "Enable auto scaling for node pools" page for ACK One registered
# clusters grants the RAM user whose AccessKey goes into kube-system/alibaba-addon-secret
# (https://www.alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/enable-auto-scaling-for-the-node-pool,
# "Step 1"). The page's list was read up to cs:DescribeTaskInfo; the remaining actions are those of
# ACK's AliyunCSManagedAutoScalerRole policy for the same component
# (AliyunContainerService/ack-ram-tool, package scanaddon, "AliyunCSManagedAutoScalerRole").
AUTOSCALER_ACTIONS = (
    "ess:DescribeScalingGroups", "ess:DescribeScalingInstances", "ess:DescribeScalingActivities",
    "ess:DescribeScalingConfigurations", "ess:DescribeScalingRules", "ess:DescribeScheduledTasks",
    "ess:DescribeLifecycleHooks", "ess:DescribeNotificationConfigurations", "ess:DescribeNotificationTypes",
    "ess:DescribeRegions", "ess:CreateScalingRule", "ess:ModifyScalingGroup", "ess:RemoveInstances",
    "ess:ExecuteScalingRule", "ess:ModifyScalingRule", "ess:DeleteScalingRule", "ecs:DescribeInstanceTypes",
    "ess:DetachInstances", "ess:CompleteLifecycleAction", "ess:ScaleWithAdjustment", "ess:DescribePatternTypes",
    "vpc:DescribeVSwitches", "cs:DeleteClusterNodes", "cs:DescribeClusterNodes", "cs:DescribeClusterNodePools",
    "cs:DescribeClusterNodePoolDetail", "cs:DescribeTaskInfo",
    # from ack-ram-tool's AliyunCSManagedAutoScalerRole list (the page's tail was not read)
    "cs:ScaleClusterNodePool", "cs:RemoveNodePoolNodes", "ecs:DescribeAvailableResource",
    "ecs:DescribeInstanceTypeFamilies", "ecs:DescribeInstances", "ecs:DescribeImages",
)


def autoscaler_policy(region_id: str) -> dict[str, Any]:
    """The documented actions, one statement per service, limited to the cluster's region.

    Alibaba's page grants them on ``"*"``; the autoscaler only acts on the scaling groups,
    instances and node pools of the registered cluster's region, so each statement is narrowed
    to that region's resources the way the GPU node role is (hybrid.identity.region_resource;
    the ARN form is ``ram.regionResource`` in hybrid/unconfirmed.py).
    """
    by_service: dict[str, list[str]] = {}
    for action in AUTOSCALER_ACTIONS:
        by_service.setdefault(action.split(":")[0], []).append(action)
    return {"Statement": [{"Action": actions, "Effect": "Allow", "Resource": [identity.region_resource(service, region_id)]}
                          for service, actions in sorted(by_service.items())],
            "Version": "1"}


def autoscaling_config(a: Autoscaler) -> dict[str, Any]:
    """Arguments of ``cs.AutoscalingConfig`` (CreateAutoscalingConfig) for the cluster.

    Which CS field drives cluster-autoscaler's ``--scale-down-unneeded-time`` and which
    ``--scale-down-delay-after-add`` is unconfirmed (the provider's descriptions of
    ``unneeded_duration`` and ``cool_down_duration`` read the other way round than the console's):
    see ``elastic.unneededField`` in hybrid/unconfirmed.py.
    """
    unneeded_field = unconfirmed.value("elastic.unneededField")
    delay_field = "cool_down_duration" if unneeded_field == "unneeded_duration" else "unneeded_duration"
    return {
        "scaler_type": "cluster-autoscaler",
        "scale_down_enabled": True,
        unneeded_field: f"{a.scale_down_unneeded_minutes}m",
        delay_field: f"{a.scale_down_delay_after_add_minutes}m",
        "utilization_threshold": _ratio(a.utilization_threshold),
        "gpu_utilization_threshold": _ratio(a.gpu_utilization_threshold),
        "scan_interval": f"{a.scan_interval_seconds}s",
        "expander": a.expander,
        # Pods reading datasets from the data disk use hostPath volumes, which cluster-autoscaler
        # counts as local storage that blocks a node's removal unless this is off
        # (kubernetes/autoscaler@0024f2540ece:cluster-autoscaler/FAQ.md, "What types of pods can
        # prevent CA from removing a node?"); the keep window is scale-down-unneeded-time instead.
        "skip_nodes_with_local_storage": False,
    }


def _ratio(x: float) -> str:
    return f"{x:g}"


# --- what the plan shows ------------------------------------------------------------------

def snapshot_table(platform: "Platform") -> list[dict[str, Any]]:
    """Which elastic pool creates its nodes' data disks from which snapshot (stack output)."""
    return [{
        "region": ref.region_id,
        "pool": ref.pool.name,
        "snapshotId": ref.pool.data_disk.snapshot_id or "",
        "dataDiskGib": ref.pool.data_disk.size,
        "mountPath": ref.pool.data_disk.mount_path,
        "preload": [p.name for p in ref.pool.preload],
    } for ref in elastic_pools(platform)]
