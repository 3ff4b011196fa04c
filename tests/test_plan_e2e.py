"""The offline plan end to end, as a user runs it: both stacks, artifacts, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _plan(stack: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", stack, "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _digest(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    results = {s: _plan(s, out) for s in ("dev", "prod")}
    return out, results


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_writes_artifacts(plans, stack):
    out, results = plans
    proc = results[stack]
    assert proc.returncode == 0, proc.stderr
    assert f"offline plan of stack '{stack}'" in proc.stdout
    d = out / stack
    resources = json.loads((d / "resources.json").read_text())
    outputs = json.loads((d / "outputs.json").read_text())
    assert (d / "manifests").is_dir()
    assert resources == sorted(resources, key=lambda r: r["urn"])
    types = {r["type"] for r in resources}
    assert {"alicloud:vpc/network:Network", "alicloud:vpc/switch:Switch", "alicloud:ecs/securityGroup:SecurityGroup",
            "hybrid:network:RegionNetwork", "hybrid:platform:HybridPlatform"} <= types
    by_urn = {r["urn"] for r in resources}
    assert all(r["parent"] in by_urn or r["parent"].endswith("pulumi:pulumi:Stack::" + f"hybrid-gpu-platform-{stack}")
               for r in resources if r["parent"]), "every parent is a recorded resource or the stack"
    assert set(outputs["networks"]) == {r["inputs"]["tags"]["region"] for r in resources if r["type"] == "alicloud:vpc/network:Network"}


def test_secrets_never_in_clear(tmp_path, monkeypatch):
    """Plan prod with secret values chosen here (not the offline stand-ins) and search every
    artifact for them, whole and in the parts a renderer could split out."""
    from hybrid_tools import plan, stackconfig

    ca_hash = "sha256:" + hashlib.sha256(b"test-chosen CA").hexdigest()
    addon_secret = "test-chosen-addon-secret-4n8x1c"
    monkeypatch.setitem(stackconfig.OFFLINE_SECRETS, "caCertHash", ca_hash)
    monkeypatch.setitem(stackconfig.OFFLINE_SECRETS, "addonAccessKeySecret", addon_secret)
    _, platform, run, _ = plan.build_plan("prod", root=ROOT)
    assert ca_hash in run.secret_values and addon_secret in run.secret_values  # the run really used them
    d, _ = plan.write_plan("prod", tmp_path, platform, run)
    files = [p for p in d.rglob("*") if p.is_file()]
    assert len(files) > 10 and any(p.parent.name == "cloud-init" for p in files)
    for path in files:
        text = path.read_text()
        for value in (addon_secret, ca_hash, ca_hash.split(":")[1]):
            assert value not in text, f"{path} holds a secret in clear: {value}"
    # The Kubernetes providers hold the path of a kubeconfig file, never its credentials.
    providers = [r for r in json.loads((d / "resources.json").read_text()) if r["type"] == "pulumi:providers:kubernetes"]
    assert sorted(r["inputs"]["kubeconfig"] for r in providers) == [
        "/offline/hybrid-fleet.kubeconfig", "/offline/hybrid-idc.kubeconfig", "/offline/hybrid-idc.kubeconfig"]


def test_artifacts_do_not_depend_on_the_callers_kubeconfig_paths(tmp_path, monkeypatch):
    from hybrid_tools import plan

    _, platform, run, _ = plan.build_plan("dev", root=ROOT)
    first, _ = plan.write_plan("dev", tmp_path / "a", platform, run)
    monkeypatch.setenv("HYBRID_IDC_KUBECONFIG", "/home/someone/.kube/idc.yaml")
    _, platform, run, _ = plan.build_plan("dev", root=ROOT)
    second, _ = plan.write_plan("dev", tmp_path / "b", platform, run)
    assert (first / "resources.json").read_bytes() == (second / "resources.json").read_bytes()
    assert os.environ["HYBRID_IDC_KUBECONFIG"] == "/home/someone/.kube/idc.yaml"  # restored after the run


def test_prod_plan_is_byte_identical_twice(plans, tmp_path):
    out, _ = plans
    again = _plan("prod", tmp_path)
    assert again.returncode == 0, again.stderr
    assert _digest(out / "prod") == _digest(tmp_path / "prod")


def test_plan_bytes_do_not_depend_on_libyaml(plans, tmp_path, monkeypatch):
    """The plan writes YAML through libyaml when PyYAML has it; a machine without it (pure
    Python emitter) must still produce the same bytes."""
    import yaml

    assert yaml.__with_libyaml__, "this environment should exercise the libyaml path"
    out, _ = plans
    monkeypatch.setenv("HYBRID_PURE_YAML", "1")
    pure = _plan("prod", tmp_path)
    assert pure.returncode == 0, pure.stderr
    assert _digest(out / "prod") == _digest(tmp_path / "prod")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_virtual_node_addon_in_the_platform(plans, stack):
    """The addon hangs off the registered cluster, waits for the agent, and its exported
    config points at the VPCs, pod vSwitches and pod security groups the plan creates."""
    out, _ = plans
    d = out / stack
    resources = json.loads((d / "resources.json").read_text())
    outputs = json.loads((d / "outputs.json").read_text())
    # prod also installs cluster-autoscaler for its elastic pool (tests/test_elastic_plan.py)
    addons = [r for r in resources if r["type"] == "alicloud:cs/kubernetesAddon:KubernetesAddon"
              and r["inputs"]["name"] != "cluster-autoscaler"]
    assert [a["inputs"]["name"] for a in addons] == ["ack-virtual-node"]
    addon = addons[0]
    assert addon["inputs"]["clusterId"] == outputs["registeredClusterId"]
    assert json.loads(addon["inputs"]["config"]) == outputs["virtualNodeConfig"]
    agent = [r["urn"] for r in resources if r["type"] == "kubernetes:apps/v1:Deployment" and r["name"].endswith("-agent")]
    assert len(agent) == 1 and agent[0] in addon["dependencies"]
    conf = outputs["virtualNodeConfig"]
    regions = conf["Regions"]
    assert sum(r["IsDefaultRegion"] for r in regions) == 1
    for r in regions:
        net = outputs["networks"][r["RegionId"]]
        assert r["VpcId"] == net["vpcId"]
        assert r["VSwitchIds"] == [net["podVswitchIds"][z] for z in sorted(net["podVswitchIds"])]
        assert r["SecurityGroupId"] == net["podSecurityGroupId"]
    assert len(regions) == (3 if stack == "prod" else 1)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_json_artifacts_match_the_stdlib_encoding(plans, stack):
    """canonical_json writes with orjson; the bytes must be what the stdlib's
    json.dumps(indent=2, sort_keys=True, ensure_ascii=False) writes for the same data."""
    out, _ = plans
    for name in ("resources.json", "outputs.json", "policy.json"):
        text = (out / stack / name).read_text()
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n", name
