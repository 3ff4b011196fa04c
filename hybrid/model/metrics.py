"""GPU metrics: the exporter on the GPU nodes, the Prometheus that scrapes it, what counts as busy.

Off unless ``metrics.enabled``. The exporter is NVIDIA's dcgm-exporter, one DaemonSet per GPU
pool (fixed and elastic, and the IDC's GPU nodes when ``idcNodeSelector`` is set), so every
series carries the pool and its lease owner from the scrape target (``hybrid.gpu_metrics``).
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from hybrid import unconfirmed
from hybrid.errors import FieldError
from hybrid.model.base import LabelKey, LabelValue, Model, Name

# github:NVIDIA/dcgm-exporter@d5e5f510 deployment/values.yaml (chart and appVersion 4.8.2):
# image.repository nvcr.io/nvidia/k8s/dcgm-exporter, image.tag 4.5.3-4.8.2-distroless.
DCGM_EXPORTER_UPSTREAM = "nvcr.io/nvidia/k8s/dcgm-exporter"
DCGM_EXPORTER_TAG = "4.5.3-4.8.2-distroless"


class Exporter(Model):
    image: str = Field(
        default=unconfirmed.value("metrics.exporterImage"), pattern=r"^[a-z0-9.{}:/_-]+$",
        description="dcgm-exporter image reference without tag ({region} is replaced by the pool's region; the IDC's "
                    "DaemonSet uses the registration region): a registry the nodes reach, mirroring " + DCGM_EXPORTER_UPSTREAM + ".")
    version: str = Field(default=DCGM_EXPORTER_TAG, pattern=r"^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9]+)?$",
                         description="Image tag (DCGM version - exporter version - flavour).")

    def reference(self, region_id: str) -> str:
        """The one place the exporter's image reference is built: the DaemonSets and the nodes' reachability read it."""
        return self.image.replace("{region}", region_id) + ":" + self.version


class ManagedPrometheus(Model):
    environment_id: str = Field(pattern=r"^env-[A-Za-z0-9]{1,64}$",
                                description="Managed Service for Prometheus environment of the registered cluster (env-...).")


class Metrics(Model):
    enabled: bool = Field(default=False, description="Collect GPU metrics (dcgm-exporter on every GPU node) and declare the scrape job.")
    namespace: Name = "gpu-metrics"
    exporter: Exporter = Exporter()
    prometheus: Literal["in-cluster", "managed"] = Field(
        default="in-cluster",
        description="in-cluster: a ConfigMap holds the scrape job and the recording rules for the cluster's own Prometheus; "
                    "managed: an ARMS custom job (Managed Service for Prometheus) with the same scrape job.")
    managed: Optional[ManagedPrometheus] = None
    busy_threshold_percent: float = Field(default=10, gt=0, lt=100, allow_inf_nan=False,
                                          description="A GPU is busy while DCGM_FI_DEV_GPU_UTIL is above this (percent).")
    rule_interval_seconds: int = Field(default=60, ge=15, le=600,
                                       description="Evaluation interval of the recording rules; GPU-hours are samples x this.")
    scrape_interval_seconds: int = Field(default=30, ge=5, le=300)
    idc_node_selector: Optional[dict[LabelKey, LabelValue]] = Field(
        default=None, description="Also run the exporter on IDC nodes with these labels (pool label value: idc).")

    @model_validator(mode="after")
    def _managed(self) -> "Metrics":
        if self.prometheus == "managed" and self.managed is None:
            raise FieldError("prometheus is managed but managed.environmentId is missing.",
                             "set managed: {environmentId: env-...} (the ARMS environment of the registered cluster).")
        if self.prometheus == "in-cluster" and self.managed is not None:
            raise FieldError("managed is set but prometheus is in-cluster.", "drop managed or set prometheus: managed.")
        if self.scrape_interval_seconds > self.rule_interval_seconds:
            raise FieldError(f"scrapeIntervalSeconds {self.scrape_interval_seconds} is longer than ruleIntervalSeconds {self.rule_interval_seconds}.",
                             "scrape at least as often as the rules run.")
        return self
