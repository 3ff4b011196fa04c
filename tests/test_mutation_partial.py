"""hybrid/partial.py: what a half-valid config still lets the checks see, in process.

Two layers: the dev stack broken in two places, loaded in process (the same cases as
tests/test_config_one_run.py, whose lines were written by hand from the rules they come from), and
small models built here whose validation pydantic itself runs: which values survive, which read as
failed, which after-checks run again and with what error dicts (pydantic's own shapes:
``{"type": "value_error", "msg": "Value error, ..."}``, ``"assertion_error"`` / ``"Assertion failed, ..."``).
"""

from __future__ import annotations

import operator
from typing import Annotated, Optional

import pytest
from pydantic import Field, ValidationError, field_validator, model_validator

from hybrid.partial import INVALID, Recorder, Recording, Unevaluable, build, evaluable
from tests.conftest import refusals

COUNT = ("regions[0].gpuPools[0].count", "Input should be a valid integer.",
         "see the field's type and limits in docs/config.md (the stack config reference).")
MODEL = ("regions[0].gpuPools[0]", "gpuModelSeries V100 contradicts ecs.gn7i-c8g1.2xlarge, which carries A10 GPUs.",
         "set gpuModelSeries: A10.")


# --- the dev stack, in process ----------------------------------------------------------

def test_a_field_error_does_not_hide_its_objects_after_check(dev_raw):
    pool = dev_raw["regions"][0]["gpuPools"][0]
    pool.update(count="one", gpuModelSeries="V100")
    assert sorted(refusals(dev_raw)) == [MODEL, COUNT]


def test_a_field_error_does_not_hide_the_platform_checks(dev_raw):
    dev_raw["regions"][0]["gpuPools"][0]["count"] = "one"
    dev_raw["regions"][0]["vpcCidr"] = "172.21.0.0/16"
    dev_raw["registration"]["regionId"] = "cn-hangzhou"
    got = sorted(refusals(dev_raw))
    assert [p for p, _, _ in got] == ["regions[0].gpuPools[0].count", "regions[0].vpcCidr", "registration.regionId"]
    assert got[1][1].startswith("172.21.0.0/16 overlaps the cluster Service CIDR 172.21.0.0/20")
    assert got[2][1] == "cn-hangzhou is not one of the stack's regions ['cn-beijing']."


def test_a_check_that_reads_a_failed_value_says_nothing(dev_raw):
    dev_raw["regions"][0]["vpcCidr"] = "10.40.0.0"
    dev_raw["regions"][0]["gpuPools"][0]["gpuModelSeries"] = "V100"
    assert sorted(refusals(dev_raw)) == [
        MODEL, ("regions[0].vpcCidr", "'10.40.0.0' is not a CIDR.", "write it as ADDRESS/PREFIX, e.g. 10.32.0.0/16.")]


def test_a_failed_value_is_refused_once(dev_raw):
    dev_raw["registration"]["regionId"] = "Beijing"
    assert refusals(dev_raw) == [("registration.regionId", "'Beijing' is not an Alibaba Cloud region id.",
                                  "use an id such as cn-beijing, cn-hangzhou or ap-southeast-1.")]


# --- small models -----------------------------------------------------------------------------

class Inner(Recording):
    a: int
    b: int = 5

    @model_validator(mode="after")
    def _a_within_b(self) -> "Inner":
        if self.a > self.b:
            raise ValueError(f"a {self.a} above b {self.b}")
        return self


class Outer(Recording):
    name: str
    inner: Inner
    items: list[Inner] = []
    by: dict[str, Inner] = {}
    maybe: Optional[Inner] = None
    either: int | str = 0
    tags: list[int] = []

    @model_validator(mode="after")
    def _name(self) -> "Outer":
        if self.name == "bad":  # raised, not asserted: pytest would rewrite an assert's message
            raise AssertionError(f"name {self.name} is refused")
        return self


def _build(raw):
    rec = Recorder()
    with pytest.raises(ValidationError) as info:
        Outer.model_validate(raw, context=rec.context())
    locs = [tuple(e["loc"]) for e in info.value.errors()]
    return build(Outer, raw, rec, locs), locs


def _unevaluable(read):
    with pytest.raises(Unevaluable):
        read()


def test_what_validated_is_kept_and_what_failed_reads_as_failed():
    raw = {"name": "x", "inner": {"a": "one"}, "items": [{"a": 1}, {"a": 2, "b": 1}], "by": {"k": {"a": 3}},
           "maybe": None, "tags": [1]}
    (obj, errors), locs = _build(raw)
    assert sorted(locs) == [("inner", "a"), ("items", 1)]
    assert obj.name == "x" and obj.maybe is None and obj.tags == [1] and obj.either == 0  # untouched, default
    _unevaluable(lambda: obj.inner.a)
    assert obj.inner.b == 5  # the default of a field not given
    assert obj.items[0].a == 1 and obj.by["k"].a == 3
    assert obj.items[1] is INVALID  # its own after-check refused it
    # the refused item's check comes again; the inner check reads the failed a and is skipped
    assert [(e["type"], e["loc"], e["msg"]) for e in errors] == [("value_error", ("items", 1), "Value error, a 2 above b 1")]
    assert isinstance(errors[0]["ctx"]["error"], ValueError)


