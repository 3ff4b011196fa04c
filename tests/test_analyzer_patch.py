"""policy/analyzer_memo.py changes how pulumi-policy's servicer does its work, never what it answers.

Each test runs two pack processes over the real analyzer gRPC protocol, one with the change
installed and one without, sends both the same requests and compares the answers as bytes
(deterministic serialization): every diagnostic, its order, every not-applicable entry.

- the project's own rules over the bad fixture (mandatory and advisory findings of resource and
  stack policies) and over prod (its advisories);
- a probe pack built for this test whose stack policies exercise what the real rules do not:
  a read of an unknown value (pulumi-policy turns the UnknownValueError into an advisory
  diagnostic), ``not_applicable``, an async validator, the remediate level (reported as
  mandatory), a disabled policy, and one that reports what it saw of every resource's parent,
  dependencies, property dependencies, options, provider and properties.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from hybrid_tools import policy_gate as pg
from hybrid_tools.mockrun import SECRET_SIG, SIG_KEY, UNKNOWN

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


class _Recorder:
    """A stand-in stub: keeps the requests policy_gate.analyze sends, answers nothing."""

    def __init__(self):
        from pulumi.runtime import proto

        self.requests, self.stack, recorder = [], None, self

        class _Call:
            def result(self):
                return proto.AnalyzeResponse()

            def cancel(self):
                return True

        class _Analyze:
            def future(self, request):
                recorder.requests.append(request)
                return _Call()

        self.Analyze = _Analyze()

    def AnalyzeStack(self, request):
        from pulumi.runtime import proto

        self.stack = request
        return proto.AnalyzeResponse()


def _requests(resources: list[pg.EngineResource]):
    rec = _Recorder()
    pg.analyze(rec, resources)
    return rec.requests, rec.stack


def _pack_copy(dest: Path, source: Path, patched: bool) -> Path:
    dest.mkdir()
    for f in source.iterdir():
        if f.is_file():
            shutil.copy(f, dest / f.name)
    main = (dest / "__main__.py").read_text()
    assert "analyzer_memo.install()" in main
    if not patched:
        (dest / "__main__.py").write_text(main.replace("analyzer_memo.install()", "None"))
    return dest


def _answers(pack: Path, config: dict, requests, stack) -> tuple[list[bytes], bytes, bool]:
    """Configure the pack like the gate does, send every request; the answers as bytes."""
    from google.protobuf import empty_pb2

    with pg.PolicyAnalyzer(pack_dir=pack) as a:
        pg.configure(a.stub, a.stub.GetAnalyzerInfo(empty_pb2.Empty()), config)
        one = [a.stub.Analyze(r).SerializeToString(deterministic=True) for r in requests]
        whole = a.stub.AnalyzeStack(stack).SerializeToString(deterministic=True)
    return one, whole, (pack / "__main__.py").read_text().count("analyzer_memo.install()") == 1


def _compare(tmp_path: Path, source: Path, config: dict, resources: list[pg.EngineResource], edit_stack=None):
    from pulumi.runtime import proto

    requests, stack = _requests(resources)
    if edit_stack:
        edit_stack(stack)
    got = _answers(_pack_copy(tmp_path / "patched", source, True), config, requests, stack)
    want = _answers(_pack_copy(tmp_path / "stock", source, False), config, requests, stack)
    assert got[2] and not want[2]
    assert got[0] == want[0], "an Analyze answer differs"
    assert got[1] == want[1], "the AnalyzeStack answer differs"
    decoded = [proto.AnalyzeResponse.FromString(b) for b in want[0]]
    return decoded, proto.AnalyzeResponse.FromString(want[1])


def _plan(stack: str, config_file: Path):
    from hybrid_tools.plan import build_plan

    _, platform, run, _ = build_plan(stack, root=ROOT, config_file=config_file)
    return platform, run


def test_same_answers_with_the_project_rules_on_the_bad_stack(tmp_path):
    from hybrid_tools import policy_config as pc

    platform, run = _plan("bad", FIXTURES / "Pulumi.bad.yaml")
    config = pc.effective(pg.load_policy_config(FIXTURES / "policy.bad.json", explicit=True), platform)
    one, whole = _compare(tmp_path, ROOT / "policy", config, pg.resources_from_run(run, pg.project_of(run), "bad"))
    # The comparison covers findings of both kinds, at both levels.
    assert sum(len(r.diagnostics) for r in one) >= 5
    assert {d.policyName for d in whole.diagnostics} >= {"vpc-flow-logs"}
    assert {d.enforcementLevel for r in one for d in r.diagnostics} == {0, 1}  # advisory and mandatory


def test_same_answers_with_the_project_rules_on_prod(tmp_path):
    from hybrid_tools import policy_config as pc

    platform, run = _plan("prod", ROOT / "stacks" / "Pulumi.prod.yaml")
    config = pc.effective(pg.load_policy_config(pc.default_path("prod"), explicit=False), platform)
    one, whole = _compare(tmp_path, ROOT / "policy", config, pg.resources_from_run(run, pg.project_of(run), "prod"))
    assert len(one) == len(run.registrations) + 1


PROBE_RULES = '''
import asyncio
from collections.abc import Mapping, Sequence
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

PACK_NAME = "probe"


def _plain(v):
    if isinstance(v, Mapping):
        return {k: _plain(v[k]) for k in v}
    if isinstance(v, Sequence) and not isinstance(v, str):
        return [_plain(x) for x in v]
    return v


def _seen(r):
    props = {k: _plain(r.props[k]) for k in r.props if k != "unknown"}
    return (f"{r.urn} type={r.resource_type} name={r.name} parent={r.parent.urn if r.parent else None} "
            f"deps={[d.urn for d in r.dependencies]} "
            f"propdeps={ {k: [d.urn for d in v] for k, v in sorted(r.property_dependencies.items())} } "
            f"protect={r.opts.protect} ignore={list(r.opts.ignore_changes)} dbr={r.opts.delete_before_replace} "
            f"optparent={r.opts.parent} provider={(r.provider.urn, r.provider.name, r.provider.resource_type, _plain(r.provider.props)) if r.provider else None} "
            f"props={sorted((k, repr(v)) for k, v in props.items())} len={len(r.props)} "
            f"has_unknown={'unknown' in list(r.props)}")


def everything(args, report):
    for r in args.resources:
        report(_seen(r), r.urn)
    report("config " + repr(sorted(args.get_config().items())))


def reads_unknown(args, report):
    for r in args.resources:
        if "unknown" in list(r.props):
            report(str(r.props["unknown"]), r.urn)


def not_applicable(args, report):
    args.not_applicable("nothing to check here")


async def later(args, report):
    await asyncio.sleep(0)
    report(f"async saw {len(args.resources)}")


def remediated(args, report):
    report("at remediate level")


def disabled(args, report):
    report("must not run")


def resource_sees(args, report):
    report(f"{args.urn} {sorted(args.props)}")


POLICIES = [
    StackValidationPolicy(name="everything", description="Reports what it saw.", validate=everything,
                          config_schema=None, enforcement_level=EnforcementLevel.MANDATORY),
    StackValidationPolicy(name="reads-unknown", description="Reads an unknown.", validate=reads_unknown),
    StackValidationPolicy(name="not-applicable", description="Not applicable.", validate=not_applicable),
    StackValidationPolicy(name="later", description="Async.", validate=later),
    StackValidationPolicy(name="remediated", description="Remediate level.", validate=remediated,
                          enforcement_level=EnforcementLevel.REMEDIATE),
    StackValidationPolicy(name="disabled", description="Disabled.", validate=disabled,
                          enforcement_level=EnforcementLevel.DISABLED),
    ResourceValidationPolicy(name="resource-sees", description="Resource policy.", validate=resource_sees),
]
'''


def _probe_pack(tmp_path: Path) -> Path:
    src = tmp_path / "probe-src"
    src.mkdir()
    shutil.copy(ROOT / "policy" / "analyzer_memo.py", src / "analyzer_memo.py")
    (src / "rules.py").write_text(textwrap.dedent(PROBE_RULES))
    (src / "__main__.py").write_text(textwrap.dedent('''
        from pulumi_policy import EnforcementLevel, PolicyPack
        import analyzer_memo
        from rules import PACK_NAME, POLICIES
        analyzer_memo.install()
        PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.ADVISORY)
    '''))
    return src


def _r(name, rtype="probe:index:Thing", props=None, **kw) -> pg.EngineResource:
    return pg.EngineResource(urn=f"urn:pulumi:t::p::{rtype}::{name}", type=rtype, name=name, custom=True,
                             properties=props or {}, **kw)


def test_same_answers_on_every_path_of_the_stack_analysis(tmp_path):
    prov = _r("default", "pulumi:providers:probe", {"region": "cn-beijing", "nested": {"a": [1, 2.5, None, True]}})
    parent = _r("parent", "probe:index:Component", {})
    parent.custom = False
    a = _r("a", props={"list": [{"k": "v"}, "x"], "secret": {SIG_KEY: SECRET_SIG, "value": "s3cr3t"}, "n": 3},
           parent=parent.urn, provider=prov.urn, protect=True,
           options={"ignoreChanges": ["tags"], "deleteBeforeReplace": True}, id="i-a")
    b = _r("b", props={"unknown": UNKNOWN, "other": "known"}, parent=parent.urn, provider=prov.urn,
           dependencies=[a.urn, "urn:pulumi:t::p::probe:index:Thing::not-in-the-stack"], id="i-b")
    resources = [prov, parent, a, b]

    def property_dependencies(stack):  # the engine sends them; the offline gate has none to send
        stack.resources[-1].propertyDependencies["other"].urns.extend([a.urn, "urn:pulumi:t::p::x:y:Z::gone"])

    one, whole = _compare(tmp_path, _probe_pack(tmp_path), {}, resources, property_dependencies)
    by_policy = {}
    for d in whole.diagnostics:
        by_policy.setdefault(d.policyName, []).append(d)
    # What the stock servicer answers, so the comparison above is known to cover each path.
    assert "can't run policy 'reads-unknown'" in by_policy["reads-unknown"][0].message
    assert by_policy["remediated"][0].enforcementLevel == 1  # mandatory
    assert "disabled" not in by_policy and "not-applicable" not in by_policy
    assert [n.policy_name for n in whole.not_applicable] == ["not-applicable"]
    assert by_policy["later"][0].message.endswith("async saw 4")
    seen_b = next(d.message for d in by_policy["everything"] if d.urn == b.urn)
    assert f"parent={parent.urn}" in seen_b and f"deps=['{a.urn}']" in seen_b and "provider=(" in seen_b
    assert f"propdeps={{'other': ['{a.urn}']}}" in seen_b and "'nested': {'a': [1.0, 2.5, None, True]}" in seen_b
    assert len(one) == 4 and all(r.diagnostics for r in one)


def test_the_change_is_installed_only_on_the_checked_version(monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "policy"))
    try:
        import analyzer_memo
    finally:
        sys.path.remove(str(ROOT / "policy"))
    from importlib import metadata

    assert metadata.version("pulumi-policy") == analyzer_memo.CHECKED_VERSION
    pins = (ROOT / "policy" / "requirements.txt").read_text()
    assert f"pulumi-policy=={analyzer_memo.CHECKED_VERSION}" in pins
    monkeypatch.setattr(analyzer_memo, "_installed_version", lambda: "1.22.0")
    assert analyzer_memo.install() is False
