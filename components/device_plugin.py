"""GpuDevicePlugin: how the IDC cluster learns the cloud nodes' GPUs (nvidia.com/gpu)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from hybrid import device_plugin as plan
from hybrid.cni import REGION_LABEL
from hybrid.model import Platform


@dataclass
class GpuDevicePluginArgs:
    platform: Platform


class GpuDevicePlugin(pulumi.ComponentResource):
    """One NVIDIA device plugin DaemonSet per cloud region with GPU pools, or, with
    ``gpu.provider: gpu-operator``, a read of the cluster's existing ClusterPolicy: a
    preview or update fails at that read when the operator the stack relies on is absent.
    The IDC cluster's Kubernetes provider comes through ``opts.providers``."""

    def __init__(self, name: str, args: GpuDevicePluginArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:gpu:DevicePlugin", name, None, opts)
        p = args.platform
        self.daemonsets: dict[str, k8s.apps.v1.DaemonSet] = {}
        self.cluster_policy: Optional[pulumi.CustomResource] = None
        if p.gpu.provider == "device-plugin":
            for obj in plan.render(p):
                meta = obj["metadata"]
                rid = meta["labels"][REGION_LABEL]
                self.daemonsets[rid] = k8s.apps.v1.DaemonSet(
                    f"{name}-{meta['name']}",
                    metadata=meta,
                    spec=obj["spec"],
                    opts=pulumi.ResourceOptions(parent=self),
                )
        else:
            # nvidia.com/v1 ClusterPolicy is the GPU Operator's cluster-scoped custom resource.
            self.cluster_policy = k8s.apiextensions.CustomResource.get(
                f"{name}-cluster-policy",
                id=p.gpu.gpu_operator_cluster_policy,
                api_version="nvidia.com/v1",
                kind="ClusterPolicy",
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"daemonSets": sorted(self.daemonsets)})
