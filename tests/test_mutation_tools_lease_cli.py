"""hybrid_tools/lease_cli.py: ``hybrid-gpu lease renew|release``, in-process (``cli.main`` and ``edit``).

Every test edits a copy of stacks/Pulumi.prod.yaml under tmp_path (``--config``). Hand-read facts of
that file: pool a10-train (cn-beijing, owner ml-platform) has ``end: "2027-06-30"`` and ``count: 4``;
a100-burst (cn-beijing, owner llm-research) ``count: 2``; t4-infer (cn-hangzhou) ``end: "2027-12-31"``.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from hybrid_tools import cli, lease_cli
from hybrid_tools.errors import InputError
from tests.conftest import help_text, ROOT

PROD = ROOT / "stacks" / "Pulumi.prod.yaml"
A10_END = '            end: "2027-06-30"'


@pytest.fixture
def cfg(tmp_path) -> Path:
    f = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(PROD, f)
    return f


def _lease(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(["lease", *argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _changed(a: str, b: str) -> list[tuple[str, str]]:
    la, lb = a.splitlines(), b.splitlines()
    assert len(la) == len(lb)
    return [(x, y) for x, y in zip(la, lb) if x != y]


def test_renew_prints_the_change_the_diff_and_where_it_wrote(cfg, capsys):
    rc, out, err = _lease(capsys, "renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2027-12-31", "--count", "3")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "lease renew a10-train (cn-beijing, owner ml-platform): end 2027-06-30 -> 2027-12-31, count 4 -> 3"
    assert lines[1:3] == [f"--- {cfg}", f"+++ {cfg}"]  # a path outside the project is shown as given
    assert [x for x in lines if x[:1] in "+-" and x[:3] not in ("+++", "---")] == [
        "-" + A10_END, '+            end: "2027-12-31"', "-          count: 4", "+          count: 3"]
    assert lines[-1] == f"{cfg}: written; review and commit it (the plan and the policy pack check the new lease)."
    assert _changed(PROD.read_text(), cfg.read_text()) == [(A10_END, '            end: "2027-12-31"'),
                                                           ("          count: 4", "          count: 3")]


def test_release_sets_the_count_to_zero_and_keeps_every_other_byte(cfg, capsys):
    rc, out, _ = _lease(capsys, "release", "a100-burst", "--stack", "prod", "--config", str(cfg))
    assert rc == 0
    assert out.splitlines()[0] == "lease release a100-burst (cn-beijing, owner llm-research): count 2 -> 0"
    assert _changed(PROD.read_text(), cfg.read_text()) == [("          count: 2", "          count: 0")]
    rc, out, _ = _lease(capsys, "release", "a100-burst", "--stack", "prod", "--config", str(cfg))
    assert (rc, out) == (0, "lease release a100-burst (cn-beijing, owner llm-research): nothing to change\n")


def test_dry_run_writes_nothing(cfg, capsys):
    rc, out, _ = _lease(capsys, "renew", "t4-infer", "--stack", "prod", "--config", str(cfg), "--until", "2028-12-31", "--dry-run")
    assert rc == 0 and cfg.read_bytes() == PROD.read_bytes()
    assert '+            end: "2028-12-31"' in out.splitlines() and "written" not in out


def test_json_is_the_change_as_data(cfg, capsys):
    rc, out, _ = _lease(capsys, "renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2027-12-31", "--format", "json")
    assert rc == 0
    doc = json.loads(out)
    assert out == json.dumps(doc, indent=2) + "\n"
    assert {k: v for k, v in doc.items() if k != "diff"} == {
        "action": "renew", "stack": "prod", "pool": "a10-train", "region": "cn-beijing", "owner": "ml-platform",
        "end": {"old": "2027-06-30", "new": "2027-12-31"}, "count": None,
        "file": str(cfg), "dryRun": False, "written": True, "usage": None, "recommendation": None}
    assert doc["diff"].startswith(f"--- {cfg}\n+++ {cfg}\n@@ ")


def test_the_stack_file_itself_is_shown_relative_to_the_project(capsys, monkeypatch):
    before = PROD.read_bytes()
    rc, out, _ = _lease(capsys, "release", "a100-burst", "--stack", "prod", "--dry-run", "--format", "json")
    assert rc == 0 and PROD.read_bytes() == before
    doc = json.loads(out)
    assert (doc["file"], doc["dryRun"], doc["written"], doc["end"], doc["count"]) == (
        "stacks/Pulumi.prod.yaml", True, False, None, {"old": 2, "new": 0})
    assert doc["diff"].splitlines()[:2] == ["--- a/stacks/Pulumi.prod.yaml", "+++ b/stacks/Pulumi.prod.yaml"]
    rc, out, _ = _lease(capsys, "release", "a100-burst", "--stack", "prod", "--dry-run")
    assert out.splitlines()[1:3] == ["--- a/stacks/Pulumi.prod.yaml", "+++ b/stacks/Pulumi.prod.yaml"]


def test_a_relative_config_keeps_its_a_b_prefixes(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    rc, out, _ = _lease(capsys, "release", "a100-burst", "--stack", "prod", "--config", "stacks/../stacks/Pulumi.prod.yaml", "--dry-run")
    assert rc == 0 and out.splitlines()[1:3] == ["--- a/stacks/../stacks/Pulumi.prod.yaml", "+++ b/stacks/../stacks/Pulumi.prod.yaml"]


def test_md_summary(cfg, capsys):
    rc, out, _ = _lease(capsys, "renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2028-01-31", "--count", "2",
                        "--dry-run", "--format", "md")
    assert rc == 0
    lines = out.splitlines()
    assert lines[:6] == ["### lease renew `a10-train` (cn-beijing, owner ml-platform)", "",
                         "| field | old | new |", "|---|---|---|", "| `lease.end` | 2027-06-30 | 2028-01-31 |", "| `count` | 4 | 2 |"]
    assert lines[6:9] == ["", f"`{cfg}`: dry run, nothing written.", ""]
    assert lines[9] == "```diff" and lines[-1] == "```" and lines[10] == f"--- {cfg}"
    rc, out, _ = _lease(capsys, "renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2028-01-31", "--format", "md")
    assert f"`{cfg}`: written; review and commit it." in out.splitlines()


def test_md_of_nothing_to_change(cfg, capsys):
    assert _lease(capsys, "release", "a100-burst", "--stack", "prod", "--config", str(cfg))[0] == 0
    rc, out, _ = _lease(capsys, "release", "a100-burst", "--stack", "prod", "--config", str(cfg), "--format", "md")
    assert out == ("### lease release `a100-burst` (cn-beijing, owner llm-research)\n\nNothing to change.\n\n"
                   f"`{cfg}`: nothing to change.\n")


def test_md_fences_a_diff_that_holds_a_fence_with_four_backticks():
    doc = {"action": "renew", "pool": "p", "region": "r", "owner": None, "end": None, "count": None, "file": "f",
           "dryRun": False, "written": False, "usage": None, "recommendation": None}
    assert lease_cli._md(doc, ["```x\n"]) == ("### lease renew `p` (r, owner -)\n\nNothing to change.\n\n`f`: nothing to change.\n\n"
                                             "````diff\n```x\n````\n")
    assert lease_cli._md(doc, ["a``` \n"]).endswith("\n```diff\na``` \n```\n")  # only a line's newline is dropped


def test_md_shows_usage_and_the_recommendation():
    doc = {"action": "release", "pool": "p", "region": "r", "owner": "o", "end": None, "count": {"old": 2, "new": 0}, "file": "f",
           "dryRun": True, "written": False,
           "usage": {"start": "S", "end": "E", "currency": "CNY", "gpuHoursPaid": 1344.0, "gpuHoursBusy": 1234.5,
                     "busyShare": 0.25, "costPerBusyGpuHour": 1234.5678},
           "recommendation": {"action": "release", "count": 2, "newCount": 0, "rule": "R"}}
    assert lease_cli._md(doc, []) == (
        "### lease release `p` (r, owner o)\n\n| field | old | new |\n|---|---|---|\n| `count` | 2 | 0 |\n\n"
        "`f`: dry run, nothing written.\n\nUsage S .. E: busy 1,234.50 of 1,344.00 GPU-h paid (busy share 25.0%), CNY 1,234.57 per busy GPU-h.\n\n"
        "Recommendation: **release** (count 2 → 0); rule: R.\n")
    doc["usage"].update(busyShare=None, costPerBusyGpuHour=None)
    assert "(busy share -), CNY - per busy GPU-h." in lease_cli._md(doc, [])


@pytest.mark.parametrize(("argv", "message"), [
    (["--until", "2027-13-01"], "--until '2027-13-01': not a day. Fix: give the new last day of the lease as YYYY-MM-DD."),
    ([], "--until None: not a day. Fix: give the new last day of the lease as YYYY-MM-DD."),
    (["--until", "2027-06-30"], "--until 2027-06-30 is not after the lease's end 2027-06-30. Fix: give a later day to renew."),
    (["--until", "2027-12-31", "--count", "0"],
     "--count 0: a renewal keeps at least one instance. Fix: use `hybrid-gpu lease release a10-train`."),
])
def test_bad_renewals_are_one_line_and_write_nothing(argv, message, cfg, capsys):
    rc, out, err = _lease(capsys, "renew", "a10-train", "--stack", "prod", "--config", str(cfg), *argv)
    assert (rc, out, err) == (2, "", f"hybrid-gpu: {message}\n")
    assert cfg.read_bytes() == PROD.read_bytes()


def test_a_renewal_the_model_refuses_writes_nothing(cfg, capsys):
    rc, out, err = _lease(capsys, "renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2028-01-01", "--count", "5000")
    assert (rc, out) == (2, "") and err.count("\n") == 1 and "regions[0].gpuPools[0].count" in err
    assert cfg.read_bytes() == PROD.read_bytes()


def test_a_count_of_one_is_a_renewal(cfg, capsys):
    assert _lease(capsys, "renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2027-07-01", "--count", "1")[0] == 0
    assert "          count: 1" in cfg.read_text().splitlines()


def test_an_unknown_or_elastic_pool_names_the_fixed_ones(cfg, capsys):
    rc, _, err = _lease(capsys, "release", "a10-elastic", "--stack", "prod", "--config", str(cfg))
    assert rc == 2
    assert err == (f"hybrid-gpu: POOL a10-elastic: {cfg} has no gpuPools entry of that name "
                   "(pools: a10-train, a100-burst, t4-infer, a10-overflow). Fix: name a fixed pool (elastic pools have no lease).\n")


TEXT = """config:
  hybrid-gpu-platform:regions:
    - id: r1
      gpuPools:
        - name: p
          lease: {owner: o, end: 2027-01-01}
          count: 3
        - name: q
          count: 1
        - other: x
        - name: [not, a, scalar]
    - id: r2
      gpuPools: none
    - id: r3
