"""The ACK agent's mode against what the stack has ACK do in the cluster through it.

Alibaba's "RBAC permissions required by the ack-cluster-agent component": "Additional permissions are
required for specific operations: installing components, creating node pools"; restricted mode manages
components with onectl. So a stack that installs a component through the CS API (cs.KubernetesAddon) or
creates a node pool (cs.NodePool) in restricted mode is refused, naming registration.agent.mode; restricted
stays reachable for a stack with neither.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hybrid.errors import ConfigError
from hybrid.model import load
from tests.conftest import restricted_without_actions

ROOT = Path(__file__).resolve().parents[1]
NS = "hybrid-gpu-platform:"
# The addon names as the CS API knows them (the components' `name=`): Alibaba's component names.
VIRTUAL_NODE, TERWAY, AUTOSCALER = "ack-virtual-node", "terway-eniip", "cluster-autoscaler"
ALIBABA_QUOTE = "Additional permissions are required for specific operations: installing components, creating node pools"
ESCALATION = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping"


def _issues(raw: dict) -> list:
    with pytest.raises(ConfigError) as err:
        load(raw)
    return err.value.issues


def test_prod_in_restricted_mode_is_one_line_naming_the_field_the_components_and_the_pool(tmp_path):
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    reg = doc["config"][NS + "registration"]
    reg["agent"]["mode"], reg["consoleAccess"] = "restricted", "read-only"
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(yaml.safe_dump(doc, sort_keys=False))
    proc = subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--config", str(stack), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("invalid stack config: registration.agent.mode: is restricted")
    # prod installs ack-virtual-node and, for its elastic pool, cluster-autoscaler; Terway is its own DaemonSet.
    pools = [p["name"] for r in doc["config"][NS + "regions"] for p in r.get("elasticPools", [])]
    assert pools == ["a10-elastic"]
    for name in (VIRTUAL_NODE, AUTOSCALER, "a10-elastic (regions[0].elasticPools[0])"):
        assert name in line, name
    assert TERWAY not in line
    assert ALIBABA_QUOTE in line and ESCALATION in line
    assert "Fix: set registration.agent.mode: admin with registration.consoleAccess: admin" in line and "onectl" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("what,change,named", [
    ("virtual node", lambda raw: raw.__setitem__("virtualNode", {"enabled": True, "version": "v2.13.0",
                                                                "regions": [{"id": "cn-beijing", "default": True}]}),
     [VIRTUAL_NODE]),
    ("Terway as the cluster's component", lambda raw: raw["cni"]["terway"].__setitem__("install", "addon"), [TERWAY]),
])
def test_each_component_alone_refuses_restricted_mode(dev_raw, what, change, named):
    raw = restricted_without_actions(dev_raw)
    load(raw)  # nothing for ACK to do: restricted plans
    change(raw)
    issues = [i for i in _issues(raw) if i.path == "registration.agent.mode"]
    assert len(issues) == 1, what
    assert all(n in issues[0].message for n in named)
    others = {VIRTUAL_NODE, TERWAY, AUTOSCALER} - set(named)
    assert not any(n in issues[0].message for n in others)


def test_an_elastic_pool_alone_refuses_restricted_mode(prod_raw):
    raw = restricted_without_actions(prod_raw)
    # prod with its elastic pool back: a node pool and the autoscaler component that scales it.
    prod = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"][NS + "regions"]
    raw["regions"][0]["elasticPools"] = prod[0]["elasticPools"]
    issue, = [i for i in _issues(raw) if i.path == "registration.agent.mode"]
    assert "creates the node pool a10-elastic (regions[0].elasticPools[0])" in issue.message
    assert AUTOSCALER in issue.message and VIRTUAL_NODE not in issue.message


def test_console_access_follows_the_mode(dev_raw):
    # dev installs ack-virtual-node: the agent must hold cluster-admin, not only be fetched in admin mode.
    dev_raw["registration"]["consoleAccess"] = "read-only"
    assert [i.path for i in _issues(dev_raw)] == ["registration.consoleAccess"]
    # cluster-admin for the agent is administrator mode: never with a restricted agent.
    raw = restricted_without_actions(dev_raw)
    raw["registration"]["consoleAccess"] = "admin"
    issue, = _issues(raw)
    assert issue.path == "registration.consoleAccess" and "restricted" in issue.message


def test_restricted_stack_without_components_or_node_pools_plans(dev_raw, tmp_path):
    from hybrid_tools.plan import build_plan, write_plan

    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    raw = restricted_without_actions(dev_raw)
    doc["config"][NS + "virtualNode"] = raw["virtualNode"]
    doc["config"][NS + "registration"] = raw["registration"]
    doc["config"][NS + "placement"].pop("serverlessReplicas", None)  # no virtual node, no Serverless tier
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(yaml.safe_dump(doc, sort_keys=False))
    _, platform, run, _ = build_plan("dev", root=ROOT, config_file=stack)
    out, resources = write_plan("dev", tmp_path / "plan", platform, run)
    request = json.loads((out / "registration" / "ack-cluster.json").read_text())
    assert request["DescribeExternalAgent"]["query"]["AgentMode"] == "restricted"
    types = {r["type"] for r in resources}
    assert "alicloud:cs/kubernetesAddon:KubernetesAddon" not in types and "alicloud:cs/nodePool:NodePool" not in types
    role = yaml.safe_load((out / "manifests/cluster/clusterrole-hybrid-ack-console.yaml").read_text())
    assert {v for r in role["rules"] for v in r["verbs"]} == {"get", "list", "watch"}
    binding = yaml.safe_load((out / "manifests/cluster/clusterrolebinding-hybrid-ack-console.yaml").read_text())
    assert binding["roleRef"]["name"] == "hybrid-ack-console" and "annotations" not in binding["metadata"]
    assert not any((r["inputs"].get("roleRef") or {}).get("name") == "cluster-admin" for r in resources)
