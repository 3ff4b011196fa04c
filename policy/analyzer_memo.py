"""Convert each resource's properties once per analyzer request, not once per policy.

pulumi-policy's servicer (1.21.0, ``pulumi_policy/policy.py`` ``Analyze``/``AnalyzeStack``)
converts a resource's protobuf properties to a dict, deserializes it and wraps it in the
unknown-checking proxy inside its loop over policies: with 10 resource policies and 6 stack
policies, a stack of 3,600 resources costs about 58,000 conversions where 7,200 would do. At
1,000 GPU nodes that was most of the policy gate's cost, and the engine pays it on every
``pulumi preview`` too.

:func:`install` wraps ``Analyze`` so that, for the duration of one request,
the three conversion steps, and the resource's options and provider objects, are memoized on
the identity of their input (the protobuf runtime
hands out the same Python object for the same sub-message, and the memo keeps each input
alive, so an id cannot be reused inside a request). Outside a request (``Configure``) and for
the secret-preserving form (``proxy_secrets=True``, remediation) nothing changes.

What makes sharing safe: the conversions build new objects from their input and never change
it, and the validators in ``rules.py`` only read the proxies (through ``rules.get``). A
validator that assigned into ``args.props`` would leak the change to the next policy: don't.
If pulumi-policy changes the names this relies on, :func:`install` leaves it untouched.

The stack analysis is changed further (:func:`_analyze_stack`): pulumi-policy rebuilds the
stack's resource list, with its parent and dependency links, once per stack policy, and
converts every resource's properties before any rule runs. Here the list is built once per
request and shared by the stack policies, and each resource's properties (and its provider's)
are converted, with pulumi-policy's own functions, the first time a rule reads them: a rule
that looks only at DaemonSets never pays for a thousand instances. Everything else in that
method (levels, violation reports, the unknown-value and not-applicable diagnostics) is
pulumi-policy's behaviour, checked against the unpatched servicer answer by answer in
tests/test_analyzer_patch.py. It is installed only on the pulumi-policy version it was checked
against (``CHECKED_VERSION``); any other version runs unpatched.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Mapping
from inspect import isawaitable
from typing import Any

# The pulumi-policy release whose servicer these changes were read from and tested against
# (policy/requirements.txt pins it).
CHECKED_VERSION = "1.21.0"

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


class _LazyProps(Mapping):
    """A resource's properties as pulumi-policy presents them (``unknown_checking_proxy`` over
    ``deserialize_properties`` over ``json_format.MessageToDict``), converted on first use.

    It forwards exactly the operations of pulumi-policy's dict proxy (the ``Mapping`` methods are
    built on them, as the proxy's are), so a rule sees the same values and the same
    ``UnknownValueError`` on an unknown one."""

    __slots__ = ("_struct", "_convert", "_proxy")

    def __init__(self, struct, convert):
        self._struct, self._convert, self._proxy = struct, convert, None

    def _target(self):
        if self._proxy is None:
            self._proxy = self._convert(self._struct)
            self._struct = None
        return self._proxy

    def __getitem__(self, key):
        return self._target()[key]

    def __setitem__(self, key, value):
        self._target()[key] = value

    def __len__(self):
        return len(self._target())

    def __iter__(self):
        return iter(self._target())

    def __repr__(self):
        return repr(self._target())


def _stack_resources(self, request, pp) -> list:
    """The request's resources as pulumi-policy's AnalyzeStack builds them for each policy: one
    PolicyResource per resource, parent, dependencies and property dependencies linked by URN."""
    def convert(struct):
        return pp.unknown_checking_proxy(pp.deserialize_properties(pp.json_format.MessageToDict(struct)))

    built, by_urn = [], {}
    for r in request.resources:
        provider = None
        if r.HasField("provider"):
            prov = r.provider
            provider = pp.PolicyProviderResource(prov.type, _LazyProps(prov.properties, convert), prov.urn, prov.name)
        res = pp.PolicyResource(r.type, _LazyProps(r.properties, convert), r.urn, r.name,
                                self._get_resource_options(r), provider, None, [], {})
        built.append((res, r))
        by_urn[res.urn] = res
    for res, r in built:
        if r.parent in by_urn:
            res.parent = by_urn[r.parent]
        res.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
        for key, deps in r.propertyDependencies.items():
            res.property_dependencies[key] = [by_urn[d] for d in deps.urns if d in by_urn]
    return [res for res, _ in built]


def _analyze_stack(original, pp):
    level_of = pp.EnforcementLevel

    @functools.wraps(original)
    def analyze_stack(self, request, context):
        private = "_PolicyAnalyzerServicer__"
        try:
            policies, tags = getattr(self, private + "policies"), getattr(self, private + "stack_tags")
            pack, version = getattr(self, private + "policy_pack_name"), getattr(self, private + "policy_pack_version")
        except AttributeError:
            return original(self, request, context)
        self._configure_runtime_settings()
        response = pp.proto.AnalyzeResponse()
        resources = None
        for policy in policies:
            level = self._get_enforcement_level(policy)
            if level == level_of.DISABLED or not isinstance(policy, pp.StackValidationPolicy):
                continue
            if level == level_of.REMEDIATE:  # stack policies cannot remediate: reported as mandatory
                level = level_of.MANDATORY
            report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
            if resources is None:
                resources = _stack_resources(self, request, pp)
            args = pp.StackValidationArgs(resources, self._get_policy_config(policy.name), tags)
            try:
                result = policy.validate(args, report)
                if isawaitable(result):
                    loop = asyncio.new_event_loop()
                    loop.run_until_complete(asyncio.Task(result, loop=loop))
                    loop.close()
            except pp.UnknownValueError as e:
                response.diagnostics.append(pp.proto.AnalyzeDiagnostic(
                    policyName=policy.name, policyPackName=pack, policyPackVersion=version,
                    message=f"can't run policy '{policy.name}' from policy pack '{pack}@v{version}' during preview: {e.message}",
                    urn="", description=policy.description,
                    enforcementLevel=self._map_enforcement_level(level_of.ADVISORY)))
            except pp._NotApplicableError as e:
                response.not_applicable.append(pp.proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))
        return response
    return analyze_stack


class _JsonFormat:
    """pulumi_policy.policy's view of google.protobuf.json_format with MessageToDict memoized."""

    def __init__(self, real):
        self._real = real
        self.MessageToDict = _cached(real.MessageToDict, skip_if=lambda *a, **k: bool(a or k))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _installed_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("pulumi-policy")
    except metadata.PackageNotFoundError:
        return ""


def install() -> bool:
    """Change pulumi-policy's servicer as described above. Returns whether it did."""
    from pulumi_policy import policy as pp

    if _installed_version() != CHECKED_VERSION:
        return False

    servicer = getattr(pp, "_PolicyAnalyzerServicer", None)
    needed = ("json_format", "deserialize_properties", "unknown_checking_proxy", "proto", "EnforcementLevel",
              "PolicyResource", "PolicyProviderResource", "StackValidationArgs", "StackValidationPolicy",
              "UnknownValueError", "_NotApplicableError")
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
    servicer.AnalyzeStack = _analyze_stack(servicer.AnalyzeStack, pp)
    pp._hybrid_memo = True
    return True