def test_an_object_whose_own_check_fails_is_not_used_by_others():
    (obj, errors), _ = _build({"name": "bad", "inner": {"a": "one"}})
    assert obj is INVALID
    assert [(e["type"], e["loc"], e["msg"]) for e in errors] == [("assertion_error", (), "Assertion failed, name bad is refused")]


def test_a_missing_required_field_and_a_missing_object():
    (obj, errors), locs = _build({"name": "x"})
    assert locs == [("inner",)]
    _unevaluable(lambda: obj.inner)
    assert obj.items == [] and errors == []


def test_a_failed_plain_value_in_a_list_or_dict_and_a_union():
    raw = {"name": "x", "inner": {"a": 1}, "tags": [1, "x"], "either": [1], "by": {"k": "not an object"}}
    (obj, _), locs = _build(raw)
    assert sorted(locs) == [("by", "k"), ("either", "int"), ("either", "str"), ("tags", 1)]
    assert obj.tags[1] is INVALID
    _unevaluable(lambda: obj.either)  # a union that failed: no branch to trust
    assert obj.by["k"] is INVALID  # not a mapping: never reached the object's fields
    assert obj.inner.a == 1 and obj.tags[0] is INVALID  # a touched list is rebuilt: its plain items did not record


def test_an_object_with_every_field_valid_but_its_check_failed_keeps_its_values():
    class Holder(Recording):
        inner: Inner
        n: int

    raw = {"inner": {"a": 9}, "n": "x"}
    rec = Recorder()
    with pytest.raises(ValidationError) as info:
        Holder.model_validate(raw, context=rec.context())
    obj, errors = build(Holder, raw, rec, [tuple(e["loc"]) for e in info.value.errors()])
    _unevaluable(lambda: obj.inner)
    assert [(e["loc"], e["msg"]) for e in errors] == [(("inner",), "Value error, a 9 above b 5")]
    _unevaluable(lambda: obj.n)


def test_a_list_refused_as_a_whole_reads_as_failed():
    class Sized(Recording):
        items: list[Inner]
        n: int

        @field_validator("items")
        @classmethod
        def _two(cls, v):
            if len(v) < 2:
                raise ValueError("two items at least")
            return v

    raw = {"items": [{"a": 1}], "n": "x"}
    rec = Recorder()
    with pytest.raises(ValidationError) as info:
        Sized.model_validate(raw, context=rec.context())
    locs = [tuple(e["loc"]) for e in info.value.errors()]
    assert sorted(locs) == [("items",), ("n",)]
    obj, errors = build(Sized, raw, rec, locs)
    _unevaluable(lambda: obj.items)  # every item validated, the list as a whole did not
    assert errors == []


def test_the_recorder_matches_the_very_object():
    rec = Recorder()
    raw = {"a": 1}
    Inner.model_validate(raw, context=rec.context())
    assert rec.accepted_fields(raw) == {"a": 1} and rec.accepted_object(raw).a == 1
    assert rec.accepted_fields({"a": 1}) is None and rec.accepted_object({"a": 1}) is None  # equal, not the same
    assert rec.context() == {"hybrid.partial.recorder": rec}
    # without a recorder nothing is recorded, and validation is unchanged
    assert Inner.model_validate({"a": 2}).a == 2
    assert Inner.model_validate({"a": 2}, context={"other": 1}).a == 2


def test_every_use_of_a_failed_value_raises():
    uses = [lambda v: v.attr, lambda v: v[0], lambda v: iter(v), lambda v: len(v), lambda v: 1 in v, lambda v: v(),
            lambda v: v == 1, lambda v: v != 1, lambda v: v < 1, lambda v: v <= 1, lambda v: v > 1, lambda v: v >= 1,
            lambda v: hash(v), lambda v: bool(v), lambda v: str(v), lambda v: repr(v), lambda v: f"{v:>3}",
            lambda v: int(v), lambda v: float(v), lambda v: [0][v]]
    uses += [lambda v, op=op: op(v, 1) for op in (operator.add, operator.sub, operator.mul, operator.truediv,
                                                  operator.floordiv, operator.mod, operator.and_, operator.or_)]
    uses += [lambda v, op=op: op(1, v) for op in (operator.add, operator.sub, operator.mul, operator.truediv,
                                                  operator.floordiv, operator.mod, operator.and_, operator.or_)]
    for use in uses:
        with pytest.raises(Unevaluable, match="a field that did not validate"):
            use(INVALID)


