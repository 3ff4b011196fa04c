"""hybrid_tools/configdoc.py: the config reference rendered from a small model written here.

The page's rows are worked out by hand from the JSON Schema pydantic emits for these fields (JSON
Schema 2020-12: ``minimum``/``exclusiveMinimum``/``maxLength``/``pattern``; an ``anyOf`` with a
``null`` branch for an optional value; no ``type`` for a value of any type) and GitHub's heading
anchors (lower case, spaces to '-', punctuation dropped).
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, Optional

import pytest
from pydantic import BaseModel, ConfigDict, Field

from hybrid_tools import configdoc


class Mode(str, Enum):
    """How it runs."""

    FAST = "fast"
    SLOW = "slow"


class Inner(BaseModel):
    """A pool.
        Two lines."""

    model_config = ConfigDict(populate_by_name=True)
    max_size: int = Field(default=1, ge=0, le=8, alias="maxSize", description="At most\n8 | or so.")
    name: str = Field(pattern=r"^[a-z]+$", max_length=9)


class Top(BaseModel):
    regions: list[Inner] = Field(description="The regions.")
    mode: Mode = Mode.FAST
    gpu: Any = None
    metrics: dict = {}
    pricing: Optional[int] = Field(default=None, gt=0)


PAGE = """\
# Stack config reference

Generated from the pydantic model (`hybrid/model/`) by `hybrid-gpu config-docs --write`;
a test fails when this page and the model disagree. Every key lives under the project
namespace, e.g. `hybrid-gpu-platform:regions` in `stacks/Pulumi.<stack>.yaml`; keys are camelCase
and unknown keys are rejected with the field's path and a fix.

## Top-level keys

| key | type | default | limits | description |
|---|---|---|---|---|
| `regions` | list of [Inner](#inner) | **required** |  | The regions. |
| `mode` | [Mode](#mode) | `"fast"` |  |  |
| `gpu` | any | `null` |  |  |
| `metrics` | map | `{}` |  |  |
| `pricing` | integer or null | `null` | > 0 |  |

## Secret keys

Set with `pulumi config set --secret <key>`; they stay Pulumi secrets end to end and never
appear in plan artifacts (the offline plan uses placeholders).

- `hybrid-gpu-platform:k1`: one

Needed only with some settings (`hybrid-gpu init` and `hybrid-gpu plan` name the ones a stack needs):

- `hybrid-gpu-platform:k2`: two

## Inner

A pool. Two lines.

| key | type | default | limits | description |
|---|---|---|---|---|
| `maxSize` | integer | `1` | >= 0, <= 8 | At most 8 \\| or so. |
| `name` | string | **required** | length <= 9, pattern `^[a-z]+$` |  |

## Mode

How it runs.

Type: `"fast"` \\| `"slow"`
"""


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(configdoc, "Platform", Top)
    monkeypatch.setattr(configdoc, "CONFIG_KEYS", ("regions", "mode", "gpu", "metrics", "pricing"))
    monkeypatch.setattr(configdoc, "SECRET_KEYS", {"k1": "one"})
    monkeypatch.setattr(configdoc, "OPTIONAL_SECRET_KEYS", {"k2": "two"})


def test_the_page_of_a_small_model(small):
    assert configdoc.render() == PAGE


def test_a_model_without_nested_models_has_no_sections_after_the_secrets(small, monkeypatch):
    class Flat(BaseModel):
        gpu: int = 3

    monkeypatch.setattr(configdoc, "Platform", Flat)
    assert configdoc.render().endswith("## Top-level keys\n\n| key | type | default | limits | description |\n"
                                       "|---|---|---|---|---|\n| `gpu` | integer | `3` |  |  |\n\n## Secret keys\n"
                                       "\nSet with `pulumi config set --secret <key>`; they stay Pulumi secrets end to "
                                       "end and never\nappear in plan artifacts (the offline plan uses placeholders).\n\n"
                                       "- `hybrid-gpu-platform:k1`: one\n\nNeeded only with some settings (`hybrid-gpu "
                                       "init` and `hybrid-gpu plan` name the ones a stack needs):\n\n"
                                       "- `hybrid-gpu-platform:k2`: two\n")


def test_a_model_key_the_stack_does_not_list_stops_the_rendering(small, monkeypatch):
    class Extra(Top):
        environment: str = "dev"

    monkeypatch.setattr(configdoc, "Platform", Extra)
    with pytest.raises(AssertionError) as e:
        configdoc.render()
    assert str(e.value) == "model keys missing from CONFIG_KEYS"


def test_two_classes_of_one_name_are_told_apart_by_module():
    # pydantic's key for a clash: module path and class name joined by "__"
    assert configdoc._ref_name("#/$defs/hybrid__model__gpu__Billing") == "Billing (gpu)"
    assert configdoc._ref_name("#/$defs/model__gpu__Billing") == "Billing (gpu)"
    assert configdoc._ref_name("#/$defs/gpu__Billing") == "gpu__Billing"
    assert configdoc._ref_name("#/$defs/Billing") == "Billing"


def test_types_without_item_or_value_schemas():
    assert configdoc._type({"type": "array"}) == "list of any"
    assert configdoc._type({"type": "object"}) == "map"
    assert configdoc._type({"type": "object", "additionalProperties": {"type": "integer"}}) == "map of string to integer"


def test_a_table_without_properties_is_its_header():
    assert configdoc._table({}) == ["| key | type | default | limits | description |", "|---|---|---|---|---|"]


def test_defaults_up_to_sixty_characters_are_shown():
    sixty = "x" * 58  # json: 58 characters and two quotes
    assert configdoc._default({"default": sixty}, False) == f'`"{sixty}"`'
    assert configdoc._default({"default": sixty + "x"}, False) == "see the model"
    assert len(json.dumps(sixty)) == 60


def test_a_cell_is_one_line_with_pipes_escaped():
    assert configdoc._cell(" a\nb|c\n") == "a b\\|c"


def test_write_creates_the_page_and_rewrites_it_only_when_it_differs(small, tmp_path):
    page = tmp_path / "a" / "docs" / "config.md"  # two directories that do not exist yet
    assert configdoc.write(page) is True and page.read_text() == PAGE
    assert configdoc.write(page) is False and page.read_text() == PAGE
    page.write_text(PAGE + "edited by hand\n")
    assert configdoc.write(page) is True and page.read_text() == PAGE
    other = tmp_path / "a" / "docs" / "other.md"  # its directory exists now
    assert configdoc.write(other) is True and other.read_text() == PAGE


def test_the_json_schema_spells_keys_as_the_stack_does(small):
    schema = configdoc.data()
    assert list(schema["$defs"]["Inner"]["properties"]) == ["maxSize", "name"]
    assert schema["required"] == ["regions"]
