"""Plan artifacts of the GPU pools: the cloud-init each pool's instances receive, secrets redacted."""

from __future__ import annotations

from hybrid.cloudinit import context_for, render_cloud_init_redacted
from hybrid.model import Platform
from hybrid_tools.artifacts import writer
from hybrid_tools.mockrun import ProgramRun


@writer
def gpu_cloud_init(platform: Platform, _: ProgramRun) -> dict[str, str]:
    """``cloud-init/<region>-<pool>.yaml``: rendered by the same pure function as the real user-data."""
    return {
        f"cloud-init/{region.id}-{pool.name}.yaml": render_cloud_init_redacted(context_for(platform, region.id, pool))
        for region in platform.regions
        for pool in region.gpu_pools
    }
