"""Dual CNI settings: Calico on IDC bare metal, Terway on cloud nodes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from hybrid import unconfirmed
from hybrid.errors import FieldError
from hybrid.model.base import AbsPath, LabelKey, LabelValue, Model, Name
from hybrid.model.bgp import CalicoBgp

_VERSION = r"^v[0-9]+\.[0-9]+\.[0-9]+$"
_IMAGE_REF = r"^[a-z0-9.{}:/_-]+(:[A-Za-z0-9._-]+)?$"


class NodeLabel(Model):
    """The label that marks cloud nodes (set by the GPU pools' kubelet)."""

    key: LabelKey = "alibabacloud.com/external"
    value: LabelValue = Field(default="true", min_length=1)


class Calico(Model):
    install: Literal["manifest", "operator"] = Field(
        default="manifest",
        description="manifest: this program patches the running calico-node DaemonSet's node affinity (nothing else); "
                    "operator: it patches the tigera Installation 'default'.",
    )
    version: str = Field(
        default="v3.28.2", pattern=_VERSION,
        description="Calico version the cluster runs; the objects this program writes follow its CRDs (tests check v3.28.2).")
    namespace: Name = "kube-system"
    bgp: CalicoBgp = CalicoBgp()


class Terway(Model):
    install: Literal["manifest", "addon"] = Field(
        default="manifest",
        description="manifest (default): this program renders one Terway DaemonSet and eni-config per cloud region "
                    "and owns every upgrade. addon: Terway is the registered cluster's terway-eniip component, "
                    "installed and configured through the CS API and maintained by Alibaba; one component serves "
                    "one region (a registered cluster has one VPC, and VPCs do not span regions), so cloud nodes may "
                    "run only in the registration region, and its pod vSwitches are CreateCluster fields, set on a "
                    "new registration only. The default is manifest because it serves multi-region stacks such as "
                    "prod and existing registrations; see docs/cni.md.",
    )
    version: str = Field(
        default="v1.16.7", pattern=_VERSION,
        description="manifest: the Terway image tag (the v1.16 chart's tag); addon: the terway-eniip version given to "
                    "the CS API. An upgrade is a bump of this value.",
    )
    image_registry: str = Field(
        default=unconfirmed.value("terway.imageRegistry").replace("@REGION@", "{region}"),
        min_length=1, max_length=255, pattern=r"^[a-z0-9.{}:/_-]+$",
        description="manifest mode: {region} is replaced by each cloud region's id, so every region pulls from "
                    "its own registry endpoint.",
    )
    ipvlan: bool = Field(
        default=False,
        description="addon mode: the IPVlan option of the terway-eniip component (the IPvlan checkbox of registered "
                    "cluster creation). Manifest mode renders the veth datapath only and rejects true.",
    )
    cni_plugins_image: str = Field(
        default=unconfirmed.value("terway.cniPluginsImage").replace("@REGION@", "{region}"), max_length=255,
        pattern=_IMAGE_REF,
        description="Image that carries the reference CNI plugins (loopback) and a POSIX shell; {region} as above.",
    )
    cni_plugins_dir: AbsPath = Field(default="/opt/cni/bin",
                                     description="Directory inside cni_plugins_image that holds the loopback binary.")
    max_pool_size: int = Field(default=5, ge=0, le=100)
    min_pool_size: int = Field(default=0, ge=0, le=100)
    vswitch_selection_policy: Literal["random", "ordered"] = "ordered"
    credentials: Literal["instanceRole", "accessKey", "credentialFile"] = Field(
        default="instanceRole",
        description="Where terwayd gets Alibaba Cloud credentials. instanceRole: the GPU nodes' RAM role (identity.nodeRole, "
                    "or every pool's ramRole); accessKey: Secret terway-credential from the secret config "
                    "terwayAccessKeyId/terwayAccessKeySecret; credentialFile: Secret addon.network.token from the secret "
                    "config terwayCredentialFile.",
    )

    @model_validator(mode="after")
    def _pool_bounds(self) -> "Terway":
        if self.min_pool_size > self.max_pool_size:
            raise FieldError(
                f"minPoolSize {self.min_pool_size} is above maxPoolSize {self.max_pool_size}; Terway would never settle its idle-IP pool.",
                "set minPoolSize <= maxPoolSize, e.g. minPoolSize: 0, maxPoolSize: 5.",
            )
        if self.ipvlan and self.install == "manifest":
            raise FieldError(
                "ipvlan is true but install is manifest; the self-managed DaemonSet renders the veth datapath only.",
                "set ipvlan: false, or install: addon to let the terway-eniip component set up IPvlan.",
            )
        return self

    def registry(self, region: str) -> str:
        return self.image_registry.replace("{region}", region)

    def plugins_image(self, region: str) -> str:
        return self.cni_plugins_image.replace("{region}", region)


class KubeProxy(Model):
    """kube-proxy of the cloud nodes (its own DaemonSet and config; see docs/cni.md)."""

    image: str = Field(
        default="", max_length=255, pattern=r"^([a-z0-9.:/_-]+(:[A-Za-z0-9._-]+)?)?$",
        description="Image of the cloud nodes' kube-proxy; empty: registry.k8s.io/kube-proxy:v<idc.kubernetesVersion>, the "
                    "image kubeadm deploys for that version. Use the same image (mirror) the IDC's kube-proxy runs.")


class Cni(Model):
    cloud_node_label: NodeLabel = NodeLabel()
    calico: Calico = Calico()
    terway: Terway = Terway()
    kube_proxy: KubeProxy = KubeProxy()
