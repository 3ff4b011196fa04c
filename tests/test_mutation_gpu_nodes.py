"""hybrid/gpu_nodes.py: slots, host names and the nodes `wait-gpus` waits for, worked by hand from the stacks."""

from __future__ import annotations

from hybrid import gpu_nodes
from hybrid.gpu_nodes import Slot, expected_nodes, plan_slots
from hybrid.model import load


def test_slots_go_round_robin_and_growing_keeps_existing_names():
    # Instance i: zone i mod 2, index i div 2.
    assert plan_slots(["a", "b"], 5) == [Slot("a", 0), Slot("b", 0), Slot("a", 1), Slot("b", 1), Slot("a", 2)]
    assert plan_slots(["a", "b", "c"], 4) == [Slot("a", 0), Slot("b", 0), Slot("c", 0), Slot("a", 1)]
    assert plan_slots(["a"], 0) == []
    assert Slot("cn-beijing-g", 3).suffix == "cn-beijing-g-3"


def test_expected_nodes_of_prod(prod_raw):
    nodes = [(e.pool, e.name, e.gpus) for e in expected_nodes(load(prod_raw))]
    # stacks/Pulumi.prod.yaml: a10-train 4 over [g, h] (ecs.gn7i-c32g1.8xlarge, 1 A10 each); a100-burst 2 in [i]
    # (ecs.gn7e-c16g1.16xlarge, 4 A100s each); t4-infer 4 over [h, i]; a10-overflow 2 over [a, b].
    assert nodes == [
        ("cn-beijing/a10-train", "a10-train-cn-beijing-g-0", 1), ("cn-beijing/a10-train", "a10-train-cn-beijing-h-0", 1),
        ("cn-beijing/a10-train", "a10-train-cn-beijing-g-1", 1), ("cn-beijing/a10-train", "a10-train-cn-beijing-h-1", 1),
        ("cn-beijing/a100-burst", "a100-burst-cn-beijing-i-0", 4), ("cn-beijing/a100-burst", "a100-burst-cn-beijing-i-1", 4),
        ("cn-hangzhou/t4-infer", "t4-infer-cn-hangzhou-h-0", 1), ("cn-hangzhou/t4-infer", "t4-infer-cn-hangzhou-i-0", 1),
        ("cn-hangzhou/t4-infer", "t4-infer-cn-hangzhou-h-1", 1), ("cn-hangzhou/t4-infer", "t4-infer-cn-hangzhou-i-1", 1),
        ("cn-zhangjiakou/a10-overflow", "a10-overflow-cn-zhangjiakou-a-0", 1),
        ("cn-zhangjiakou/a10-overflow", "a10-overflow-cn-zhangjiakou-b-0", 1),
    ]


def test_pool_type_token_is_the_deployed_one():
    # Every GPU instance's URN carries its parent's type (urn:pulumi:<stack>::<project>::hybrid:gpu:GpuNodePool$...):
    # a new token without an alias makes Pulumi replace every instance of every deployed stack.
    assert gpu_nodes.POOL_TYPE == "hybrid:gpu:GpuNodePool"
