"""The mock runner records what the engine would be sent (hybrid_tools/mockrun.py).

Each expectation is what the Pulumi SDK itself sends for a small program written here (the
RegisterResourceRequest fields, the secret and resource-reference wire forms of the Pulumi
protocol), or a stated property worked by hand; never the runner's own constants."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from pathlib import Path

import pulumi
import pytest

from hybrid_tools import mockrun
from hybrid_tools.mockrun import PlanMocks, canonical_json, fake_id, redact, run_program, secret_payload

# The Pulumi protocol's wire forms (pulumi sdk/go/common/resource/properties.go: SecretSig,
# ResourceReferenceSig, SigKey; plugin.UnknownStringValue).
SIG = "4dabf18193072939515e22adb298388d"
SECRET = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

THING = "test:index:Thing"

pytestmark = pytest.mark.usefixtures("own_loop")  # tests/conftest.py: a loop of its own per test

PROGRAM = '''
import pulumi
import helper_mockrun_32

cfg = pulumi.Config()


class Comp(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Comp", name, None, opts)


prov = pulumi.ProviderResource("test", "prov", {"region": "r1"})
comp = Comp("comp")
a = pulumi.CustomResource("test:index:Thing", "a", {"n": 1, "f": 2.5, "s": pulumi.Output.secret("hush")},
                          opts=pulumi.ResourceOptions(parent=comp, provider=prov))
c = pulumi.CustomResource("test:index:Thing", "c", {}, opts=pulumi.ResourceOptions(import_="imp-1"))
b = pulumi.CustomResource("test:index:Thing", "b", {"after": a.id, "ref": a, "plain": cfg.require("word"),
                                                     "both": pulumi.Output.all(c.id, a.id)},
                          opts=pulumi.ResourceOptions(protect=True, delete_before_replace=True, ignore_changes=["z", "y"],
                                                      replace_on_changes=["q", "p"], additional_secret_outputs=["t", "s"],
                                                      retain_on_delete=True, depends_on=[c, comp]))
pulumi.export("word", cfg.require("word"))
pulumi.export("secret", cfg.require_secret("key"))
pulumi.export("nested", {"ids": [a.id], "k": helper_mockrun_32.K})
'''


@pytest.fixture
def program(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))  # run_program puts the program's directory first
    monkeypatch.delitem(sys.modules, "helper_mockrun_32", raising=False)
    (tmp_path / "__main__.py").write_text(PROGRAM)
    (tmp_path / "helper_mockrun_32.py").write_text('K = "beside the program"\n')
    yield tmp_path / "__main__.py"
    sys.modules.pop("helper_mockrun_32", None)


CONFIG = {"p:word": "w", "p:key": "kk", "p:other": "bb", "p:third": "aa", "p:long": "longest", "p:empty": ""}
SECRET_KEYS = ["p:key", "p:other", "p:third", "p:long", "p:empty", "p:absent"]


def _run(program: Path, stack: str = "s", counts: list | None = None):
    return run_program(program, "p", stack, CONFIG, SECRET_KEYS, on_register=None if counts is None else counts.append)


def test_every_registration_is_recorded_as_the_sdk_sent_it(program):
    counts: list[int] = []
    run = _run(program, counts=counts)
    stack = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"
    urn = {r.name: r.urn for r in run.registrations.values()}
    assert urn == {"prov": "urn:pulumi:s::p::pulumi:pulumi:Stack$pulumi:providers:test::prov",
                   "comp": "urn:pulumi:s::p::pulumi:pulumi:Stack$test:index:Comp::comp",
                   "a": "urn:pulumi:s::p::test:index:Comp$test:index:Thing::a",
                   "b": "urn:pulumi:s::p::pulumi:pulumi:Stack$test:index:Thing::b",
                   "c": "urn:pulumi:s::p::pulumi:pulumi:Stack$test:index:Thing::c"}  # the root Stack is not one of them
    assert set(run.registrations) == set(urn.values())
    assert counts == [1, 2, 3, 4, 5]  # one call per registration, with the count so far
    by = {r.name: r for r in run.registrations.values()}
    a, b, c, comp, prov = by["a"], by["b"], by["c"], by["comp"], by["prov"]
    assert (a.type, comp.type, prov.type) == (THING, "test:index:Comp", "pulumi:providers:test")
    assert (a.parent, b.parent, comp.parent) == (urn["comp"], stack, stack)
    assert (a.custom, comp.custom, prov.custom) == (True, False, True)
    # A provider reference is "<provider URN>::<provider id>" (pulumi sdk/python/lib/pulumi/resource.py).
    assert a.provider.startswith(urn["prov"] + "::") and len(a.provider) > len(urn["prov"]) + 2
    assert b.provider == "" and prov.inputs == {"region": "r1"}
    # Inputs as the request's Struct: numbers are doubles, a secret keeps its value in the wrapper.
    assert a.inputs == {"n": 1.0, "f": 2.5, "s": {SIG: SECRET, "value": "hush"}}
    a_id = fake_id(THING, f"{THING}::a")
    c_id = "imp-1"  # an imported resource keeps the id it was imported with
    assert b.inputs == {"after": a_id, "plain": "w", "both": [c_id, a_id],
                        "ref": {SIG: RESOURCE, "urn": urn["a"], "id": a_id}}
    assert (a.protect, b.protect) == (False, True)
    assert b.dependencies == sorted([urn["a"], urn["c"]]) and a.dependencies == []
    assert b.property_dependencies == {"after": [urn["a"]], "ref": [urn["a"]], "both": sorted([urn["a"], urn["c"]])}
    assert a.property_dependencies == {}  # "n", "f", "s" come from no resource: no edge
    assert b.options == {"protect": True, "deleteBeforeReplace": True, "ignoreChanges": ["y", "z"],
                         "replaceOnChanges": ["p", "q"], "additionalSecretOutputs": ["s", "t"], "retainOnDelete": True}
    assert c.options == {"import": "imp-1"} and a.options == {} and comp.options == {}


def test_outputs_secrets_and_the_program_directory(program):
    run = _run(program)
    assert run.outputs == {"nested": ({"ids": [fake_id(THING, f"{THING}::a")], "k": "beside the program"}, False),
                           "secret": ("kk", True), "word": ("w", False)}
    assert list(run.outputs) == ["nested", "secret", "word"]
    # Every non-empty secret value given, longest first (a writer redacts a longer one before its parts).
    assert run.secret_values == ("longest", "aa", "bb", "kk")
    assert sys.path[0] == str(program.parent.resolve())


def test_each_run_has_its_own_root_stack_and_loop(program):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    first = _run(program, stack="one")
    assert loop.is_closed()  # the run's loop is closed when it returns
    after = asyncio.get_event_loop()
    assert after is not loop and not after.is_closed()
    second = _run(program, stack="two")
    assert {r.parent for r in first.registrations.values() if r.name == "b"} == {"urn:pulumi:one::p::pulumi:pulumi:Stack::p-one"}
    assert {r.parent for r in second.registrations.values() if r.name == "b"} == {"urn:pulumi:two::p::pulumi:pulumi:Stack::p-two"}
    assert all(":two::p::" in u for u in second.registrations)
    assert sys.path.count(str(program.parent.resolve())) == 1  # put on the path once, not per run


def test_the_program_runs_as_a_real_one_not_a_preview(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "__main__.py").write_text(
        "import pulumi\npulumi.export('dry', pulumi.runtime.is_dry_run())\n"
        "pulumi.export('where', (pulumi.get_project(), pulumi.get_stack()))\n")
    run = run_program(tmp_path / "__main__.py", "proj", "stk", {}, [])
    assert run.outputs == {"dry": (False, False), "where": (("proj", "stk"), False)}
    assert run.registrations == {} and run.secret_values == ()


def test_redact_turns_wire_forms_into_what_a_reviewer_reads():
    ref = {SIG: RESOURCE, "urn": "urn:pulumi:s::p::t::n", "id": "i-1"}
    doc = {"a": [{SIG: SECRET, "value": "hush"}, ref, 2.0, 2.5, UNKNOWN, "x", True, None, 3],
           "b": {"c": {SIG: RESOURCE}, "d": {SIG: "something else", "e": 4.0}}}
    assert redact(doc) == {"a": ["[secret]", "urn:pulumi:s::p::t::n", 2, 2.5, "[unknown]", "x", True, None, 3],
                           "b": {"c": "", "d": {SIG: "something else", "e": 4}}}
    assert type(redact(2.0)) is int and type(redact([4.0])[0]) is int and type(redact(2.5)) is float
    assert redact("[secret]") == "[secret]" and redact(UNKNOWN) == "[unknown]"


def test_secret_payload_opens_only_a_secret_wrapper():
    assert secret_payload({SIG: SECRET, "value": "hush"}) == "hush"
    assert secret_payload({SIG: SECRET}) is None
    assert secret_payload({SIG: RESOURCE, "value": "v", "urn": "u"}) is None
    assert secret_payload({"value": "v"}) is None
    assert secret_payload("hush") is None and secret_payload([{SIG: SECRET, "value": "x"}]) is None


def test_fake_ids_are_the_provider_form_or_a_bare_digest():
    # A type without a table entry, and one whose id is a template over inputs: a bare digest of
    # the urn, 20 hex characters.
    assert fake_id(THING, "t::n") == hashlib.sha256(b"t::n").hexdigest()[:20]
    route = "alicloud:vpc/routeEntry:RouteEntry"
    assert fake_id(route, f"{route}::r") == hashlib.sha256(f"{route}::r".encode()).hexdigest()[:20]
    vpc = fake_id("alicloud:vpc/network:Network", "v")
    assert vpc.startswith("vpc-") and len(vpc) == 24 and vpc != fake_id("alicloud:vpc/network:Network", "w")


def _args(typ, name, inputs, resource_id="", custom=True):
    return pulumi.runtime.MockResourceArgs(typ=typ, name=name, inputs=inputs, provider="", resource_id=resource_id,
                                           custom=custom)


def test_plan_mocks_merge_responders_and_list_unknown_types():
    seen = []

    def respond(args):
        seen.append((args.typ, args.name))
        return {"computed": "yes", "given": "answered"}

    mocks = PlanMocks({THING: respond})
    assert mocks.unknown_types == set()
    rid, state = mocks.new_resource(_args(THING, "t", {"given": "input", "kept": 1}))
    assert seen == [(THING, "t")]
    assert state == {"given": "answered", "kept": 1, "computed": "yes"}  # what the provider answers wins
    assert rid == fake_id(THING, f"{THING}::t") and mocks.unknown_types == {THING}
    # A component is no provider's: its type is never an unknown one.
    cid, cstate = mocks.new_resource(_args("test:index:Comp", "c", {"x": "y"}, custom=False))
    assert cid == fake_id("test:index:Comp", "test:index:Comp::c") and cstate == {"x": "y"}
    assert mocks.unknown_types == {THING}
    # A known type gets the provider's id and no entry in unknown_types.
    vid, vstate = mocks.new_resource(_args("alicloud:vpc/network:Network", "v", {"cidrBlock": "10.0.0.0/16"}))
    assert vid.startswith("vpc-") and vstate["cidrBlock"] == "10.0.0.0/16" and mocks.unknown_types == {THING}
    assert PlanMocks().call(pulumi.runtime.MockCallArgs(token="test:index:fn", args={}, provider="")) == {}


def test_a_given_computed_attribute_is_kept_and_an_imported_resource_is_found_by_its_id():
    mocks = PlanMocks()
    # The provider only computes what the inputs leave out.
    _, vpc = mocks.new_resource(_args("alicloud:vpc/network:Network", "v", {"routeTableId": "vtb-given"}))
    assert vpc["routeTableId"] == "vtb-given"
    # An imported vSwitch keeps its id, and its state is found by it: an instance in it gets an address
    # of its CIDR (a /29: the first and the last three of its eight addresses are reserved).
    vsw, _ = mocks.new_resource(_args("alicloud:vpc/switch:Switch", "s", {"cidrBlock": "192.168.7.0/29"},
                                      resource_id="vsw-imported"))
    assert vsw == "vsw-imported"
    _, inst = mocks.new_resource(_args("alicloud:ecs/instance:Instance", "i", {"vswitchId": "vsw-imported"}))
    assert inst["privateIp"] in {"192.168.7.1", "192.168.7.2", "192.168.7.3", "192.168.7.4"}
    # Given its address, the instance keeps it.
    _, fixed = mocks.new_resource(_args("alicloud:ecs/instance:Instance", "j", {"vswitchId": "vsw-imported",
                                                                               "privateIp": "192.168.7.9"}))
    assert fixed["privateIp"] == "192.168.7.9"


def test_a_route_entry_finds_its_vpcs_vrouter_by_the_route_table():
    mocks = PlanMocks()
    _, vpc = mocks.new_resource(_args("alicloud:vpc/network:Network", "v", {"cidrBlock": "10.0.0.0/16"}))
    other = PlanMocks()  # the same route table id, but no VPC recorded for it
    entry = {"routeTableId": vpc["routeTableId"], "destinationCidrblock": "10.8.0.0/16", "nexthopType": "Ecr",
             "nexthopId": "ecr-x"}
    rid, _ = mocks.new_resource(_args("alicloud:vpc/routeEntry:RouteEntry", "r", entry))
    orphan, _ = other.new_resource(_args("alicloud:vpc/routeEntry:RouteEntry", "r", entry))
    assert rid.split(":")[1] == vpc["routerId"] != orphan.split(":")[1]


def test_canonical_json_is_the_stdlibs_sorted_two_space_utf8_form():
    doc = {"z": [1, {"b": "é", "a": None}], "a": {"y": True, "x": 1.5}, "m": "雪", "e": [], "f": {}}
    assert canonical_json(doc) == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert canonical_json([]) == "[]\n"


def test_the_recorded_wire_signatures_are_the_protocols():
    # The runner reads the wire forms by these constants; they must be the protocol's.
    assert (mockrun.SIG_KEY, mockrun.SECRET_SIG, mockrun.RESOURCE_SIG, mockrun.UNKNOWN) == (SIG, SECRET, RESOURCE, UNKNOWN)


def test_addresses_are_taken_per_vswitch():
    # Two /29 vSwitches with the same CIDR (in two VPCs): each has its own four usable addresses.
    mocks = PlanMocks()
    ids = [mocks.new_resource(_args("alicloud:vpc/switch:Switch", f"s{n}", {"cidrBlock": "192.168.0.0/29"}))[0]
           for n in range(2)]
    for vsw in ids:
        ips = {mocks.new_resource(_args("alicloud:ecs/instance:Instance", f"{vsw}-{n}", {"vswitchId": vsw}))[1]["privateIp"]
               for n in range(4)}
        assert ips == {"192.168.0.1", "192.168.0.2", "192.168.0.3", "192.168.0.4"}


def test_the_monitor_records_one_request_as_sent(monkeypatch):
    """One RegisterResourceRequest (pulumi proto/pulumi/resource.proto) handed to the monitor directly,
    with every option the recording keeps, in an order the recording sorts."""
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import resource_pb2

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.reset_options(project="p", stack="s", preview=False)
    counts: list[int] = []
    monitor = mockrun.RecordingMonitor(PlanMocks(), counts.append)
    obj = struct_pb2.Struct()
    obj.update({"n": 1, "s": "x"})
    deps = resource_pb2.RegisterResourceRequest.PropertyDependencies
    req = resource_pb2.RegisterResourceRequest(
        type=THING, name="t", parent="urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", custom=True, object=obj,
        protect=True, dependencies=["urn:b", "urn:a"], provider="urn:prov::id-1", importId="imp",
        deleteBeforeReplace=True, ignoreChanges=["z", "y"], replaceOnChanges=["q", "p"],
        additionalSecretOutputs=["t", "s"], retainOnDelete=True,
        propertyDependencies={"n": deps(urns=["urn:d", "urn:c"]), "s": deps(urns=[])})
    try:
        response = monitor.RegisterResource(req)
        stack = monitor.RegisterResource(resource_pb2.RegisterResourceRequest(type="pulumi:pulumi:Stack", name="p-s"))
    finally:
        loop.close()
        asyncio.set_event_loop(asyncio.new_event_loop())
    (reg,) = monitor.registrations.values()  # the root Stack is not recorded
    assert stack.urn == "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s" and counts == [1]
    assert reg.urn == response.urn == "urn:pulumi:s::p::pulumi:pulumi:Stack$test:index:Thing::t" and response.id == "imp"
    assert (reg.type, reg.name, reg.parent, reg.custom, reg.provider, reg.protect) == (
        THING, "t", "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", True, "urn:prov::id-1", True)
    assert reg.inputs == {"n": 1.0, "s": "x"}
    assert reg.dependencies == ["urn:a", "urn:b"]
    assert reg.property_dependencies == {"n": ["urn:c", "urn:d"]}
    assert reg.options == {"protect": True, "import": "imp", "deleteBeforeReplace": True, "ignoreChanges": ["y", "z"],
                           "replaceOnChanges": ["p", "q"], "additionalSecretOutputs": ["s", "t"], "retainOnDelete": True}
    plain = mockrun.RecordingMonitor(PlanMocks())  # no callback
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        plain.RegisterResource(resource_pb2.RegisterResourceRequest(type=THING, name="u", custom=False))
    finally:
        loop.close()
        asyncio.set_event_loop(asyncio.new_event_loop())
    (u,) = plain.registrations.values()
    assert (u.custom, u.protect, u.options, u.dependencies, u.property_dependencies, u.provider) == (False, False, {}, [], {}, "")


def test_close_loop_closes_the_current_loop_and_leaves_a_fresh_one():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mockrun._close_loop()
    fresh = asyncio.get_event_loop()
    assert loop.is_closed() and fresh is not loop and not fresh.is_closed()
    fresh.close()  # an already closed loop is left as it is, and replaced
    mockrun._close_loop()
    assert not asyncio.get_event_loop().is_closed()


def test_the_program_knows_which_config_keys_are_secret(tmp_path, monkeypatch):
    # The engine hands the program the list of secret keys (PULUMI_CONFIG_SECRET_KEYS; pulumi sdk
    # runtime/config.py get_config_secret_keys_env), and the program can ask for it: is_config_secret.
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n"
        "pulumi.export('secret', [pulumi.runtime.is_config_secret(k) for k in ('q32:hidden', 'q32:plain')])\n")
    config = {"q32:hidden": "h", "q32:plain": "p"}
    run = run_program(tmp_path / "__main__.py", "q32", "s", config, ["q32:hidden"])
    assert run.outputs == {"secret": ([True, False], False)}
    run = run_program(tmp_path / "__main__.py", "q32", "s", config, [])  # a run's own keys, none left from the last
    assert run.outputs == {"secret": ([False, False], False)}
