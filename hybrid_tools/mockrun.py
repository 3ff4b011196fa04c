"""Run the real Pulumi program under the SDK's mock runtime and record every registration.

The recording monitor sees each ``RegisterResourceRequest`` exactly as the
engine would: type token, name, parent URN, provider reference and the
serialized inputs (camelCase, with secrets still wrapped in the engine's
secret signature). Nothing here talks to a cloud.
"""

from __future__ import annotations

import hashlib
import runpy
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import orjson
import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pmocks

from hybrid.redaction import REDACTED  # the visible stand-in for secrets in artifacts
from hybrid_tools import provider_ids

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
SIG_KEY = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    provider: str
    inputs: dict[str, Any]
    protect: bool
    dependencies: list[str]
    options: dict[str, Any] = field(default_factory=dict)
    # input property -> URNs of the resources its value came from (the graph's edges)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


def fake_id(type_: str, urn: str) -> str:
    """The id PlanMocks gives a resource named ``urn`` (``<type>::<name>``) of ``type_``: the
    provider's form from hybrid_tools.provider_ids for a type it knows (composite ids need the
    inputs: see PlanMocks), a bare digest for any other type."""
    entry = provider_ids.entry(type_)
    if entry is not None and not entry.template:
        return provider_ids.KINDS[entry.id].generate(urn)
    return hashlib.sha256(urn.encode()).hexdigest()[:20]


def redact(value: Any) -> Any:
    """Replace engine secret wrappers with ``"[secret]"``, resource refs with their URN."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return REDACTED
        if sig == RESOURCE_SIG:
            return value.get("urn", "")
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN:
        return "[unknown]"
    return value


# What a provider would compute for one resource type, given the inputs: merged into
# the mock's state. The plan passes its table (hybrid_tools.plan.MOCK_RESPONDERS); the ids
# and computed attributes of every type come from hybrid_tools.provider_ids.
Responder = Callable[[pulumi.runtime.MockResourceArgs], dict]


class PlanMocks(pulumi.runtime.Mocks):
    """Answers as the real providers do (hybrid_tools.provider_ids): the id in the provider's form
    (composite ids included), the computed attributes the program reads, deterministic from the
    resource's type, name and inputs; an imported resource keeps its import id. A type the table
    does not know gets a bare digest and is listed in ``unknown_types`` (the plan fails on it)."""

    def __init__(self, responders: Optional[Mapping[str, Responder]] = None):
        self._responders = dict(responders or {})
        self._states: dict[str, dict] = {}           # id -> state: what a later resource refers to
        self._ips: dict[str, set[str]] = {}          # vSwitch id -> private IPs handed out
        self._lock = threading.Lock()
        self.unknown_types: set[str] = set()

    def _lookup(self, rid: str) -> Optional[dict]:
        return self._states.get(rid)

    def _taken(self, vswitch_id: str) -> set[str]:
        return self._ips.setdefault(vswitch_id, set())

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        seed = f"{args.typ}::{args.name}"
        state = dict(args.inputs)
        responder = self._responders.get(args.typ)
        if responder is not None:
            state.update(responder(args))
        with self._lock:
            if args.custom is False:  # a component: no provider answers for it
                rid = fake_id(args.typ, seed)
            elif provider_ids.known(args.typ):
                rid, computed = provider_ids.answer(args.typ, seed, state, self._lookup, self._taken)
                for key, value in computed.items():
                    state.setdefault(key, value)
                if "privateIp" in computed:
                    self._taken(str(state.get("vswitchId"))).add(computed["privateIp"])
            else:
                self.unknown_types.add(args.typ)
                rid = fake_id(args.typ, seed)
            # An imported resource keeps the id it has in the cloud.
            rid = args.resource_id or rid
            self._states[rid] = state
            if args.typ == "alicloud:vpc/network:Network" and "routeTableId" in state:
                # A route entry finds its VPC (and the vRouter in its id) by the route table.
                self._states.setdefault(str(state["routeTableId"]), state)
        return rid, state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class RecordingMonitor(pmocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks, on_register: Optional[Callable[[int], None]] = None):
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}
        self._lock = threading.Lock()
        self._on_register = on_register

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = json_format.MessageToDict(request.object)
            reg = Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                provider=request.provider,
                inputs=inputs,
                protect=bool(request.protect),
                dependencies=sorted(request.dependencies),
                property_dependencies={k: sorted(v.urns) for k, v in sorted(request.propertyDependencies.items()) if v.urns},
                options={
                    k: v for k, v in {
                        "protect": request.protect or None,
                        "import": request.importId or None,
                        "deleteBeforeReplace": request.deleteBeforeReplace or None,
                        "ignoreChanges": sorted(request.ignoreChanges) or None,
                        "replaceOnChanges": sorted(request.replaceOnChanges) or None,
                        "additionalSecretOutputs": sorted(request.additionalSecretOutputs) or None,
                        "retainOnDelete": request.retainOnDelete or None,
                    }.items() if v
                },
            )
            with self._lock:
                self.registrations[reg.urn] = reg
                count = len(self.registrations)
            if self._on_register is not None:
                self._on_register(count)
        return response


@dataclass
class ProgramRun:
    registrations: dict[str, Registration]
    outputs: dict[str, Any]  # name -> (value, is_secret)
    # The secret config values the run was given: what a writer that opens a recorded
    # secret (e.g. an instance's user-data) must find nowhere in its artifact.
    secret_values: tuple[str, ...] = ()


def secret_payload(value: Any) -> Any:
    """The clear value inside a recorded secret wrapper (None if ``value`` is not one).

    Only for writers that redact it again before anything is written."""
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return value.get("value")
    return None


_NOT_PLAIN = object()
_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """What ``Output.from_input(value)`` resolves to when ``value`` is plain data (str keys,
    lists, tuples, scalars): the same containers rebuilt, an empty one itself. Else _NOT_PLAIN.
    A stack output such as the placement is hundreds of plain values, and from_input gives
    each its own Output and tasks."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind not in (dict, list, tuple):
        return _NOT_PLAIN
    if not value:
        return value
    if kind is dict:
        out = {}
        for k, v in value.items():
            item = _plain(v)
            if type(k) is not str or item is _NOT_PLAIN:  # from_input passes the keys as keywords
                return _NOT_PLAIN
            out[k] = item
        return out
    items = [_plain(v) for v in value]
    if any(item is _NOT_PLAIN for item in items):
        return _NOT_PLAIN
    return items if kind is list else tuple(items)