"""


def test_edit_finds_the_pool_by_name_and_changes_only_its_scalars():
    new, changed = lease_cli.edit(TEXT, "f", "p", date(2027, 2, 1), 2)
    assert changed == {"end": ("2027-01-01", "2027-02-01"), "count": (3, 2), "region": "r1", "owner": "o"}
    assert _changed(TEXT, new) == [("          lease: {owner: o, end: 2027-01-01}", "          lease: {owner: o, end: 2027-02-01}"),
                                   ("          count: 3", "          count: 2")]
    new, changed = lease_cli.edit(TEXT, "f", "q", None, 0)
    assert changed == {"count": (1, 0), "region": "r1", "owner": None}
    assert lease_cli.edit(TEXT, "f", "q", None, 1) == (TEXT, {"region": "r1", "owner": None})


def test_edit_refusals_name_the_pool_and_the_fix():
    with pytest.raises(InputError) as e:
        lease_cli.edit(TEXT, "f", "zz", None, 0)
    assert str(e.value) == "POOL zz: f has no gpuPools entry of that name (pools: p, q). Fix: name a fixed pool (elastic pools have no lease)."
    with pytest.raises(InputError) as e:
        lease_cli.edit(TEXT, "f", "q", date(2030, 1, 1), None)
    assert str(e.value) == "pool q (f) has no lease.end. Fix: add a lease (owner, purpose, end) to the pool first."
    with pytest.raises(InputError) as e:
        lease_cli.edit(TEXT.replace("          count: 3\n", ""), "f", "p", None, 0)
    assert str(e.value) == "pool p (f) has no count. Fix: add count: to the pool."
    twice = TEXT.replace("    - id: r3\n", "    - id: r3\n      gpuPools:\n        - {name: p, count: 1}\n")
    with pytest.raises(InputError) as e:
        lease_cli.edit(twice, "f", "p", None, 0)
    assert str(e.value) == "POOL p: f has a pool of that name in 2 regions. Fix: rename one of them."
    with pytest.raises(InputError) as e:
        lease_cli.edit("config: {}\n", "f", "p", None, 0)
    assert str(e.value) == "POOL p: f has no gpuPools entry of that name (pools: none). Fix: name a fixed pool (elastic pools have no lease)."
    with pytest.raises(InputError) as e:
        lease_cli.edit("config:\n  hybrid-gpu-platform:regions: 3\n", "f", "p", None, 0)
    assert "(pools: none)" in str(e.value)


def test_edit_refuses_a_value_that_spans_lines():
    text = TEXT.replace("end: 2027-01-01}", 'end: "2027-01-\n            01"}')  # a quoted scalar folded over two lines
    with pytest.raises(InputError) as e:
        lease_cli.edit(text, "f", "p", date(2030, 1, 1), None)
    assert str(e.value) == "line 6: the value spans lines. Fix: write it on one line, then run the command again."


def test_edit_keeps_the_quoting_of_the_day():
    for quoted, want in (('"2027-01-01"', '"2027-03-01"'), ("'2027-01-01'", "'2027-03-01'"), ("2027-01-01", "2027-03-01")):
        text = TEXT.replace("end: 2027-01-01", f"end: {quoted}")
        new, _ = lease_cli.edit(text, "f", "p", date(2027, 3, 1), None)
        assert f"end: {want}}}" in new


def test_edit_finds_the_regions_at_the_top_level_too():
    text = "\n".join(line[2:] for line in TEXT.splitlines()[1:]) + "\n"
    with pytest.raises(KeyError):  # the re-parse check reads config: (Pulumi stack files always have it)
        lease_cli.edit(text, "f", "p", None, 0)
    with pytest.raises(InputError) as e:
        lease_cli.edit(text, "f", "zz", None, 0)
    assert "(pools: p, q)" in str(e.value)


def test_help_names_every_flag_and_default(capsys):
    text = help_text(capsys, "lease")
    for part in ("{renew,release} renew: move lease.end (and --count); release: count 0",
                 "pool the fixed GPU pool (gpuPools[].name)",
                 "--config CONFIG edit this stack config file instead of stacks/Pulumi.<stack>.yaml",
                 "--until UNTIL renew: the lease's new last day, YYYY-MM-DD",
                 "--count COUNT renew: the new instance count (to shrink the pool)",
                 "--dry-run print the change, write nothing",
                 "--prometheus PROMETHEUS Prometheus base URL: put the pool's usage and the recommendation in the summary",
                 "--since SINCE usage range; default 7d", "--range-end RANGE_END usage range end, YYYY-MM-DDTHH:MM:SSZ; default now",
                 "--step STEP usage query step; default 1h",
                 "--format {table,json,md} table: the summary and the diff; json: the change as data; md: a Markdown summary for a PR"):
        assert part in text, part
    assert ("lease renew or release a GPU pool's lease: a minimal edit of the stack config, with usage figures"
            in help_text(capsys))
    with pytest.raises(SystemExit):
        cli.main(["lease", "extend", "p"])
    assert "argument action: invalid choice: 'extend'" in capsys.readouterr().err


def test_an_edit_that_would_reach_an_alias_is_refused():
    # count: &n 3 ... replicas: *n -- rewriting the anchored scalar changes the alias too
    text = TEXT.replace("          count: 3\n", "          count: &n 3\n          spare: *n\n")
    with pytest.raises(InputError) as e:
        lease_cli.edit(text, "f", "p", None, 0)
    assert str(e.value) == ("pool p (f): changing count would change other values too (a YAML anchor that other keys alias). "
                            "Fix: edit the stack file by hand.")
    text = TEXT.replace("lease: {owner: o, end: 2027-01-01}", "lease: {owner: o, end: &d 2027-01-01, start: *d}")
    assert lease_cli.edit(text, "f", "q", None, 0)[1]["count"] == (1, 0)  # another pool's edit is fine
    with pytest.raises(InputError) as e:
        lease_cli.edit(text, "f", "p", date(2027, 5, 1), 3)
    assert "changing end would change other values too" in str(e.value)
    # a renewal that also shrinks the pool names both fields
    with pytest.raises(InputError) as e:
        lease_cli.edit(text, "f", "p", date(2027, 5, 1), 2)
    assert str(e.value).startswith("pool p (f): changing end and count would change other values too")


def test_md_drops_only_the_newline_of_a_diff_line():
    doc = {"action": "renew", "pool": "p", "region": "r", "owner": "o", "end": None, "count": None, "file": "f",
           "dryRun": False, "written": False, "usage": None, "recommendation": None}
    assert lease_cli._md(doc, [" # note X\n", "+XX\n"]).endswith("```diff\n # note X\n+XX\n```\n")


def test_the_config_file_gets_every_commands_checks(cfg, capsys):
    text = cfg.read_text()
    assert "  alicloud:region: cn-beijing\n" in text
    cfg.write_text(text.replace("  alicloud:region: cn-beijing\n", "  alicloud:region: cn-nowhere\n", 1))
    rc, out, err = _lease(capsys, "release", "a100-burst", "--stack", "prod", "--config", str(cfg), "--dry-run")
    assert (rc, out) == (2, "") and "config.alicloud:region: 'cn-nowhere' is not an Alibaba Cloud region." in err


def test_a_renewal_of_an_unknown_pool_names_the_file(cfg, capsys):
    rc, _, err = _lease(capsys, "renew", "nope", "--stack", "prod", "--config", str(cfg), "--until", "2030-01-01")
    assert rc == 2 and err.startswith(f"hybrid-gpu: POOL nope: {cfg} has no gpuPools entry of that name")


def test_usage_and_the_recommendation_in_the_summary(cfg, capsys, monkeypatch):
    """The pool's usage from Prometheus (tests/test_mutation_tools_usage_cli.py: a10-train over 2 h, busy 3 of 8 GPU-h,
    185.776 CNY, 61.9253 per busy GPU-h; 29 days left on 2027-06-01: shrink 4 -> 3), read before the edit."""
    from tests.prom_api_standin import PromApi
    from tests.standin import loopback_only
    from tests.test_mutation_tools_usage_cli import END, INSTANT, RANGES, _groups

    loopback_only(monkeypatch)
    monkeypatch.setenv("HYBRID_TODAY", "2027-06-01")
    with PromApi(_groups(), RANGES, INSTANT) as p:
        argv = ["renew", "a10-train", "--stack", "prod", "--config", str(cfg), "--until", "2027-12-31", "--count", "3",
                "--prometheus", p.url, "--since", "2h", "--step", "1h", "--range-end", END, "--dry-run"]
        rc, out, _ = _lease(capsys, *argv)
        assert rc == 0
        assert out.splitlines()[1:3] == [
            "usage 2026-11-28T22:00:00Z .. 2026-11-29T00:00:00Z: busy 3.00 of 8.00 GPU-h paid (busy share 37.5%), CNY 61.93 per busy GPU-h",
            "recommendation: shrink (count 4 -> 3); rule: busy share = busy / paid GPU-hours; >= 50%: renew; < 10%: release; "
            "otherwise shrink to ceil(mean busy GPUs / 0.5 / GPUs per instance) instances"]
        rc, out, _ = _lease(capsys, *argv, "--format", "json")
        doc = json.loads(out)
        assert doc["usage"] == {"start": "2026-11-28T22:00:00Z", "end": END, "currency": "CNY", "gpuHoursPaid": 8.0,
                                "gpuHoursBusy": 3.0, "busyShare": 0.375, "costPerBusyGpuHour": 61.9253}
        assert doc["recommendation"]["action"] == "shrink" and (doc["recommendation"]["count"], doc["recommendation"]["newCount"]) == (4, 3)
        assert doc["recommendation"]["rule"].startswith("busy share = busy / paid GPU-hours; >= 50%: renew")
        # a pool whose lease ends beyond any window still gets its usage; a pool without samples has no busy share
        rc, out, _ = _lease(capsys, "release", "t4-infer", "--stack", "prod", "--config", str(cfg), "--prometheus", p.url,
                            "--since", "2h", "--step", "1h", "--range-end", END, "--dry-run", "--format", "json")
        doc = json.loads(out)
        assert doc["usage"]["gpuHoursBusy"] == 0.0 and doc["usage"]["busyShare"] == 0.0
        assert doc["recommendation"] == {"action": "release", "count": 4, "newCount": 0, "rule": doc["recommendation"]["rule"]}
    _, query = p.requests[1]
    assert query["step"] == "3600"  # --step reached the query


def test_a_pool_without_an_owner_shows_a_dash(cfg, capsys):
    import yaml

    doc = yaml.safe_load(cfg.read_text())
    pool = doc["config"]["hybrid-gpu-platform:regions"][1]["gpuPools"][0]
    assert pool["name"] == "t4-infer"
    pool.pop("lease")
    cfg.write_text(yaml.safe_dump(doc))
    rc, out, _ = _lease(capsys, "release", "t4-infer", "--stack", "prod", "--config", str(cfg), "--dry-run")
    assert rc == 0 and out.splitlines()[0] == "lease release t4-infer (cn-hangzhou, owner -): count 4 -> 0"


def test_the_usage_range_defaults_are_the_documented_ones():
    args = cli.build_parser().parse_args(["lease", "release", "p"])
    assert (args.since, args.step, args.range_end, args.prometheus, args.dry_run) == ("7d", "1h", None, None, False)


def test_the_summary_lines_of_a_pool_without_busy_hours_or_paid_hours(cfg, capsys, monkeypatch):
    """The summary's dashes, worked by hand. t4-infer (4 x ecs.gn6i-c16g1.4xlarge, one T4 each: Alibaba's
    gn6i instance family page) reports nothing in the stand-in: 4 x 1 x 2 h = 8 GPU-h paid, none busy, so
    a busy share of 0 % and no cost per busy GPU-hour. a10-train at count 0 in the edited file pays for no
    GPU-hour (its series still say 3 GPU-h busy): no busy share, 0 CNY over 3 busy GPU-h, and (nothing
    running) no recommendation; the figures are those of the file given with --config (the stack's own
    file has a10-train at count 4: 8 GPU-h paid, 37.5 % busy)."""
    import yaml

    from tests.prom_api_standin import PromApi
    from tests.standin import loopback_only
    from tests.test_mutation_tools_usage_cli import END, INSTANT, RANGES, _groups

    loopback_only(monkeypatch)
    monkeypatch.setenv("HYBRID_TODAY", "2027-06-01")
    rng = ["--since", "2h", "--step", "1h", "--range-end", END, "--dry-run"]
    with PromApi(_groups(), RANGES, INSTANT) as p:
        rc, out, _ = _lease(capsys, "release", "t4-infer", "--stack", "prod", "--config", str(cfg), "--prometheus", p.url, *rng)
        assert rc == 0
        assert out.splitlines()[1] == ("usage 2026-11-28T22:00:00Z .. 2026-11-29T00:00:00Z: busy 0.00 of 8.00 GPU-h paid "
                                       "(busy share 0.0%), CNY - per busy GPU-h")
        doc = yaml.safe_load(cfg.read_text())
        pool = doc["config"]["hybrid-gpu-platform:regions"][0]["gpuPools"][0]
        assert pool["name"] == "a10-train"
        pool["count"] = 0
        cfg.write_text(yaml.safe_dump(doc))
        rc, out, _ = _lease(capsys, "release", "a10-train", "--stack", "prod", "--config", str(cfg), "--prometheus", p.url, *rng)
        assert rc == 0
        assert out.splitlines()[1:] == [
            "usage 2026-11-28T22:00:00Z .. 2026-11-29T00:00:00Z: busy 3.00 of 0.00 GPU-h paid (busy share -), CNY 0.00 per busy GPU-h"]
        rc, out, _ = _lease(capsys, "release", "a10-train", "--stack", "prod", "--config", str(cfg), "--prometheus", p.url, *rng,
                            "--format", "json")
        doc = json.loads(out)
        assert (doc["usage"]["gpuHoursPaid"], doc["usage"]["busyShare"], doc["recommendation"]) == (0.0, None, None)


def test_a_lease_ending_in_the_last_year_a_date_holds_still_gets_its_recommendation(cfg, capsys, monkeypatch):
    # The rule is asked about this pool's lease whatever its end: 9999-12-31 is about 2.9 million days after
    # HYBRID_TODAY. a10-train, hand-worked in tests/test_mutation_tools_usage_cli.py: 37.5 % busy, shrink 4 -> 3.
    import yaml

    from tests.prom_api_standin import PromApi
    from tests.standin import loopback_only
    from tests.test_mutation_tools_usage_cli import END, INSTANT, RANGES, _groups

    loopback_only(monkeypatch)
    monkeypatch.setenv("HYBRID_TODAY", "2027-06-01")
    doc = yaml.safe_load(cfg.read_text())
    pool = doc["config"]["hybrid-gpu-platform:regions"][0]["gpuPools"][0]
    assert pool["name"] == "a10-train"
    pool["lease"]["end"] = "9999-12-31"
    cfg.write_text(yaml.safe_dump(doc))
    with PromApi(_groups(), RANGES, INSTANT) as p:
        rc, out, _ = _lease(capsys, "release", "a10-train", "--stack", "prod", "--config", str(cfg), "--prometheus", p.url,
                            "--since", "2h", "--step", "1h", "--range-end", END, "--dry-run", "--format", "json")
    assert rc == 0
    rec = json.loads(out)["recommendation"]
    assert (rec["action"], rec["count"], rec["newCount"]) == ("shrink", 4, 3)
