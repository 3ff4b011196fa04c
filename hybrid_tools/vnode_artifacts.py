"""Plan artifact: example Serverless Deployments under examples/.

Not declared resources: samples computed from the model for users to copy;
the program applies none of them (they live in examples/, apart from manifests/).
"""

from __future__ import annotations

from hybrid.model import Platform
from hybrid.virtual_node import example_deployment, examples
from hybrid_tools.artifacts import dump_yaml
from hybrid_tools.mockrun import ProgramRun


def example_objects(platform: Platform) -> list[dict]:
    vn = platform.virtual_node
    if not vn.enabled or not vn.regions:
        return []
    default = next(r.id for r in vn.regions if r.default)
    others = [r.id for r in vn.regions if not r.default]
    series = next((p.gpu_model_series for r in platform.regions for p in r.gpu_pools), "A10")
    regions = [r.id for r in vn.regions]
    return [example_deployment(ex, regions, default) for ex in examples(default, others, series)]


def serverless_examples(platform: Platform, _: ProgramRun) -> dict[str, str]:
    return {f"examples/deployment-{o['metadata']['name']}.yaml": dump_yaml(o) for o in example_objects(platform)}
