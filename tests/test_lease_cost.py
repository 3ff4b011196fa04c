"""Pool leases, the cost view, cost.json, the cost lines of a diff and the pricing API path.

Expected figures are computed by hand from the price tables (the stack's and
the pricing stand-in's), never by the code under test.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from hybrid.errors import ConfigError
from hybrid.model import load

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pricing_standin as ps  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _pool(raw, region, name):
    r = next(r for r in raw["regions"] if r["id"] == region)
    return next(p for p in r["gpuPools"] if p["name"] == name)


# --- leases -------------------------------------------------------------------

# prod's pools: a100-burst (cn-beijing) ends 2027-03-31, a10-overflow (cn-zhangjiakou) 2027-02-28,
# a10-train 2027-06-30 (stacks/Pulumi.prod.yaml). 2027-04-01 is past the first two.
EXPIRED_DAY = "2027-04-01"


def test_the_model_never_reads_the_calendar(prod_raw, monkeypatch):
    """A config is valid or not whatever the day: preview, refresh and destroy of a stack whose
    lease has ended must not fail on the config (the lease is the policy pack's rule)."""
    monkeypatch.delenv("HYBRID_TODAY", raising=False)
    inside = load(prod_raw).model_dump()
    for day in (EXPIRED_DAY, "2099-01-01", "not a day"):
        monkeypatch.setenv("HYBRID_TODAY", day)
        assert load(prod_raw).model_dump() == inside
    # no clock anywhere in the pure layer
    import re

    clock = re.compile(r"\b(date\.today|datetime\.now|datetime\.utcnow|HYBRID_TODAY|time\.time\(\)|time\.localtime)")
    assert [str(f) for f in (ROOT / "hybrid").rglob("*.py") if clock.search(f.read_text())] == []


def test_one_clock_for_the_lease_rules_and_the_usage_report(monkeypatch):
    """The pack's lease rules and `hybrid-gpu usage` read one day (hybrid_clock): the pinned one, the
    UTC date when unpinned, and a pinned value that is no date is refused naming the variable."""
    import datetime as dt

    import hybrid_clock
    from hybrid_tools import usage_cli
    from hybrid_tools.errors import InputError

    monkeypatch.setenv("HYBRID_TODAY", "2027-04-01")
    assert hybrid_clock.today() == usage_cli._today() == dt.date(2027, 4, 1)
    monkeypatch.delenv("HYBRID_TODAY")
    assert usage_cli._today() in {dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=d) for d in (-1, 0)}
    monkeypatch.setenv("HYBRID_TODAY", "1.4.2027")
    with pytest.raises(InputError, match=r"HYBRID_TODAY.*'1\.4\.2027' is not a date"):
        usage_cli._today()


def test_expired_lease_plan_runs_and_the_gate_fails_naming_the_lease(tmp_path, monkeypatch, capsys):
    """`hybrid-gpu plan` of a stack past a lease: the plan is written (the same bytes as on a day
    inside every lease), the gate fails on ecs-gpu-lease-not-expired, naming each expired pool's
    instances, owner and end day; the pool still inside its lease is not named."""
    from hybrid_tools import cli

    assert cli.main(["plan", "--stack", "prod", "--out", str(tmp_path / "inside"), "--no-policy"]) == 0
    monkeypatch.setenv("HYBRID_TODAY", EXPIRED_DAY)
    capsys.readouterr()
    assert cli.main(["plan", "--stack", "prod", "--out", str(tmp_path / "expired")]) == 1
    out = capsys.readouterr().out
    inside, expired = tmp_path / "inside/prod", tmp_path / "expired/prod"
    names = sorted(str(p.relative_to(inside)) for p in inside.rglob("*") if p.is_file())
    assert sorted(str(p.relative_to(expired)) for p in expired.rglob("*") if p.is_file()) == sorted([*names, "policy.json"])
    for name in names:
        assert (inside / name).read_bytes() == (expired / name).read_bytes(), name
    verdict = json.loads((expired / "policy.json").read_text())
    mandatory = [v for v in verdict["violations"] if v["enforcement"] == "mandatory"]
    assert {v["policy"] for v in mandatory} == {"ecs-gpu-lease-not-expired"}
    by_pool: dict[str, set[str]] = {}
    for v in mandatory:
        pool = next(p for p in ("a100-burst", "a10-overflow", "a10-train") if f"-{p}-" in v["urn"])
        by_pool.setdefault(pool, set()).add(v["message"].split(": ", 1)[1])
    # a100-burst: 2 instances, a10-overflow: 2, one message per pool (its owner and last day)
    assert by_pool == {"a100-burst": {"the lease of owner llm-research ended on 2027-03-31."},
                       "a10-overflow": {"the lease of owner ml-platform ended on 2027-02-28."}}
    assert len(mandatory) == 4
    assert "ecs-gpu-lease-not-expired" in out and "FAIL" in out