async def _resolve(value: Any) -> tuple[Any, bool]:
    """(value, is_secret) of a stack output, as ``Output.from_input(value)`` resolves it.

    Read through public Output APIs only: ``apply`` (with unknowns) hands over the value,
    ``is_secret`` of that applied Output waits for it to have run."""
    plain = _plain(value)
    if plain is not _NOT_PLAIN:
        return plain, False  # plain data is known and never secret
    if isinstance(value, pulumi.Output):
        # A known Output of plain data: its value read as above, its secrecy its own.
        seen, secret = await _read(value)
        plain = _plain(seen)
        if plain is not _NOT_PLAIN:
            return plain, secret
    return await _read(pulumi.Output.from_input(value))


async def _read(out: pulumi.Output) -> tuple[Any, bool]:
    seen: list[Any] = []
    secret = await out.apply(seen.append, run_with_unknowns=True).is_secret()
    return seen[0], secret


def run_program(
    program: Path,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    mocks: Optional[pulumi.runtime.Mocks] = None,
    on_register: Optional[Callable[[int], None]] = None,
) -> ProgramRun:
    """Execute ``program`` (a Pulumi ``__main__.py``) under mocks; return what it registered.

    ``pulumi.runtime.test`` runs it as the engine does: it returns once every registration
    and every Output the run started has finished."""
    mocks = mocks or PlanMocks()
    monitor = RecordingMonitor(mocks, on_register)
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi.runtime.reset_options(project=project, stack=stack, preview=False)  # a fresh root Stack per run
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    root = pulumi.runtime.get_root_resource()
    program_dir = str(program.parent.resolve())
    if program_dir not in sys.path:
        sys.path.insert(0, program_dir)
    outputs: dict[str, Any] = {}

    async def read_outputs() -> None:
        for name, value in sorted(root.outputs.items()):
            outputs[name] = await _resolve(value)

    @pulumi.runtime.test
    def run():
        runpy.run_path(str(program), run_name="__main__")
        return read_outputs()

    run()
    _close_loop()
    secrets = tuple(sorted({config[k] for k in secret_keys if config.get(k)}, key=lambda v: (-len(v), v)))
    return ProgramRun(registrations=dict(monitor.registrations), outputs=dict(sorted(outputs.items())), secret_values=secrets)


def _close_loop() -> None:
    """Close the SDK's event loop now, not at interpreter teardown (which warns)."""
    import asyncio

    loop = asyncio.get_event_loop()
    if not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(asyncio.new_event_loop())


def canonical_json(data: Any) -> str:
    """Sorted keys, two-space indent, UTF-8: the bytes json.dumps(indent=2, sort_keys=True,
    ensure_ascii=False) gives, written by orjson (the stdlib's indenting encoder is pure Python
    and was a tenth of the plan's time). tests/test_plan_e2e.py holds the two equal."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
