"""hybrid_tools/usage_cli.py: ``hybrid-gpu usage``, in-process, against the Prometheus API stand-in
(tests/prom_api_standin.py) on 127.0.0.1, loaded with the stack's own recording rules.

Hand-worked week-end of prod (rules every 60 s, so a sample is 1/60 GPU-hour; --since 2h --step 1h
--end 2026-11-29T00:00:00Z: two windows ending 23:00 and 00:00), pool a10-train (4 x 1 A10, owner
ml-platform, 23.222 CNY per instance-hour from prod's price table):
  present 240 + 240 samples = 8 GPU-h (paid 4 x 2 h = 8); busy 120 + 60 = 3 GPU-h; allocated
  180 + 180 = 6; used (utilisation / 100 summed) 90 + 30 = 2; idle 1 - 3/8 = 62.5 %;
  cost 4 x 23.222 x 2 = 185.776 CNY; per busy GPU-h 185.776 / 3 = 61.9253; energy increase
  7.2e9 mJ = 2 kWh; lease ends 2027-06-30, 29 days after HYBRID_TODAY 2027-06-01: busy share
  37.5 %, between 10 % and 50 %: shrink to ceil(1.5 mean busy GPUs / 0.5 / 1) = 3 instances.
Names resolve to loopback only (tests/standin.py loopback_only).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone

import pytest

from hybrid import gpu_metrics as gm
from hybrid.model import load
from hybrid_tools import cli, usage_cli
from hybrid_tools.errors import InputError
from tests.conftest import help_text, stack_raw
from tests.prom_api_standin import PromApi, api_groups
from tests.standin import loopback_only

END = "2026-11-29T00:00:00Z"
T2 = datetime(2026, 11, 29, tzinfo=timezone.utc).timestamp()
T1 = T2 - 3600
POOL = {"pool": "a10-train", "owner": "ml-platform"}


def _series(*values: str, metric=None) -> list[dict]:
    return [{"metric": metric or POOL, "values": [[t, v] for t, v in zip((T1, T2), values)]}]


RANGES = {gm.record_name("pool_owner", gm.PRESENT): _series("240", "240"), gm.record_name("pool_owner", gm.BUSY): _series("120", "60"),
          gm.record_name("pool_owner", gm.ALLOCATED): _series("180", "180"), gm.record_name("pool_owner", gm.USED): _series("90", "30")}
INSTANT = {gm.ENERGY: [{"metric": {"pool": "a10-train"}, "value": [T2, "7.2e9"]}],
           gm.record_name("namespace_workload", gm.ALLOCATED): [{"metric": {"namespace": "ml-platform", "workload": "train"},
                                                                 "value": [T2, "360"]}],
           gm.record_name("namespace_workload", gm.BUSY): [{"metric": {"namespace": "ml-platform", "workload": "train"},
                                                            "value": [T2, "180"]}],
           gm.record_name("namespace_workload", gm.USED): [{"metric": {"namespace": "ml-platform", "workload": "train"},
                                                            "value": [T2, "120"]}]}
A10 = {"pool": "a10-train", "owner": "ml-platform", "kind": "fixed", "gpus": 4, "gpuHoursPaid": 8.0, "gpuHoursReporting": 8.0,
       "gpuHoursBusy": 3.0, "gpuHoursAllocated": 6.0, "gpuHoursUsed": 2.0, "idleShare": 0.625, "cost": 185.78,
       "costPerBusyGpuHour": 61.9253, "energyKwh": 2.0}


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    loopback_only(monkeypatch)
    monkeypatch.setenv("HYBRID_TODAY", "2027-06-01")


def _groups(stack: str = "prod") -> list[dict]:
    return api_groups(gm.rules(load(stack_raw(stack))))


@pytest.fixture
def prom():
    with PromApi(_groups(), RANGES, INSTANT) as p:
        yield p


def _args(prom_url: str, **kw) -> argparse.Namespace:
    base = dict(stack="prod", config=None, prometheus=prom_url, since="2h", step="1h", end=END, pool=["a10-train"], lease_days=30)
    return argparse.Namespace(**{**base, **kw})


def _usage(capsys, url: str, *extra: str) -> tuple[int, str, str]:
    rc = cli.main(["usage", "--stack", "prod", "--prometheus", url, "--since", "2h", "--step", "1h", "--end", END, *extra])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_the_hand_worked_pool(prom, capsys):
    rc, out, err = _usage(capsys, prom.url, "--pool", "a10-train", "--format", "json")
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    assert out == json.dumps(doc, indent=2, sort_keys=True) + "\n"
    assert (doc["start"], doc["end"], doc["hours"], doc["busyThresholdPercent"], doc["ruleIntervalSeconds"], doc["currency"]) == (
        "2026-11-28T22:00:00Z", END, 2.0, 10.0, 60, "CNY")
    assert doc["pools"] == [A10]
    assert doc["namespaces"] == [{"namespace": "ml-platform", "workload": "train", "gpuHoursAllocated": 6.0, "gpuHoursBusy": 3.0,
                                  "gpuHoursUsed": 2.0, "meanGpusAllocated": 3.0, "meanGpusUsed": 1.0}]
    assert doc["leases"]["withinDays"] == 30
    assert doc["leases"]["endingSoon"] == [{"pool": "a10-train", "owner": "ml-platform", "end": "2027-06-30", "daysLeft": 29,
                                            "busyShare": 0.375, "recommendation": "shrink", "count": 4, "newCount": 3}]
    assert doc["notes"] == []


def test_the_queries_sent(prom, capsys):
    assert _usage(capsys, prom.url, "--pool", "a10-train")[0] == 0
    paths = [p for p, _ in prom.requests]
    assert paths == ["/api/v1/rules"] + ["/api/v1/query_range"] * 4 + ["/api/v1/query"] * 4
    assert prom.requests[0][1] == {"type": "record"}
    for (_, q), what in zip(prom.requests[1:5], (gm.PRESENT, gm.BUSY, gm.ALLOCATED, gm.USED)):
        # windows [t - 1 h + 1 ms, t]: 3,599,999 ms, one step apart, the first ending an hour after the start
        assert q == {"query": f"sum_over_time({gm.record_name('pool_owner', what)}[3599999ms])", "start": f"{T1:.3f}",
                     "end": f"{T2:.3f}", "step": "3600"}
    assert prom.requests[5][1] == {"query": f"sum by (pool) (increase({gm.ENERGY}[7200s]))", "time": f"{T2:.3f}"}
    for (_, q), what in zip(prom.requests[6:], (gm.ALLOCATED, gm.BUSY, gm.USED)):
        assert q == {"query": f"sum_over_time({gm.record_name('namespace_workload', what)}[7199999ms])", "time": f"{T2:.3f}"}


def test_series_means_per_window_and_times(prom):
    rep = usage_cli.build(_args(prom.url))
    assert rep.times == [T1, T2]
    # mean GPUs over each hour: 240 samples x 1/60 h = 4 GPU-h in 1 h = 4 GPUs
    assert rep.series == {"a10-train": {gm.PRESENT: [4.0, 4.0], gm.BUSY: [2.0, 1.0], gm.ALLOCATED: [3.0, 3.0], gm.USED: [1.5, 0.5]}}


def test_a_window_without_a_sample_counts_zero_and_series_add_up_by_pool(capsys):
    ranges = dict(RANGES)
    other = {"pool": "a10-train", "owner": "someone"}
    ranges[gm.record_name("pool_owner", gm.PRESENT)] = [{"metric": POOL, "values": [[T2, "240"]]},
                                                       {"metric": other, "values": [[T1, "60"], [T2, "60"]]}]
    with PromApi(_groups(), ranges, INSTANT) as p:
        rep = usage_cli.build(_args(p.url))
    assert rep.series["a10-train"][gm.PRESENT] == [1.0, 5.0]
    assert rep.pools[0].reporting == pytest.approx(6.0)


def test_every_pool_of_the_stack_and_the_ones_it_does_not_know(capsys):
    ranges = dict(RANGES)
    ranges[gm.record_name("pool_owner", gm.PRESENT)] = RANGES[gm.record_name("pool_owner", gm.PRESENT)] + [
        {"metric": {"pool": "a10-elastic", "owner": ""}, "values": [[T2, "120"]]},
        {"metric": {"pool": "idc", "owner": "x"}, "values": [[T2, "60"]]},
        {"metric": {"pool": "idc", "owner": "b"}, "values": [[T2, "60"]]},
        {"metric": {"owner": "y"}, "values": [[T2, "30"]]}]
    with PromApi(_groups(), ranges, INSTANT) as p:
        rc, out, _ = _usage(capsys, p.url, "--format", "json", "--lease-days", "0")
    assert rc == 0
    doc = json.loads(out)
    pools = {u["pool"]: u for u in doc["pools"]}
    assert list(pools) == ["a10-train", "a100-burst", "t4-infer", "a10-overflow", "a10-elastic", "(no pool label)", "idc"]
    assert (pools["a10-elastic"]["kind"], pools["a10-elastic"]["gpuHoursPaid"], pools["a10-elastic"]["gpus"],
            pools["a10-elastic"]["cost"], pools["a10-elastic"]["owner"]) == ("elastic", 2.0, 0, None, "-")
    assert (pools["idc"]["kind"], pools["idc"]["owner"], pools["idc"]["gpuHoursReporting"], pools["idc"]["gpuHoursPaid"]) == (
        "not in stack", "b,x", 2.0, 0.0)
    assert pools["(no pool label)"]["owner"] == "y"
    assert pools["a100-burst"]["gpuHoursPaid"] == 2 * 4 * 2.0  # 2 instances x 4 A100 (ecs.gn7e-c16g1.16xlarge), 2 h
    assert doc["notes"] == [
        "pool a100-burst: no GPU of it reported in the range (exporter missing, or nodes down); busy is 0.",
        "pool t4-infer: no GPU of it reported in the range (exporter missing, or nodes down); busy is 0.",
        "pool a10-overflow: no GPU of it reported in the range (exporter missing, or nodes down); busy is 0.",
        "pool (no pool label): reports GPUs but is not a pool of the stack (IDC, or a pool since removed); not priced.",
        "pool idc: reports GPUs but is not a pool of the stack (IDC, or a pool since removed); not priced."]
    # within 0 days of 2027-06-01: the leases already over (a100-burst 2027-03-31, a10-overflow 2027-02-28), no GPU busy: release
    assert [(x["pool"], x["daysLeft"], x["recommendation"], x["newCount"]) for x in doc["leases"]["endingSoon"]] == [
        ("a100-burst", -62, "release", 0), ("a10-overflow", -93, "release", 0)]


def test_leases_listed_within_the_days_asked(prom):
    assert [x.pool for x in usage_cli.build(_args(prom.url, lease_days=29)).leases] == ["a10-train"]
    assert usage_cli.build(_args(prom.url, lease_days=28)).leases == []


def test_a_stack_without_prices_reports_no_cost_and_says_why(capsys):
    ranges = {k: [{**s, "metric": {"pool": "a10-dev", "owner": "ml-platform"}} for s in v] for k, v in RANGES.items()}
    with PromApi(_groups("dev"), ranges, {}) as p:
        rc = cli.main(["usage", "--stack", "dev", "--prometheus", p.url, "--since", "2h", "--step", "1h", "--end", END, "--format", "json"])
    cap = capsys.readouterr()
    assert rc == 0
    assert cap.err == "hybrid-gpu usage: the stack has no price table (hybrid-gpu-platform:pricing); the report has no cost figures.\n"
    doc = json.loads(cap.out)
    assert doc["currency"] == "CNY" and doc["pools"][0]["cost"] is None


def test_table_and_markdown(prom, capsys):
    from hybrid import usage

    rc, out, _ = _usage(capsys, prom.url, "--pool", "a10-train")
    assert rc == 0 and out == usage.render(usage_cli.build(_args(prom.url))) + "\n"
    assert out.startswith("GPU usage of stack 'prod': 2026-11-28T22:00:00Z .. 2026-11-29T00:00:00Z (2 h); busy = utilisation above 10 %")
    rc, out, _ = _usage(capsys, prom.url, "--pool", "a10-train", "--format", "md")
    assert rc == 0 and out == usage.render(usage_cli.build(_args(prom.url)), md=True) + "\n" and out.startswith("## GPU usage")


def test_the_chart_is_a_png(prom, capsys, tmp_path):
    png = tmp_path / "a" / "usage.png"
    rc, _, err = _usage(capsys, prom.url, "--pool", "a10-train", "--png", str(png))
    assert rc == 0 and err == f"chart: {png}\n"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rules_out_writes_the_stacks_rules(tmp_path, capsys):
    f = tmp_path / "r.yml"
    assert cli.main(["usage", "--stack", "prod", "--rules-out", str(f)]) == 0
    assert f.read_text() == gm.rules_text(load(stack_raw("prod")))
    n = len(gm.rules(load(stack_raw("prod")))["groups"][0]["rules"])
    assert capsys.readouterr().out == f"{f}: recording rules (hybrid-gpu-usage, {n} rules)\n"


def test_without_prometheus_is_one_line(capsys):
    assert cli.main(["usage", "--stack", "prod"]) == 2
    assert capsys.readouterr().err == ("hybrid-gpu: --prometheus is missing. Fix: pass the Prometheus base URL, "
                                       "e.g. --prometheus http://prometheus:9090.\n")


@pytest.mark.parametrize("text", ["", "7", "d", "0d", "7y", "-1h", "1.5h", " 7d", "7d "])
def test_durations_that_are_not_one(text):
    with pytest.raises(InputError) as e:
        usage_cli.duration("--since", text)
    assert str(e.value) == f"--since {text!r}: not a duration. Fix: write a number and a unit m, h, d or w, e.g. 7d."


def test_durations():
    assert [usage_cli.duration("--x", t) for t in ("1m", "2h", "3d", "1w", "10m")] == [60, 7200, 259200, 604800, 600]


@pytest.mark.parametrize(("kw", "message"), [
    ({"since": "90m", "step": "1h"}, "--since 90m is not a whole number of --step 1h. Fix: pick a step that divides the range."),
    ({"since": "11001m", "step": "1m"},
     "--since 11001m / --step 1m is 11001 points; Prometheus answers at most 11000. Fix: a larger --step."),
    ({"end": "yesterday"}, "--end 'yesterday': not a time. Fix: write it as YYYY-MM-DDTHH:MM:SSZ."),
    ({"end": "2026-11-29T00:00:00"}, "--end '2026-11-29T00:00:00': no time zone. Fix: end it with Z (UTC)."),
    ({"pool": ["a10-train", "nope"]}, "--pool nope: the stack 'prod' has no such pool (pools: a10-elastic, a10-overflow, a10-train, "
                                      "a100-burst, t4-infer). Fix: name one of them."),
    ({"prometheus": "prometheus:9090"}, "--prometheus 'prometheus:9090': not an http(s) URL. Fix: pass the server's base URL, "
                                        "e.g. http://prometheus:9090."),
    ({"prometheus": None}, "--prometheus None: not an http(s) URL. Fix: pass the server's base URL, e.g. http://prometheus:9090."),
    ({"prometheus": "http:// x"}, "--prometheus 'http:// x': not an http(s) URL. Fix: pass the server's base URL, e.g. http://prometheus:9090."),
])
def test_bad_arguments_are_one_line(kw, message, prom):
    with pytest.raises(InputError) as e:
        usage_cli.build(_args(prom.url, **kw))
    assert str(e.value) == message


def test_the_most_points_prometheus_answers_are_asked():
    with PromApi(_groups(), {}, {}) as prom:
        with pytest.raises(InputError) as e:  # 11000 points pass the limit; this range simply has no samples
            usage_cli.build(_args(prom.url, since="11000m", step="1m"))
    assert "has no samples of" in str(e.value)
    _, q = prom.requests[1]
    assert (float(q["end"]) - float(q["start"])) / 60 == 10999 and q["step"] == "60"


def test_end_defaults_to_now_rounded_down_to_the_step(prom, monkeypatch):
    import time

    before = time.time()
    rep = usage_cli.build(_args(prom.url, end=None, since="2h", step="1h"))
    end = datetime.strptime(rep.end, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    assert end % 3600 == 0 and before - 3600 < end <= time.time()


def test_an_https_url_and_a_trailing_slash(prom):
    assert usage_cli.Prometheus("https://p:9090/").url == "https://p:9090"
    assert usage_cli.Prometheus(prom.url + "/").get("/api/v1/rules", type="record")["groups"][0]["name"] == gm.RULE_GROUP


@pytest.mark.parametrize(("status", "body", "tail"), [
    (400, {"status": "error", "errorType": "bad_data", "error": "parse error"}, "answered 400 to /api/v1/rules: parse error. "
     "Fix: check --prometheus points at the Prometheus API (its /api/v1 answers)."),
    (503, {"status": "error"}, "answered 503 to /api/v1/rules. Fix: check --prometheus points at the Prometheus API (its /api/v1 answers)."),
    (200, {"status": "error", "error": "too many samples"}, "refused /api/v1/rules: too many samples. Fix: check the server's version "
     "(2.x API) and the query range."),
    (200, ["not", "an", "object"], "refused /api/v1/rules: ['not', 'an', 'object']. Fix: check the server's version (2.x API) and "
     "the query range."),
])
def test_prometheus_answers_that_are_not_data(status, body, tail):
    with PromApi([], fail=(status, body)) as p:
        with pytest.raises(InputError) as e:
            usage_cli.build(_args(p.url))
    assert str(e.value) == f"Prometheus at {p.url} {tail}"


def test_an_http_error_whose_body_is_not_json(monkeypatch):
    import http.server
    import threading

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html>not here</html>" if self.path.startswith("/api") else b"{}"
            self.send_response(404 if self.path.startswith("/api/v1/rules") else 200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        with pytest.raises(InputError) as e:
            usage_cli.Prometheus(url).get("/api/v1/rules")
        assert str(e.value) == (f"Prometheus at {url} answered 404 to /api/v1/rules. "
                                "Fix: check --prometheus points at the Prometheus API (its /api/v1 answers).")
        with pytest.raises(InputError) as e:
            usage_cli.Prometheus(url).get("/api/v1/query", query="x")
        assert str(e.value) == f"{url}/api/v1/query did not answer JSON. Fix: pass the Prometheus base URL."
    finally:
        srv.shutdown()


def test_an_unreachable_prometheus():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError) as e:
        usage_cli.Prometheus(f"http://127.0.0.1:{port}").get("/api/v1/rules")
    assert str(e.value) == (f"cannot reach Prometheus at http://127.0.0.1:{port} ([Errno 111] Connection refused). "
                            "Fix: check --prometheus and that the server runs.")


def test_missing_rules_are_named():
    groups = _groups()
    one = [{**groups[0], "rules": [r for r in groups[0]["rules"] if r["name"] != gm.record_name("pool_owner", gm.BUSY)]}]
    with PromApi(one) as p:
        with pytest.raises(InputError) as e:
            usage_cli.build(_args(p.url))
    assert str(e.value) == (f"Prometheus at {p.url} has no recording rule pool_owner:hybrid_gpu_busy:count. Fix: load gpu-usage.rules.yml "
                            "(written by `hybrid-gpu usage --stack S --rules-out FILE`) into its rule_files and reload it.")
    with PromApi([]) as p:
        with pytest.raises(InputError) as e:
            usage_cli.build(_args(p.url))
    assert f"has no recording rule {gm.required_rules()[0]} (and {len(gm.required_rules()) - 1} more). Fix:" in str(e.value)


def test_the_first_group_holding_a_rule_is_the_one_read():
    groups = _groups()
    later = {**groups[0], "name": "later", "interval": 0.0}
    with PromApi(groups + [later], RANGES, INSTANT) as p:
        assert usage_cli.build(_args(p.url)).interval_s == 60


def test_a_rule_without_a_threshold_or_a_group_without_an_interval():
    groups = _groups()
    busy = gm.record_name("pool_owner", gm.BUSY)
    bad = [{**groups[0], "rules": [{**r, "query": "count(x)"} if r["name"] == busy else r for r in groups[0]["rules"]]}]
    with PromApi(bad) as p:
        with pytest.raises(InputError) as e:
            usage_cli.build(_args(p.url))
    assert str(e.value) == f"Prometheus rule {busy} has no threshold ('count(x)'). Fix: load gpu-usage.rules.yml again."
    for interval in (0.0, 0.4):
        with PromApi([{**groups[0], "interval": interval}]) as p:
            with pytest.raises(InputError) as e:
                usage_cli.build(_args(p.url))
        assert str(e.value) == "Prometheus group hybrid-gpu-usage has no evaluation interval. Fix: load gpu-usage.rules.yml again."
    with PromApi([{**groups[0], "interval": 29.6}], RANGES, INSTANT) as p:
        assert usage_cli.build(_args(p.url)).interval_s == 30  # rounded to whole seconds


def test_rules_with_another_threshold_than_the_stacks():
    raw = stack_raw("prod")
    raw["metrics"]["busyThresholdPercent"] = 25
    with PromApi(api_groups(gm.rules(load(raw))), RANGES, INSTANT) as p:
        with pytest.raises(InputError) as e:
            usage_cli.build(_args(p.url))
    assert str(e.value) == ("Prometheus's rules count a GPU busy above 25 %, the stack says metrics.busyThresholdPercent 10. "
                            "Fix: load the stack's gpu-usage.rules.yml into Prometheus (or set the stack's threshold to 25).")


def test_a_range_without_samples_names_it():
    with PromApi(_groups(), {}, INSTANT) as p:
        with pytest.raises(InputError) as e:
            usage_cli.build(_args(p.url))
    assert str(e.value) == (f"Prometheus at {p.url} has no samples of pool_owner:hybrid_gpu_present:count between "
                            "2026-11-28T22:00:00Z and 2026-11-29T00:00:00Z. Fix: pick --since/--end where the exporter reported, "
                            "or check the scrape job.")


def test_today_comes_from_the_one_clock(monkeypatch):
    monkeypatch.setenv("HYBRID_TODAY", "nonsense")
    with pytest.raises(InputError) as e:
        usage_cli._today()
    assert "HYBRID_TODAY" in str(e.value) and "'nonsense' is not a date" in str(e.value)


def test_help_names_every_flag_and_default(capsys):
    text = help_text(capsys, "usage")
    for part in ("--prometheus PROMETHEUS Prometheus base URL (its /api/v1 is read)",
                 "--since SINCE range length ending at --end: N m/h/d/w; default 7d",
                 "--end END range end, YYYY-MM-DDTHH:MM:SSZ; default now, rounded down to --step",
                 "--step STEP chart resolution (and query step); default 1h", "--pool POOL only this pool (repeatable)",
                 "--lease-days LEASE_DAYS list leases ending within this many days; default 30",
                 "--format {table,json,md} table: per pool in the terminal; json: the report as data; md: for a PR or a weekly report",
                 "--png PNG write the chart (one panel per pool over time) to this PNG file",
                 "--rules-out RULES_OUT write the stack's recording rules file here and exit (load it into Prometheus)"):
        assert part in text, part
    assert "usage GPU utilisation and cost per pool, lease owner and namespace, from Prometheus" in help_text(capsys)


def test_the_documented_defaults_are_the_defaults(prom, capsys, monkeypatch):
    args = cli.build_parser().parse_args(["usage"])
    assert (args.since, args.step, args.lease_days, args.stack) == ("7d", "1h", 30, "dev")


def _drawn(rep, path):
    """chart(rep, path), and the figure it saved with savefig's keywords (read before it is closed)."""
    import matplotlib.figure

    seen: dict = {}
    real = matplotlib.figure.Figure.savefig

    def savefig(fig, where, **kw):
        seen.update(fig=fig, kw=kw, size=tuple(fig.get_size_inches()))
        return real(fig, where, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(matplotlib.figure.Figure, "savefig", savefig)
        usage_cli.chart(rep, path)
    return seen


def test_the_chart_shows_each_pools_paid_reporting_allocated_and_busy_gpus(prom, tmp_path):
    """What the PNG shows, read off the figure before it is saved (the hand-worked pool: paid 4 GPUs, reporting
    4 and 4, allocated 3 and 3, busy 2 and 1 over the two hours; idle 62.5 %, 61.93 CNY per busy GPU-h)."""
    import matplotlib.colors as mcolors
    import matplotlib.dates as mdates

    png = tmp_path / "deep" / "er" / "u.png"
    seen = _drawn(usage_cli.build(_args(prom.url)), png)
    assert png.is_file()
    fig = seen["fig"]
    assert seen["kw"] == {"dpi": 100, "metadata": {"Software": None}} and seen["size"] == (10, 2.8)
    assert fig.get_suptitle() == f"GPU usage, stack prod, 2026-11-28T22:00:00Z .. {END}"
    (ax,) = fig.axes
    assert ax.get_title() == "a10-train (ml-platform): idle 62.5%, CNY/busy GPU-h 61.93"
    assert ax.title.get_fontsize() == 10
    assert ax.get_ylabel() == "GPUs" and ax.get_ylim()[0] == 0
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert list(lines) == ["paid", "reporting", "allocated", "busy (> 10 %)"]
    expect = {"paid": ([4, 4], "black", "--", 1.5, "default"), "reporting": ([4.0, 4.0], "tab:blue", "-", 2.5, "steps-pre"),
              "allocated": ([3.0, 3.0], "tab:orange", "-", 1.5, "steps-pre"), "busy (> 10 %)": ([2.0, 1.0], "tab:green", "-", 1.5, "steps-pre")}
    # each point at the end of its hour, as UTC instants (matplotlib reads a naive datetime as UTC)
    hours = [mdates.date2num(datetime.fromtimestamp(t, timezone.utc)) for t in (T1, T2)]
    for label, (ys, colour, style, width, draw) in expect.items():
        ln = lines[label]
        assert list(ln.get_ydata()) == ys, label
        assert list(mdates.date2num(ln.get_xdata())) == hours, label
        assert mcolors.same_color(ln.get_color(), colour), label
        assert (ln.get_linestyle(), ln.get_linewidth(), ln.get_drawstyle()) == (style, width, draw), label
    assert lines["paid"].get_zorder() == 5
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(expect)
    assert legend.get_texts()[0].get_fontsize() == 8
    # the legend in the panel's upper right corner
    box, frame = legend.get_window_extent(fig.canvas.get_renderer()), ax.get_window_extent(fig.canvas.get_renderer())
    assert frame.x1 - 20 < box.x1 <= frame.x1 and frame.y1 - 20 < box.y1 <= frame.y1
    assert {g.get_alpha() for g in ax.xaxis.get_gridlines() + ax.yaxis.get_gridlines()} == {0.3}
    assert ax.xaxis.get_major_formatter().fmt == "%m-%d %H:%M"


def test_the_chart_is_drawn_in_utc_whatever_the_local_zone(prom, tmp_path, monkeypatch):
    import time

    import matplotlib.dates as mdates

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        fig = _drawn(usage_cli.build(_args(prom.url)), tmp_path / "u.png")["fig"]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    line = fig.axes[0].get_lines()[-1]
    assert list(mdates.date2num(line.get_xdata())) == [mdates.date2num(datetime.fromtimestamp(t, timezone.utc)) for t in (T1, T2)]


def test_the_same_report_is_the_same_png_whatever_the_users_matplotlibrc(prom, tmp_path):
    import matplotlib
    from cycler import cycler

    rep = usage_cli.build(_args(prom.url))
    usage_cli.chart(rep, tmp_path / "plain.png")
    hostile = {"lines.linewidth": 4.0, "axes.titlesize": 20, "legend.loc": "lower left", "timezone": "Asia/Shanghai",
               "axes.prop_cycle": cycler(color=["red", "green", "blue"]), "font.size": 14, "axes.grid": True}
    with matplotlib.rc_context(hostile):
        usage_cli.chart(rep, tmp_path / "rc.png")
    assert (tmp_path / "rc.png").read_bytes() == (tmp_path / "plain.png").read_bytes()


def test_the_chart_has_a_panel_per_reporting_or_paid_pool(tmp_path):
    ranges = dict(RANGES)
    ranges[gm.record_name("pool_owner", gm.PRESENT)] = RANGES[gm.record_name("pool_owner", gm.PRESENT)] + [
        {"metric": {"pool": "idc", "owner": "x"}, "values": [[T2, "60"]]}]
    with PromApi(_groups(), ranges, INSTANT) as p:
        asked = _drawn(usage_cli.build(_args(p.url, pool=["a10-train", "t4-infer"])), tmp_path / "u.png")
        every = _drawn(usage_cli.build(_args(p.url, pool=None)), tmp_path / "all.png")
    # t4-infer is paid (4 GPUs) without a sample, idc reports but is not asked for: two panels
    titles = [ax.get_title() for ax in asked["fig"].axes]
    assert titles == ["a10-train (ml-platform): idle 62.5%, CNY/busy GPU-h 61.93", "t4-infer (inference): idle 100.0%, CNY/busy GPU-h -"]
    assert asked["size"] == (10, 5.6)
    a10, t4 = asked["fig"].axes
    assert a10.get_shared_x_axes().joined(a10, t4)  # one time axis for every panel
    # a pool paid without a sample draws zeros
    assert [list(ln.get_ydata()) for ln in t4.get_lines()] == [[4, 4], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    # every pool: the four fixed ones (paid), idc (reports, paid nothing: idle unknown); a10-elastic neither reports nor is paid
    assert [ax.get_title().split(":")[0] for ax in every["fig"].axes] == [
        "a10-train (ml-platform)", "a100-burst (llm-research)", "t4-infer (inference)", "a10-overflow (ml-platform)", "idc (x)"]
    assert every["fig"].axes[-1].get_title() == "idc (x): idle -, CNY/busy GPU-h -"
    assert [ln.get_label() for ln in every["fig"].axes[-1].get_lines()] == ["reporting", "allocated", "busy (> 10 %)"]


def test_a_chart_of_pools_that_neither_reported_nor_were_paid_says_so(prom, tmp_path):
    seen = _drawn(usage_cli.build(_args(prom.url, pool=["a10-elastic"])), tmp_path / "u.png")
    (ax,) = seen["fig"].axes
    assert seen["size"] == (10, 2.8) and ax.get_lines() == []
    assert [t.get_text() for t in ax.texts] == ["no GPU of the chosen pools reported or was paid in the range"]
    assert (tmp_path / "u.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_times_are_shown_in_utc_whatever_the_local_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert usage_cli._iso(T2) == END
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_rules_out_reads_the_given_config(tmp_path, capsys):
    import yaml

    doc = yaml.safe_load((cli.Path(__file__).resolve().parents[1] / "stacks" / "Pulumi.prod.yaml").read_text())
    doc["config"]["hybrid-gpu-platform:metrics"]["busyThresholdPercent"] = 25
    cfg = tmp_path / "Pulumi.prod.yaml"
    cfg.write_text(yaml.safe_dump(doc))
    out = tmp_path / "r.yml"
    assert cli.main(["usage", "--stack", "prod", "--config", str(cfg), "--rules-out", str(out)]) == 0
    assert f"{gm.UTIL} > 25)" in out.read_text() and f"{gm.UTIL} > 10)" not in out.read_text()


def test_two_missing_rules_name_the_first_and_one_more():
    groups = _groups()
    gone = {gm.record_name("pool_owner", gm.BUSY), gm.record_name("pool_owner", gm.USED)}
    with PromApi([{**groups[0], "rules": [r for r in groups[0]["rules"] if r["name"] not in gone]}]) as p:
        with pytest.raises(InputError) as e:
            usage_cli.build(_args(p.url))
    first = next(n for n in gm.required_rules() if n in gone)
    assert f"has no recording rule {first} (and 1 more). Fix:" in str(e.value)


def test_a_threshold_prometheus_prints_with_an_exponent():
    # Prometheus 2.42 answers 0.00001 in a rule's query as 1e-05 (its re-printed expression)
    raw = stack_raw("prod")
    raw["metrics"]["busyThresholdPercent"] = 0.00001
    groups = api_groups(gm.rules(load(raw)))
    assert any(f"{gm.UTIL} > 1e-05)" in r["query"] for g in groups for r in g["rules"])
    cfg = _config_file(raw)
    with PromApi(groups, RANGES, INSTANT) as p:
        assert usage_cli.build(_args(p.url, config=str(cfg))).threshold == 0.00001


def test_a_server_whose_rules_lack_a_query_or_an_interval_is_one_line():
    # not Prometheus (its API always sends both), but one line all the same
    groups = _groups()
    busy = gm.record_name("pool_owner", gm.BUSY)
    no_query = [{**groups[0], "rules": [{k: v for k, v in r.items() if k != "query"} if r["name"] == busy else r
                                        for r in groups[0]["rules"]]}]
    with PromApi(no_query) as p:
        with pytest.raises(InputError) as e:
            usage_cli.build(_args(p.url))
    assert str(e.value) == f"Prometheus rule {busy} has no threshold (None). Fix: load gpu-usage.rules.yml again."
    with PromApi([{k: v for k, v in groups[0].items() if k != "interval"}]) as p:
        with pytest.raises(InputError) as e:
            usage_cli.build(_args(p.url))
    assert str(e.value) == "Prometheus group hybrid-gpu-usage has no evaluation interval. Fix: load gpu-usage.rules.yml again."
    with PromApi([{**groups[0], "interval": 1.0}], RANGES, INSTANT) as p:  # Prometheus takes a 1 s interval
        assert usage_cli.build(_args(p.url)).interval_s == 1


def _config_file(raw: dict, stack: str = "prod"):
    import tempfile
    from pathlib import Path

    import yaml

    d = Path(tempfile.mkdtemp(prefix="usage-cfg-"))
    f = d / f"Pulumi.{stack}.yaml"
    f.write_text(yaml.safe_dump({"config": {f"hybrid-gpu-platform:{k}": v for k, v in raw.items()}}))
    return f


def test_the_stack_config_given_is_the_one_read(prom):
    raw = stack_raw("prod")
    pool = next(p for r in raw["regions"] for p in r.get("gpuPools", []) if p["name"] == "a10-train")
    pool["lease"]["owner"] = "vision"
    rep = usage_cli.build(_args(prom.url, config=str(_config_file(raw))))
    assert [(u.pool, u.owner) for u in rep.pools] == [("a10-train", "vision")]


@pytest.mark.parametrize(("kw", "message"), [
    ({"since": "0h"}, "--since '0h': not a duration."),
    ({"step": "h"}, "--step 'h': not a duration."),
])
def test_a_bad_duration_names_its_flag(kw, message, prom):
    with pytest.raises(InputError) as e:
        usage_cli.build(_args(prom.url, **kw))
    assert str(e.value).startswith(message)


def test_a_stack_without_pools_says_none(prom):
    raw = stack_raw("dev")
    for r in raw["regions"]:
        r.pop("gpuPools", None)
    with pytest.raises(InputError) as e:
        usage_cli.build(_args(prom.url, stack="dev", config=str(_config_file(raw, "dev"))))
    assert str(e.value) == "--pool a10-train: the stack 'dev' has no such pool (pools: none). Fix: name one of them."


def test_a_trailing_slash_alone_is_dropped_from_the_url():
    assert usage_cli.Prometheus("http://prometheus-X/").url == "http://prometheus-X"


def test_a_prometheus_that_never_answers_is_given_up_after_the_timeout(monkeypatch):
    import socket

    monkeypatch.setattr(usage_cli, "TIMEOUT_S", 0.3)
    with socket.socket() as s:  # the kernel completes the handshake; nobody ever reads or answers
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        with pytest.raises(InputError) as e:
            usage_cli.Prometheus(url).get("/api/v1/rules", type="record")
    assert str(e.value) == f"cannot reach Prometheus at {url} (timed out). Fix: check --prometheus and that the server runs."


def test_series_without_a_pool_or_owner_label():
    # a series of no pool of the stack, without an owner label; the energy of the series without a pool label
    ranges = dict(RANGES)
    ranges[gm.record_name("pool_owner", gm.PRESENT)] = RANGES[gm.record_name("pool_owner", gm.PRESENT)] + [
        {"metric": {"pool": "idc"}, "values": [[T2, "60"]]}, {"metric": {"owner": "y"}, "values": [[T2, "60"]]}]
    instant = {**INSTANT, gm.ENERGY: INSTANT[gm.ENERGY] + [{"metric": {}, "value": [T2, "3.6e9"]}]}
    with PromApi(_groups(), ranges, instant) as p:
        rep = usage_cli.build(_args(p.url, pool=None))
    pools = {u.pool: u for u in rep.pools}
    assert pools["idc"].owner == "-" and pools["(no pool label)"].owner == "y"
    assert pools["(no pool label)"].energy_kwh == 1.0 and pools["idc"].energy_kwh is None
    # 7.2e9 mJ over the range: 7.2e9 / 3.6e9 mJ per kWh = 2 kWh exactly
    assert pools["a10-train"].energy_kwh == 2.0


def test_a_step_longer_than_an_hour_is_the_mean_over_its_window():
    # one 2 h window ending T2 with 480 one-minute samples: 8 GPU-hours over 2 h = 4 GPUs on average
    ranges = {k: [{"metric": POOL, "values": [[T2, str(2 * float(s["values"][0][1]))]]} for s in v] for k, v in RANGES.items()}
    with PromApi(_groups(), ranges, INSTANT) as p:
        rep = usage_cli.build(_args(p.url, since="2h", step="2h"))
    assert rep.times == [T2] and rep.series["a10-train"][gm.PRESENT] == [4.0]


def test_the_empty_charts_note_is_centred(prom, tmp_path):
    seen = _drawn(usage_cli.build(_args(prom.url, pool=["a10-elastic"])), tmp_path / "u.png")
    (ax,) = seen["fig"].axes
    renderer = seen["fig"].canvas.get_renderer()
    box, frame = ax.texts[0].get_window_extent(renderer), ax.get_window_extent(renderer)
    assert abs((box.x0 + box.x1) / 2 - (frame.x0 + frame.x1) / 2) < 2
    assert abs((box.y0 + box.y1) / 2 - (frame.y0 + frame.y1) / 2) < 2


def test_every_pools_row_in_full_with_labels_missing_here_and_there():
    """Each row's figures worked by hand (rules every 60 s: a sample is 1/60 GPU-hour; 2 h range):
    a10-train as in the module docstring; a100-burst (lease removed here) 2 x 4 A100 paid 2 x 4 x 2 = 16
    GPU-h, nothing reported, owner "-"; t4-infer 4 x 1 T4 = 8; a10-overflow 2 x 1 A10 = 4; a10-elastic
    120 samples = 2 GPU-h, paid as reported, 1 kWh; the series of no stack pool: idc (owners b, x; 60 + 60
    samples = 2; 2 kWh) and old (no owner label: 30 samples = 0.5). Namespaces: a series without a
    namespace label and one with only a busy figure."""
    raw = stack_raw("prod")
    burst = next(p for r in raw["regions"] for p in r.get("gpuPools", []) if p["name"] == "a100-burst")
    del burst["lease"]
    ranges = dict(RANGES)
    ranges[gm.record_name("pool_owner", gm.PRESENT)] = RANGES[gm.record_name("pool_owner", gm.PRESENT)] + [
        {"metric": {"pool": "a10-elastic", "owner": ""}, "values": [[T2, "120"]]},
        {"metric": {"pool": "idc", "owner": "x"}, "values": [[T2, "60"]]},
        {"metric": {"pool": "idc", "owner": "b"}, "values": [[T2, "60"]]},
        {"metric": {"pool": "old"}, "values": [[T2, "30"]]}]
    # a10-elastic busy 60, allocated 90, used 30 samples; ghost (no stack pool) all but reporting: 30, 60, 15
    for what, elastic, ghost in ((gm.BUSY, "60", "30"), (gm.ALLOCATED, "90", "60"), (gm.USED, "30", "15")):
        name = gm.record_name("pool_owner", what)
        ranges[name] = RANGES[name] + [{"metric": {"pool": "a10-elastic", "owner": ""}, "values": [[T2, elastic]]},
                                       {"metric": {"pool": "ghost", "owner": "z"}, "values": [[T2, ghost]]}]
    energy = [{"metric": {"pool": p}, "value": [T2, str(kwh * 3.6e9)]} for p, kwh in (("a10-train", 2), ("a10-elastic", 1), ("idc", 2))]
    busy_ns, alloc_ns = gm.record_name("namespace_workload", gm.BUSY), gm.record_name("namespace_workload", gm.ALLOCATED)
    instant = {**INSTANT, gm.ENERGY: energy,
               busy_ns: INSTANT[busy_ns] + [{"metric": {"workload": "w"}, "value": [T2, "60"]},
                                            {"metric": {"namespace": "ml-platform", "workload": "only-busy"}, "value": [T2, "120"]},
                                            {"metric": {"namespace": "ns2"}, "value": [T2, "60"]}],
               alloc_ns: INSTANT[alloc_ns] + [{"metric": {"namespace": "ml-platform", "workload": "only-alloc"}, "value": [T2, "180"]}]}
    with PromApi(_groups(), ranges, instant) as p:
        rep = usage_cli.build(_args(p.url, config=str(_config_file(raw)), pool=None))
    rows = [(u.pool, u.owner, u.kind, u.gpus, u.gpus_per_instance, u.count, u.paid, u.reporting, u.busy, u.allocated, u.used,
             u.energy_kwh) for u in rep.pools]
    assert rows == [
        ("a10-train", "ml-platform", "fixed", 4, 1, 4, 8.0, 8.0, 3.0, 6.0, 2.0, 2.0),
        ("a100-burst", "-", "fixed", 8, 4, 2, 16.0, 0.0, 0.0, 0.0, 0.0, None),
        ("t4-infer", "inference", "fixed", 4, 1, 4, 8.0, 0.0, 0.0, 0.0, 0.0, None),
        ("a10-overflow", "ml-platform", "fixed", 2, 1, 2, 4.0, 0.0, 0.0, 0.0, 0.0, None),
        ("a10-elastic", "-", "elastic", 0, 0, 0, 2.0, 2.0, 1.0, 1.5, 0.5, 1.0),
        ("ghost", "z", "not in stack", 0, 0, 0, 0.0, 0.0, 0.5, 1.0, 0.25, None),
        ("idc", "b,x", "not in stack", 0, 0, 0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0),
        ("old", "-", "not in stack", 0, 0, 0, 0.0, 0.5, 0.0, 0.0, 0.0, None)]
    # namespace rows: (namespace, workload, allocated, busy, used) GPU-hours; a missing label reads ""
    assert [(n.namespace, n.workload, n.allocated, n.busy, n.used) for n in rep.namespaces] == [
        ("", "w", 0.0, 1.0, 0.0), ("ml-platform", "only-alloc", 3.0, 0.0, 0.0), ("ml-platform", "only-busy", 0.0, 2.0, 0.0),
        ("ml-platform", "train", 6.0, 3.0, 2.0), ("ns2", "", 0.0, 1.0, 0.0)]


def test_an_elastic_pool_without_a_sample_is_all_zero(prom):
    # prod's a10-elastic reports nothing in the hand-worked series: paid as reported, 0
    rep = usage_cli.build(_args(prom.url, pool=None))
    (u,) = [u for u in rep.pools if u.pool == "a10-elastic"]
    assert (u.kind, u.paid, u.reporting, u.busy, u.allocated, u.used, u.energy_kwh) == ("elastic", 0.0, 0.0, 0.0, 0.0, 0.0, None)