def test_destroy_path_runs_the_program_with_an_expired_lease(monkeypatch, tmp_path):
    """`pulumi destroy` deletes what the state holds without the pack (docs/cost.md); with
    --run-program, and for `pulumi refresh --run-program`, the program runs first. Under the
    mocks the program runs past every lease and declares the expired pools' instances as on
    any other day; releasing the pools (count: 0, what the rule asks) leaves the gate without
    a lease violation on the same day."""
    from hybrid_tools import policy_gate as pg
    from hybrid_tools.plan import build_plan

    monkeypatch.setenv("HYBRID_TODAY", "2099-01-01")  # past every lease of prod
    _, _, run, _ = build_plan("prod", root=ROOT)
    instances = [r.name for r in run.registrations.values() if r.type == "alicloud:ecs/instance:Instance"]
    assert any("a100-burst" in n for n in instances) and any("a10-train" in n for n in instances)

    import re

    import yaml

    text = (ROOT / "stacks/Pulumi.prod.yaml").read_text()
    released = re.sub(r"(?m)^(          count: )\d+$", r"\g<1>0", text)  # every pool of every region
    pools = [p for r in yaml.safe_load(released)["config"]["hybrid-gpu-platform:regions"] for p in r["gpuPools"]]
    assert len(pools) == 4 and {p["count"] for p in pools} == {0}
    (tmp_path / "released.yaml").write_text(released)
    _, platform, run, _ = build_plan("prod", root=ROOT, config_file=tmp_path / "released.yaml")
    assert not [r.name for r in run.registrations.values() if r.type == "alicloud:ecs/instance:Instance"]
    with pg.PolicyAnalyzer() as a:
        report = pg.gate_run("prod", platform, run, tmp_path / "gate", analyzer=a)
    assert not [v for v in report.violations if v.policy == "ecs-gpu-lease-not-expired"]


@pytest.mark.parametrize("field,value,needle", [
    ("end", "2027-02-30", "not a date"),
    ("end", "2027-03-31T08:00:00Z", "not a date"),
    ("end", 1790000000, "not a date"),
    ("purpose", "x" * 129, "at most 128"),
    ("purpose", "see https://wiki/x", "http"),
    ("owner", "ML Team", "pattern"),
    ("renewal", "auto", "request"),
])
def test_lease_fields_are_validated(prod_raw, field, value, needle):
    _pool(prod_raw, "cn-beijing", "a10-train")["lease"][field] = value
    with pytest.raises(ConfigError) as e:
        load(prod_raw)
    (issue,) = e.value.issues
    assert issue.path == f"regions[0].gpuPools[0].lease.{field}"
    assert needle in issue.render()


def test_lease_end_forms(prod_raw):
    import datetime as dt

    for form in ("2027-06-30", dt.date(2027, 6, 30), "2027-06-30T00:00:00Z"):
        _pool(prod_raw, "cn-beijing", "a10-train")["lease"]["end"] = form
        assert load(prod_raw).regions[0].gpu_pools[0].lease.end == dt.date(2027, 6, 30)


# --- cost ---------------------------------------------------------------------

