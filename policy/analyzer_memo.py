"""Convert each resource's properties once per analyzer request, not once per policy.

pulumi-policy's servicer (1.21.0, ``pulumi_policy/policy.py`` ``Analyze``/``AnalyzeStack``)
converts a resource's protobuf properties to a dict, deserializes it and wraps it in the
unknown-checking proxy inside its loop over policies: with 10 resource policies and 6 stack
policies, a stack of 3,600 resources costs about 58,000 conversions where 7,200 would do. At
1,000 GPU nodes that was most of the policy gate's cost, and the engine pays it on every
``pulumi preview`` too.

:func:`install` wraps those two servicer methods so that, for the duration of one request,
the three conversion steps, and the resource's options and provider objects, are memoized on
the identity of their input (the protobuf runtime
hands out the same Python object for the same sub-message, and the memo keeps each input
alive, so an id cannot be reused inside a request). Outside a request (``Configure``) and for
the secret-preserving form (``proxy_secrets=True``, remediation) nothing changes.

What makes sharing safe: the conversions build new objects from their input and never change
it, and the validators in ``rules.py`` only read the proxies (through ``rules.get``). A
validator that assigned into ``args.props`` would leak the change to the next policy: don't.
If pulumi-policy changes the names this relies on, :func:`install` leaves it untouched.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_local = threading.local()


def _memo() -> dict | None:
    return getattr(_local, "memo", None)


def _cached(fn, *, skip_if=lambda *a, **k: False):
    @functools.wraps(fn)
    def call(value: Any, *args: Any, **kwargs: Any) -> Any:
        memo = _memo()
        if memo is None or skip_if(*args, **kwargs):
            return fn(value, *args, **kwargs)
        key = (fn, id(value))
        hit = memo.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        result = fn(value, *args, **kwargs)
        memo[key] = (value, result)  # holds `value`: its id stays unique for this request
        return result
    return call


def _cached_method(method):
    @functools.wraps(method)
    def call(self, request):
        memo = _memo()
        if memo is None:
            return method(self, request)
        key = (method, id(request))
        hit = memo.get(key)
        if hit is not None and hit[0] is request:
            return hit[1]
        result = method(self, request)
        memo[key] = (request, result)
        return result
    return call


def _types_of(policy) -> frozenset | None:
    """The resource types a resource policy's validator declares (rules._resource_validator), or None."""
    validate = getattr(policy, "_ResourceValidationPolicy__validate", None)
    return getattr(validate, "resource_types", None)


def _level_for_type(method, disabled):
    """pulumi-policy's per-policy level lookup, answering "disabled" inside Analyze for a policy
    whose validator declares types that do not include this request's type: the servicer then
    skips it before converting anything, exactly as it skips a disabled policy, and the result
    is the same (that validator returns without a finding for any other type)."""
    @functools.wraps(method)
    def level(self, policy):
        rtype = getattr(_local, "rtype", None)
        if rtype is not None:
            types = _types_of(policy)
            if types is not None and rtype not in types:
                return disabled
        return method(self, policy)
    return level


def _analyze_one(method):
    @functools.wraps(method)
    def run(self, request, context):
        _local.rtype = request.type
        try:
            return method(self, request, context)
        finally:
            _local.rtype = None
    return run


def _per_request(method):
    @functools.wraps(method)
    def run(self, request, context):
        _local.memo = {}
        try:
            return method(self, request, context)
        finally:
            _local.memo = None
    return run


class _JsonFormat:
    """pulumi_policy.policy's view of google.protobuf.json_format with MessageToDict memoized."""

    def __init__(self, real):
        self._real = real
        self.MessageToDict = _cached(real.MessageToDict, skip_if=lambda *a, **k: bool(a or k))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def install() -> bool:
    """Memoize the per-policy conversions of pulumi-policy's servicer. Returns whether it did."""
    from pulumi_policy import policy as pp

    servicer = getattr(pp, "_PolicyAnalyzerServicer", None)
    needed = ("json_format", "deserialize_properties", "unknown_checking_proxy")
    if servicer is None or not all(hasattr(pp, n) for n in needed) or getattr(pp, "_hybrid_memo", False):
        return False
    if not all(callable(getattr(servicer, m, None)) for m in ("Analyze", "AnalyzeStack")):
        return False
    pp.json_format = _JsonFormat(pp.json_format)
    pp.deserialize_properties = _cached(pp.deserialize_properties,
                                        skip_if=lambda proxy_secrets=False: bool(proxy_secrets))
    pp.unknown_checking_proxy = _cached(pp.unknown_checking_proxy)
    # The options and provider of a resource, rebuilt per policy too; keyed on the resource's message.
    for name in ("_get_resource_options", "_get_provider_resource"):
        method = getattr(servicer, name, None)
        if callable(method):
            setattr(servicer, name, _cached_method(method))
    if callable(getattr(servicer, "_get_enforcement_level", None)) and hasattr(pp, "EnforcementLevel"):
        servicer._get_enforcement_level = _level_for_type(servicer._get_enforcement_level, pp.EnforcementLevel.DISABLED)
        servicer.Analyze = _analyze_one(servicer.Analyze)
    servicer.Analyze = _per_request(servicer.Analyze)
    servicer.AnalyzeStack = _per_request(servicer.AnalyzeStack)
    pp._hybrid_memo = True
    return True
