"""hybrid_tools/vnode_artifacts.py: the example Serverless Deployments, called directly on stack models.

Expectations worked by hand from the stack files: which virtual-node region is the default (the one
with ``default: true``, wherever it stands in the list), which one the pinned examples name (the first
other region), and which GPU model series the GPU examples ask for (the first GPU pool's, in region
then pool order, as written in the stack file).
"""

from __future__ import annotations

import yaml

from hybrid.stack import load_platform
from hybrid.virtual_node import REGION_LABEL
from hybrid_tools.vnode_artifacts import example_objects, serverless_examples
from tests.conftest import stack_raw

SERIES = "alibabacloud.com/gpu-model-series"


def _by_name(objs: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objs}


def _pod(o: dict) -> tuple[dict, str]:
    tpl = o["spec"]["template"]
    return tpl["metadata"]["labels"], tpl["spec"]["containers"][0]["image"]


def test_default_is_the_flagged_region_and_pinned_the_first_other():
    raw = stack_raw("prod")
    # the default (cn-beijing) second, so neither "first" nor "last" finds it by position
    raw["virtualNode"]["regions"] = [{"id": "cn-zhangjiakou"}, {"id": "cn-beijing", "default": True},
                                     {"id": "cn-hangzhou"}]
    objs = _by_name(example_objects(load_platform(raw)))
    assert sorted(objs) == ["serverless-cpu-cn-zhangjiakou", "serverless-cpu-default",
                            "serverless-gpu-cn-zhangjiakou", "serverless-gpu-default"]
    for kind in ("cpu", "gpu"):
        labels, image = _pod(objs[f"serverless-{kind}-default"])
        assert REGION_LABEL not in labels
        # the default region's VPC registry endpoint (ACR: registry-vpc.<region>.aliyuncs.com)
        assert image == "registry-vpc.cn-beijing.aliyuncs.com/acs/pause:3.9"
        labels, image = _pod(objs[f"serverless-{kind}-cn-zhangjiakou"])
        assert labels[REGION_LABEL] == "cn-zhangjiakou"
        assert image == "registry-vpc.cn-zhangjiakou.aliyuncs.com/acs/pause:3.9"


def test_a_single_region_pins_to_itself():
    objs = _by_name(example_objects(load_platform(stack_raw("dev"))))
    labels, image = _pod(objs["serverless-gpu-cn-beijing"])
    assert labels[REGION_LABEL] == "cn-beijing" and image.startswith("registry-vpc.cn-beijing.")


def test_gpu_examples_ask_for_the_first_pools_series():
    raw = stack_raw("prod")
    raw["regions"][0]["gpuPools"].reverse()  # cn-beijing: a100-burst (A100) before a10-train (A10)
    objs = _by_name(example_objects(load_platform(raw)))
    assert _pod(objs["serverless-gpu-default"])[0][SERIES] == "A100"
    assert SERIES not in _pod(objs["serverless-cpu-default"])[0]
    # the first region without pools: the next region's first pool (cn-hangzhou: t4-infer)
    raw = stack_raw("prod")
    raw["regions"][0]["gpuPools"] = []
    objs = _by_name(example_objects(load_platform(raw)))
    assert _pod(objs["serverless-gpu-default"])[0][SERIES] == "T4"


def test_without_any_gpu_pool_the_gpu_examples_ask_for_a10():
    raw = stack_raw("dev")
    raw["regions"][0]["gpuPools"] = []
    objs = _by_name(example_objects(load_platform(raw)))
    assert _pod(objs["serverless-gpu-default"])[0][SERIES] == "A10"


def test_no_examples_without_a_virtual_node_or_its_regions():
    raw = stack_raw("dev")
    raw["virtualNode"]["enabled"] = False  # its regions stay listed
    assert example_objects(load_platform(raw)) == []
    platform = load_platform(stack_raw("dev"))
    # the model refuses an enabled virtual node without regions; the artifact writes nothing for one anyway
    vn = platform.virtual_node.model_copy(update={"regions": []})
    assert example_objects(platform.model_copy(update={"virtual_node": vn})) == []
    assert serverless_examples(load_platform(raw), None) == {}


def test_each_example_is_one_yaml_file_under_examples():
    files = serverless_examples(load_platform(stack_raw("dev")), None)
    assert sorted(files) == ["examples/deployment-serverless-cpu-cn-beijing.yaml",
                             "examples/deployment-serverless-cpu-default.yaml",
                             "examples/deployment-serverless-gpu-cn-beijing.yaml",
                             "examples/deployment-serverless-gpu-default.yaml"]
    doc = yaml.safe_load(files["examples/deployment-serverless-gpu-default.yaml"])
    assert (doc["apiVersion"], doc["kind"], doc["metadata"]["name"]) == ("apps/v1", "Deployment", "serverless-gpu-default")
    assert doc["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["nvidia.com/gpu"] == "1"
