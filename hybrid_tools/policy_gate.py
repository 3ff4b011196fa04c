"""Offline policy gate: run the policy pack the way the Pulumi engine does.

The pack (``policy/__main__.py``) is started as its own process; it prints the
port of its analyzer gRPC server. We then speak ``pulumirpc.Analyzer`` to it:
``GetAnalyzerInfo``, ``Configure`` (the per-stack policy config, completed the
way the engine completes it: default levels from the pack, schema defaults,
schema validation), ``Analyze`` once per resource and ``AnalyzeStack`` with
every resource, parent and dependencies, then stop the process.

Inputs come from the recorded mock run, not from ``resources.json``: the run
still has the engine's wire form (secrets wrapped in the secret signature with
their value, as the engine sends them to analyzers; unknowns as the unknown
sentinel) and each resource's dependencies, which the redacted artifact lacks.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from hybrid import safeload, tables
from hybrid.errors import ConfigError
from hybrid_tools.errors import InputError
from hybrid_tools.mockrun import RESOURCE_SIG, SIG_KEY, UNKNOWN, ProgramRun, canonical_json

PACK_DIR = Path(__file__).resolve().parents[1] / "policy"
STARTUP_SECONDS = 60

LEVELS = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}  # pulumirpc.EnforcementLevel values
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
SEVERITY_NAMES = {0: "unspecified", 1: "low", 2: "medium", 3: "high", 4: "critical"}


class GateError(RuntimeError):
    """The pack could not be started or configured (not a policy violation)."""


class PolicyConfigError(GateError, InputError):
    """The policy config a user wrote is unreadable or invalid for the pack: exit 2, one line."""


# --- engine-form resources --------------------------------------------------

@dataclass
class EngineResource:
    urn: str
    type: str
    name: str
    custom: bool
    properties: dict[str, Any]
    parent: str = ""
    provider: str = ""  # provider URN
    dependencies: list[str] = field(default_factory=list)
    id: str = ""
    protect: bool = False
    options: dict[str, Any] = field(default_factory=dict)


def wire_value(value: Any) -> Any:
    """A value as the engine marshals it for analyzers (KeepSecrets, KeepUnknowns, no resource refs)."""
    from pulumi.output import Unknown

    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        if value.get(SIG_KEY) == RESOURCE_SIG:
            # Without KeepResources the engine sends a reference as the resource's id (or URN for components).
            return value.get("id") or value.get("urn", "")
        return {k: wire_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire_value(v) for v in value]
    return value


def resources_from_run(run: ProgramRun, project: str, stack: str) -> list[EngineResource]:
    from hybrid_tools.mockrun import SECRET_SIG, fake_id

    stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    out = []
    for reg in sorted(run.registrations.values(), key=lambda r: r.urn):
        out.append(EngineResource(
            urn=reg.urn, type=reg.type, name=reg.name, custom=reg.custom,
            properties=wire_value(reg.inputs), parent=reg.parent or "",
            provider=reg.provider.rsplit("::", 1)[0] if reg.provider else "",
            dependencies=list(reg.dependencies),
            id=fake_id(reg.type, f"{reg.type}::{reg.name}") if reg.custom else "",
            protect=reg.protect, options=dict(reg.options),
        ))
    outputs = {}
    for name, (value, secret) in sorted(run.outputs.items()):
        v = wire_value(value)
        outputs[name] = {SIG_KEY: SECRET_SIG, "value": v} if secret else v
    out.append(EngineResource(urn=stack_urn, type="pulumi:pulumi:Stack", name=f"{project}-{stack}", custom=False, properties=outputs))
    return out


# --- the analyzer process ---------------------------------------------------

class PolicyAnalyzer:
    """The policy pack as a running analyzer plugin. Use as a context manager."""

    def __init__(self, pack_dir: Path = PACK_DIR, python: str = sys.executable):
        self.pack_dir, self.python = pack_dir, python
        self.proc: Optional[subprocess.Popen] = None
        self._stderr = None
        self._channel = None
        self.stub = None

    def start(self) -> "PolicyAnalyzer":
        import grpc
        from pulumi.runtime.proto import analyzer_pb2_grpc

        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.pack_dir), env.get("PYTHONPATH", "")) if p)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([self.python, "__main__.py"], cwd=self.pack_dir, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr)
        try:
            port = self._read_port()
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(self._channel).result(timeout=STARTUP_SECONDS)
        except BaseException:
            # A pack that did not come up is stopped here: no caller holds it to close it (the
            # context manager's __exit__ does not run when __enter__ raises).
            self.close()
            raise
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self

    def _read_port(self) -> int:
        assert self.proc is not None and self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline, buf = time.monotonic() + STARTUP_SECONDS, b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                break
            if sel.select(timeout=left):
                chunk = os.read(self.proc.stdout.fileno(), 64)
                if not chunk:
                    break
                buf += chunk
        sel.close()
        line = buf.split(b"\n", 1)[0].strip()
        if not line.isdigit():
            raise GateError(f"the policy pack did not report a port (got {line!r}); its stderr:\n{self.stderr()}")
        return int(line)

    def stderr(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-4000:]

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> "PolicyAnalyzer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# --- one gate run -------------------------------------------------------------

@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    enforcement: str   # effective level for this stack
    default: str       # the pack's default
    severity: str
    kind: str          # resource | stack


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str
    severity: str
    urn: str
    message: str


@dataclass
class GateReport:
    stack: str
    pack: str
    pack_version: str
    resources: int
    policies: list[PolicyMeta]
    violations: list[Violation]
    config_notes: list[str] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def exit_code(self) -> int:
        return 1 if self.mandatory else 0

    def to_json(self) -> str:
        return canonical_json({
            "stack": self.stack,
            "policyPack": {"name": self.pack, "version": self.pack_version},
            "resourcesAnalyzed": self.resources,
            "policies": [asdict(p) for p in self.policies],
            "violations": [asdict(v) for v in self.violations],
            "summary": {
                "mandatory": len(self.mandatory),
                "advisory": sum(1 for v in self.violations if v.enforcement == "advisory"),
                "passed": self.exit_code == 0,
            },
            "configNotes": self.config_notes,
        })

    def table(self) -> str:
        head = f"policy gate: stack {self.stack!r}, pack {self.pack}@{self.pack_version} ({len(self.policies)} policies), {self.resources} resources analyzed (the plan's {self.resources - 1} and the stack)"
        lines = [head] + [f"  note: {n}" for n in self.config_notes]
        if not self.violations:
            lines.append("  no violations")
        else:
            rows = [(v.enforcement, v.severity, v.policy, short_urn(v.urn)) for v in self.violations]
            head, *body = tables.text(("ENFORCEMENT", "SEVERITY", "POLICY", "RESOURCE"), rows, indent="  ")
            lines.append(head)
            for row, v in zip(body, self.violations):
                lines += [row, f"      {v.message}"]
        advisory = len(self.violations) - len(self.mandatory)
        verdict = "FAIL (mandatory violations block the deployment)" if self.exit_code else "PASS"
        lines.append(f"result: {len(self.mandatory)} mandatory, {advisory} advisory violation(s): {verdict}")
        return "\n".join(lines)


def short_urn(urn: str) -> str:
    """``...::alicloud:ecs/securityGroupRule:SecurityGroupRule::name`` -> ``SecurityGroupRule::name``."""
    if not urn:
        return "(stack)"
    # urn:pulumi:<stack>::<project>::<qualified type>::<name>, the name being all after the third
    # separator, "::" included (pulumi sdk/go/common/resource/urn.go: Name()).
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return urn
    typ = parts[2].split("$")[-1]
    return f"{typ.rsplit(':', 1)[-1]}::{parts[3]}"


def pack_version(pack_dir: Path = PACK_DIR) -> str:
    # The engine takes the version from PulumiPolicy.yaml (Python packs report 0.0.1 themselves).
    doc = safeload.load_yaml(pack_dir / "PulumiPolicy.yaml") or {}
    return str(doc.get("version", "0.0.1"))


def _struct(d: dict[str, Any]):
    """``d`` as a protobuf Struct. Engine-form values are already plain JSON types (wire_value
    turned tuples into lists and resource references into strings), so no JSON round trip."""
    from google.protobuf import struct_pb2

    s = struct_pb2.Struct()
    s.update(d)
    return s


def configure(stub, info, config_doc: dict[str, Any]) -> dict[str, str]:
    """Send Configure like the engine: every policy, its level, schema defaults + given properties."""
    from pulumi.runtime import proto

    known = {p.name: p for p in info.policies}
    unknown = sorted(set(config_doc) - set(known) - {"all"})
    if unknown:
        raise PolicyConfigError(f"policy config names policies the pack does not have: {', '.join(unknown)}. "
                                "Fix: use the names in policy/README.md (or `all`).")
    all_level = config_doc.get("all")
    if isinstance(all_level, dict):
        all_level = all_level.get("enforcementLevel")
    request = proto.ConfigureAnalyzerRequest()
    levels: dict[str, str] = {}
    for name, pol in sorted(known.items()):
        entry = config_doc.get(name, {})
        entry = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
        level = entry.pop("enforcementLevel", None) or all_level or LEVEL_NAMES[pol.enforcementLevel]
        if level not in LEVELS:
            raise PolicyConfigError(f"{name}: enforcementLevel {level!r} is not one of {', '.join(LEVELS)}. Fix: use one of them.")
        schema = json.loads(json.dumps(_message_dict(pol.configSchema.properties)))
        props = {k: v["default"] for k, v in schema.items() if isinstance(v, dict) and "default" in v}
        props.update(entry)
        _validate(name, props, schema, list(pol.configSchema.required))
        request.policyConfig[name].CopyFrom(proto.PolicyConfig(enforcementLevel=LEVELS[level], properties=_struct(props)))
        levels[name] = level
    stub.Configure(request)
    return levels


def _message_dict(struct) -> dict:
    from google.protobuf import json_format

    return json_format.MessageToDict(struct) if struct is not None else {}


def _validate(name: str, props: dict, schema: dict, required: list[str]) -> None:
    try:
        import jsonschema
    except ImportError:  # the engine validates too; offline we then trust the file
        return
    full = {"type": "object", "properties": schema, "required": required}
    errors = sorted(jsonschema.Draft7Validator(full).iter_errors(props), key=lambda e: list(e.path))
    if errors:
        raise PolicyConfigError(f"policy config of {name}: " + "; ".join(f"{'.'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors)
                                + ". Fix: give values of the types the policy's config schema states (policy/README.md).")


def _options(r: EngineResource):
    from pulumi.runtime import proto

    o = r.options
    return proto.AnalyzerResourceOptions(
        protect=r.protect,
        ignoreChanges=o.get("ignoreChanges") or [],
        deleteBeforeReplace=bool(o.get("deleteBeforeReplace")),
        deleteBeforeReplaceDefined="deleteBeforeReplace" in o,
        additionalSecretOutputs=o.get("additionalSecretOutputs") or [],
        parent=r.parent,
    )


# Analyze requests kept in flight at once. The engine sends one per resource as its registration
# arrives; offline every resource is known up front, so the gate pipelines them over the one
# channel (the pack's server runs them on its thread pool; the servicer keeps no state between
# requests). Measured at 1,000 GPU nodes (4,750 requests): the round trips' CPU, client + pack,
# 3.0 s one at a time, 2.0 s with 16-64 in flight, no better beyond.
IN_FLIGHT = 32


def analyze(stub, resources: list[EngineResource]) -> tuple[list, int]:
    """Analyze each resource, then the stack. Returns (diagnostics with their urn, not-applicable count).

    Each resource's properties are converted to a Struct once: the stack analysis copies it
    (a C-level copy) and adds the id. A provider's message is built once and shared by all the
    resources it manages (a fleet has thousands per provider). Responses are read in resource
    order, whatever order they complete in."""
    from collections import deque

    from pulumi.runtime import proto

    by_urn = {r.urn: r for r in resources}
    providers: dict[str, Any] = {}
    diags: list[tuple[Any, str]] = []
    not_applicable = 0
    stack_resources = []
    pending: deque = deque()

    def settle(call, urn: str) -> None:
        nonlocal not_applicable
        resp = call.result()
        diags.extend((d, d.urn or urn) for d in resp.diagnostics)
        not_applicable += len(resp.not_applicable)

    try:
        for r in resources:
            p = by_urn.get(r.provider)
            if p is not None and p.urn not in providers:
                providers[p.urn] = proto.AnalyzerProviderResource(type=p.type, urn=p.urn, name=p.name, properties=_struct(p.properties))
            kwargs = {"provider": providers[p.urn]} if p is not None else {}
            props, options = _struct(r.properties), _options(r)
            request = proto.AnalyzeRequest(type=r.type, properties=props, urn=r.urn, name=r.name, options=options, **kwargs)
            pending.append((stub.Analyze.future(request), r.urn))
            if len(pending) >= IN_FLIGHT:
                settle(*pending.popleft())
            # Stack analysis sees the resource's state (outputs); offline, the inputs plus the id a provider returns.
            if r.id:
                state = type(props)()
                state.CopyFrom(props)
                state["id"] = r.id
            else:
                state = props
            stack_resources.append(proto.AnalyzerResource(
                type=r.type, properties=state, urn=r.urn, name=r.name, options=options,
                parent=r.parent, dependencies=r.dependencies, **kwargs))
        while pending:
            settle(*pending.popleft())
    finally:
        for call, _ in pending:  # a failed request: do not leave the others running
            call.cancel()
    resp = stub.AnalyzeStack(proto.AnalyzeStackRequest(resources=stack_resources))
    diags += [(d, d.urn) for d in resp.diagnostics]
    not_applicable += len(resp.not_applicable)
    return diags, not_applicable


def run_gate(stack: str, resources: list[EngineResource], config_doc: dict[str, Any],
             analyzer: Optional[PolicyAnalyzer] = None, notes: Iterable[str] = ()) -> GateReport:
    own = analyzer is None
    analyzer = analyzer or PolicyAnalyzer().start()
    try:
        from google.protobuf import empty_pb2

        info = analyzer.stub.GetAnalyzerInfo(empty_pb2.Empty())
        levels = configure(analyzer.stub, info, config_doc)
        diags, _ = analyze(analyzer.stub, resources)
    finally:
        if own:
            analyzer.close()
    from pulumi.runtime import proto

    policies = [PolicyMeta(
        name=p.name, description=p.description, enforcement=levels[p.name], default=LEVEL_NAMES[p.enforcementLevel],
        severity=SEVERITY_NAMES.get(p.severity, "unspecified"),
        kind="stack" if p.policy_type == proto.PolicyType.POLICY_TYPE_STACK else "resource",
    ) for p in sorted(info.policies, key=lambda p: p.name)]
    meta = {p.name: p for p in policies}
    violations = set()
    for d, urn in diags:
        msg = d.message
        if d.description and msg.startswith(d.description):
            msg = msg[len(d.description):].lstrip("\n") or d.description
        violations.add(Violation(policy=d.policyName, enforcement=LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                                 severity=meta[d.policyName].severity if d.policyName in meta else SEVERITY_NAMES.get(d.severity, "unspecified"),
                                 urn=urn, message=msg))
    order = {"mandatory": 0, "advisory": 1}
    ordered = sorted(violations, key=lambda v: (order.get(v.enforcement, 2), v.policy, v.urn, v.message))
    return GateReport(stack=stack, pack=info.name, pack_version=pack_version(), resources=len(resources),
                      policies=policies, violations=ordered, config_notes=list(notes))


# --- entry points used by the CLI ---------------------------------------------

def project_of(run: ProgramRun, default: str = "hybrid-gpu-platform") -> str:
    for urn in run.registrations:
        parts = urn.split("::")
        if len(parts) > 1:
            return parts[1]
    return default


def load_policy_config(path: Path, explicit: bool) -> dict[str, Any]:
    """The policy config file as a dict ({} when the default file is absent).

    A path the user named must exist; any file must be a readable JSON object. Checked before
    the plan runs, so a typo costs no planning time and writes nothing."""
    from hybrid_tools import policy_config as pc

    if path.exists() and not path.is_file():
        raise PolicyConfigError(f"{path}: not a file. Fix: pass the policy config JSON file itself.")
    if not path.exists():
        if explicit:
            raise PolicyConfigError(f"{path}: no such policy config file. Fix: pass an existing file, or leave --policy-config out "
                                    "to use policy/config/<stack>.json.")
        return {}
    try:
        return pc.load(path)
    except ConfigError as e:  # the safe loader's verdict on the file: a policy config, not the stack's
        raise PolicyConfigError("policy config " + "; ".join(i.render() for i in e.issues)) from None
    except OSError as e:
        raise PolicyConfigError(f"{path}: cannot read the policy config ({e.strerror}). Fix: pass a readable JSON file.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PolicyConfigError(f"{path}: the policy config is not JSON ({e}). Fix: correct the JSON syntax.") from None
    except ValueError as e:
        raise PolicyConfigError(f"{e}. Fix: write a JSON object of policy name -> level or settings.") from None


def gate_run(stack: str, platform, run: ProgramRun, out_dir: Path, policy_config: Optional[Path] = None,
             analyzer: Optional[PolicyAnalyzer] = None, stream=None) -> GateReport:
    """Gate one planned stack: effective config, analysis, ``policy.json``, table. Returns the report."""
    from hybrid_tools import policy_config as pc

    path = policy_config or pc.default_path(stack)
    doc = load_policy_config(path, explicit=policy_config is not None)
    notes = []
    if path.is_file():
        notes += [f"{path.name} is stale ({d}); the gate used the stack config's value. Run `hybrid-gpu policy --stack {stack} --write-config`."
                  for d in pc.drift(doc, platform, missing_ok=True)]
    else:
        notes.append(f"no policy config {path}; the pack's defaults apply.")
    config_doc = pc.effective(doc, platform)
    try:
        report = run_gate(stack, resources_from_run(run, project_of(run), stack), config_doc, analyzer=analyzer, notes=notes)
    except PolicyConfigError as e:
        raise PolicyConfigError(f"{path}: {e}") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "policy.json").write_text(report.to_json())
    print(report.table(), file=stream or sys.stdout)
    return report


def cli(args) -> int:
    """``hybrid-gpu policy``: plan the stack in memory (no artifacts rewritten), then gate it."""
    from hybrid_tools import plan
    from hybrid_tools import policy_config as pc

    config_file = Path(args.config) if args.config else None
    path = Path(args.policy_config) if args.policy_config else pc.default_path(args.stack)
    if args.write_config:
        from hybrid.model import load
        from hybrid_tools.stackconfig import read_stack

        platform = load(read_stack(args.stack, config_file=config_file).raw)
        doc = load_policy_config(path, explicit=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pc.render(pc.effective(doc, platform)))
        print(f"wrote {path}")
        return 0
    load_policy_config(path, explicit=args.policy_config is not None)  # fail before minutes of planning
    progress = plan.Progress(sys.stderr, f"planning {args.stack}")
    _, platform, run_, seconds = plan.build_plan(args.stack, config_file=config_file, progress=progress)
    progress.done(seconds)
    return gate_run(args.stack, platform, run_, Path(args.out) / args.stack, path).exit_code
