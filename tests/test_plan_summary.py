"""The plan summary speaks with one resource count: the registered total, split once into
objects, providers and components; the type table and the region line add up to the objects
and providers of that split."""

from __future__ import annotations

import re
from pathlib import Path

from hybrid_tools.plan import summary


def _r(type_: str, custom: bool = True, provider: str | None = None) -> dict:
    return {"type": type_, "custom": custom, "provider": provider}


# Worked out by hand: 3 objects (2 VPCs in two regions, 1 ConfigMap on the IDC), 2 providers,
# 2 components: 7 registered = 3 + 2 + 2; the table and the region line hold the 5 custom ones.
RESOURCES = [
    _r("alicloud:vpc/network:Network", provider="alicloud-cn-beijing"),
    _r("alicloud:vpc/network:Network", provider="alicloud-cn-hangzhou"),
    _r("kubernetes:core/v1:ConfigMap", provider="idc"),
    _r("pulumi:providers:alicloud"),
    _r("pulumi:providers:kubernetes"),
    _r("hybrid:platform:HybridPlatform", custom=False),
    _r("hybrid:network:RegionNetwork", custom=False),
]


def test_one_count_split_once_and_the_rows_add_up():
    text = summary("s", Path("/out/s"), RESOURCES, 1.0)
    head = text.splitlines()[0]
    assert "7 resources registered" in head and "= 3 cloud and Kubernetes objects + 2 providers + 2 components" in head
    rows = {m.group(1): int(m.group(2)) for m in re.finditer(r"^  (\S+)\s+(\d+)$", text, re.M)}
    assert rows == {"alicloud:vpc/network:Network": 2, "kubernetes:core/v1:ConfigMap": 1,
                    "pulumi:providers:alicloud": 1, "pulumi:providers:kubernetes": 1}
    total = re.search(r"^  objects \+ providers\s+(\d+)\s+\(the (\d+) components group them", text, re.M)
    assert total and (int(total.group(1)), int(total.group(2))) == (5, 2)
    region = re.search(r"by region \(objects and providers\): (.*)$", text, re.M).group(1)
    assert region == "no region 2, cn-beijing 1, cn-hangzhou 1, idc 1"
