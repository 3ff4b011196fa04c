"""hybrid/model/lease.py: the lease's day forms, its tag-value rules at their limits, and the tags.

Sources: ECS TagResources, Tag.N.Value (alibabacloud.com/help/en/ecs/developer-reference/
api-ecs-2014-05-26-tagresources): at most 128 characters, may not start with "aliyun" or
"acs:", may not contain "http://" or "https://". YAML 1.1 (PyYAML) reads an unquoted
2027-03-31 as a date and 2027-03-31 08:00:00 as a datetime. Each case edits prod's a10-train
lease (stacks/Pulumi.prod.yaml: ml-platform, "fine-tuning overflow ...", 2027-06-30, request).
"""

from __future__ import annotations

import datetime as dt

import pytest

from hybrid.errors import ConfigError
from hybrid.model import load

PATH = "regions[0].gpuPools[0].lease"


def _load(prod_raw, **lease):
    pool = prod_raw["regions"][0]["gpuPools"][0]
    assert pool["name"] == "a10-train"
    pool["lease"].update(lease)
    return load(prod_raw).regions[0].gpu_pools[0].lease


def _issue(prod_raw, field, **lease):
    with pytest.raises(ConfigError) as info:
        _load(prod_raw, **lease)
    (issue,) = info.value.issues
    assert issue.path == f"{PATH}.{field}"
    return issue


def test_a_timestamp_is_refused_as_a_timestamp(prod_raw):
    # what PyYAML hands on for an unquoted `end: 2027-03-31 08:00:00`
    issue = _issue(prod_raw, "end", end=dt.datetime(2027, 3, 31, 8, 0))
    assert issue.message == "2027-03-31 08:00:00 is a timestamp."
    assert issue.fix == "give the day only, as YYYY-MM-DD."


def test_midnight_utc_is_still_a_timestamp_when_yaml_made_it_a_datetime(prod_raw):
    issue = _issue(prod_raw, "end", end=dt.datetime(2027, 3, 31))
    assert "timestamp" in issue.message


@pytest.mark.parametrize("value", ["2027-02-30", "2027-6-30", "27-06-30", "2027-06-30T08:00:00Z",
                                   "2027-06-30 ", "x2027-06-30", 20270630])
def test_other_forms_are_refused_naming_the_form_to_write(prod_raw, value):
    issue = _issue(prod_raw, "end", end=value)
    assert issue.message == f"{value!r} is not a date."
    assert issue.fix == "write the lease's last day as YYYY-MM-DD, e.g. 2027-03-31."


def test_the_day_of_a_midnight_utc_string_is_kept(prod_raw):
    assert _load(prod_raw, end="2028-01-01T00:00:00Z").end == dt.date(2028, 1, 1)


def test_a_yaml_date_is_kept(prod_raw):
    assert _load(prod_raw, end=dt.date(2028, 2, 29)).end == dt.date(2028, 2, 29)


def test_a_purpose_of_128_characters_is_accepted(prod_raw):
    assert len(_load(prod_raw, purpose="p" * 128).purpose) == 128


def test_a_purpose_of_129_characters_is_refused_naming_the_limit(prod_raw):
    issue = _issue(prod_raw, "purpose", purpose="p" * 129)
    assert issue.message == "129 characters; it becomes an instance tag, which holds at most 128."
    assert issue.fix == "shorten it."


@pytest.mark.parametrize("purpose", ["aliyun batch", "Aliyun batch", "acs:batch", "ACS:batch",
                                     "see http://wiki/x", "see HTTPS://wiki/x"])
def test_tag_values_ecs_rejects_are_refused(prod_raw, purpose):
    issue = _issue(prod_raw, "purpose", purpose=purpose)
    assert issue.message == f"{purpose!r} starts with aliyun / acs: or contains http(s)://, which ECS tag values reject."
    assert issue.fix == "reword it."


@pytest.mark.parametrize("purpose", ["batch on aliyun", "acs batch", "notes at wiki/http", "httpd logs"])
def test_the_words_anywhere_else_are_accepted(prod_raw, purpose):
    assert _load(prod_raw, purpose=purpose).purpose == purpose


def test_the_instance_tags_of_a_lease(prod_raw):
    # prod's a100-burst, written out from the stack file; the policy pack reads owner and lease-end
    pool = load(prod_raw).regions[0].gpu_pools[1]
    assert pool.name == "a100-burst"
    assert pool.lease.tags() == {"owner": "llm-research", "purpose": "pretraining burst for the Q1 model",
                                 "lease-end": "2027-03-31", "lease-renewal": "release"}


def test_renewal_defaults_to_request_in_the_tags(prod_raw):
    # prod's t4-infer names no renewal
    pool = load(prod_raw).regions[1].gpu_pools[0]
    assert pool.name == "t4-infer"
    assert pool.lease.tags()["lease-renewal"] == "request"
