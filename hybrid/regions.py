"""Alibaba Cloud region and zone ids the config model accepts: the one table of them.

Sources (read 2026-11):
* region ids: ECS region list, https://help.aliyun.com/document_detail/140601.html, and the
  ECI endpoint table, https://www.alibabacloud.com/help/en/elastic-container-instance/latest/call-api-operations-over-the-internal-network
  (cn-nanjing, cn-fuzhou, cn-wulanchabu, cn-heyuan, cn-guangzhou, ap-northeast-2);
* zone ids: "Regions and zones supported by ECI",
  https://help.aliyun.com/document_detail/89155.html (zh, updated 2025-12). ECS can have zones
  ECI lacks; a region whose zone list that page did not show is marked ``None`` below
  (unconfirmed): its zone ids are checked for shape only.

A zone missing here that exists (``DescribeZones`` in the region lists it): add it with the
date you read it.
"""

from __future__ import annotations

from typing import Optional

# region id -> confirmed zone ids (None: zone list not confirmed, shape check only)
REGIONS: dict[str, Optional[frozenset[str]]] = {
    "cn-qingdao": frozenset({"cn-qingdao-b", "cn-qingdao-c"}),
    "cn-beijing": frozenset(f"cn-beijing-{z}" for z in "cdefghijkl"),
    "cn-zhangjiakou": frozenset(f"cn-zhangjiakou-{z}" for z in "abc"),
    "cn-huhehaote": frozenset(f"cn-huhehaote-{z}" for z in "ab"),
    "cn-wulanchabu": frozenset(f"cn-wulanchabu-{z}" for z in "abc"),
    "cn-hangzhou": frozenset(f"cn-hangzhou-{z}" for z in "befghijk"),
    "cn-shanghai": frozenset(f"cn-shanghai-{z}" for z in "abcdefgklmn"),
    "cn-nanjing": None,
    "cn-fuzhou": None,
    "cn-shenzhen": frozenset(f"cn-shenzhen-{z}" for z in "abcde"),
    "cn-heyuan": frozenset(f"cn-heyuan-{z}" for z in "ab"),
    "cn-guangzhou": frozenset(f"cn-guangzhou-{z}" for z in "ab"),
    "cn-chengdu": frozenset(f"cn-chengdu-{z}" for z in "ab"),
    "cn-hongkong": frozenset(f"cn-hongkong-{z}" for z in "bcd"),
    "ap-northeast-1": frozenset(f"ap-northeast-1{z}" for z in "abc"),
    "ap-northeast-2": None,
    "ap-southeast-1": frozenset(f"ap-southeast-1{z}" for z in "abc"),
    "ap-southeast-2": frozenset(f"ap-southeast-2{z}" for z in "ab"),
    "ap-southeast-3": None,
    "ap-southeast-5": None,
    "us-west-1": None,
    "us-east-1": None,
    "eu-central-1": None,
    "eu-west-1": None,
    "me-east-1": None,
}


def known_region(region: str) -> bool:
    return region in REGIONS


def zone_status(zone: str, region: str) -> str:
    """``"known"``, ``"unknown"`` (region's zone list confirmed, zone not in it) or ``"unconfirmed"``."""
    zones = REGIONS.get(region)
    if zones is None:
        return "unconfirmed"
    return "known" if zone in zones else "unknown"


def closest(region: str) -> list[str]:
    """Up to three region ids spelled like ``region`` (for the fix text)."""
    import difflib

    return difflib.get_close_matches(region, list(REGIONS), n=3, cutoff=0.6)
