"""How a GPU pool's nodes get a working NVIDIA stack, and how the cluster advertises the GPUs.

Driver branches per instance family follow Alibaba's table of GPU driver and CUDA
versions by GPU instance family (source: https://help.aliyun.com/en/eci/user-guide/create-an-instance-by-specifying-the-gpu-type,
"Specifications"): the compute families gn5 .. gn7e take Tesla 470, 535 or 550; gn8ia
and gn8is take 535 or 550; the vGPU families (*-vws) take only GRID 470, a licensed
driver no apt mirror carries.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Optional

from pydantic import Field, field_validator, model_validator

from hybrid import unconfirmed
from hybrid.errors import FieldError
from hybrid.model.base import Model, Name

TESLA_BRANCHES: dict[str, tuple[str, ...]] = {
    **{f: ("470", "535", "550") for f in ("gn5", "gn5i", "gn6e", "gn6i", "gn6v", "gn7", "gn7e", "gn7i", "gn7s")},
    "gn8ia": ("535", "550"),
    "gn8is": ("535", "550"),
}
GRID_FAMILIES = ("sgn7i-vws", "vgn6i-vws", "vgn7i-vws")

_FAMILY_RE = re.compile(r"^ecs\.([a-z]+[0-9]+[a-z]*(?:-vws)?)[-.]")

# NVIDIA container toolkit release pinned by default (github:NVIDIA/nvidia-container-toolkit@v1.17.8;
# packaging/debian/control there names the four packages hybrid-gpu-driver installs).
TOOLKIT_VERSION = "1.17.8"
# NVIDIA k8s-device-plugin release (github:NVIDIA/k8s-device-plugin@v0.17.4).
DEVICE_PLUGIN_VERSION = "v0.17.4"


def instance_family(instance_type: str) -> Optional[str]:
    """``ecs.gn7i-c32g1.8xlarge`` -> ``gn7i``; ``ecs.ebmgn7ex.32xlarge`` -> ``ebmgn7ex``."""
    m = _FAMILY_RE.match(instance_type)
    return m.group(1) if m else None


class GpuDriver(Model):
    """The NVIDIA driver of a pool's nodes: shipped by the image, or installed at first boot."""

    source: Literal["image", "install"] = Field(
        description="image: imageId ships the driver (an Alibaba GPU image or your own); "
                    "install: cloud-init installs the server driver branch and kernel headers from the image's apt mirrors.")
    branch: str = Field(pattern=r"^[0-9]{3}$", description="NVIDIA data-center driver branch (major version), e.g. 535.")
    toolkit_version: str = Field(default=TOOLKIT_VERSION, pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$",
                                 description="NVIDIA container toolkit version installed on the node.")

    @field_validator("branch", mode="before")
    @classmethod
    def _number_form(cls, v: Any) -> Any:
        # `pulumi config set --path 'regions[0].gpuPools[0].driver.branch' 550` stores the number 550 (Pulumi's
        # structured configuration keeps numbers and booleans typed: pulumi.com/docs/iac/concepts/config/,
        # "Structured configuration"); a branch is three digits either way, so the number means the same
        # (55 is branch 055, refused by the driver table rather than by its form).
        # Any other number is read as its digits too, so it meets the same pattern refusal as the text would
        # (not a type error, "Input should be a valid string", though numbers are accepted).
        if isinstance(v, int) and not isinstance(v, bool):
            return f"{v:03d}"
        return v


def check_driver(driver: Optional[GpuDriver], instance_type: Optional[str]) -> Optional[GpuDriver]:
    """The pool-level rule: a GPU instance type needs a driver path its family supports."""
    if instance_type is None:  # the instance type itself is invalid: reported on its own field
        return driver
    if driver is None:
        raise FieldError(
            f"{instance_type} is a GPU instance type but the pool declares no NVIDIA driver path, so its nodes "
            "would join without nvidia.com/gpu capacity.",
            "add driver: {source: install, branch: \"535\"} (installed at first boot) or "
            "driver: {source: image, branch: \"535\"} with an imageId that ships that driver.",
        )
    family = instance_family(instance_type)
    if family in GRID_FAMILIES:
        raise FieldError(
            f"{instance_type} is a vGPU family that runs only the licensed GRID 470 driver; no driver path here serves it.",
            "use a gn* compute family for Kubernetes GPU nodes.",
        )
    branches = TESLA_BRANCHES.get(family or "")
    if branches is None:
        if driver.source == "install":
            raise FieldError(
                f"Alibaba's driver table lists no driver branch for family {family or instance_type}, so an install cannot be checked.",
                "use source: image with an image validated on this family, or a family from the table "
                f"({', '.join(sorted(TESLA_BRANCHES))}).",
            )
        return driver
    if driver.branch not in branches:
        raise FieldError(
            f"driver branch {driver.branch} is not offered for family {family} (Alibaba lists {', '.join(branches)}).",
            f"set branch to one of {', '.join(branches)}.",
        )
    return driver


class DevicePlugin(Model):
    version: str = Field(default=DEVICE_PLUGIN_VERSION, pattern=r"^v[0-9]+\.[0-9]+\.[0-9]+$")
    image: str = Field(
        default=unconfirmed.value("gpu.devicePluginImage"), pattern=r"^[a-z0-9.{}:/_-]+$",
        description="Image reference without tag ({region} is replaced per cloud region; the tag is version): "
                    "a registry the VPC reaches, mirroring nvcr.io/nvidia/k8s-device-plugin.")
    namespace: Name = "kube-system"


class GpuSupport(Model):
    """How GPUs become allocatable: this program's device plugin, or a GPU Operator the cluster already runs."""

    provider: Literal["device-plugin", "gpu-operator"] = Field(
        default="device-plugin",
        description="device-plugin: one NVIDIA device plugin DaemonSet per cloud region, only on cloud GPU nodes; "
                    "gpu-operator: rely on the IDC cluster's GPU Operator (its ClusterPolicy must cover the cloud nodes).")
    device_plugin: DevicePlugin = DevicePlugin()
    gpu_operator_cluster_policy: Name = Field(
        default="cluster-policy", description="Name of the existing nvidia.com/v1 ClusterPolicy the plan reads (gpu-operator only).")

    @model_validator(mode="after")
    def _one_provider(self) -> "GpuSupport":
        if self.provider == "gpu-operator" and "device_plugin" in self.model_fields_set:
            raise FieldError("devicePlugin is set but provider is gpu-operator.", "drop devicePlugin or set provider: device-plugin.")
        return self


# Label keys a kubelet may set on its own Node under the NodeRestriction admission plugin
# (kubernetes/kubernetes staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go: kubeletLabels
# and kubeletLabelNamespaces; plugin/pkg/admission/noderestriction refuses other keys in the
# kubernetes.io and k8s.io namespaces and everything under node-restriction.kubernetes.io).
KUBELET_LABELS = frozenset({
    "kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch",
    "topology.kubernetes.io/zone", "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
    "beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
})
KUBELET_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")


def kubelet_may_set(key: str) -> bool:
    """Whether NodeRestriction lets a kubelet register its Node with label ``key``."""
    if key in KUBELET_LABELS:
        return True
    ns = key.split("/", 1)[0] if "/" in key else ""
    if any(ns == a or ns.endswith("." + a) for a in KUBELET_LABEL_NAMESPACES):
        return True
    restricted = ("kubernetes.io", "k8s.io")
    return not any(ns == r or ns.endswith("." + r) for r in restricted)