def test_evaluable_keeps_what_came_before_the_failed_read():
    def check():
        yield "first"
        yield INVALID + 1
        yield "never"

    assert evaluable(check) == ["first"]
    assert evaluable(lambda: iter(["a", "b"])) == ["a", "b"]

    def broken():
        yield "one"
        raise TypeError("a library choking on a failed value")

    assert evaluable(broken) == ["one"]


def test_a_partial_object_is_its_model_and_refuses_only_its_failed_fields():
    raw = {"name": "x", "inner": {"a": "one", "b": 3}}
    (obj, _), _ = _build(raw)
    assert isinstance(obj.inner, Inner) and type(obj.inner).__name__ == "PartialInner"
    assert obj.inner.b == 3
    with pytest.raises(Unevaluable, match="^a$"):
        _ = obj.inner.a


# --- the type forms a field can take ------------------------------------------------------------

class Forms(Recording):
    opt: list[Optional[Inner]] = []
    tagged: list[Annotated[Inner, Field(description="an Inner behind Annotated")]] = []
    by: dict[str, Inner] = {}
    pick: Inner | int = 0
    count: int = 0
    size: int = 0


def _forms(raw):
    rec = Recorder()
    with pytest.raises(ValidationError) as info:
        Forms.model_validate(raw, context=rec.context())
    return build(Forms, raw, rec, [tuple(e["loc"]) for e in info.value.errors()])[0]


def test_optional_annotated_and_dict_members_are_rebuilt_as_far_as_they_validated():
    obj = _forms({"opt": [None, {"a": "x", "b": 7}], "tagged": [{"a": 1}, {"a": "x"}],
                  "by": {"k": {"a": 3}, "bad": {"a": "x"}}})
    assert obj.opt[0] is None
    assert obj.opt[1].b == 7
    _unevaluable(lambda: obj.opt[1].a)
    assert type(obj.tagged[0]) is Inner and obj.tagged[0].a == 1  # validated whole: the model itself
    assert obj.tagged[1].b == 5
    _unevaluable(lambda: obj.tagged[1].a)
    assert type(obj.by["k"]) is Inner and obj.by["k"].a == 3
    _unevaluable(lambda: obj.by["bad"].a)
    assert obj.by["bad"].b == 5


def test_a_union_of_a_model_and_a_plain_type_that_failed_is_failed():
    obj = _forms({"pick": {"a": "x"}})
    _unevaluable(lambda: obj.pick)  # no branch can be trusted, not even the model's


def test_a_plain_field_given_a_list_or_a_mapping_is_failed():
    obj = _forms({"count": [1], "size": {"k": 1}})
    _unevaluable(lambda: obj.count)
    _unevaluable(lambda: obj.size)


def test_a_check_that_cannot_be_evaluated_does_not_stop_the_next():
    class Two(Recording):
        a: int
        b: int

        @model_validator(mode="after")
        def _reads_a(self) -> "Two":
            if self.a > 3:
                raise ValueError("a above 3")
            return self

        @model_validator(mode="after")
        def _b_not_negative(self) -> "Two":
            if self.b < 0:
                raise ValueError("b is negative")
            return self

    raw = {"a": "x", "b": -1}
    rec = Recorder()
    with pytest.raises(ValidationError) as info:
        Two.model_validate(raw, context=rec.context())
    obj, errors = build(Two, raw, rec, [tuple(e["loc"]) for e in info.value.errors()])
    assert [e["msg"] for e in errors] == ["Value error, b is negative"] and obj is INVALID


def test_the_refusal_says_what_happened():
    with pytest.raises(Unevaluable) as info:
        INVALID + 1
    assert str(info.value) == "a field that did not validate"


def test_null_for_a_union_without_none_is_failed():
    (obj, _), locs = _build({"name": "x", "inner": {"a": 1}, "either": None})
    assert sorted(locs) == [("either", "int"), ("either", "str")]
    _unevaluable(lambda: obj.either)  # None is not a value of int | str: not read as "absent"


def test_an_object_rewritten_before_it_validated_reads_as_failed_not_as_absent():
    # A before-validator that hands pydantic new dicts: what validated is not the raw object build is
    # given, so nothing it accepted can be matched to it. The sibling of a failed item, though valid,
    # reads as failed (a check that reads it is not evaluated), never as None.
    class Rewrites(Recording):
        items: list[Inner] = []

        @field_validator("items", mode="before")
        @classmethod
        def _copy(cls, value):
            return [dict(x) for x in value]

    raw = {"items": [{"a": 1}, {"a": "x"}]}
    rec = Recorder()
    with pytest.raises(ValidationError) as info:
        Rewrites.model_validate(raw, context=rec.context())
    locs = [tuple(e["loc"]) for e in info.value.errors()]
    assert locs == [("items", 1, "a")]
    obj, _ = build(Rewrites, raw, rec, locs)
    _unevaluable(lambda: obj.items[0].a)
    _unevaluable(lambda: obj.items[1].a)
