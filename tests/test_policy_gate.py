"""The policy gate end to end: a real pack process over the analyzer gRPC protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybrid_tools import policy_config as pc
from hybrid_tools import policy_gate as pg
from hybrid_tools.mockrun import SECRET_SIG, SIG_KEY, UNKNOWN

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def analyzer():
    # One pack process for the whole module: starting Python + gRPC is the slow part.
    with pg.PolicyAnalyzer() as a:
        yield a


@pytest.fixture(scope="module")
def bad_plan():
    from hybrid_tools.plan import build_plan

    _, platform, run, _ = build_plan("bad", root=ROOT, config_file=FIXTURES / "Pulumi.bad.yaml")
    return platform, run


def test_bad_stack_fails_the_gate(analyzer, bad_plan, tmp_path, capsys):
    platform, run = bad_plan
    report = pg.gate_run("bad", platform, run, tmp_path, FIXTURES / "policy.bad.json", analyzer=analyzer)
    assert report.exit_code == 1
    found = {(v.policy, pg.short_urn(v.urn)) for v in report.mandatory}
    assert ("sg-no-public-admin-ports", "SecurityGroupRule::cn-beijing-kubelet-tcp-8-0-0-0-7") in found
    assert ("vpc-flow-logs", "Network::cn-beijing-vpc") in found
    assert any(p == "ecs-disks-encrypted" and u.startswith("EcsDisk::") for p, u in found)
    # the advisory level from the policy config reached the analyzer: reported, not blocking
    advisory = {(v.policy, pg.short_urn(v.urn)) for v in report.violations if v.enforcement == "advisory"}
    assert ("sg-no-public-all-ports", "SecurityGroupRule::cn-beijing-pod-tcp-8-0-0-0-7") in advisory
    assert not any(p == "sg-no-public-all-ports" for p, _ in found)
    doc = json.loads((tmp_path / "policy.json").read_text())
    assert doc["summary"]["passed"] is False and doc["summary"]["mandatory"] == len(report.mandatory)
    assert {p["name"] for p in doc["policies"]} == {p.name for p in report.policies} and len(doc["policies"]) == 25
    table = capsys.readouterr().out
    assert "FAIL" in table and "sg-no-public-admin-ports" in table


def test_bad_stack_fires_every_identity_rule(analyzer, bad_plan, tmp_path):
    """The bad fixture (identity.nodeRoleScope all) plus what no stack config can produce (an instance
    outside the GPU pools with a role, an AccessKey in a ConfigMap, a binding to cluster-admin without
    the program's waiver), through the real pack: each identity rule fires, mandatory."""
    platform, run = bad_plan
    resources = pg.resources_from_run(run, pg.project_of(run), "bad")
    inst = _res("web", "alicloud:ecs/instance:Instance", {"instanceType": "ecs.g7.large"})
    attach = _res("web-role", "alicloud:ecs/ramRoleAttachment:RamRoleAttachment", {"instanceId": "i-web", "ramRoleName": "r"})
    attach.dependencies = [inst.urn]
    cm = _res("leaky", "kubernetes:core/v1:ConfigMap", {"data": {"eni_conf": json.dumps({"access_key": "LTAI5tQ2x8Yb3Kc7Hn9Wm1Zp"})}})
    admin = _res("stray-admin", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
                 {"metadata": {"name": "stray-admin"},
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                  "subjects": [{"kind": "ServiceAccount", "name": "ack", "namespace": "kube-system"}]})
    report = pg.run_gate("bad", [*resources, inst, attach, cm, admin],
                         pc.effective(pc.load(FIXTURES / "policy.bad.json"), platform), analyzer=analyzer)
    found = {(v.policy, pg.short_urn(v.urn)) for v in report.mandatory}
    assert ("ram-policy-no-wildcards", "Policy::cn-beijing-node-role-policy") in found
    # The agent's own admin binding (the fixture: agent.mode admin) carries the waiver; the stray one does not.
    assert [u for p, u in found if p == "k8s-no-wildcard-verbs-on-secrets"] == ["ClusterRoleBinding::stray-admin"]
    assert ("ecs-ram-roles-gpu-pools-only", "RamRoleAttachment::web-role") in found
    assert ("access-keys-only-in-secrets", "ConfigMap::leaky") in found
    # the pack's own roles and Secrets pass: the only role finding is the stray attachment
    assert [u for p, u in found if p == "ecs-ram-roles-gpu-pools-only"] == ["RamRoleAttachment::web-role"]
    assert [u for p, u in found if p == "access-keys-only-in-secrets"] == ["ConfigMap::leaky"]


def test_policy_json_is_deterministic(analyzer, bad_plan, tmp_path):
    platform, run = bad_plan
    a = pg.gate_run("bad", platform, run, tmp_path / "a", FIXTURES / "policy.bad.json", analyzer=analyzer)
    b = pg.gate_run("bad", platform, run, tmp_path / "b", FIXTURES / "policy.bad.json", analyzer=analyzer)
    assert a.to_json() == b.to_json()
    assert (tmp_path / "a" / "policy.json").read_bytes() == (tmp_path / "b" / "policy.json").read_bytes()


def _res(urn_name: str, rtype: str, props: dict) -> pg.EngineResource:
    return pg.EngineResource(urn=f"urn:pulumi:t::p::{rtype}::{urn_name}", type=rtype, name=urn_name, custom=True, properties=props)


def test_unknowns_and_secrets_over_the_wire(analyzer):
    """What the engine sends at preview: an unknown must fail a mandatory rule, a secret is readable."""
    inst = "alicloud:ecs/instance:Instance"
    resources = [
        _res("gpu-unknown", inst, {"instanceType": "ecs.gn7i-c8g1.2xlarge", "internetMaxBandwidthOut": UNKNOWN,
                                   "systemDiskEncrypted": True, "dataDisks": [],
                                   "userData": {SIG_KEY: SECRET_SIG, "value": "node-labels: alibabacloud.com/external=true\nLTAI5tAbCdEfGhIjKlMnOp"}}),
    ]
    report = pg.run_gate("t", resources, {}, analyzer=analyzer)
    by_policy = {v.policy: v for v in report.violations}
    assert by_policy["ecs-gpu-no-public-ip"].enforcement == "mandatory"
    assert "unknown" in by_policy["ecs-gpu-no-public-ip"].message
    assert "AccessKey ID" in by_policy["ecs-user-data-no-credentials"].message
    assert "stack-gpu-cloud-node-label" not in by_policy
    assert report.exit_code == 1


def test_levels_and_config_are_validated_like_the_engine(analyzer):
    with pytest.raises(pg.GateError, match="does not have"):
        pg.run_gate("t", [], {"no-such-policy": "mandatory"}, analyzer=analyzer)
    with pytest.raises(pg.GateError, match="kmsKeyRequiredFor"):
        pg.run_gate("t", [], {"ecs-disks-encrypted": {"kmsKeyRequiredFor": ["boot"]}}, analyzer=analyzer)
    rule = _res("r", "alicloud:ecs/securityGroupRule:SecurityGroupRule",
                {"type": "ingress", "ipProtocol": "tcp", "portRange": "22/22", "cidrIp": "0.0.0.0/0"})
    disabled = pg.run_gate("t", [rule], {"sg-no-public-admin-ports": "disabled"}, analyzer=analyzer)
    assert all(v.policy != "sg-no-public-admin-ports" for v in disabled.violations)
    advisory = pg.run_gate("t", [rule], {"all": "advisory"}, analyzer=analyzer)
    assert advisory.violations and advisory.exit_code == 0


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_checked_in_policy_configs_match_the_stack_config(stack):
    from hybrid.model import load
    from hybrid_tools.stackconfig import read_stack

    platform = load(read_stack(stack, ROOT).raw)
    doc = pc.load(pc.default_path(stack))
    assert doc, f"policy/config/{stack}.json is missing"
    assert pc.drift(doc, platform) == [], f"run `hybrid-gpu policy --stack {stack} --write-config`"


def test_level_numbers_match_the_protocol():
    from pulumi.runtime import proto

    assert pg.LEVELS == {"advisory": proto.ADVISORY, "mandatory": proto.MANDATORY,
                         "disabled": proto.DISABLED, "remediate": proto.REMEDIATE}


def test_lease_rules_through_the_gate(monkeypatch, tmp_path):
    """Planned inside the leases, gated later: past lease mandatory, ending soon advisory (prod's 30-day window)."""
    from hybrid_tools.plan import build_plan

    _, platform, run, _ = build_plan("prod", root=ROOT)  # HYBRID_TODAY from conftest: every lease valid
    monkeypatch.setenv("HYBRID_TODAY", "2027-03-15")  # a10-overflow ended 2027-02-28; a100-burst ends 2027-03-31
    with pg.PolicyAnalyzer() as a:
        report = pg.gate_run("prod", platform, run, tmp_path, analyzer=a)
    mandatory = {(v.policy, pg.short_urn(v.urn)) for v in report.mandatory}
    assert ("ecs-gpu-lease-not-expired", "Instance::cn-zhangjiakou-a10-overflow-cn-zhangjiakou-a-0") in mandatory
    assert {p for p, _ in mandatory} == {"ecs-gpu-lease-not-expired"}
    advisory = {(v.policy, pg.short_urn(v.urn)) for v in report.violations if v.enforcement == "advisory"}
    assert ("ecs-gpu-lease-ending-soon", "Instance::cn-beijing-a100-burst-cn-beijing-i-1") in advisory
    assert not any("a10-train" in u for _, u in advisory)  # ends 2027-06-30: outside the window
    assert report.exit_code == 1


def test_pipelined_requests_fail_as_one_and_leave_nothing_running():
    """The gate keeps IN_FLIGHT Analyze requests open; when one fails the error surfaces and the
    ones still open are cancelled, not left running against a pack that is being stopped."""
    import grpc

    calls = []

    class Call:
        def __init__(self, n):
            self.n, self.cancelled = n, False

        def result(self):
            if self.n == 3:
                raise grpc.RpcError("pack died")
            from pulumi.runtime import proto
            return proto.AnalyzeResponse()

        def cancel(self):
            self.cancelled = True

    class Stub:
        class Analyze:
            @staticmethod
            def future(request):
                calls.append(Call(len(calls)))
                return calls[-1]

        def AnalyzeStack(self, request):  # never reached
            raise AssertionError("stack analysed after a failed request")

    resources = [_res(f"r{i}", "x:index:Thing", {}) for i in range(pg.IN_FLIGHT + 10)]
    with pytest.raises(grpc.RpcError):
        pg.analyze(Stub(), resources)
    assert len(calls) == pg.IN_FLIGHT + 3  # the fourth result is read once IN_FLIGHT + 3 are open
    assert [c.n for c in calls if c.cancelled] == list(range(4, pg.IN_FLIGHT + 3))
