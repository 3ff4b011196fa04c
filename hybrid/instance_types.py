"""GPU ECS instance types this platform knows the shape of.

Figures are taken from Alibaba Cloud's public instance-family pages
(GPU-accelerated compute-optimized families gn6i, gn7i, gn7e, ebmgn7ex).
Bandwidth is the documented maximum internal bandwidth. A type not listed
here can still be used by giving ``instanceSpec`` on the pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceSpec:
    vcpu: int
    memory_gib: int
    gpus: int
    gpu_model: str
    bandwidth_mbit: int


# GPU-accelerated ECS families: gn<N> (compute), ebmgn<N> (bare metal), sgn<N> / vgn<N>
# (vGPU). The model and the policy pack (policy/rules/common.py imports this) use this one test.
# source: help.aliyun.com/en/eci/user-guide/create-an-instance-by-specifying-the-gpu-type
# (families gn5..gn8is, sgn7i-vws, vgn6i/7i-vws); ebmgn7ex from the instance-family pages above.
GPU_FAMILIES = ("gn", "ebmgn", "sgn", "vgn")
_GPU_TYPE_RE = re.compile(rf"^ecs\.({'|'.join(GPU_FAMILIES)})[0-9]")

KNOWN: dict[str, InstanceSpec] = {
    # gn6i: NVIDIA T4
    "ecs.gn6i-c4g1.xlarge": InstanceSpec(4, 15, 1, "T4", 4_000),
    "ecs.gn6i-c8g1.2xlarge": InstanceSpec(8, 31, 1, "T4", 5_000),
    "ecs.gn6i-c16g1.4xlarge": InstanceSpec(16, 62, 1, "T4", 6_000),
    "ecs.gn6i-c24g1.6xlarge": InstanceSpec(24, 93, 1, "T4", 7_500),
    "ecs.gn6i-c24g1.12xlarge": InstanceSpec(48, 186, 2, "T4", 15_000),
    "ecs.gn6i-c24g1.24xlarge": InstanceSpec(96, 372, 4, "T4", 30_000),
    # gn7i: NVIDIA A10
    "ecs.gn7i-c8g1.2xlarge": InstanceSpec(8, 30, 1, "A10", 16_000),
    "ecs.gn7i-c16g1.4xlarge": InstanceSpec(16, 60, 1, "A10", 16_000),
    "ecs.gn7i-c32g1.8xlarge": InstanceSpec(32, 188, 1, "A10", 16_000),
    "ecs.gn7i-c48g1.12xlarge": InstanceSpec(48, 310, 1, "A10", 16_000),
    "ecs.gn7i-c56g1.14xlarge": InstanceSpec(56, 346, 1, "A10", 16_000),
    "ecs.gn7i-c32g1.16xlarge": InstanceSpec(64, 376, 2, "A10", 32_000),
    "ecs.gn7i-c32g1.32xlarge": InstanceSpec(128, 752, 4, "A10", 64_000),
    # gn7e: NVIDIA A100 80 GB
    "ecs.gn7e-c16g1.4xlarge": InstanceSpec(16, 125, 1, "A100", 8_000),
    "ecs.gn7e-c16g1.16xlarge": InstanceSpec(64, 500, 4, "A100", 32_000),
    "ecs.gn7e-c16g1.32xlarge": InstanceSpec(128, 1000, 8, "A100", 64_000),
    # ebmgn7ex: bare-metal, 8x A100 SXM
    "ecs.ebmgn7ex.32xlarge": InstanceSpec(128, 1024, 8, "A100", 64_000),
}


def is_gpu_type(instance_type: str) -> bool:
    return bool(_GPU_TYPE_RE.match(instance_type))


def family(instance_type: str) -> str:
    """``ecs.gn7i-c32g1.8xlarge`` -> ``gn7i``; ``ecs.ebmgn7ex.32xlarge`` -> ``ebmgn7ex``."""
    rest = instance_type[len("ecs."):] if instance_type.startswith("ecs.") else instance_type
    return rest.split(".")[0].split("-")[0]


# GPU model of each family in KNOWN (every listed type of a family carries the same GPU).
FAMILY_GPU: dict[str, str] = {family(t): s.gpu_model for t, s in KNOWN.items()}


def family_gpu(instance_type: str) -> str | None:
    return FAMILY_GPU.get(family(instance_type))


def did_you_mean(instance_type: str) -> str:
    """" Did you mean X?" for a type close to one of the known-spec table (difflib), or ""."""
    import difflib

    close = difflib.get_close_matches(instance_type, KNOWN, n=2, cutoff=0.8)
    return f" Did you mean {' or '.join(close)}?" if close else ""
