"""GpuMetrics: dcgm-exporter on every GPU node and the scrape job for the stack's Prometheus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s

from hybrid import gpu_metrics as plan
from hybrid.model import Platform


@dataclass
class GpuMetricsArgs:
    platform: Platform


class GpuMetrics(pulumi.ComponentResource):
    """The exporter DaemonSets (one per GPU pool, labelled with the pool and its lease owner),
    a ConfigMap with the scrape job and the recording rules, and with ``metrics.prometheus:
    managed`` the same scrape job as a custom job of the ARMS environment. Providers come
    through ``opts.providers`` (kubernetes: the IDC cluster; alicloud: the registration region)."""

    def __init__(self, name: str, args: GpuMetricsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:metrics:GpuMetrics", name, None, opts)
        p = args.platform
        self.daemonsets: dict[str, k8s.apps.v1.DaemonSet] = {}
        self.custom_job: Optional[alicloud.arms.EnvCustomJob] = None
        objs = plan.objects(p)
        namespace = None
        for obj in objs:
            meta, kind = obj["metadata"], obj["kind"]
            child = pulumi.ResourceOptions(parent=self, depends_on=[namespace] if namespace is not None else None)
            if kind == "Namespace":
                namespace = k8s.core.v1.Namespace(f"{name}-ns", metadata=meta, opts=pulumi.ResourceOptions(parent=self))
            elif kind == "DaemonSet":
                self.daemonsets[meta["name"]] = k8s.apps.v1.DaemonSet(f"{name}-{meta['name']}", metadata=meta, spec=obj["spec"], opts=child)
            elif kind == "ConfigMap":
                k8s.core.v1.ConfigMap(f"{name}-{meta['name']}", metadata=meta, data=obj["data"], opts=child)
            else:  # a new kind in hybrid.gpu_metrics.objects must be given its resource here
                raise TypeError(f"gpu metrics: no resource for kind {kind}")
        if objs and p.metrics.prometheus == "managed":
            assert p.metrics.managed is not None
            # alicloud_arms_env_custom_job: config_yaml holds Prometheus scrape_configs
            # (alibabacloud.com/help/en/prometheus/developer-reference/use-terraform-to-manage-custom-jobs-for-environment-instances).
            self.custom_job = alicloud.arms.EnvCustomJob(
                f"{name}-scrape", env_custom_job_name=plan.JOB, environment_id=p.metrics.managed.environment_id,
                config_yaml=plan.scrape_text(p), status="run", aliyun_lang="en", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"daemonSets": sorted(self.daemonsets)})
