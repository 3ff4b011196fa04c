"""ack-virtual-node: addon config for multi-region Serverless compute, pod labels, examples.

Pure code. The component (components/virtual_node.py) feeds it resolved ids from the
RegionNetwork outputs; nothing here is typed by hand.

Where the addon's config keys come from
---------------------------------------
The ACK console form for ack-virtual-node (help page "Multi-region serverless computing
power scheduling" for ACK One registered clusters) shows: use VPC internal endpoints,
API server host and port, enable multi-region, and per region the Region ID, VPC ID,
vSwitch IDs, security group and a default-region flag. Only ``APIServerHost`` and
``APIServerPort`` are confirmed JSON spellings (team notes: ../shared/ALIBABA-NOTES.md).
The rest are *unconfirmed*: their spellings come from ``hybrid/unconfirmed.py``
(``vnode.configKeys``), the one place for unconfirmed values. Before the first real install,
compare them with ``alicloud.cs.get_kubernetes_addon_metadata(cluster_id, "ack-virtual-node",
version).config_schema`` (the addon's own JSON Schema) and move the confirmed ones here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from hybrid import unconfirmed

# The lowest addon version with the PrivateLink (VPC-internal) endpoints the platform uses;
# the model's floor and default, and the policy pack's minVersion default (policy/rules/compute.py).
MIN_VERSION_TEXT = "2.13.0"
MIN_VERSION = tuple(int(p) for p in MIN_VERSION_TEXT.split("."))
ADDON_NAME = "ack-virtual-node"


@dataclass(frozen=True)
class Key:
    json: str
    confirmed: bool
    source: str


_UNCONFIRMED = unconfirmed.value("vnode.configKeys").split(",")
ADDON_KEYS: dict[str, Key] = {
    "apiserver_host": Key("APIServerHost", True, "team notes (console form and addon schema)"),
    "apiserver_port": Key("APIServerPort", True, "team notes (console form and addon schema)"),
    # Spellings not confirmed by any source: they come from hybrid/unconfirmed.py, in this order.
    **{name: Key(json_key, False, "hybrid/unconfirmed.py vnode.configKeys")
       for name, json_key in zip(("vpc_internal_endpoints", "multi_region", "regions", "region_id", "vpc_id",
                                  "vswitch_ids", "security_group_id", "default"), _UNCONFIRMED, strict=True)},
}


def parse_version(version: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"v?([0-9]+)\.([0-9]+)\.([0-9]+)", version)
    if not m:
        raise ValueError(f"{version!r} is not a MAJOR.MINOR.PATCH version")
    return int(m[1]), int(m[2]), int(m[3])


@dataclass(frozen=True)
class RegionEntry:
    region_id: str
    vpc_id: str
    vswitch_ids: tuple[str, ...]
    security_group_id: str
    default: bool = False


def addon_config(apiserver_host: str, apiserver_port: int, regions: Iterable[RegionEntry]) -> dict[str, Any]:
    """The addon's config object. Raises ValueError unless exactly one region is the default."""
    k = {name: key.json for name, key in ADDON_KEYS.items()}
    entries = sorted(regions, key=lambda r: (not r.default, r.region_id))  # default first, then by id
    defaults = [r.region_id for r in entries if r.default]
    if len(defaults) != 1:
        raise ValueError(f"exactly one default region is required, got {defaults or 'none'}")
    for r in entries:
        if not r.vswitch_ids or not r.security_group_id or not r.vpc_id:
            raise ValueError(f"region {r.region_id} needs a VPC, at least one vSwitch and a security group")
    return {
        k["apiserver_host"]: apiserver_host,
        k["apiserver_port"]: str(apiserver_port),
        k["vpc_internal_endpoints"]: True,
        k["multi_region"]: len(entries) > 1,
        k["regions"]: [
            {
                k["region_id"]: r.region_id,
                k["vpc_id"]: r.vpc_id,
                k["vswitch_ids"]: list(r.vswitch_ids),
                k["security_group_id"]: r.security_group_id,
                k["default"]: r.default,
            }
            for r in entries
        ],
    }


