"""The NVIDIA device plugin as a DaemonSet per cloud region: pure rendering, no Pulumi.

Facts taken from github:NVIDIA/k8s-device-plugin at the rendered tag (default v0.17.4),
``deployments/static/nvidia-device-plugin.yml``: container image
``nvcr.io/nvidia/k8s-device-plugin:<tag>`` (mirrored here to a registry the VPC reaches),
env ``FAIL_ON_INIT_ERROR=false``, ``allowPrivilegeEscalation: false`` and all capabilities
dropped, the kubelet's device-plugin directory ``/var/lib/kubelet/device-plugins`` as a
hostPath of type ``Directory``, ``priorityClassName: system-node-critical``, a toleration
of ``nvidia.com/gpu:NoSchedule``, RollingUpdate (the skeleton: hybrid/node_daemonset.py).

Placement: only cloud GPU nodes of the region, i.e. nodes with the cloud-node label
(``cni.cloudNodeLabel``), the region label, and the GPU pool label the pools' kubelet sets;
the pools' taints are tolerated. One DaemonSet per region because the image reference
names the region's VPC registry endpoint.
"""

from __future__ import annotations

from typing import Any

from hybrid import imageref
from hybrid.cloudinit import LABEL_POOL
from hybrid.cni import DIGEST_REASON, PULL_REASON, REGION_LABEL, annotate_waivers, match_expr
from hybrid.model import Platform
from hybrid.model.elastic import AnyPool
from hybrid.model.network import Region
from hybrid.node_daemonset import gpu_tolerations, node_daemonset

Obj = dict[str, Any]

DEVICE_PLUGIN_DIR = "/var/lib/kubelet/device-plugins"
APP_LABEL = {"app.kubernetes.io/name": "nvidia-device-plugin", "app.kubernetes.io/managed-by": "pulumi"}

_ROOT = ("the plugin serves a gRPC socket in the kubelet's root-owned device-plugin directory and reads "
         "/dev/nvidia*; upstream runs it as root")
_NO_PROBE = "upstream ships no health endpoint; the kubelet re-registers the plugin when its socket disappears"
_NO_NETPOL = "the pod opens no port and makes no network call in this mode; there is no traffic for a policy to select"
_READ_ONLY = ("the upstream manifest does not make the root filesystem read-only and the plugin's writes outside the "
              "socket directory were not verified; not forced here")


def name(region_id: str) -> str:
    return f"nvidia-device-plugin-{region_id}"


def node_terms(platform: Platform, region_id: str) -> list[Obj]:
    """The region's cloud GPU nodes: the cloud-node label, the region label, the GPU pool label."""
    label = platform.cni.cloud_node_label
    return [match_expr(label.key, "In", label.value), match_expr(REGION_LABEL, "In", region_id), match_expr(LABEL_POOL, "Exists")]


def image(platform: Platform, region_id: str) -> str:
    """The repository (``{region}`` filled in) with the version as its tag; a reference that
    already carries a tag or digest is refused, never extended (the model reports it first)."""
    dp = platform.gpu.device_plugin
    return imageref.with_tag(dp.image.replace("{region}", region_id), dp.version)


def gpu_regions(platform: Platform) -> list[Region]:
    """Regions with GPU nodes of either kind: fixed pools and elastic pools (ACK node pools)."""
    return [r for r in platform.regions if r.gpu_pools or r.elastic_pools]


def daemonset(platform: Platform, region_id: str) -> Obj:
    dp = platform.gpu.device_plugin
    region = platform.region(region_id)
    labels = {**APP_LABEL, REGION_LABEL: region_id}
    container = {
        "name": "nvidia-device-plugin-ctr",
        "image": image(platform, region_id),
        "imagePullPolicy": "IfNotPresent",
        "env": [{"name": "FAIL_ON_INIT_ERROR", "value": "false"}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
        "volumeMounts": [{"name": "kubelet-device-plugins-dir", "mountPath": DEVICE_PLUGIN_DIR}],
    }
    pools: list[AnyPool] = [*region.gpu_pools, *region.elastic_pools]
    # No API calls in this mode (no GPU feature discovery, no MPS): no token in the pod (the skeleton's).
    # Every GPU taint of the region, fixed and elastic pools alike, is tolerated.
    ds = node_daemonset(name(region_id), dp.namespace, labels, node_terms(platform, region_id),
                        gpu_tolerations(t for pool in pools for t in pool.taints), container,
                        [{"name": "kubelet-device-plugins-dir", "hostPath": {"path": DEVICE_PLUGIN_DIR, "type": "Directory"}}])
    return annotate_waivers(ds, checkov=[
        ("CKV_K8S_8", _NO_PROBE),
        ("CKV_K8S_9", _NO_PROBE),
        ("CKV_K8S_15", PULL_REASON.replace("a CNI pod", "the device plugin").replace("pod networking (and so the registry) is down", "the registry is unreachable")),
        ("CKV_K8S_22", _READ_ONLY),
        ("CKV_K8S_23", _ROOT),
        ("CKV_K8S_40", _ROOT),
        ("CKV_K8S_43", DIGEST_REASON.replace("cni.*.version", "gpu.devicePlugin.version")),
        ("CKV2_K8S_6", _NO_NETPOL),
    ])


def render(platform: Platform) -> list[Obj]:
    """Device plugin DaemonSets of every region with GPU nodes (none when a GPU Operator is relied on)."""
    if platform.gpu.provider != "device-plugin":
        return []
    return [daemonset(platform, r.id) for r in gpu_regions(platform)]
