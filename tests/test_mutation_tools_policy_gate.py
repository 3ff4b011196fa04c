"""The policy gate's side of the analyzer protocol (hybrid_tools/policy_gate.py), in process.

What the gate sends is checked against the pulumirpc.Analyzer messages the engine sends
(pulumi proto/pulumi/analyzer.proto: ConfigureAnalyzerRequest, AnalyzeRequest, AnalyzeStackRequest),
recorded by a stub; what it reports from the pack's diagnostics is worked by hand. The real pack
process is started by the tests that need it (tests/test_policy_gate.py speaks to it at length)."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pytest
from pulumi.runtime import proto

from hybrid_tools import policy_config as pc
from hybrid_tools import policy_gate as pg
from hybrid_tools.mockrun import ProgramRun, Registration

# The Pulumi protocol's wire forms (pulumi sdk/go/common/resource/properties.go).
SIG = "4dabf18193072939515e22adb298388d"
SECRET = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ROOT = Path(__file__).resolve().parents[1]


# --- values and resources as the engine sends them ------------------------------------------------

def test_wire_value_keeps_secrets_and_unknowns_and_sends_references_as_ids():
    from pulumi.output import Unknown

    ref_id = {SIG: RESOURCE, "urn": "urn:c", "id": "i-1"}
    ref_component = {SIG: RESOURCE, "urn": "urn:c"}
    secret = {SIG: SECRET, "value": "hush"}
    doc = {"a": (1, [ref_id, ref_component, {SIG: RESOURCE}]), "s": secret, "u": Unknown(), "n": None, "f": 2.5}
    assert pg.wire_value(doc) == {"a": [1, ["i-1", "urn:c", ""]], "s": secret, "u": UNKNOWN, "n": None, "f": 2.5}
    assert pg.wire_value(({"x": ()},)) == [{"x": []}]


def _reg(name, type_="alicloud:vpc/switch:Switch", **kw) -> Registration:
    fields = {"urn": f"urn:pulumi:s::p::{type_}::{name}", "type": type_, "name": name, "parent": "", "custom": True,
              "provider": "", "inputs": {}, "protect": False, "dependencies": []}
    fields.update(kw)
    return Registration(**fields)


def test_resources_from_run_in_the_engines_form():
    prov_urn = "urn:pulumi:s::p::pulumi:providers:alicloud::bj"
    b = _reg("b", parent="urn:pulumi:s::p::hybrid:x:Comp::c", provider=f"{prov_urn}::1234-uuid",
             inputs={"vpcId": {SIG: RESOURCE, "urn": "urn:v", "id": "vpc-1"}, "l": (1, 2)}, protect=True,
             dependencies=["urn:v"], options={"ignoreChanges": ["x"]})
    c = _reg("c", type_="hybrid:x:Comp", custom=False)
    run = ProgramRun(registrations={b.urn: b, c.urn: c},
                     outputs={"z": ("hush", True), "a": ({"k": (1,)}, False)})
    res = pg.resources_from_run(run, "p", "s")
    assert [r.urn for r in res] == [b.urn, c.urn, "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"]
    rb, rc, stack = res
    assert (rb.type, rb.name, rb.custom, rb.parent, rb.provider) == (b.type, "b", True, "urn:pulumi:s::p::hybrid:x:Comp::c", prov_urn)
    assert rb.properties == {"vpcId": "vpc-1", "l": [1, 2]}
    assert rb.dependencies == ["urn:v"] and rb.protect is True and rb.options == {"ignoreChanges": ["x"]}
    # A custom resource has the id its provider gave it (the mock run's: vSwitch ids are vsw-...); a component none.
    assert rb.id.startswith("vsw-") and len(rb.id) == 24 and rc.id == ""
    assert (rc.parent, rc.provider, rc.custom, rc.protect) == ("", "", False, False)
    assert (stack.type, stack.name, stack.custom) == ("pulumi:pulumi:Stack", "p-s", False)
    assert stack.properties == {"a": {"k": [1]}, "z": {SIG: SECRET, "value": "hush"}}
    assert list(stack.properties) == ["a", "z"]


@pytest.mark.parametrize("registrations,project", [
    ({"urn:pulumi:s::proj::t::n": None}, "proj"),
    ({"plain": None, "urn:pulumi:s::second::t::n": None}, "second"),
    ({}, "hybrid-gpu-platform"),
    ({"no-separator": None}, "hybrid-gpu-platform"),
])
def test_project_of(registrations, project):
    assert pg.project_of(ProgramRun(registrations=registrations, outputs={})) == project
    assert pg.project_of(ProgramRun(registrations={}, outputs={}), default="d") == "d"


@pytest.mark.parametrize("urn,short", [
    ("", "(stack)"),
    ("urn:pulumi:s::p::alicloud:ecs/securityGroupRule:SecurityGroupRule::ssh", "SecurityGroupRule::ssh"),
    ("urn:pulumi:s::p::hybrid:x:Comp$kubernetes:apps/v1:DaemonSet::ds", "DaemonSet::ds"),
    ("urn:pulumi:s::p::t", "urn:pulumi:s::p::t"),
    ("a::b::c::d", "c::d"),
    # a name may hold "::" (pulumi urn.go: the name is everything after the third separator)
    ("urn:pulumi:s::p::kubernetes:core/v1:ConfigMap::kube-system::cm", "ConfigMap::kube-system::cm"),
])
def test_short_urn(urn, short):
    assert pg.short_urn(urn) == short


def test_pack_version_is_the_packs_file(tmp_path):
    assert pg.pack_version() == "0.1.0"  # policy/PulumiPolicy.yaml version
    (tmp_path / "PulumiPolicy.yaml").write_text("description: d\n")
    assert pg.pack_version(tmp_path) == "0.0.1"
    (tmp_path / "PulumiPolicy.yaml").write_text("")
    assert pg.pack_version(tmp_path) == "0.0.1"
    (tmp_path / "PulumiPolicy.yaml").write_text("version: 2\n")
    assert pg.pack_version(tmp_path) == "2"


# --- Configure as the engine sends it ----------------------------------------------------------------

def _info(*policies) -> proto.AnalyzerInfo:
    return proto.AnalyzerInfo(name="pack", policies=list(policies))


def _policy(name, level=proto.ADVISORY, props=None, required=(), **kw) -> proto.PolicyInfo:
    from google.protobuf import struct_pb2

    schema = struct_pb2.Struct()
    schema.update(props or {})
    return proto.PolicyInfo(name=name, enforcementLevel=level,
                            configSchema=proto.PolicyConfigSchema(properties=schema, required=list(required)), **kw)


class _Stub:
    def __init__(self, info=None, responses=None, stack_response=None):
        self.info, self.requests, self.stack_requests, self.configured = info, [], [], None
        self.responses = responses or {}
        self.stack_response = stack_response or proto.AnalyzeResponse()
        stub = self

        class _Analyze:
            @staticmethod
            def future(request):
                stub.requests.append(request)
                return _Done(stub.responses.get(request.urn, proto.AnalyzeResponse()))

        self.Analyze = _Analyze

    def GetAnalyzerInfo(self, _):
        return self.info

    def Configure(self, request):
        self.configured = request

    def AnalyzeStack(self, request):
        self.stack_requests.append(request)
        return self.stack_response


class _Done:
    def __init__(self, response):
        self.response = response

    def result(self):
        return self.response

    def cancel(self):
        raise AssertionError("a completed request is not cancelled")


def _sent(stub) -> dict:
    from google.protobuf import json_format

    return {name: (cfg.enforcementLevel, json_format.MessageToDict(cfg.properties))
            for name, cfg in stub.configured.policyConfig.items()}


def test_configure_sends_every_policy_with_its_level_and_completed_properties():
    info = _info(
        _policy("p-default", proto.MANDATORY),
        _policy("p-string", proto.ADVISORY),
        _policy("p-props", proto.ADVISORY, {"size": {"type": "number", "default": 3}, "names": {"type": "array"},
                                            "flag": {"type": "boolean", "default": False}, "odd": "not a schema"}),
        _policy("p-all"))
    stub = _Stub(info)
    levels = pg.configure(stub, info, {"p-string": "disabled", "p-props": {"enforcementLevel": "mandatory", "size": 5,
                                                                        "names": ["a"]}})
    assert levels == {"p-all": "advisory", "p-default": "mandatory", "p-props": "mandatory", "p-string": "disabled"}
    assert _sent(stub) == {"p-default": (proto.MANDATORY, {}), "p-string": (proto.DISABLED, {}), "p-all": (proto.ADVISORY, {}),
                           "p-props": (proto.MANDATORY, {"size": 5, "names": ["a"], "flag": False})}
    # `all` sets the level of every policy the config does not set itself; both forms of it.
    for all_ in ("remediate", {"enforcementLevel": "remediate"}):
        levels = pg.configure(stub, info, {"all": all_, "p-string": "advisory"})
        assert levels == {"p-all": "remediate", "p-default": "remediate", "p-props": "remediate", "p-string": "advisory"}
        assert _sent(stub)["p-props"] == (proto.REMEDIATE, {"size": 3, "flag": False})


def test_configure_refuses_unknown_policies_levels_and_values_in_one_line():
    info = _info(_policy("p", props={"size": {"type": "number"}, "name": {"type": "string"}}, required=["name"]))
    stub = _Stub(info)
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.configure(stub, info, {"q": "mandatory", "all": "advisory", "b-policy": "advisory"})
    assert str(e.value) == ("policy config names policies the pack does not have: b-policy, q. "
                            "Fix: use the names in policy/README.md (or `all`).")
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.configure(stub, info, {"p": "strict"})
    assert str(e.value) == "p: enforcementLevel 'strict' is not one of advisory, mandatory, disabled, remediate. Fix: use one of them."
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.configure(stub, info, {"p": {"size": "big", "name": 3}})
    assert str(e.value) == ("policy config of p: name: 3 is not of type 'string'; size: 'big' is not of type 'number'. "
                            "Fix: give values of the types the policy's config schema states (policy/README.md).")
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.configure(stub, info, {"p": {}})
    assert str(e.value).startswith("policy config of p: <root>: 'name' is a required property. Fix:")
    assert stub.configured is None  # nothing sent for a refused config


# --- Analyze and AnalyzeStack as the engine sends them --------------------------------------------

def _res(name, type_="x:index:Thing", **kw) -> pg.EngineResource:
    return pg.EngineResource(urn=f"urn:pulumi:s::p::{type_}::{name}", type=type_, name=name,
                             custom=kw.pop("custom", True), properties=kw.pop("properties", {}), **kw)


def test_analyze_sends_each_resource_with_its_provider_options_and_state():
    from google.protobuf import json_format

    prov = _res("prov", "pulumi:providers:alicloud", properties={"region": "cn-beijing"}, id="uuid-1")
    a = _res("a", properties={"n": 1}, provider=prov.urn, id="i-a", parent="urn:parent", dependencies=["urn:d1", "urn:d2"],
             protect=True, options={"ignoreChanges": ["x"], "deleteBeforeReplace": True, "additionalSecretOutputs": ["s"]})
    b = _res("b", provider=prov.urn, options={"deleteBeforeReplace": False})
    comp = _res("c", "x:index:Comp", custom=False)
    diag = proto.AnalyzeDiagnostic(policyName="p", message="m")  # no urn: the analysed resource's
    other = proto.AnalyzeDiagnostic(policyName="p", message="m2", urn="urn:elsewhere")
    stub = _Stub(responses={a.urn: proto.AnalyzeResponse(diagnostics=[diag, other], not_applicable=[
        proto.PolicyNotApplicable(policy_name="q", reason="r")])},
        stack_response=proto.AnalyzeResponse(diagnostics=[proto.AnalyzeDiagnostic(policyName="s", message="st")],
                                             not_applicable=[proto.PolicyNotApplicable(policy_name="t"),
                                                             proto.PolicyNotApplicable(policy_name="u")]))
    diags, not_applicable = pg.analyze(stub, [prov, a, b, comp])
    assert [(d.message, urn) for d, urn in diags] == [("m", a.urn), ("m2", "urn:elsewhere"), ("st", "")]
    assert not_applicable == 3
    sent = {r.urn: r for r in stub.requests}
    assert list(sent) == [prov.urn, a.urn, b.urn, comp.urn]
    ra = sent[a.urn]
    assert (ra.type, ra.name, json_format.MessageToDict(ra.properties)) == ("x:index:Thing", "a", {"n": 1.0})
    assert (ra.provider.type, ra.provider.urn, ra.provider.name) == ("pulumi:providers:alicloud", prov.urn, "prov")
    assert json_format.MessageToDict(ra.provider.properties) == {"region": "cn-beijing"}
    assert sent[b.urn].provider == ra.provider and not sent[comp.urn].HasField("provider")
    o = ra.options
    assert (o.protect, list(o.ignoreChanges), o.deleteBeforeReplace, o.deleteBeforeReplaceDefined,
            list(o.additionalSecretOutputs), o.parent) == (True, ["x"], True, True, ["s"], "urn:parent")
    ob = sent[b.urn].options
    assert (ob.protect, ob.deleteBeforeReplace, ob.deleteBeforeReplaceDefined, ob.parent) == (False, False, True, "")
    assert sent[comp.urn].options.deleteBeforeReplaceDefined is False
    # The stack analysis: every resource once, with its state (inputs and the id), parent and dependencies.
    (stack,) = stub.stack_requests
    by = {r.urn: r for r in stack.resources}
    assert list(by) == [prov.urn, a.urn, b.urn, comp.urn]
    assert json_format.MessageToDict(by[a.urn].properties) == {"n": 1.0, "id": "i-a"}
    assert json_format.MessageToDict(ra.properties) == {"n": 1.0}  # the Analyze request keeps the inputs only
    assert json_format.MessageToDict(by[comp.urn].properties) == {}
    assert (by[a.urn].parent, list(by[a.urn].dependencies), by[a.urn].name, by[a.urn].type) == (
        "urn:parent", ["urn:d1", "urn:d2"], "a", "x:index:Thing")
    assert by[a.urn].provider == ra.provider and by[a.urn].options == ra.options


def test_analyze_keeps_the_order_of_the_resources_with_many_in_flight():
    resources = [_res(f"r{i:03d}") for i in range(pg.IN_FLIGHT * 2 + 5)]
    stub = _Stub(responses={r.urn: proto.AnalyzeResponse(diagnostics=[proto.AnalyzeDiagnostic(message=r.name)])
                            for r in resources})
    diags, _ = pg.analyze(stub, resources)
    assert [d.message for d, _ in diags] == [r.name for r in resources]


# --- the report ---------------------------------------------------------------------------------

def _gate(stub, config=None, resources=(), notes=()):
    class Analyzer:
        pass

    a = Analyzer()
    a.stub = stub
    return pg.run_gate("st", list(resources), config or {}, analyzer=a, notes=notes)


def test_run_gate_reports_each_violation_once_ordered_with_the_policys_severity():
    info = _info(_policy("zz-mand", proto.MANDATORY, severity=proto.PolicySeverity.POLICY_SEVERITY_HIGH,
                         description="Mandatory one."),
                 _policy("aa-adv", proto.ADVISORY, policy_type=proto.PolicyType.POLICY_TYPE_STACK, description="adv"),
                 _policy("mm-none", proto.ADVISORY, severity=proto.PolicySeverity.POLICY_SEVERITY_CRITICAL))
    r = _res("r")
    d = proto.AnalyzeDiagnostic
    stub = _Stub(info, responses={r.urn: proto.AnalyzeResponse(diagnostics=[
        d(policyName="zz-mand", description="Mandatory one.", message="Mandatory one.\nFix: x.", enforcementLevel=proto.MANDATORY),
        d(policyName="zz-mand", description="Mandatory one.", message="Mandatory one.\nFix: x.", enforcementLevel=proto.MANDATORY),
        d(policyName="aa-adv", description="adv", message="adv", enforcementLevel=proto.ADVISORY, urn="urn:b"),
        d(policyName="aa-adv", description="other", message="plain", enforcementLevel=proto.ADVISORY, urn="urn:a"),
        d(policyName="gone", message="m", enforcementLevel=7, severity=proto.PolicySeverity.POLICY_SEVERITY_LOW),
        d(policyName="gone2", message="m", enforcementLevel=proto.DISABLED, severity=9),
    ])})
    report = _gate(stub, {"mm-none": "disabled"}, [r], notes=["a note"])
    assert [(p.name, p.enforcement, p.default, p.severity, p.kind) for p in report.policies] == [
        ("aa-adv", "advisory", "advisory", "unspecified", "stack"),
        ("mm-none", "disabled", "advisory", "critical", "resource"),
        ("zz-mand", "mandatory", "mandatory", "high", "resource")]
    assert [(v.enforcement, v.policy, v.severity, v.urn, v.message) for v in report.violations] == [
        ("mandatory", "zz-mand", "high", r.urn, "Fix: x."),
        ("advisory", "aa-adv", "unspecified", "urn:a", "plain"),
        ("advisory", "aa-adv", "unspecified", "urn:b", "adv"),  # the message is its description only: kept
        ("advisory", "gone", "low", r.urn, "m"),  # an unknown level reads advisory
        ("disabled", "gone2", "unspecified", r.urn, "m")]
    assert (report.stack, report.pack, report.pack_version, report.resources) == ("st", "pack", "0.1.0", 1)
    assert report.config_notes == ["a note"] and report.exit_code == 1
    assert [v.policy for v in report.mandatory] == ["zz-mand"]
    doc = json.loads(report.to_json())
    assert doc["summary"] == {"mandatory": 1, "advisory": 3, "passed": False}
    assert doc["policyPack"] == {"name": "pack", "version": "0.1.0"} and doc["resourcesAnalyzed"] == 1
    assert doc["stack"] == "st" and doc["configNotes"] == ["a note"]
    assert doc["policies"][0] == {"name": "aa-adv", "description": "adv", "enforcement": "advisory", "default": "advisory",
                                  "severity": "unspecified", "kind": "stack"}
    assert doc["violations"][0] == {"policy": "zz-mand", "enforcement": "mandatory", "severity": "high", "urn": r.urn,
                                    "message": "Fix: x."}
    assert report.to_json().endswith("}\n") and report.to_json() == report.to_json()
    table = report.table().splitlines()
    assert table[0] == "policy gate: stack 'st', pack pack@0.1.0 (3 policies), 1 resources analyzed (the plan's 0 and the stack)"
    assert table[1] == "  note: a note"
    assert table[2].split() == ["ENFORCEMENT", "SEVERITY", "POLICY", "RESOURCE"] and table[2].startswith("  ENFORCEMENT")
    assert table[3].split() == ["mandatory", "high", "zz-mand", "Thing::r"] and table[4] == "      Fix: x."
    assert table[-1] == "result: 1 mandatory, 4 advisory violation(s): FAIL (mandatory violations block the deployment)"


def test_a_clean_report_passes():
    info = _info(_policy("p"))
    report = _gate(_Stub(info))
    assert report.violations == [] and report.exit_code == 0 and report.mandatory == []
    assert report.table().splitlines() == [
        "policy gate: stack 'st', pack pack@0.1.0 (1 policies), 0 resources analyzed (the plan's -1 and the stack)",
        "  no violations", "result: 0 mandatory, 0 advisory violation(s): PASS"]
    assert json.loads(report.to_json())["summary"] == {"mandatory": 0, "advisory": 0, "passed": True}
    advisory = pg.GateReport("s", "p", "1", 2, [], [pg.Violation("a", "advisory", "low", "", "m")])
    assert advisory.exit_code == 0 and advisory.table().splitlines()[-1] == "result: 0 mandatory, 1 advisory violation(s): PASS"
    assert advisory.table().splitlines()[2].split() == ["advisory", "low", "a", "(stack)"]


# --- the pack process ---------------------------------------------------------------------------

def test_a_pack_that_reports_no_port_is_one_error_with_its_stderr(tmp_path):
    (tmp_path / "__main__.py").write_text(
        "import os, sys\n"
        "sys.stderr.write('cwd=' + os.getcwd() + ' path=' + os.environ['PYTHONPATH'].split(os.pathsep)[0]"
        " + ' unbuffered=' + os.environ['PYTHONUNBUFFERED'] + ' stdin=' + repr(sys.stdin.read()) + '\\n')\n"
        "print('no port here')\n")
    a = pg.PolicyAnalyzer(pack_dir=tmp_path)
    with pytest.raises(pg.GateError) as e:
        a.start()
    text = str(e.value)
    assert text.startswith("the policy pack did not report a port (got b'no port here'); its stderr:\n")
    assert f"cwd={tmp_path} path={tmp_path} unbuffered=1 stdin=''" in text
    a.close()
    assert a.proc is None and a.stderr() == ""


def test_a_pack_that_exits_at_once_fails_fast(tmp_path):
    (tmp_path / "__main__.py").write_text("import sys\nsys.stderr.write('boom')\nsys.exit(3)\n")
    with pytest.raises(pg.GateError, match=r"\(got b''\); its stderr:\nboom"):
        with pg.PolicyAnalyzer(pack_dir=tmp_path):
            pass


def test_the_real_pack_started_and_stopped_by_the_gate(tmp_path):
    report = pg.run_gate("t", [], {})
    assert report.pack == "hybrid-gpu-policies" and report.violations == [] and len(report.policies) > 10
    with pg.PolicyAnalyzer() as a:
        proc = a.proc
        assert proc.poll() is None
    assert proc.poll() is not None and a.proc is None and a.stub is not None


# --- the config file ------------------------------------------------------------------------------

def test_load_policy_config_refusals_name_the_file_and_the_fix(tmp_path):
    assert pg.load_policy_config(tmp_path / "absent.json", explicit=False) == {}
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.load_policy_config(tmp_path / "absent.json", explicit=True)
    assert str(e.value) == (f"{tmp_path / 'absent.json'}: no such policy config file. Fix: pass an existing file, or leave "
                            "--policy-config out to use policy/config/<stack>.json.")
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.load_policy_config(tmp_path, explicit=False)
    assert str(e.value) == f"{tmp_path}: not a file. Fix: pass the policy config JSON file itself."
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.load_policy_config(bad, explicit=True)
    assert str(e.value).startswith("policy config ") and str(bad) in str(e.value) and "\n" not in str(e.value)
    bad.write_text("{not json")
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.load_policy_config(bad, explicit=True)
    assert str(e.value).startswith("policy config ") and "\n" not in str(e.value)
    good = tmp_path / "good.json"
    good.write_text('{"all": "advisory"}')
    assert pg.load_policy_config(good, explicit=True) == {"all": "advisory"}


def _platform(stack="dev"):
    from hybrid.model import load
    from tests.conftest import stack_raw

    return load(stack_raw(stack))


# The policies a stack fact is laid over (hybrid_tools/policy_config.py facts): the pack must have them.
FACT_POLICIES = ("k8s-terway-credentials", "k8s-terway-eni-config-zones", "stack-gpu-cloud-node-label", "vpc-no-cidr-overlap")


def test_gate_run_writes_policy_json_and_prints_the_table(tmp_path):
    info = _info(_policy("p"), *map(_policy, FACT_POLICIES))
    stub = _Stub(info)

    class Analyzer:
        pass

    a = Analyzer()
    a.stub = stub
    r = _reg("r")
    run = ProgramRun(registrations={r.urn: r}, outputs={})
    stream = io.StringIO()
    missing = tmp_path / "none.json"
    with pytest.raises(pg.PolicyConfigError, match="no such policy config file"):
        pg.gate_run("dev", _platform(), run, tmp_path / "out", policy_config=missing, analyzer=a, stream=stream)
    cfg = tmp_path / "cfg.json"
    cfg.write_text('{"p": "mandatory"}')
    report = pg.gate_run("dev", _platform(), run, tmp_path / "out", policy_config=cfg, analyzer=a, stream=stream)
    assert (tmp_path / "out" / "policy.json").read_text() == report.to_json()
    assert stream.getvalue() == report.table() + "\n"
    assert {p.name: p.enforcement for p in report.policies}["p"] == "mandatory" and report.config_notes == []
    # The stack urn of the engine form: the project is the run's.
    assert [x.urn for x in stub.stack_requests[-1].resources] == [r.urn, "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"]
    # A config a stack fact has moved away from is used with the stack's value, and said so.
    cfg.write_text(json.dumps({"vpc-no-cidr-overlap": {"serviceCidr": "10.99.0.0/16"}}))
    a.stub = _Stub(info)
    report = pg.gate_run("dev", _platform(), run, tmp_path / "out", policy_config=cfg, analyzer=a, stream=stream)
    (note,) = report.config_notes
    assert note.startswith("cfg.json is stale (") and note.endswith(
        "); the gate used the stack config's value. Run `hybrid-gpu policy --stack dev --write-config`.")
    assert "serviceCidr" in note
    # A config the pack refuses names the file.
    cfg.write_text('{"p": "strict"}')
    a.stub = _Stub(info)
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.gate_run("dev", _platform(), run, tmp_path / "out", policy_config=cfg, analyzer=a, stream=stream)
    assert str(e.value).startswith(f"{cfg}: p: enforcementLevel 'strict'")


def test_gate_run_without_a_config_file_uses_the_packs_defaults(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pc, "CONFIG_DIR", tmp_path / "configs")
    info = _info(_policy("p"), *map(_policy, FACT_POLICIES))

    class Analyzer:
        pass

    a = Analyzer()
    a.stub = _Stub(info)
    run = ProgramRun(registrations={}, outputs={})
    report = pg.gate_run("dev", _platform(), run, tmp_path / "out", analyzer=a)
    assert report.config_notes == [f"no policy config {tmp_path / 'configs' / 'dev.json'}; the pack's defaults apply."]
    assert capsys.readouterr().out == report.table() + "\n"
    # The stack resource of a run without registrations names the default project.
    assert [x.urn for x in a.stub.stack_requests[-1].resources] == [
        "urn:pulumi:dev::hybrid-gpu-platform::pulumi:pulumi:Stack::hybrid-gpu-platform-dev"]


def _args(tmp_path, **kw):
    ns = {"stack": "dev", "config": None, "policy_config": None, "write_config": False, "out": str(tmp_path / "out")}
    ns.update(kw)
    return argparse.Namespace(**ns)


def test_cli_write_config_writes_the_stacks_facts(tmp_path, capsys):
    path = tmp_path / "sub" / "dev.json"
    path_text = (ROOT / "policy" / "config" / "dev.json").read_text()
    assert pg.cli(_args(tmp_path, policy_config=str(path), write_config=True)) == 0
    # The checked-in file is what --write-config gives for the stack (tests/test_policy_gate.py holds it in sync).
    assert json.loads(path.read_text()) == pc.effective({}, _platform()) and path.read_text().endswith("}\n")
    assert capsys.readouterr().out == f"wrote {path}\n"
    assert (ROOT / "policy" / "config" / "dev.json").read_text() == path_text  # only the named file is written
    # Written over an existing file, its own decisions stay and the stack's facts are laid over them.
    path.write_text(json.dumps({"all": "advisory", "vpc-no-cidr-overlap": {"serviceCidr": "10.99.0.0/16"}}))
    assert pg.cli(_args(tmp_path, policy_config=str(path), write_config=True)) == 0
    assert json.loads(path.read_text()) == pc.effective({"all": "advisory"}, _platform())


def test_cli_plans_the_stack_in_memory_and_gates_it(tmp_path, capsys):
    """The dev stack as checked in passes its gate (no mandatory violation), and the report is written."""
    code = pg.cli(_args(tmp_path, policy_config=str(ROOT / "policy" / "config" / "dev.json"), out=str(tmp_path / "gate")))
    doc = json.loads((tmp_path / "gate" / "dev" / "policy.json").read_text())
    assert code == 0 and doc["stack"] == "dev" and doc["summary"]["passed"] is True
    out, err = capsys.readouterr()
    assert out.startswith("policy gate: stack 'dev', pack hybrid-gpu-policies@0.1.0") and "planning dev: " in err
    assert [p.name for p in (tmp_path / "gate" / "dev").iterdir()] == ["policy.json"]  # the plan stays in memory


def test_cli_refuses_a_missing_config_before_planning(tmp_path, monkeypatch):
    from hybrid_tools import plan

    def no_plan(*a, **k):
        raise AssertionError("planned")

    monkeypatch.setattr(plan, "build_plan", no_plan)
    with pytest.raises(pg.PolicyConfigError, match="no such policy config file"):
        pg.cli(_args(tmp_path, policy_config=str(tmp_path / "absent.json")))


def test_cli_reads_the_given_stack_config(tmp_path, capsys):
    doc = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    other = tmp_path / "Pulumi.dev.yaml"
    other.write_text(doc.replace("podCidr: 10.244.0.0/16", "podCidr: 10.248.0.0/16"))
    path = tmp_path / "dev.json"
    assert pg.cli(_args(tmp_path, config=str(other), policy_config=str(path), write_config=True)) == 0
    assert "10.248.0.0/16" in path.read_text()


def test_the_levels_and_severities_are_the_protocols():
    assert pg.LEVEL_NAMES == {proto.ADVISORY: "advisory", proto.MANDATORY: "mandatory", proto.DISABLED: "disabled",
                              proto.REMEDIATE: "remediate"}
    sev = proto.PolicySeverity
    assert pg.SEVERITY_NAMES == {sev.POLICY_SEVERITY_UNSPECIFIED: "unspecified", sev.POLICY_SEVERITY_LOW: "low",
                                 sev.POLICY_SEVERITY_MEDIUM: "medium", sev.POLICY_SEVERITY_HIGH: "high",
                                 sev.POLICY_SEVERITY_CRITICAL: "critical"}
    assert sys.executable  # the pack runs under this interpreter by default


def test_a_pack_that_does_not_come_up_is_stopped(tmp_path):
    """A pack that prints no port but keeps running (hung at startup) is stopped by the failed start,
    not left running after the gate has given up on it."""
    import os

    (tmp_path / "__main__.py").write_text(
        "import os, time\nopen('pid', 'w').write(str(os.getpid()))\nprint('starting...', flush=True)\ntime.sleep(120)\n")
    a = pg.PolicyAnalyzer(pack_dir=tmp_path)
    with pytest.raises(pg.GateError, match="did not report a port"):
        a.start()
    pid = int((tmp_path / "pid").read_text())
    assert a.proc is None
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(pid, 0)


def test_the_pack_process_gets_the_packs_path_first_and_unbuffered_output(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("PYTHONPATH", "/already/there")
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    (tmp_path / "__main__.py").write_text(
        "import os, sys\nsys.stderr.write(os.environ['PYTHONPATH'] + '|' + os.environ.get('PYTHONUNBUFFERED', '-') + '\\n')\n"
        "print('x')\n")
    with pytest.raises(pg.GateError) as e:
        pg.PolicyAnalyzer(pack_dir=tmp_path).start()
    assert f"{tmp_path}{os.pathsep}/already/there|1\n" in str(e.value)


def test_an_analyzer_never_started_closes_and_has_no_stderr():
    a = pg.PolicyAnalyzer()
    assert (a.proc, a.stub, a.stderr()) == (None, None, "")
    a.close()
    assert a.proc is None


def test_a_nested_config_error_names_its_path_and_odd_severities_read_unspecified(tmp_path):
    info = _info(_policy("p", props={"limits": {"type": "object", "properties": {"max": {"type": "number"}}}}))
    with pytest.raises(pg.PolicyConfigError) as e:
        pg.configure(_Stub(info), info, {"p": {"limits": {"max": "big"}}})
    assert str(e.value).startswith("policy config of p: limits.max: 'big' is not of type 'number'.")
    info = _info(_policy("p", severity=9))
    assert [p.severity for p in _gate(_Stub(info)).policies] == ["unspecified"]


def test_disabled_and_other_levels_sort_after_advisory_ones():
    info = _info(_policy("b"), _policy("a"))
    r = _res("r")
    d = proto.AnalyzeDiagnostic
    stub = _Stub(info, responses={r.urn: proto.AnalyzeResponse(diagnostics=[
        d(policyName="a", message="off", enforcementLevel=proto.DISABLED),
        d(policyName="b", message="adv", enforcementLevel=proto.ADVISORY),
        d(policyName="b", message="D  spaced", description="D", enforcementLevel=proto.MANDATORY),
        d(policyName="b", message="DXX\nkept", description="D", enforcementLevel=proto.MANDATORY)])})
    report = _gate(stub, resources=[r])
    # Only the newline after the description goes: the rest of the message is the pack's, as written.
    assert [(v.enforcement, v.policy, v.message) for v in report.violations] == [
        ("mandatory", "b", "  spaced"), ("mandatory", "b", "XX\nkept"), ("advisory", "b", "adv"), ("disabled", "a", "off")]


def test_a_components_stack_state_is_its_inputs():
    comp = _res("c", "x:index:Comp", custom=False, properties={"k": "v"})
    stub = _Stub()
    pg.analyze(stub, [comp])
    from google.protobuf import json_format

    assert json_format.MessageToDict(stub.stack_requests[0].resources[0].properties) == {"k": "v"}


def test_gate_run_names_the_stack_and_makes_the_output_directory(tmp_path):
    info = _info(_policy("p"), *map(_policy, FACT_POLICIES))

    class Analyzer:
        pass

    a = Analyzer()
    a.stub = _Stub(info)
    cfg = tmp_path / "cfg.json"
    cfg.write_text("{}")
    out = tmp_path / "deep" / "er"
    report = pg.gate_run("dev", _platform(), ProgramRun(registrations={}, outputs={}), out, policy_config=cfg,
                         analyzer=a, stream=io.StringIO())
    assert report.stack == "dev" and json.loads((out / "policy.json").read_text())["stack"] == "dev"


def test_cli_write_config_defaults_to_the_stacks_file_and_makes_its_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pc, "CONFIG_DIR", tmp_path / "new" / "configs")
    assert pg.cli(_args(tmp_path, write_config=True)) == 0
    path = tmp_path / "new" / "configs" / "dev.json"
    assert json.loads(path.read_text()) == pc.effective({}, _platform())
    # An unreadable existing file at the default path is refused, not overwritten.
    path.write_text("[1]")
    with pytest.raises(pg.PolicyConfigError):
        pg.cli(_args(tmp_path, write_config=True))


def test_the_error_shows_the_last_4000_characters_of_the_packs_stderr_decoded_leniently(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    (tmp_path / "__main__.py").write_text(
        "import os, sys\nsys.stderr.buffer.write(b'\\xff' + b'a' * 4999 + ('|' + os.environ['PYTHONPATH']).encode())\n"
        "sys.stderr.flush()\nprint('x')\n")
    a = pg.PolicyAnalyzer(pack_dir=tmp_path)
    with pytest.raises(pg.GateError) as e:
        a.start()
    tail = str(e.value).split("its stderr:\n", 1)[1]
    end = "|" + str(tmp_path)  # without a PYTHONPATH of its own, the pack's directory alone
    assert tail == ("a" * 5000 + end)[-4000:]


# --- the program's run end to end, and the pack process at its edges -------------------------------

def _children() -> set[int]:
    import os

    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids |= {int(p) for p in (task / "children").read_text().split()}
        except FileNotFoundError:  # a thread that ended since the listing
            continue
    return pids


@pytest.fixture(autouse=True)
def _nothing_left_running():
    """Every pack process a test starts is stopped and reaped by the gate itself: a child left behind
    (running, or exited and unreaped) fails the test, and is stopped and reaped here."""
    import os
    import signal

    before = _children()
    yield
    left = _children() - before
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    assert not left, f"processes left behind: {sorted(left)}"


FIXTURES = ROOT / "tests" / "fixtures"


def test_cli_fails_a_stack_that_breaks_mandatory_policies(tmp_path, capsys):
    """The deliberately bad stack (tests/fixtures/Pulumi.bad.yaml: node CIDR 8.0.0.0/7, no flow logs) with
    its policy config (tests/fixtures/policy.bad.json: flow logs required, sg-no-public-all-ports advisory):
    exit 1, the named violations in its policy.json, and the planned resources counted once."""
    import re

    code = pg.cli(_args(tmp_path, stack="bad", config=str(FIXTURES / "Pulumi.bad.yaml"),
                        policy_config=str(FIXTURES / "policy.bad.json"), out=str(tmp_path / "gate")))
    doc = json.loads((tmp_path / "gate" / "bad" / "policy.json").read_text())
    assert code == 1 and doc["stack"] == "bad" and doc["summary"]["passed"] is False
    found = {(v["enforcement"], v["policy"], pg.short_urn(v["urn"])) for v in doc["violations"]}
    assert ("mandatory", "vpc-flow-logs", "Network::cn-beijing-vpc") in found
    assert ("mandatory", "sg-no-public-admin-ports", "SecurityGroupRule::cn-beijing-kubelet-tcp-8-0-0-0-7") in found
    assert ("advisory", "sg-no-public-all-ports", "SecurityGroupRule::cn-beijing-pod-tcp-8-0-0-0-7") in found
    out, err = capsys.readouterr()
    assert out.startswith("policy gate: stack 'bad', pack hybrid-gpu-policies@") and "FAIL" in out
    # stderr is no terminal here: the progress closes with one line; the gate analyzes the plan's
    # resources and the stack resource.
    m = re.fullmatch(r"planning bad: (\d+) resources registered in \d+\.\d\ds\n", err)
    assert m and int(m.group(1)) == doc["resourcesAnalyzed"] - 1 > 50


_STAND_IN = """
import os, sys, time
{body}
time.sleep(30)
"""


def _stand_in_pack(tmp_path: Path, body: str) -> Path:
    (tmp_path / "__main__.py").write_text(_STAND_IN.format(body=body))
    return tmp_path


def test_a_pack_silent_past_the_startup_deadline_is_given_up_at_the_deadline(tmp_path, monkeypatch):
    """A pack that prints nothing (hung importing, say) is waited for STARTUP_SECONDS, no less and not
    until it exits, then stopped."""
    import os
    import time

    monkeypatch.setattr(pg, "STARTUP_SECONDS", 1)
    pack = _stand_in_pack(tmp_path, "open('pid', 'w').write(str(os.getpid()))")
    a = pg.PolicyAnalyzer(pack_dir=pack)
    start = time.monotonic()
    with pytest.raises(pg.GateError, match=r"did not report a port \(got b''\)"):
        a.start()
    waited = time.monotonic() - start
    assert 1 <= waited < 10  # the stand-in would exit by itself after 30 s
    with pytest.raises(ProcessLookupError):
        os.kill(int((pack / "pid").read_text()), 0)


@pytest.fixture
def grpc_server():
    """A gRPC server on loopback: what a pack serves its analyzer on (the gate only needs it to accept)."""
    from concurrent import futures

    import grpc

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port
    server.stop(None)


def test_the_port_is_the_first_line_the_pack_prints(tmp_path, grpc_server):
    """The pack prints its port, then may print more: the engine takes the port from the first line of
    the plugin's stdout and leaves the rest to the plugin (pulumi sdk/go/common/resource/plugin/plugin.go,
    newPlugin: "a single line to STDOUT: the port it's listening on")."""
    # one write: both lines reach the gate in its first read
    pack = _stand_in_pack(tmp_path, f"sys.stdout.write('{grpc_server}\\nserving\\n'); sys.stdout.flush()")
    a = pg.PolicyAnalyzer(pack_dir=pack).start()
    try:
        assert a.stub is not None and a.proc.poll() is None
    finally:
        a.close()
    a.close()  # closing twice is harmless
    assert a.proc is None


def test_a_port_nobody_serves_fails_within_the_startup_deadline(tmp_path, monkeypatch):
    import socket
    import threading

    import grpc

    monkeypatch.setattr(pg, "STARTUP_SECONDS", 1)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            pg.PolicyAnalyzer(pack_dir=pack).start()
        except BaseException as e:  # noqa: BLE001 - handed to the test below
            errors.append(e)

    with socket.socket() as s:  # a loopback port held bound, never listening: nothing answers there
        s.bind(("127.0.0.1", 0))
        pack = _stand_in_pack(tmp_path, f"print('{s.getsockname()[1]}', flush=True)")
        # In a thread, so that a gate waiting for the channel without a deadline fails here, not hangs.
        waiting = threading.Thread(target=start, daemon=True)
        waiting.start()
        waiting.join(10)
    assert not waiting.is_alive(), "the gate still waits for a channel nobody serves"
    assert len(errors) == 1 and isinstance(errors[0], grpc.FutureTimeoutError)


def test_the_pack_does_not_read_the_gates_standard_input(tmp_path):
    """What the user types stays with the terminal: the pack's stdin is /dev/null, whatever the gate's is."""
    import os

    pack = _stand_in_pack(tmp_path, "sys.stderr.write('stdin=' + repr(sys.stdin.read()) + '\\n'); print('x', flush=True)")
    r, w = os.pipe()
    os.write(w, b"typed by the user\n")
    os.close(w)
    saved = os.dup(0)
    os.dup2(r, 0)
    try:
        with pytest.raises(pg.GateError) as e:
            pg.PolicyAnalyzer(pack_dir=pack).start()
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(r)
    assert "stdin=''" in str(e.value)


def test_a_pack_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    """close() asks the pack to stop (SIGTERM), waits 10 s, then kills it: a pack that ignores the request
    does not hold the gate."""
    import signal
    import subprocess
    import time

    pack = _stand_in_pack(tmp_path, "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ignoring', flush=True)")
    a = pg.PolicyAnalyzer(pack_dir=pack)
    a.proc = subprocess.Popen([sys.executable, "__main__.py"], cwd=pack, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert a.proc.stdout.readline() == b"ignoring\n"
    proc, start = a.proc, time.monotonic()
    a.close()
    assert 10 <= time.monotonic() - start < 20 and proc.returncode == -signal.SIGKILL and a.proc is None