def addon_config_json(apiserver_host: str, apiserver_port: int, regions: Iterable[RegionEntry]) -> str:
    """Canonical JSON (sorted keys, no spaces): stable bytes, so no spurious diffs."""
    return json.dumps(addon_config(apiserver_host, apiserver_port, regions), sort_keys=True, separators=(",", ":"))


# --- pod labels --------------------------------------------------------------

GPU_CLASSES = ("gpu", "gpu-hpn")
CPU_CLASSES = ("general-purpose", "performance")
REGION_LABEL = "alibabacloud.com/serverless-region-id"


def pod_labels(
    compute_class: str,
    compute_qos: str = "default",
    gpu_model_series: Optional[str] = None,
    region: Optional[str] = None,
    regions: Iterable[str] = (),
) -> dict[str, str]:
    """Labels that send a pod to Serverless compute through ack-virtual-node.

    ``region`` pins the pod to one of the virtual node's ``regions``; without it the pod runs
    in the default region. Put these on the pod template only, never in a selector: the
    platform may rewrite compute-class / compute-qos.
    """
    if compute_class not in GPU_CLASSES + CPU_CLASSES:
        raise ValueError(f"compute class {compute_class!r} is not one of {GPU_CLASSES + CPU_CLASSES}")
    if compute_qos not in ("default", "best-effort"):
        raise ValueError(f"compute QoS {compute_qos!r} is not one of ('default', 'best-effort')")
    if compute_class in GPU_CLASSES and not gpu_model_series:
        raise ValueError(f"compute class {compute_class} needs a GPU model series (e.g. A10, T4)")
    if compute_class in CPU_CLASSES and gpu_model_series:
        raise ValueError(f"compute class {compute_class} takes no GPU model series")
    allowed = list(regions)
    if region is not None and region not in allowed:
        raise ValueError(f"region {region!r} is not a virtual-node region {allowed}")
    labels = {
        "alibabacloud.com/acs": "true",
        "alibabacloud.com/compute-class": compute_class,
        "alibabacloud.com/compute-qos": compute_qos,
    }
    if gpu_model_series:
        labels["alibabacloud.com/gpu-model-series"] = gpu_model_series
    if region is not None:
        labels[REGION_LABEL] = region
    return labels


@dataclass(frozen=True)
class Example:
    name: str
    compute_class: str
    gpu_model_series: Optional[str]
    region: Optional[str]
    requests: dict[str, str] = field(default_factory=dict)


def examples(default_region: str, other_regions: list[str], gpu_model_series: str) -> list[Example]:
    """CPU and GPU, each in the default region and pinned to another (or the default, explicitly)."""
    pinned = other_regions[0] if other_regions else default_region
    cpu = {"cpu": "2", "memory": "4Gi"}
    gpu = {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "1"}
    return [
        Example("serverless-cpu-default", "general-purpose", None, None, cpu),
        Example(f"serverless-cpu-{pinned}", "general-purpose", None, pinned, cpu),
        Example("serverless-gpu-default", "gpu", gpu_model_series, None, gpu),
        Example(f"serverless-gpu-{pinned}", "gpu", gpu_model_series, pinned, gpu),
    ]


def example_deployment(ex: Example, regions: list[str], default_region: str, namespace: str = "default") -> dict[str, Any]:
    labels = pod_labels(ex.compute_class, "default", ex.gpu_model_series, ex.region, regions)
    app = {"app": ex.name}
    limits = dict(ex.requests)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": ex.name, "namespace": namespace, "labels": app},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": app},  # compute labels stay out of the selector
            "template": {
                "metadata": {"labels": {**app, **labels}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "main",
                        # pulled over the VPC endpoint of the region the pod lands in
                        "image": f"registry-vpc.{ex.region or default_region}.aliyuncs.com/acs/pause:3.9",
                        "resources": {"requests": dict(ex.requests), "limits": limits},
                        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}},
                    }],
                },
            },
        },
    }
