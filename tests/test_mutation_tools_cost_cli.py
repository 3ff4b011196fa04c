"""hybrid_tools/cost_cli.py: ``hybrid-gpu cost`` and the plan's cost.json, called in-process.

Figures are the ones worked by hand in tests/test_lease_cost.py (prod's price table: a10-train
4 x 23.222 = 92.888/h, 67,808.24 a month; total 316.5112/h) and from the pricing stand-in's own
table (tests/pricing_standin.py: dev's ecs.gn7i-c8g1.2xlarge quotes 9.00 + 0.10 for its system disk).
Every test holds name resolution to loopback (tests/standin.py loopback_only): a change that drops
the stand-in's endpoint fails on the spot instead of asking Alibaba's.
"""

from __future__ import annotations

import json
from decimal import Decimal
import socket

import pytest

import tests.pricing_standin as ps
from hybrid.errors import ConfigError
from hybrid.model import load
from hybrid_tools import cli, cost_cli
from tests.conftest import help_text, stack_raw
from tests.standin import loopback_only

API = "Alibaba Cloud ECS DescribePrice (TradePrice)"


@pytest.fixture(autouse=True)
def _loopback(monkeypatch):
    loopback_only(monkeypatch)
    for var in ("HYBRID_PRICING_ENDPOINT", "HYBRID_PRICING_PROTOCOL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ps.ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ps.ACCESS_KEY_SECRET)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_without_the_api_the_price_table_prices_the_pools(capsys):
    rep = cost_cli.report(load(stack_raw("prod")))
    assert capsys.readouterr().err == ""  # the API was not asked (nothing to fall back from)
    assert rep.source.startswith("price table")
    assert {p.pool: p.hour for p in rep.pools}["a10-train"] == Decimal("92.888")


def test_the_api_prices_through_the_given_endpoint_and_names_its_source(capsys):
    from hybrid.pricing_api import SYSTEM_DISK_IN_INSTANCE_QUOTE

    with ps.PricingStandIn() as s:
        rep = cost_cli.report(load(stack_raw("dev")), use_api=True, endpoint=s.endpoint, protocol="http")
        assert s.violations == [] and s.calls
    how = "system disk inside the instance price" if SYSTEM_DISK_IN_INSTANCE_QUOTE else "system disk quoted as a disk"
    assert rep.source == f"{API}; {how}"
    assert capsys.readouterr().err == ""


def test_the_source_says_how_the_system_disk_was_priced(monkeypatch):
    import hybrid.pricing_api

    monkeypatch.setattr(hybrid.pricing_api, "SYSTEM_DISK_IN_INSTANCE_QUOTE", False)
    with ps.PricingStandIn() as s:
        rep = cost_cli.report(load(stack_raw("dev")), use_api=True, endpoint=s.endpoint, protocol="http")
    assert rep.source == f"{API}; system disk quoted as a disk"
    monkeypatch.setattr(hybrid.pricing_api, "SYSTEM_DISK_IN_INSTANCE_QUOTE", True)
    with ps.PricingStandIn() as s:
        rep = cost_cli.report(load(stack_raw("dev")), use_api=True, endpoint=s.endpoint, protocol="http")
    assert rep.source == f"{API}; system disk inside the instance price"


def test_an_unreachable_api_falls_back_to_the_table_and_says_why():
    import io

    port, err = _closed_port(), io.StringIO()
    rep = cost_cli.report(load(stack_raw("prod")), use_api=True, endpoint=f"127.0.0.1:{port}", protocol="http", err=err)
    assert rep.source.startswith("price table")
    assert err.getvalue() == (f"hybrid-gpu cost: pricing API at 127.0.0.1:{port} failed: unreachable (connection refused); "
                              "using the stack's price table instead.\n")


def test_an_unreachable_api_without_a_table_is_a_config_error_naming_pricing():
    port = _closed_port()
    with pytest.raises(ConfigError) as e:
        cost_cli.report(load(stack_raw("dev")), use_api=True, endpoint=f"127.0.0.1:{port}", protocol="http")
    assert e.value.render() == (f"invalid stack config: pricing: pricing API at 127.0.0.1:{port} failed: unreachable "
                                "(connection refused), and the stack has no price table to fall back on. "
                                "Fix: add hybrid-gpu-platform:pricing or make the pricing API reachable.")


def test_no_table_and_no_api_is_one_line_exit_2(capsys):
    assert cli.main(["cost", "--stack", "dev"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err == ("invalid stack config: pricing: the stack has no price table (hybrid-gpu-platform:pricing). "
                       "Fix: add hybrid-gpu-platform:pricing (see docs/cost.md) or use --pricing-api.\n")


def test_the_report_errors_go_to_the_current_stderr(capsys):
    port = _closed_port()
    cost_cli.report(load(stack_raw("prod")), use_api=True, endpoint=f"127.0.0.1:{port}", protocol="http")
    assert "using the stack's price table instead." in capsys.readouterr().err


def test_cost_json_only_with_a_table_or_the_api():
    assert cost_cli.artifact(load(stack_raw("dev"))) == {}
    prod = load(stack_raw("prod"))
    files = cost_cli.artifact(prod)
    assert list(files) == ["cost.json"]
    text = files["cost.json"]
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, sort_keys=True) + "\n"
    assert doc["source"].startswith("price table")
    assert doc["placement"]["batch-infer"]["clusters"]["idc-bj"] == {"tier": "idc", "replicas": 16, "perReplicaHour": 0.0,
                                                                    "monthly": 0.0}
    assert doc["total"]["monthly"] == round((92.888 + 2 * 72.438 + 51.6 + 27.1472) * 730, 2)


def test_the_plans_pricing_api_switch_prices_cost_json_through_the_api_and_is_reset_after():
    dev = load(stack_raw("dev"))
    with ps.PricingStandIn() as s:
        with cost_cli.pricing_api(s.endpoint, "http"):
            files = cost_cli.artifact(dev)  # dev has no table: only the switch makes a cost.json
        assert s.violations == [] and s.calls
    assert json.loads(files["cost.json"])["source"].startswith(API)
    assert cost_cli.artifact(dev) == {}  # switched off again
    with pytest.raises(RuntimeError):
        with cost_cli.pricing_api("127.0.0.1:1", "http"):
            raise RuntimeError("plan failed")
    assert cost_cli.artifact(dev) == {}  # also after a failed plan


def test_the_switch_without_an_endpoint_uses_the_environments(monkeypatch):
    dev = load(stack_raw("dev"))
    with ps.PricingStandIn() as s:
        host = s.endpoint
        monkeypatch.setenv("HYBRID_PRICING_ENDPOINT", host)
        monkeypatch.setenv("HYBRID_PRICING_PROTOCOL", "http")
        with cost_cli.pricing_api():
            files = cost_cli.artifact(dev)
        assert s.calls
    assert json.loads(files["cost.json"])["source"].startswith(API)


def test_table_output_is_the_report_and_the_placement_money(capsys):
    assert cli.main(["cost", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cost of stack 'prod': CNY, 730 hours a month; prices: price table")
    assert ("cn-beijing      a10-train     ecs.gn7i-c32g1.8xlarge       4  pay-as-you-go         23.2220   92.8880   67,808.24"
            in out.splitlines())
    tail = out.split("\n\nwhere the placement puts the money", 1)[1]
    assert tail.startswith(" (marginal cost of one more replica; the IDC's is 0):\n  batch-infer (1 GPU/replica): "
                           "idc-bj 16 x 0.0000/h, cn-hangzhou 4 x 12.9000/h, ")
    assert tail.endswith(" CNY/month; IDC-first saves 150,672.00 CNY/month\n")  # 16 x 12.90 x 730


def test_json_output_is_cost_json(capsys):
    assert cli.main(["cost", "--stack", "prod", "--format", "json"]) == 0
    assert capsys.readouterr().out == cost_cli.artifact(load(stack_raw("prod")))["cost.json"]


def test_the_cli_flags_reach_the_api(capsys):
    with ps.PricingStandIn() as s:
        assert cli.main(["cost", "--stack", "dev", "--pricing-api", "--pricing-endpoint", s.endpoint,
                         "--pricing-protocol", "http", "--format", "json"]) == 0
        assert s.violations == [] and s.calls
    assert json.loads(capsys.readouterr().out)["source"].startswith(API)


def test_the_config_flag_is_the_stack_read(tmp_path, capsys):
    text = (cli.Path(__file__).resolve().parents[1] / "stacks" / "Pulumi.prod.yaml").read_text()
    f = tmp_path / "Pulumi.prod.yaml"
    f.write_text(text.replace("          count: 4\n", "          count: 3\n", 1))  # a10-train: 3 instances, not 4
    assert cli.main(["cost", "--stack", "prod", "--config", str(f)]) == 0
    assert ("cn-beijing      a10-train     ecs.gn7i-c32g1.8xlarge       3  pay-as-you-go         23.2220   69.6660   50,856.18"
            in capsys.readouterr().out.splitlines())  # 3 x 23.222 = 69.666/h, x 730 h


def test_placement_lines_for_a_workload_with_nothing_priced_or_placed(monkeypatch):
    import hybrid.cost

    fake = {"w": {"gpusPerReplica": 0.5, "monthly": 1234.5, "idcSavesPerMonth": 0,
                  "clusters": {"a": {"replicas": 2, "perReplicaHour": None}, "b": {"replicas": 0, "perReplicaHour": 1.0},
                               "c": {"replicas": 1, "perReplicaHour": 1234.56789}}},
            "v": {"gpusPerReplica": 2, "monthly": 0, "idcSavesPerMonth": 0, "clusters": {"a": {"replicas": 0, "perReplicaHour": 1.0}}}}
    monkeypatch.setattr(hybrid.cost, "placement_costs", lambda platform, rep: fake)

    class Rep:
        currency = "EUR"

    assert cost_cli.placement_table(None, Rep()) == (
        "\nwhere the placement puts the money (marginal cost of one more replica; the IDC's is 0):\n"
        "  w (0.5 GPU/replica): a 2 x (no price), c 1 x 1,234.5679/h; 1,234.50 EUR/month\n"
        "  v (2 GPU/replica): nothing placed; 0.00 EUR/month")


def test_help_names_the_flags(capsys):
    text = help_text(capsys, "cost")
    for part in ("--format {table,json,md} table: per pool and total; json: cost.json; md: the table in a fenced block",
                 "--pricing-api price the pools through Alibaba's ECS pricing API (DescribePrice; credentials from the "
                 "environment); falls back to the price table when it cannot be reached",
                 "--pricing-endpoint PRICING_ENDPOINT host[:port] of the pricing API instead of the SDK's regional ECS endpoint",
                 "--pricing-protocol {https,http} protocol for --pricing-endpoint; default https"):
        assert part in text, part
    assert "cost hourly and monthly cost of the stack's cloud GPU pools, per pool and in total" in help_text(capsys)