def test_prod_cost_by_hand(prod_raw):
    from hybrid.cost import compute

    rep = compute(load(prod_raw))
    doc = rep.doc()
    pools = {p["pool"]: p for p in doc["pools"]}
    # a10-train: 20.00 + 100 GiB x 0.0015 + 2048 GiB (PL1) x 0.0015 = 23.222 per instance-hour, 4 instances
    assert pools["a10-train"]["perInstanceHour"] == {"instance": 20.0, "systemDisk": 0.15, "dataDisk": 3.072, "total": 23.222}
    assert pools["a10-train"]["hourly"] == 92.888 and pools["a10-train"]["monthly"] == 67808.24
    # a100-burst is Spot: its limit 60, not the 75.00 reference price; data disk PL2 4096 x 0.003
    assert pools["a100-burst"]["perInstanceHour"]["instance"] == 60.0
    assert pools["a100-burst"]["perInstanceHour"]["total"] == 72.438
    assert pools["a100-burst"]["basis"].startswith("spot")
    # t4-infer: 12.00 + 100 x 0.0015 + 500 x 0.0015 = 12.9; a10-overflow: 12 + 100 x 0.0014 + 1024 x 0.0014 = 13.5736
    assert pools["t4-infer"]["hourly"] == 51.6 and pools["a10-overflow"]["hourly"] == 27.1472
    total_hour = 92.888 + 2 * 72.438 + 51.6 + 27.1472
    assert doc["total"]["hourly"] == round(total_hour, 4)
    assert doc["total"]["monthly"] == round(total_hour * 730, 2)
    assert doc["upperBound"] is True and doc["currency"] == "CNY"
    assert pools["a10-train"]["owner"] == "ml-platform" and pools["a10-train"]["leaseEnd"] == "2027-06-30"


def test_missing_price_names_the_table_entry(prod_raw):
    del prod_raw["pricing"]["regions"]["cn-hangzhou"]["instanceHour"]["ecs.gn6i-c16g1.4xlarge"]
    del prod_raw["pricing"]["regions"]["cn-zhangjiakou"]["diskGibHour"]["cloud_essd"]
    with pytest.raises(ConfigError) as e:
        load(prod_raw)
    got = {(i.path, i.message) for i in e.value.issues}
    assert ("pricing.regions.cn-hangzhou.instanceHour", "no price for ecs.gn6i-c16g1.4xlarge (regions[1].gpuPools[0]).") in got
    assert ("pricing.regions.cn-zhangjiakou.diskGibHour", "no price for cloud_essd (regions[2].gpuPools[0].dataDisk).") in got
    # a level without its own price falls back to the category's price
    del prod_raw["pricing"]["regions"]["cn-beijing"]["diskGibHour"]["cloud_essd/PL2"]
    assert not any(i.path == "pricing.regions.cn-beijing.diskGibHour" for i in e.value.issues)


