"""hybrid_tools/reach_artifacts.py: the plan's ``reachability.json``, called directly on dev's model.

The expectations come from the stack file and Alibaba's documents, worked by hand: every dev GPU
node in cn-beijing asks the ECS metadata service at its fixed address (100.100.100.200, Alibaba
ECS instance metadata docs) and reaches it inside the VPC; dev has no NAT (no egress).
"""

from __future__ import annotations

import json

from hybrid.stack import load_platform
from hybrid_tools.reach_artifacts import reachability
from tests.conftest import stack_raw


def test_one_file_of_sorted_two_space_json_ending_in_a_newline():
    files = reachability(load_platform(stack_raw("dev")), None)
    assert list(files) == ["reachability.json"]
    text = files["reachability.json"]
    assert text.endswith("}\n") and not text.endswith("\n\n")
    lines = text.splitlines()
    assert lines[0] == "{" and lines[1] == '  "regions": {' and lines[2] == '    "cn-beijing": {'
    # keys sorted at every level: a region's "egress" comes before its "endpoints"
    assert lines[3] == '      "egress": "none",' and lines[4] == '      "endpoints": ['
    orders = []
    doc = json.loads(text, object_pairs_hook=lambda pairs: orders.append([k for k, _ in pairs]) or dict(pairs))
    assert all(keys == sorted(keys) for keys in orders)  # the same bytes whatever order the model builds
    metadata = [e for e in doc["regions"]["cn-beijing"]["endpoints"] if e["endpoint"] == "http://100.100.100.200"]
    assert len(metadata) == 1 and metadata[0]["path"]["via"] == "metadata"
    # every endpoint has a path (the load refuses a stack otherwise)
    assert all(e["path"] for r in doc["regions"].values() for e in r["endpoints"])
