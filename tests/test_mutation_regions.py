"""hybrid.regions: region and zone look-ups, against the ECS region list and ECI's zone page.

Facts (the sources hybrid/regions.py cites): cn-beijing is a region and ECI lists zone cn-beijing-h
there ("Regions and zones supported by ECI", help.aliyun.com/document_detail/89155.html); the same page
lists no cn-hangzhou-a (a retired zone); cn-nanjing's zone list is not on that page (unconfirmed). The
suggestion list is "up to three ids spelled like the input", as the fix text prints it.
"""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from hybrid import regions
from hybrid.model.base import RegionId


def test_a_listed_region_is_known_and_a_misspelt_one_is_not():
    assert regions.known_region("cn-beijing")
    assert regions.known_region("ap-southeast-1")
    assert not regions.known_region("cn-beijng")
    assert not regions.known_region("")


@pytest.mark.parametrize("zone, region, status", [
    ("cn-beijing-h", "cn-beijing", "known"),
    ("ap-northeast-1a", "ap-northeast-1", "known"),
    ("cn-hangzhou-a", "cn-hangzhou", "unknown"),
    ("cn-beijing-h", "cn-shanghai", "unknown"),
    ("cn-nanjing-a", "cn-nanjing", "unconfirmed"),
    ("xx-nowhere-a", "xx-nowhere", "unconfirmed"),
])
def test_zone_status(zone, region, status):
    assert regions.zone_status(zone, region) == status


def test_a_misspelt_region_gets_the_region_it_resembles_first():
    assert regions.closest("cn-wulanchab") == ["cn-wulanchabu"]
    assert regions.closest("cn-bejing")[0] == "cn-beijing"
    assert regions.closest("eu-central-2") == ["eu-central-1"]


def test_at_most_three_suggestions_when_more_resemble_the_input():
    # ap-southeast-1, -2, -3 and -5 all differ from ap-southeast-4 in one character.
    near = regions.closest("ap-southeast-4")
    assert len(near) == 3
    assert set(near) < {"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-5"}


def test_nothing_is_suggested_for_an_id_like_no_region():
    assert regions.closest("zz-qqqqqqqqqqqq") == []


def test_the_config_error_for_an_unknown_region_suggests_the_close_ones():
    with pytest.raises(ValidationError) as e:
        TypeAdapter(RegionId).validate_python("cn-wulanchab")
    assert "Fix: did you mean cn-wulanchabu? regions known: hybrid/regions.py." in str(e.value)
