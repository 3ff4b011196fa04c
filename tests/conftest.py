"""Shared fixtures: stack configs, and a fresh Pulumi mock runtime per test."""

from __future__ import annotations

import asyncio
import copy
import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "hybrid-gpu-platform"

# The policy pack judges leases against "today": pin it so the suite does not change verdict
# with the calendar (the stack files' leases end in 2027). The pack's processes inherit it.
TEST_TODAY = "2026-11-29"
os.environ["HYBRID_TODAY"] = TEST_TODAY


def stack_raw(stack: str) -> dict[str, Any]:
    """The project-namespaced config of stacks/Pulumi.<stack>.yaml, namespace stripped."""
    doc = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in doc.items() if k.startswith(PROJECT + ":")}


@pytest.fixture
def dev_raw() -> dict[str, Any]:
    return copy.deepcopy(stack_raw("dev"))


@pytest.fixture
def prod_raw() -> dict[str, Any]:
    return copy.deepcopy(stack_raw("prod"))


# A dynamic Divided Deployment, first of placement.workloads: prod's pre-training run was one until it
# became a gang (jobs.jobs, docs/jobs.md); the placement calculator and the Fleet's dynamic policies are
# exercised on it with the figures the hand-worked placement tests derive (24 CPU, 160 GiB, 1 GPU x 48).
DIVIDED_WORKLOAD: dict[str, Any] = {
    "name": "divided-train", "replicas": 48, "strategy": "dynamic",
    "request": {"cpu": "24", "memory": "160Gi", "nvidia.com/gpu": 1},
    "autoscaling": {"minReplicas": 16, "maxReplicas": 112, "metrics": [{"resource": "cpu", "averageUtilization": 80}]},
    "priority": {"className": "gpu-training", "value": 100000, "description": "Divisible training; may preempt batch inference."},
}


SPARK = {"type": "Python", "sparkVersion": "3.5.3", "mainApplicationFile": "local:///opt/spark/work-dir/embed.py", "memoryOverheadMib": 4096}


def spark_raw() -> dict[str, Any]:
    """prod with embed-corpus as a SparkApplication: 1 driver + 7 executors of {8 CPU, 32Gi, 1 GPU}."""
    raw = stack_raw("prod")
    raw["jobs"]["sparkOperator"] = {"version": "v2.5.2"}
    raw["jobs"]["jobs"][1].update(kind="SparkApplication", gang=False, spark=dict(SPARK))
    return raw


