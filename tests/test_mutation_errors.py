"""hybrid/errors.py: the path, message and fix a user reads, worked out by hand; pydantic's real error kinds.

The error kinds (missing, extra_forbidden, literal_error, greater_than..., string_pattern_mismatch)
are pydantic v2's ("Validation Errors" in the pydantic docs); each case below makes pydantic raise
it, so a kind the code misspells finds no fix.
"""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hybrid.errors import ConfigError, ConfigIssue, FieldError, format_loc, render_issues, validation_issues


@pytest.mark.parametrize("loc, text", [
    (("regions", 0, "zones", 1, "podVswitchCidr"), "regions[0].zones[1].podVswitchCidr"),
    ((), "<root>"),
    ((0, "a"), "[0].a"),  # no dot before the first key
    (("a", "b"), "a.b"),
    (("a\nb",), "'a\\nb'"),  # not printable: quoted, so the path stays one line
    (("x" * 80,), "x" * 80),  # 80 characters: as written
    (("x" * 81,), "'" + "x" * 80 + "'"),  # longer: cut to 80 and quoted
    (("a", "k\tv", 2), "a.'k\\tv'[2]"),
])
def test_format_loc(loc, text):
    assert format_loc(loc) == text


def test_issue_renders_path_message_and_fix_on_one_line():
    assert ConfigIssue("a.b", "is wrong.", "use x.").render() == "a.b: is wrong. Fix: use x."
    assert ConfigIssue("a.b", "is wrong.").render() == "a.b: is wrong."
    assert ConfigIssue("p", "line one\n\n   line two  \n", "fix\nit.").render() == "p: line one line two Fix: fix it."


def test_config_error_sorts_and_deduplicates_and_lists_each_problem():
    b, a1, a2 = ConfigIssue("b", "m."), ConfigIssue("a", "z."), ConfigIssue("a", "y.", "f.")
    err = ConfigError([b, a1, a2, b])
    assert err.issues == [a2, a1, b]  # by path, then message; the repeated one once
    assert str(err) == err.render() == ("invalid stack config (3 problems):\n"
                                        "  - a: y. Fix: f.\n  - a: z.\n  - b: m.")
    assert str(ConfigError([a2])) == "invalid stack config: a: y. Fix: f."


def test_render_issues_names_what_was_checked():
    assert render_issues("invalid policy config", [ConfigIssue("k", "bad.")]) == "invalid policy config: k: bad."
    assert render_issues("x", [ConfigIssue("k", "bad."), ConfigIssue("j", "worse.")]).splitlines() == [
        "x (2 problems):", "  - k: bad.", "  - j: worse."]


def test_field_error_carries_message_and_fix():
    e = FieldError("too big.", "use less.")
    assert str(e) == "too big. Fix: use less." and e.fix == "use less."
    assert isinstance(e, ValueError)  # what pydantic turns into a validation error


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int = Field(gt=0, le=10)
    kind: Literal["a", "b"] = "a"
    name: str = Field(default="x", pattern=r"^[a-z]+$")
    when: int = 0

    @field_validator("when")
    @classmethod
    def _when(cls, v: int) -> int:
        if v == 13:
            raise FieldError("13 is unlucky.", "pick 12.")
        return v


class Outer(BaseModel):
    items: list[Inner]


def issues(data) -> list[ConfigIssue]:
    with pytest.raises(ValidationError) as e:
        Outer.model_validate(data)
    return validation_issues(e.value.errors(), key_style="camelCase", reference="docs/config.md")


@pytest.mark.parametrize("item, issue", [
    ({}, ConfigIssue("items[0].size", "Field required.", "add this key.")),
    ({"size": 1, "colour": 1}, ConfigIssue("items[0].colour", "Extra inputs are not permitted.",
                                           "remove the key or fix its spelling (keys are camelCase).")),
    ({"size": 1, "kind": "c"}, ConfigIssue("items[0].kind", "Input should be 'a' or 'b'.", "use one of the values listed.")),
    ({"size": 0}, ConfigIssue("items[0].size", "Input should be greater than 0.", "use a value in the allowed range.")),
    ({"size": 11}, ConfigIssue("items[0].size", "Input should be less than or equal to 10.", "use a value in the allowed range.")),
    ({"size": 1, "name": "A"}, ConfigIssue("items[0].name", "String should match pattern '^[a-z]+$'.", "match the pattern shown.")),
    ({"size": "x"}, ConfigIssue("items[0].size", "Input should be a valid integer, unable to parse string as an integer.",
                                "see the field's type and limits in docs/config.md.")),
    ({"size": 1, "when": 13}, ConfigIssue("items[0].when", "13 is unlucky.", "pick 12.")),
])
def test_pydantic_errors_become_issues_with_a_fix(item, issue):
    assert issues({"items": [item]}) == [issue]


def test_every_error_of_a_document_is_an_issue():
    got = issues({"items": [{"size": 1, "when": 13}, {"size": 99}]})
    assert [i.path for i in got] == ["items[0].when", "items[1].size"]
