"""Dual CNI settings: Calico on IDC bare metal, Terway on cloud nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Literal

from pydantic import Field, model_validator

from hybrid import unconfirmed
from hybrid.errors import ConfigIssue, FieldError
from hybrid.model.base import LabelKey, LabelValue, Model, Name
from hybrid.model.bgp import CalicoBgp

if TYPE_CHECKING:
    from hybrid.model.platform import Platform

# Terway's name as a registered cluster's component (install: addon).
# source: alibabacloud-cs20151215 7.2.3 models/_create_cluster_request.py (addons: Terway is
# [{"name": "terway-eniip", ...}]); aliyun/terraform-provider-alicloud@81c43b67
# alicloud/resource_alicloud_cs_kubernetes_addon_test.go (TestAccAliCloudCSKubernetesAddon_terway_eniip).
TERWAY_ADDON = "terway-eniip"

_VERSION = r"^v[0-9]+\.[0-9]+\.[0-9]+$"


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
        description="The IPVlan option of the terway-eniip component (addon mode). Refused while cloud GPU nodes run "
                    "the metadata guard and tc shaping, which see pod traffic only on the veth datapath; manifest mode "
                    "renders the veth datapath only.",
    )
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
        return self

    def registry(self, region: str) -> str:
        return self.image_registry.replace("{region}", region)


class KubeProxy(Model):
    """kube-proxy of the cloud nodes (its own DaemonSet and config; see docs/cni.md)."""

    image: str = Field(
        default="", max_length=255, pattern=r"^([a-z0-9.:/_-]+(:[A-Za-z0-9._-]+)?)?$",
        description="Image of the cloud nodes' kube-proxy; empty: registry.k8s.io/kube-proxy:v<idc.kubernetesVersion>, the "
                    "image kubeadm deploys for that version. Use the same image (mirror) the IDC's kube-proxy runs.")

    def reference(self, kubernetes_version: str) -> str:
        """The image the cloud nodes' kube-proxy runs: the DaemonSet and the nodes' reachability read it here."""
        # kubeadm's default: imageRepository registry.k8s.io (cmd/kubeadm/app/constants DefaultImageRepository),
        # image kube-proxy tagged with the cluster's version (cmd/kubeadm/app/images GetKubernetesImage).
        return self.image or f"registry.k8s.io/kube-proxy:v{kubernetes_version}"


class Cni(Model):
    cloud_node_label: NodeLabel = NodeLabel()
    calico: Calico = Calico()
    terway: Terway = Terway()
    kube_proxy: KubeProxy = KubeProxy()


def check(p: Platform) -> Iterable[ConfigIssue]:
    """Cross-field checks of the CNI settings (duck-typed Platform: cni, regions)."""
    t = p.cni.terway
    nodes = [r.id for r in p.regions if r.gpu_pools or r.elastic_pools]
    if t.ipvlan and (nodes or t.install == "manifest"):
        # hybrid/metadata_guard.py drops pod traffic to 100.100.100.200 in the host's FORWARD chain and
        # hybrid/cloudinit.py render_tc_script shapes per ENI: both see a pod's packets only because the
        # veth datapath routes them through the host (terway@release-1.16 daemon/builder.go getDatapath);
        # IPvlan hands them to the ENI below the host's netfilter and qdiscs.
        why = (f"cloud GPU nodes in {nodes} run the metadata guard (and tc shaping where rateLimits are set), which see pod traffic only on the veth "
               "datapath; IPvlan bypasses the host's netfilter and qdiscs, so pods would reach the metadata service unshaped"
               if nodes else "install is manifest, which renders the veth datapath only")
        yield ConfigIssue("cni.terway.ipvlan", f"ipvlan is true but {why}.", "set ipvlan: false.")
