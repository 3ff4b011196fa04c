"""All errors of a config in one run: the checks a field error would otherwise hide.

Pydantic stops an object at its first failing field: its ``model_validator(mode="after")``
checks do not run, and the platform's cross checks (``hybrid.model.platform``) need a whole
``Platform``. Without this, one bad pool size would hide an overlap in the same region, and the
user would meet the problems in rounds.

This module rebuilds, from one validation run, the objects as far as they validated:

* :class:`Recording` (the base of every model) records, while a recorder is in the validation
  context, each value pydantic accepted for a field and each object whose fields all validated;
* :func:`build` turns the raw config plus the run's error locations into the same tree, where
  each field that failed (or is missing) holds :data:`INVALID` and reading it raises
  :class:`Unevaluable`; it runs the after-checks of every object with an error at or below it on
  what validated, and an object its own checks refuse counts as failed for the checks that read it.

A check that reads only fields that validated runs and reports as it would on a valid config;
a check that reads a failed field stops at the read and says nothing (its verdict would be a
guess). Without a recorder in the context the hooks do nothing.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any, Callable, Iterable, Iterator

from pydantic import BaseModel, ValidationInfo, field_validator, model_validator

CONTEXT_KEY = "hybrid.partial.recorder"


class Unevaluable(Exception):
    """A check read a value that did not validate: it cannot be evaluated on this config."""


class _Invalid:
    """The value of a field that failed validation: any use of it raises :class:`Unevaluable`."""

    __slots__ = ()

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise Unevaluable("a field that did not validate")

    __getattr__ = __getitem__ = __iter__ = __len__ = __contains__ = __call__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = __bool__ = _refuse
    __str__ = __repr__ = __format__ = __int__ = __float__ = __index__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _refuse
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __and__ = __rand__ = __or__ = __ror__ = _refuse


INVALID: Any = _Invalid()


class Recorder:
    """What one validation run accepted, keyed by the raw object it came from."""

    def __init__(self) -> None:
        self._frames: list[dict[str, Any]] = []
        # id(raw) -> (raw, fields accepted so far); the raw object is kept so its id stays unique.
        self.fields: dict[int, tuple[Any, dict[str, Any]]] = {}
        self.objects: dict[int, tuple[Any, BaseModel]] = {}

    def context(self) -> dict[str, Any]:
        return {CONTEXT_KEY: self}

    def accepted_fields(self, raw: Any) -> dict[str, Any] | None:
        hit = self.fields.get(id(raw))
        return hit[1] if hit is not None and hit[0] is raw else None

    def accepted_object(self, raw: Any) -> BaseModel | None:
        hit = self.objects.get(id(raw))
        return hit[1] if hit is not None and hit[0] is raw else None


def _recorder(info: ValidationInfo) -> Recorder | None:
    context = info.context
    return context.get(CONTEXT_KEY) if isinstance(context, dict) else None


class Recording(BaseModel):
    """Base of every config model: records accepted values for :func:`build` (a no-op without a recorder)."""

    @model_validator(mode="wrap")
    @classmethod
    def _record_object(cls, data: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        # Defined on the base class, so pydantic applies it inside the subclasses' after-checks:
        # ``handler`` validates the fields only, and the object it returns is recorded even when an
        # after-check then refuses it.
        rec = _recorder(info)
        if rec is None:
            return handler(data)
        frame: dict[str, Any] = {}
        rec._frames.append(frame)
        rec.fields[id(data)] = (data, frame)
        try:
            obj = handler(data)
        finally:
            rec._frames.pop()
        rec.objects[id(data)] = (data, obj)
        return obj

    @field_validator("*", mode="after")
    @classmethod
    def _record_field(cls, value: Any, info: ValidationInfo) -> Any:
        rec = _recorder(info)
        if rec is not None and rec._frames and info.field_name is not None:
            rec._frames[-1][info.field_name] = value
        return value


def _guard(obj: BaseModel, name: str) -> Any:
    value = object.__getattribute__(obj, name)
    if value is INVALID:
        raise Unevaluable(name)
    return value


@functools.lru_cache(maxsize=None)
def _partial_class(cls: type[BaseModel]) -> type[BaseModel]:
    """``cls`` whose instances raise :class:`Unevaluable` when a field that failed is read."""
    return types.new_class(f"Partial{cls.__name__}", (cls,), {}, lambda ns: ns.update({"__getattribute__": _guard}))


class _Builder:
    def __init__(self, rec: Recorder, error_locs: Iterable[tuple[Any, ...]]):
        self.rec = rec
        locs = [tuple(loc) for loc in error_locs]
        self.touched = {loc[:i] for loc in locs for i in range(len(loc) + 1)}
        # Values refused as a whole: besides their own checks, a field validator of the object that
        # holds them can refuse a list, a dict or an object whose parts all validated.
        self.refused = set(locs)
        self.errors: list[dict[str, Any]] = []

    def value(self, tp: Any, raw: Any, loc: tuple[Any, ...]) -> Any:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            return self.value(typing.get_args(tp)[0], raw, loc)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return self.obj(tp, raw, loc)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if raw is None and len(args) < len(typing.get_args(tp)):
                return None
            return self.value(args[0], raw, loc) if len(args) == 1 else INVALID
        if origin in (list, dict) and loc and loc in self.refused:
            return INVALID
        if origin is list and isinstance(raw, list):
            (item,) = typing.get_args(tp)
            return [self.value(item, x, (*loc, i)) for i, x in enumerate(raw)]
        if origin is dict and isinstance(raw, dict):
            _, item = typing.get_args(tp)
            return {k: self.value(item, v, (*loc, k)) for k, v in raw.items()}
        return INVALID  # a plain value that failed

    def obj(self, cls: type[BaseModel], raw: Any, loc: tuple[Any, ...]) -> Any:
        whole = self.rec.accepted_object(raw)
        if whole is not None and loc not in self.touched:
            return whole  # validated with all its checks
        if whole is not None:
            built = whole  # every field validated, an after-check failed
        else:
            accepted = self.rec.accepted_fields(raw)
            if accepted is None or not isinstance(raw, dict):
                return INVALID  # never reached the object's fields (not a mapping, or rewritten before)
            values: dict[str, Any] = {}
            for name, f in cls.model_fields.items():
                key = next((k for k in (f.alias, name) if k is not None and k in raw), None)
                if key is None:
                    values[name] = INVALID if f.is_required() else f.get_default(call_default_factory=True)
                elif name in accepted and (*loc, key) not in self.touched:
                    values[name] = accepted[name]
                else:
                    values[name] = self.value(f.annotation, raw[key], (*loc, key))
            built = _partial_class(cls).model_construct(**values)
        refused = list(_object_errors(loc, built))
        self.errors += refused
        # An object its own checks refuse is not a value to judge others by (a range with min above
        # max would make every check that reads it report a second, derived problem).
        return INVALID if refused or (loc and loc in self.refused) else built


def build(cls: type[BaseModel], raw: Any, rec: Recorder, error_locs: Iterable[tuple[Any, ...]]) -> tuple[Any, list[dict[str, Any]]]:
    """The ``cls`` object of ``raw`` as far as it validated, and the after-check failures of every
    object at or above an error (pydantic error dicts; those pydantic reported already come again)."""
    b = _Builder(rec, error_locs)
    return b.obj(cls, raw, ()), b.errors


def _after_checks(cls: type[BaseModel]) -> list[Callable[[Any], Any]]:
    # __pydantic_decorators__ is BaseModel's documented record of the validators a class declares.
    return [d.func for d in cls.__pydantic_decorators__.model_validators.values() if d.info.mode == "after"]


def _object_errors(loc: tuple[Any, ...], obj: BaseModel) -> Iterator[dict[str, Any]]:
    """Each after-check of ``obj`` that fails on what validated, as a pydantic error dict."""
    for check in _after_checks(type(obj)):
        try:
            check(obj)
        except (ValueError, AssertionError) as err:
            kind, head = ("value_error", "Value error") if isinstance(err, ValueError) else ("assertion_error", "Assertion failed")
            yield {"type": kind, "loc": loc, "msg": f"{head}, {err}", "ctx": {"error": err}}
        except Exception:  # noqa: BLE001 - a read of a failed field (or its use) makes the check unevaluable
            continue


def evaluable(check: Callable[[], Iterable[Any]]) -> list[Any]:
    """What ``check`` yields before it reads a value that failed (all of it when it reads none).

    Any exception counts as "could not evaluate": on a partial object a failed value can also
    surface as a TypeError in a library the check calls. The full-config run, which never
    holds a failed value, keeps every exception."""
    out: list[Any] = []
    try:
        for item in check():
            out.append(item)
    except Exception:  # noqa: BLE001 - see above
        pass
    return out
