"""Dual CNI settings: Calico on IDC bare metal, Terway on cloud nodes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hybrid.model.base import Model


class NodeLabel(Model):
    key: str = "alibabacloud.com/external"
    value: str = "true"


class Calico(Model):
    install: Literal["manifest", "operator"] = "manifest"
    version: str = Field(default="v3.28.2", pattern=r"^v[0-9]+\.[0-9]+\.[0-9]+$")
    image_registry: str = "docker.io/calico"
    namespace: str = "kube-system"


class Terway(Model):
    version: str = Field(default="v1.16.7", pattern=r"^v[0-9]+\.[0-9]+\.[0-9]+$")
    image_registry: str = Field(default="registry-vpc.{region}.aliyuncs.com/acs", description="{region} is replaced by the registration region.")
    cni_plugins_image: str = Field(default="registry-vpc.{region}.aliyuncs.com/acs/cni-plugins:v1.5.1", description="Image that carries the reference CNI plugins (loopback).")
    max_pool_size: int = Field(default=5, ge=0, le=100)
    min_pool_size: int = Field(default=0, ge=0, le=100)
    vswitch_selection_policy: Literal["random", "ordered"] = "ordered"
    credential_secret: str = Field(default="terway-credential", description="Secret holding access-key-id/access-key-secret, mounted at /var/alibaba-addon-secret.")


class Cni(Model):
    cloud_node_label: NodeLabel = NodeLabel()
    calico: Calico = Calico()
    terway: Terway = Terway()
