"""hybrid_tools/preflight_cli.py: ``hybrid-gpu preflight``, called in-process through ``cli.main``.

No check ever goes to a stack's addresses: the run-mode tests replace the runner's ``run`` with one
that records what the CLI asked for and then runs checks against a listener this test opens on
127.0.0.1 (and a loopback port nobody listens on) instead. prod's GPU regions, in stack order, are
cn-beijing, cn-hangzhou and cn-zhangjiakou (stacks/Pulumi.prod.yaml, each has gpuPools).
"""

from __future__ import annotations

import json
import re
import socket
import stat
from types import SimpleNamespace

import pytest

from hybrid import preflight
from hybrid.model import load
from hybrid_tools import cli
from tests.conftest import help_text, prod_stack_file, stack_raw


@pytest.fixture
def loopback(monkeypatch):
    """Checks against 127.0.0.1 only; records the stack checks, timeout and codename the CLI passed."""
    real = preflight.runner()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    local = [{"kind": "tcp", "host": "127.0.0.1", "port": listener.getsockname()[1], "group": "up", "need": "open port"}]
    seen: dict = {"local": local, "closed": closed}

    def run(checks, timeout, codename, on_check=None):
        seen.update(checks=checks, timeout=timeout, codename=codename)
        return real.run(seen["local"], timeout, codename, on_check=on_check)

    fake = SimpleNamespace(run=run, report=real.report, local_codename=lambda: "noble", manifest_url=real.manifest_url)
    monkeypatch.setattr(preflight, "runner", lambda: fake)
    yield seen
    listener.close()


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(["preflight", "--stack", "prod", *argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_a_passing_run_reports_each_check_and_exits_0(loopback, capsys):
    rc, out, err = _main(capsys, "--region", "cn-hangzhou")
    port = loopback["local"][0]["port"]
    assert rc == 0
    assert out == f"[PASS] tcp      open port: 127.0.0.1:{port} accepts connections\n1 passed, 0 failed, 0 skipped\n"
    lines = err.splitlines()
    assert lines[0] == "preflight: 1/1 tcp open port"
    assert re.fullmatch(r"preflight: 1 checks in \d+\.\ds", lines[1]) and len(lines) == 2
    # the node's checks of that region, the documented default timeout (5 s) and this machine's release
    assert loopback["checks"] == preflight.checks(load(stack_raw("prod")), "cn-hangzhou", "node")
    assert (loopback["timeout"], loopback["codename"]) == (5.0, "noble")


def test_a_failing_check_exits_1_and_the_flags_reach_the_runner(loopback, capsys):
    loopback["local"].append({"kind": "tcp", "host": "127.0.0.1", "port": loopback["closed"], "group": "down", "need": "shut port",
                              "fix": "open it"})
    rc, out, err = _main(capsys, "--region", "cn-beijing", "--from", "idc", "--timeout", "2.5", "--codename", "focal")
    assert rc == 1
    assert out.splitlines()[1:] == [f"[FAIL] tcp      shut port: 127.0.0.1:{loopback['closed']}: Connection refused",
                                    "       fix: open it", "1 passed, 1 failed, 0 skipped"]
    assert "preflight: 2/2 tcp shut port" in err.splitlines()
    assert loopback["checks"] == preflight.checks(load(stack_raw("prod")), "cn-beijing", "idc")
    assert (loopback["timeout"], loopback["codename"]) == (2.5, "focal")


def test_json_is_the_results_as_data(loopback, capsys):
    rc, out, _ = _main(capsys, "--region", "cn-hangzhou", "--format", "json")
    port = loopback["local"][0]["port"]
    assert rc == 0
    assert out == json.dumps([{"kind": "tcp", "host": "127.0.0.1", "port": port, "group": "up", "need": "open port",
                               "status": "PASS", "message": f"127.0.0.1:{port} accepts connections"}], indent=2) + "\n"


def test_skipped_checks_do_not_fail_the_run(loopback, capsys):
    loopback["local"] = [{"kind": "nope", "group": "g", "need": "a"}, {"kind": "tcp", "host": "127.0.0.1", "port": 1, "group": "g", "need": "b"}]
    rc, out, _ = _main(capsys, "--region", "cn-hangzhou")
    assert rc == 1 and out.endswith("0 passed, 1 failed, 1 skipped\n")
    loopback["local"] = []
    assert _main(capsys, "--region", "cn-hangzhou")[0] == 0  # nothing failed


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan"])
def test_a_timeout_that_is_not_a_positive_number_is_refused(value, loopback, capsys):
    rc, out, err = _main(capsys, "--region", "cn-hangzhou", "--timeout", value)
    shown = {"0": "0", "-1": "-1", "inf": "inf", "nan": "nan"}[value]
    assert (rc, out) == (2, "")
    assert err == f"preflight: --timeout {shown}: must be a positive number of seconds. Fix: e.g. --timeout 5.\n"
    assert "checks" not in loopback


def test_a_tiny_timeout_is_a_timeout(loopback, capsys):
    assert _main(capsys, "--region", "cn-hangzhou", "--timeout", "0.001")[0] == 0
    assert loopback["timeout"] == 0.001


def test_a_region_without_gpu_nodes_names_the_ones_with(loopback, capsys):
    rc, out, err = _main(capsys, "--region", "cn-shanghai")
    assert (rc, out) == (2, "")
    assert err == ("preflight: --region cn-shanghai has no GPU nodes in this stack. "
                   "Fix: pick from cn-beijing, cn-hangzhou, cn-zhangjiakou.\n")


def test_a_stack_without_gpu_regions_says_none(loopback, capsys, tmp_path):
    import yaml

    doc = yaml.safe_load((cli.Path(__file__).resolve().parents[1] / "stacks" / "Pulumi.dev.yaml").read_text())
    for region in doc["config"]["hybrid-gpu-platform:regions"]:
        region["gpuPools"] = []
    f = tmp_path / "Pulumi.dev.yaml"
    f.write_text(yaml.safe_dump(doc))
    rc = cli.main(["preflight", "--stack", "dev", "--config", str(f), "--region", "cn-beijing"])
    assert rc == 2
    assert capsys.readouterr().err == "preflight: --region cn-beijing has no GPU nodes in this stack. Fix: pick from (none).\n"


def test_the_config_flag_is_the_stack_read(loopback, capsys, tmp_path):

    f = prod_stack_file(tmp_path)
    rc, _, err = _main(capsys, "--config", str(f), "--region", "cn-zhangjiakou")
    assert (rc, err) == (2, "preflight: --region cn-zhangjiakou has no GPU nodes in this stack. Fix: pick from cn-beijing, cn-hangzhou.\n")


def test_the_node_bundle_is_the_runner_its_checks_and_how_to_run_them(loopback, capsys, tmp_path):
    out_dir = tmp_path / "a" / "b"
    rc, out, err = _main(capsys, "--region", "cn-zhangjiakou", "--from", "idc", "--write-node-bundle", str(out_dir))
    assert (rc, err) == (0, "")
    assert out == (f"preflight: wrote {out_dir}/hybrid-preflight and {out_dir}/preflight.json "
                   f"({len(preflight.checks(load(stack_raw('prod')), 'cn-zhangjiakou', 'idc'))} checks); on the node: "
                   "sudo ./hybrid-preflight --checks preflight.json\n")
    runner = out_dir / "hybrid-preflight"
    assert runner.read_bytes() == preflight.RUNNER.read_bytes()
    assert stat.S_IMODE(runner.stat().st_mode) == 0o755
    text = (out_dir / "preflight.json").read_text()
    want = {"region": "cn-zhangjiakou", "mode": "idc", "checks": preflight.checks(load(stack_raw("prod")), "cn-zhangjiakou", "idc")}
    assert text == json.dumps(want, indent=2) + "\n"
    assert "checks" not in loopback  # nothing was run


def test_the_node_bundle_in_json_and_into_an_existing_directory(loopback, capsys, tmp_path):
    rc, out, _ = _main(capsys, "--region", "cn-hangzhou", "--write-node-bundle", str(tmp_path), "--format", "json")
    n = len(preflight.checks(load(stack_raw("prod")), "cn-hangzhou", "node"))
    assert rc == 0
    assert out == json.dumps({"wrote": [f"{tmp_path}/hybrid-preflight", f"{tmp_path}/preflight.json"], "checks": n,
                              "onTheNode": "sudo ./hybrid-preflight --checks preflight.json"}, indent=2) + "\n"
    assert json.loads((tmp_path / "preflight.json").read_text())["mode"] == "node"


def test_a_node_bundle_path_that_is_a_file_is_refused(loopback, capsys, tmp_path):
    f = tmp_path / "bundle"
    f.write_text("x")
    rc, out, err = _main(capsys, "--region", "cn-hangzhou", "--write-node-bundle", str(f))
    assert (rc, out) == (2, "")
    assert err == f"preflight: --write-node-bundle {f}: is a file. Fix: give a directory.\n"
    assert f.read_text() == "x"


def test_region_is_required_and_from_takes_node_or_idc(loopback, capsys):
    # (the loopback runner: a change that lets an unknown --from through must not probe the stack's addresses)
    with pytest.raises(SystemExit) as e:
        cli.main(["preflight", "--stack", "prod"])
    assert e.value.code == 2
    assert capsys.readouterr().err == ("hybrid-gpu preflight: the following arguments are required: --region. "
                                       "Fix: see hybrid-gpu preflight --help.\n")
    with pytest.raises(SystemExit):
        cli.main(["preflight", "--stack", "prod", "--region", "cn-hangzhou", "--from", "cloud"])
    assert "argument --from: invalid choice: 'cloud' (choose from" in capsys.readouterr().err


def test_help_names_every_flag_and_its_default(capsys):
    text = help_text(capsys, "preflight")
    for part in ("--region REGION region id with GPU nodes",
                 "--from {node,idc} node: every endpoint, run on (or as) a GPU node; idc: what the IDC serves, run from an IDC host",
                 "--timeout TIMEOUT seconds per connection; default 5",
                 "--codename CODENAME Ubuntu release for the apt checks; default this machine's, else jammy",
                 "--write-node-bundle DIR write hybrid-preflight and preflight.json for the node into DIR, run nothing",
                 "--format {table,json,md} table: one check a line with its fix; json: the results as data; md: the table in a fenced block"):
        assert part in text, part
    assert ("preflight check for real (DNS, TCP, TLS, registry manifests, apt InRelease) that a region's GPU nodes reach every "
            "endpoint they need; like EKS Hybrid Nodes' nodeadm debug") in help_text(capsys)


def test_from_node_said_explicitly_is_the_default(loopback, capsys):
    assert _main(capsys, "--region", "cn-hangzhou", "--from", "node")[0] == 0
    assert loopback["checks"] == preflight.checks(load(stack_raw("prod")), "cn-hangzhou", "node")


def test_the_summary_line_gives_the_runs_elapsed_time(loopback, capsys, monkeypatch):
    import time

    clock = iter([1000.0, 1002.25])  # started at 1000 s, done 2.25 s later
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    rc, _, err = _main(capsys, "--region", "cn-hangzhou")
    assert rc == 0 and err.splitlines()[-1] == "preflight: 1 checks in 2.2s"
