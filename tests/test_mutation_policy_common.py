"""What every rule of the pack shares (policy/rules/common.py), called directly.

Property reads go through pulumi-policy's own deserializer and unknown-checking proxy (the
harness), so ``get``/``items``/``plain`` see what they see in the analyzer: the engine's unknown
sentinel (pulumi-policy proxy.py) either raised as UnknownValueError by the proxy or met as a bare
string. The decorators are exercised on a throw-away check, registered and then removed, and run
through pulumi-policy's public ``validate`` the way the analyzer calls it. User data is base64 as
ECS takes it (RFC 4648 alphabet, padded to a multiple of 4, wrapped lines allowed by ECS).
"""

from __future__ import annotations

import base64

import pytest
from pulumi_policy import (
    EnforcementLevel, PolicyConfigSchema, PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from tests import policy_harness  # noqa: F401  (puts policy/ on sys.path, as the pack runs)
from tests.policy_harness import UNKNOWN, opts, res

from rules import common as C  # noqa: E402

SENTINELS = ("04da6b54-80e4-46f7-96ec-b56ff0331ba9", "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7")  # pulumi-policy proxy.py


def proxied(value):
    return unknown_checking_proxy(deserialize_properties({"v": value}))["v"]


# --- the unknown marker ---------------------------------------------------------------------------

def test_the_unknown_marker_refuses_a_truth_value_and_says_how_to_test_it():
    with pytest.raises(TypeError, match=r"test `is UNKNOWN` first"):
        bool(C.UNKNOWN)
    with pytest.raises(TypeError, match=r"^an unknown value has no truth value"):
        if C.UNKNOWN:
            pass


# --- get ------------------------------------------------------------------------------------------

def test_get_walks_dicts_and_lists_plain_or_proxied():
    doc = {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}
    for d in (doc, proxied(doc)):
        assert C.get(d, "spec", "containers", 1, "name") == "b"
        assert C.get(d, "spec", "containers", 0, "name") == "a"
    assert C.get(doc) is doc  # no path: the value itself


def test_get_gives_the_default_for_what_is_not_there():
    doc = {"a": [1, 2], "n": 5}
    assert C.get(doc, "b") is None
    assert C.get(doc, "b", default=7) == 7
    assert C.get(doc, "a", 2, default="d") == "d"  # one past the end
    assert C.get(doc, "a", 1, default="d") == 2  # the last element
    assert C.get(doc, "a", -1, default="d") == "d"  # no counting from the end
    assert C.get(doc, "n", 0, default="d") == "d"  # a number has no elements
    assert C.get(doc, "a", "x", default="d") == "d"  # a list has no keys
    assert C.get(doc, "n", "x", default="d") == "d"
    assert C.get(doc, "a", 0, "x", default="d") == "d"
    assert C.get({"a": None}, "a", "b", default="d") == "d"
    assert C.get({0: "zero"}, 0, default="d") == "zero"  # an int key on a mapping with one entry


def test_get_maps_index_and_type_errors_to_the_default():
    class Picky(dict):
        def __getitem__(self, key):
            raise TypeError("unhashable")

    class Short(list):
        def __getitem__(self, i):
            raise IndexError(i)

    assert C.get(Picky(a=1), "a", default="d") == "d"
    assert C.get(Short([1]), 0, default="d") == "d"
    assert C.get({1: "one"}, 0, default="d") == "d"  # a missing int key in a mapping: KeyError


def test_get_reports_unknown_from_the_proxy_from_a_sentinel_and_below_an_unknown():
    for s in SENTINELS:
        doc = proxied({"a": s, "b": {"c": s}, "l": [1, s]})
        assert C.get(doc, "a") is C.UNKNOWN
        assert C.get(doc, "b", "c") is C.UNKNOWN
        assert C.get(doc, "l", 1) is C.UNKNOWN
        assert C.get({"a": s}, "a") is C.UNKNOWN  # a bare sentinel string, not proxied
        assert C.get(s) is C.UNKNOWN
    assert C.get(C.UNKNOWN, "a", "b") is C.UNKNOWN
    assert C.get({"a": C.UNKNOWN}, "a", "b", default="d") is C.UNKNOWN
    assert C.get({"a": "04da6b54"}, "a") == "04da6b54"  # only the whole sentinel is unknown


# --- items, plain ---------------------------------------------------------------------------------

def test_items_enumerates_with_unknown_elements_and_nothing_for_none():
    assert C.items(None) == []
    assert C.items(C.UNKNOWN) == []
    assert C.items([]) == []
    got = C.items(proxied(["a", UNKNOWN, "c"]))
    assert [i for i, _ in got] == [0, 1, 2]
    assert got[0][1] == "a" and got[1][1] is C.UNKNOWN and got[2][1] == "c"


def test_plain_copies_a_proxied_structure_with_unknown_leaves():
    doc = proxied({"w": {"assignments": {"idc": 3, "cloud": UNKNOWN}, "tags": ["a", UNKNOWN], "name": "w"}, "t": ("x",)})
    got = C.plain(doc)
    assert type(got) is dict and type(got["w"]) is dict and type(got["w"]["tags"]) is list
    assert got["w"]["assignments"]["idc"] == 3 and got["w"]["assignments"]["cloud"] is C.UNKNOWN
    assert got["w"]["tags"][0] == "a" and got["w"]["tags"][1] is C.UNKNOWN
    assert got["w"]["name"] == "w"  # a string stays a string, not a list of characters
    assert C.plain(("x", "y")) == ["x", "y"]
    assert C.plain(C.UNKNOWN) is C.UNKNOWN
    assert C.plain(5) == 5 and C.plain(None) is None


# --- messages, config, facts ----------------------------------------------------------------------

def test_cannot_verify_is_one_sentence_naming_the_value_and_both_ways_out():
    msg = C.cannot_verify("the addon name")
    policy_harness.sentence(msg)
    assert msg == ("Make the addon name known at preview or run the policy after `pulumi up`: it is unknown now, "
                   "and a mandatory rule must not pass on a value it cannot see.")


def test_config_of_fills_the_schema_s_defaults_under_the_stack_s_values():
    schema = PolicyConfigSchema(properties={"a": {"type": "integer", "default": 8}, "b": {"type": "string"},
                                            "c": {"type": "boolean", "default": False}})
    assert C.config_of(None, schema) == {"a": 8, "c": False}  # b has no default: absent, as the engine leaves it
    assert C.config_of({}, schema) == {"a": 8, "c": False}
    assert C.config_of({"a": 16, "b": "x"}, schema) == {"a": 16, "b": "x", "c": False}


def test_is_gpu_instance_reads_strings_only():
    assert C.is_gpu_instance("ecs.gn7i-c32g1.8xlarge") is True  # gn7i: NVIDIA A10
    assert C.is_gpu_instance("ecs.g7.xlarge") is False
    assert C.is_gpu_instance(None) is False and C.is_gpu_instance(C.UNKNOWN) is False


def test_user_data_is_read_as_is_and_base64_decoded():
    text = "#cloud-config\npassword: hunter2hunter2\n"
    b64 = base64.b64encode(text.encode()).decode()
    assert C.decoded_user_data(text) == [text]
    assert C.decoded_user_data(b64) == [b64, text]
    wrapped = "\n".join(b64[i:i + 16] for i in range(0, len(b64), 16)) + "\n"  # line-wrapped, as `base64` writes it
    assert C.decoded_user_data(wrapped) == [wrapped, text]


@pytest.mark.parametrize("text", [
    "",  # nothing
    "   \n",  # only whitespace
    "abcde",  # not a multiple of 4
    "ab-_",  # the URL-safe alphabet is not ECS's
    "A===",  # the right characters, but not valid base64
    "QQ==QQ==",  # data after the padding: base64 only to a lenient decoder
    base64.b64encode(b"\xff\xfe\x00\x01").decode(),  # valid base64 of bytes that are not UTF-8
])
def test_text_that_is_not_base64_of_utf8_is_read_as_is_only(text):
    assert C.decoded_user_data(text) == [text]


@pytest.mark.parametrize("text", ["#cloud-config\n# 节点初始化\nruncmd: [echo]\n", "# 初始化\n"])
def test_user_data_with_non_ascii_text_is_read_as_is(text):
    # cloud-config is UTF-8 and may carry comments in Chinese; the base64 alphabet is ASCII, so such
    # text is plain user data whatever its length (both cases are a multiple of 4 once compacted)
    assert len("".join(text.split())) % 4 == 0
    assert C.decoded_user_data(text) == [text]


def test_deps_are_the_resource_s_and_its_properties_dependencies():
    a, b, c = res("t:a:A", "a", {}), res("t:b:B", "b", {}), res("t:c:C", "c", {})
    r = PolicyResource("t:x:X", unknown_checking_proxy({}), "urn:x", "x", opts(), None, None, [a], {"p": [b, c]})
    r.dependencies = [a]
    assert C.deps(r) == {a.urn, b.urn, c.urn}
    bare = PolicyResource("t:x:X", unknown_checking_proxy({}), "urn:x", "x", opts(), None, None, [], {})
    bare.dependencies, bare.property_dependencies = None, None
    assert C.deps(bare) == set()
    assert C.deps(object()) == set()


def test_pod_spec_follows_each_kind_s_path():
    spec = {"containers": [{"name": "c"}]}
    assert C.pod_spec({"kind": "Pod", "spec": spec}) == spec
    assert C.pod_spec({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}) == spec
    for kind in ("Deployment", "DaemonSet", "Job", "StatefulSet"):
        assert C.pod_spec({"kind": kind, "spec": {"template": {"spec": spec}}}) == spec
    assert C.pod_spec({"kind": "Pod", "spec": {"template": {"spec": spec}}}) != spec


# --- the decorators -------------------------------------------------------------------------------

@pytest.fixture
def registered():
    """Policies a test declares, taken off POLICIES again afterwards."""
    before = list(C.POLICIES)
    yield before
    C.POLICIES[:] = before


def resource_args(rtype: str, props: dict, config: dict | None = None) -> ResourceValidationArgs:
    return ResourceValidationArgs(rtype, unknown_checking_proxy(deserialize_properties(props)),
                                  f"urn:pulumi:t::p::{rtype}::x", "x", opts(), None, config)


def test_resource_policy_registers_the_check_with_its_metadata_and_returns_it(registered):
    schema = PolicyConfigSchema(properties={"n": {"type": "integer", "default": 1}})
    calls = []

    def check(props, config=None, resource_type=None):
        calls.append((dict(props), config, resource_type))
        return [f"Fix {props['k']}.", "Fix the other."]

    got = C.resource_policy(name="t-rule", severity=Severity.LOW, level=C.A, types=["t:a:A", "t:b:B"],
                            description="Do it.", config_schema=schema, pass_type=True)(check)
    assert got is check
    assert C.POLICIES[:-1] == registered
    pol = C.POLICIES[-1]
    assert (pol.name, pol.severity, pol.enforcement_level, pol.description, pol.config_schema) == (
        "t-rule", Severity.LOW, EnforcementLevel.ADVISORY, "Do it.", schema)
    reported = []
    pol.validate(resource_args("t:c:C", {"k": 1}), lambda msg, urn=None: reported.append((msg, urn)))
    assert calls == [] and reported == []  # another type: the check is not run
    pol.validate(resource_args("t:b:B", {"k": 2}, {"n": 3}), lambda msg, urn: reported.append((msg, urn)))
    assert calls == [({"k": 2}, {"n": 3}, "t:b:B")]
    assert reported == [("Fix 2.", None), ("Fix the other.", None)]  # each message, on this resource


def test_resource_policy_without_pass_type_calls_the_check_with_props_and_config_only(registered):
    calls = []

    def check(props, config=None, **kwargs):
        calls.append(kwargs)
        return []

    C.resource_policy(name="t-rule", severity=Severity.HIGH, level=C.M, types=["t:a:A"], description="Do it.")(check)
    pol = C.POLICIES[-1]
    assert pol.config_schema is None and pol.enforcement_level is EnforcementLevel.MANDATORY
    pol.validate(resource_args("t:a:A", {}), lambda msg, urn=None: None)
    assert calls == [{}]


def test_stack_policy_sees_every_resource_and_reports_each_finding_on_its_urn(registered):
    a, b = res("t:a:A", "a", {"n": 1}), res("t:b:B", "b", {"n": 2})
    seen = []

    def check(resources, config=None):
        seen.append(([r.urn for r in resources], config))
        return [("On a.", a.urn), ("On the stack.", None)]

    got = C.stack_policy(name="t-stack", severity=Severity.CRITICAL, level=C.M, description="Do it.")(check)
    assert got is check
    assert C.POLICIES[:-1] == registered
    pol = C.POLICIES[-1]
    assert (pol.name, pol.severity, pol.enforcement_level, pol.description, pol.config_schema) == (
        "t-stack", Severity.CRITICAL, EnforcementLevel.MANDATORY, "Do it.", None)
    schema = PolicyConfigSchema(properties={"x": {"type": "integer", "default": 0}})
    C.stack_policy(name="t-stack-2", severity=Severity.LOW, level=C.A, description="Do it.", config_schema=schema)(check)
    assert C.POLICIES[-1].config_schema is schema and C.POLICIES[-1].enforcement_level is EnforcementLevel.ADVISORY
    pol = C.POLICIES[-2]
    reported = []
    pol.validate(StackValidationArgs((r for r in (a, b)), {"x": 1}), lambda msg, urn: reported.append((msg, urn)))
    assert seen == [([a.urn, b.urn], {"x": 1})]
    assert reported == [("On a.", a.urn), ("On the stack.", None)]