def test_cost_command_and_cost_json(tmp_path, capsys, monkeypatch):
    from hybrid_tools import cli

    assert cli.main(["cost", "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "a10-train" in out and "67,808.24" in out and "upper bound" in out
    assert "IDC-first saves" in out
    assert cli.main(["plan", "--stack", "prod", "--out", str(tmp_path / "a"), "--no-policy"]) == 0
    # another day inside every lease: cost.json must not change (it never holds today's date)
    monkeypatch.setenv("HYBRID_TODAY", "2027-01-15")
    assert cli.main(["plan", "--stack", "prod", "--out", str(tmp_path / "b"), "--no-policy"]) == 0
    a, b = (tmp_path / "a/prod/cost.json").read_bytes(), (tmp_path / "b/prod/cost.json").read_bytes()
    assert a == b
    doc = json.loads(a)
    assert doc["total"]["monthly"] == round((92.888 + 2 * 72.438 + 51.6 + 27.1472) * 730, 2)
    # batch-infer: the IDC's 16 free GPUs (320 allocatable - 296 allocated - 8 allocating), priced at the
    # cheapest tier its weights allow instead: cn-hangzhou's T4 node, 12.00 per instance-hour plus its
    # 500 GiB data + 100 GiB system ESSD at 0.0015 (0.90), one GPU per node: 16 x 12.90 x 730
    pl = doc["placement"]["batch-infer"]
    assert pl["clusters"]["idc-bj"] == {"tier": "idc", "replicas": 16, "perReplicaHour": 0.0, "monthly": 0.0}
    assert pl["idcSavesPerMonth"] == round(16 * 12.90 * 730, 2)
    # instances carry the lease as tags
    res = json.loads((tmp_path / "a/prod/resources.json").read_text())
    tags = [r["inputs"]["tags"] for r in res if r["type"] == "alicloud:ecs/instance:Instance" and "a100-burst" in r["name"]]
    assert tags and all(t["owner"] == "llm-research" and t["lease-end"] == "2027-03-31" and t["lease-renewal"] == "release" for t in tags)


def test_diff_shows_the_cost_of_a_count_change(tmp_path, capsys):
    from hybrid_tools import cli

    head = (ROOT / "stacks/Pulumi.prod.yaml").read_text().replace("          count: 4\n", "          count: 7\n", 1)
    (tmp_path / "head.yaml").write_text(head)
    assert cli.main(["plan", "--stack", "prod", "--out", str(tmp_path / "base"), "--no-policy"]) == 0
    assert cli.main(["plan", "--stack", "prod", "--config", str(tmp_path / "head.yaml"), "--out", str(tmp_path / "head"), "--no-policy"]) == 0
    capsys.readouterr()
    assert cli.main(["diff", str(tmp_path / "base/prod"), str(tmp_path / "head/prod")]) == 0
    out = capsys.readouterr().out
    # 3 more a10-train instances at 23.222 per hour: 3 x 23.222 x 730 = 50,856.18
    assert "+3 ecs.gn7i-c32g1.8xlarge (cn-beijing/a10-train, 4 -> 7): +50,856.18 CNY/month" in out


# --- the pricing API through its SDK ---------------------------------------------

@pytest.fixture
def api_credentials(monkeypatch):
    from tests.standin import loopback_only

    loopback_only(monkeypatch)  # a change that drops the stand-in's endpoint fails here instead of contacting Alibaba
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ps.ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ps.ACCESS_KEY_SECRET)


def test_pricing_api_against_the_standin(prod_raw, api_credentials, capsys):
    from hybrid_tools import cost_cli

    platform = load(prod_raw)
    with ps.PricingStandIn() as s:
        rep = cost_cli.report(platform, use_api=True, endpoint=s.endpoint, protocol="http")
        assert s.violations == []
        assert s.calls and all(c.status == 200 for c in s.calls)
    pools = {p.pool: p for p in rep.pools}
    # a10-train from the stand-in: instance 21.50 + its system-disk part 0.10; data disk 2048 GiB PL1 x 0.0016
    a10 = pools["a10-train"]
    assert (a10.instance, a10.system_disk, a10.data_disk) == (Decimal("21.60"), Decimal(0), Decimal("3.2768"))
    # Spot: limit 60 for the instance, both disks asked as disks: 100 x 0.0016 and 4096 x 0.0032
    a100 = pools["a100-burst"]
    assert (a100.instance, a100.system_disk, a100.data_disk) == (Decimal(60), Decimal("0.16"), Decimal("13.1072"))
    assert "DescribePrice" in rep.source
    kinds = sorted(c.query["ResourceType"] for c in s.calls)
    assert kinds.count("instance") == 2  # the two pay-as-you-go pools
    inst = next(c.query for c in s.calls if c.query.get("InstanceType") == "ecs.gn7i-c32g1.8xlarge")
    assert inst["SystemDisk.Category"] == "cloud_essd" and inst["SystemDisk.Size"] == "100" and inst["PriceUnit"] == "Hour"
    assert capsys.readouterr().err == ""


def test_standin_rejects_a_wrong_signature(prod_raw, monkeypatch, capsys):
    from hybrid_tools import cost_cli

    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ps.ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
    platform = load(prod_raw)
    with ps.PricingStandIn() as s:
        rep = cost_cli.report(platform, use_api=True, endpoint=s.endpoint, protocol="http")
    assert any("signature does not verify" in v for v in s.violations)
    assert "StandIn.InvalidRequest" in capsys.readouterr().err
    assert rep.source.startswith("price table")  # fell back


def test_unreachable_api_falls_back_to_the_table(tmp_path, api_credentials, capsys):
    import socket

    from hybrid_tools import cli

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = ["--pricing-api", "--pricing-endpoint", f"127.0.0.1:{port}", "--pricing-protocol", "http"]
    assert cli.main(["cost", "--stack", "prod", *args]) == 0
    cap = capsys.readouterr()
    assert f"pricing API at 127.0.0.1:{port} failed: unreachable (connection refused); using the stack's price table instead." in cap.err
    assert "67,808.24" in cap.out
    assert cli.main(["plan", "--stack", "prod", "--out", str(tmp_path), "--no-policy", *args]) == 0
    assert "unreachable" in capsys.readouterr().err
    assert json.loads((tmp_path / "prod/cost.json").read_text())["source"].startswith("price table")


def test_no_price_table_and_no_api(dev_raw, capsys):
    from hybrid_tools import cli

    assert "pricing" not in dev_raw
    assert cli.main(["cost", "--stack", "dev"]) == 2
    assert "pricing" in capsys.readouterr().err