def with_divided(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with DIVIDED_WORKLOAD as placement.workloads[0] (prod's batch-infer stays [1])."""
    raw["placement"]["workloads"].insert(0, copy.deepcopy(DIVIDED_WORKLOAD))
    return raw


@pytest.fixture
def placement_raw() -> dict[str, Any]:
    """prod with a dynamic Divided Deployment next to its static one."""
    return with_divided(copy.deepcopy(stack_raw("prod")))


class Recorder:
    """Mocks that record every resource's inputs (camelCase, as the engine sees them)."""

    def __init__(self):
        import pulumi
        from hybrid_tools.mockrun import PlanMocks
        from hybrid_tools.plan import MOCK_RESPONDERS

        self.resources: dict[str, Any] = {}
        recorder = self

        class _Mocks(PlanMocks):
            def new_resource(self, args: pulumi.runtime.MockResourceArgs):
                rid, state = super().new_resource(args)
                recorder.resources[f"{args.typ}::{args.name}"] = args
                return rid, state

        self.mocks = _Mocks(MOCK_RESPONDERS)

    def of_type(self, typ: str) -> list:
        return sorted((a for a in self.resources.values() if a.typ == typ), key=lambda a: a.name)

    def named(self, typ: str, name: str):
        return self.resources[f"{typ}::{name}"]


@pytest.fixture
def pulumi_mocks(monkeypatch):
    """Fresh event loop and fresh mocks per test, with project and stack set.

    Usage: ``rec = pulumi_mocks(config_raw, stack="dev")``, then build the components inside
    ``settle(...)`` and check what ``rec`` recorded after it returns.
    """
    import pulumi

    from hybrid_tools.stackconfig import OFFLINE_KUBECONFIGS, OFFLINE_SECRETS

    for name, path in OFFLINE_KUBECONFIGS.items():
        monkeypatch.setenv(name, path)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def configure(raw: dict[str, Any] | None = None, stack: str = "dev") -> Recorder:
        rec = Recorder()
        config = {f"{PROJECT}:{k}": (v if isinstance(v, str) else json.dumps(v)) for k, v in (raw or {}).items()}
        secret_keys = []
        for key, value in OFFLINE_SECRETS.items():
            config[f"{PROJECT}:{key}"] = value
            secret_keys.append(f"{PROJECT}:{key}")
        pulumi.runtime.set_all_config(config, secret_keys)
        pulumi.runtime.set_mocks(rec.mocks, project=PROJECT, stack=stack, preview=False)
        return rec

    yield configure
    loop.close()
    asyncio.set_event_loop(asyncio.new_event_loop())



@pytest.fixture
def own_loop():
    """A fresh event loop for a test that runs a program with hybrid_tools.mockrun.run_program. A loop
    inherited through fork (mutmut forks every mutant from one server, which made a loop while it
    collected) shares its epoll instance with the parent: run_program closes the loop it ran on, that
    close takes the loop's wake-up socket out of the shared instance, and the next child's run then
    waits forever for RPCs that have finished."""
    asyncio.set_event_loop(asyncio.new_event_loop())
    yield
    loop = asyncio.get_event_loop()
    if not loop.is_closed():
        loop.close()

def settle(program: Callable[[], Any]) -> Any:
    """Run ``program`` under the mocks ``pulumi_mocks`` set up, as the engine runs a Pulumi
    program, and return what it returned with every Output in it (also inside tuples, lists
    and dicts) resolved.

    It returns only once the run has settled: the public ``pulumi.runtime.test`` wrapper
    returns after every registration RPC and every Output of the run has finished. Checks
    that read what the mocks recorded go after this call, never inside an ``apply``: an
    apply runs as soon as the Outputs it names resolve, while resources outside that chain
    (a child parented to another resource, a rule, a link nobody exports) may still be
    registering, and a check like "no such resource" passes vacuously."""
    import pulumi

    box: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        return pulumi.Output.from_input(program()).apply(lambda value: box.update(value=value))

    run()
    return box["value"]


class PlainConfig:
    """The part of pulumi.Config that read_platform uses, over plain values (no runtime, no Outputs)."""

    def __init__(self, raw: dict, secrets: dict):
        self.raw, self.secrets = raw, secrets

    def require(self, key):
        return self.raw[key]

    def require_object(self, key):
        return self.raw[key]

    def get_object(self, key):
        return self.raw.get(key)

    def require_secret(self, key):
        return self.secrets[key]

    def get_secret(self, key):
        return self.secrets.get(key)


def help_text(capsys, *argv: str) -> str:
    """What ``hybrid-gpu <argv> --help`` prints, white space folded (argparse wraps to the terminal)."""
    from hybrid_tools import cli

    with pytest.raises(SystemExit):
        cli.main([*argv, "--help"])
    return " ".join(capsys.readouterr().out.split())


def the_issue(excinfo) -> tuple[str, str, str]:
    """(path, message, fix) of the one issue a ConfigError caught by ``pytest.raises`` carries."""
    [issue] = excinfo.value.issues
    return issue.path, issue.message, issue.fix


def refusals(raw: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field path, message, fix) of every problem loading ``raw`` reports; the load must fail."""
    from hybrid.errors import ConfigError
    from hybrid.model import load

    with pytest.raises(ConfigError) as info:
        load(raw)
    return [(i.path, i.message, i.fix) for i in info.value.issues]


def restricted_without_actions(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` in restricted mode with nothing for ACK to do in the cluster (no component, no node pool)."""
    raw["virtualNode"] = {"enabled": False}
    for r in raw["regions"]:
        r.pop("elasticPools", None)
    raw.get("cni", {}).get("terway", {}).pop("install", None)
    raw["registration"]["agent"] = {**raw["registration"].get("agent", {}), "mode": "restricted"}
    raw["registration"]["consoleAccess"] = "read-only"
    return raw


@pytest.fixture
def standin(monkeypatch):
    """The ACK CS API stand-in, the SDK pointed at it; no request may break its checks."""
    from tests.standin import StandIn, sdk_env

    with StandIn() as s:
        sdk_env(monkeypatch, s)
        yield s
        assert s.violations == [], s.violations


DEPLOY_KEY_ID, DEPLOY_SECRET = "LTAIdeploystandin01", "deploy-standin-secret"


@pytest.fixture
def oss(monkeypatch):
    """(the OSS stand-in on 127.0.0.1, its endpoint), the deploy identity's key in the environment.

    Name resolution is held to loopback: a change that drops --endpoint fails here instead of
    contacting Alibaba's OSS."""
    from tests.oss_standin import Key, OssStandIn
    from tests.standin import loopback_only

    loopback_only(monkeypatch)
    standin = OssStandIn(keys={DEPLOY_KEY_ID: Key(DEPLOY_SECRET)})
    srv = standin.serve()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", DEPLOY_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEPLOY_SECRET)
    yield standin, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def prod_stack_file(tmp_path: Path, without_pools: str = "cn-zhangjiakou") -> Path:
    """prod's stack file with one region's GPU pools removed, written under tmp_path."""
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    for region in doc["config"][f"{PROJECT}:regions"]:
        if region["id"] == without_pools:
            region["gpuPools"] = []
    f = tmp_path / "Pulumi.prod.yaml"
    f.write_text(yaml.safe_dump(doc))
    return f


def require_tool(name: str) -> str:
    """The path of a checker the test drives; skip without it on a developer machine, fail
    without it as root (CI installs every one: scripts/setup-system.sh)."""
    import shutil

    path = shutil.which(name)
    if path is None:
        if os.geteuid() != 0:
            pytest.skip(f"{name} not installed and not root (CI installs it via scripts/setup-system.sh)")
        pytest.fail(f"{name} missing: run scripts/setup-system.sh")
    return path


# --- no silent skips in CI ---------------------------------------------------------
# Some tests drive real tools (cloud-init, tc in a netns, rsync, checkov, actionlint) and
# skip on a developer machine that lacks them. `.ci/run` sets HYBRID_STRICT=1 after
# installing every one of them: there a skip means a checker did not run, so it fails.

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("HYBRID_STRICT") == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under HYBRID_STRICT=1 (a real checker did not run): {reason}"


# --- fuzz counts in the CI log ---------------------------------------------------
# tests/test_fuzz_input.py writes build/fuzz/<suite>.json; CI runs `pytest -q` without -s,
# so the counts are printed here, after the run.

_SESSION_START = __import__("time").time()


def pytest_terminal_summary(terminalreporter):
    counts = ROOT / "build" / "fuzz"
    docs = [json.loads(p.read_text()) for p in sorted(counts.glob("*.json")) if p.stat().st_mtime >= _SESSION_START] if counts.is_dir() else []
    if docs:
        terminalreporter.section("input fuzzing (fixed seed)")
        for d in docs:
            terminalreporter.write_line(
                f"{d['suite']}: cases {d['cases']}, ok {d['ok']}, rejected {d['rejected']}, "
                f"crashes {d['crashes']}, time-outs {d['timeouts']}, inputs {d.get('inputs', '?')} ({d['seconds']}s)")
