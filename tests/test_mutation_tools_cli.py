"""hybrid_tools/cli.py: the ``hybrid-gpu`` entry point, in-process (``main``, ``check_out_root``,
``expected_failure``, the parser).

Expectations come from the CLI's contract (README, docs/operations.md): bad input is one line on
stderr and exit 2; a reader that went away is exit 141 (128 + SIGPIPE, as a shell reports it); the
subcommands in help order; a plan writes build/plan/<stack>/ and prints what the real run still needs.
The dev plan is the only one made here (about a second without the policy gate).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hybrid.errors import ConfigError, ConfigIssue
from hybrid_tools import cli
from hybrid_tools.errors import InputError
from tests.conftest import help_text, ROOT

SUBCOMMANDS = ["plan", "init", "policy", "diff", "config-docs", "validators", "unconfirmed", "placement", "cost", "jobs",
               "wait-gpus", "usage", "lease", "preflight", "join-token"]


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


# --- the parser -------------------------------------------------------------------------------

def test_subcommands_in_help_order():
    assert list(cli.subcommands()) == SUBCOMMANDS
    assert cli.build_parser().prog == "hybrid-gpu"


def test_a_usage_error_is_one_line_naming_the_help(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["nope"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("hybrid-gpu: argument command: invalid choice: 'nope' (choose from ")
    assert err.endswith(". Fix: see hybrid-gpu --help.\n") and err.count("\n") == 1 and "  " not in err
    with pytest.raises(SystemExit) as e:
        cli.main([])
    assert e.value.code == 2
    assert capsys.readouterr().err == "hybrid-gpu: the following arguments are required: command. Fix: see hybrid-gpu --help.\n"


def test_the_generic_format_is_added_where_a_subcommand_has_none():
    subs = cli.subcommands()
    for name in ("plan", "init", "policy", "join-token"):
        assert subs[name].get_default("format_native") == ("table",), name
        assert subs[name].get_default("format") == "table"
        assert ("--format {table,json,md} table: the terminal text; json: its lines as data; md: a fenced block for a PR comment; "
                "default table") in " ".join(subs[name].format_help().split()), name
    assert subs["unconfirmed"].get_default("format_native") == ("table", "json", "md")


def test_help_of_the_subcommands_cli_declares(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # argparse wraps at the terminal width, and breaks words at hyphens
    text = help_text(capsys)
    assert "``hybrid-gpu``: offline plan, policy gate, plan diff and the placement calculator." in text
    for part in ("plan run the program offline under Pulumi mocks and write build/plan/<stack>/",
                 "init create stacks/Pulumi.<STACK>.yaml and policy/config/<STACK>.json from an existing stack; print the secrets "
                 "and environment it needs",
                 "policy run the policy pack over the offline plan (analyzer gRPC protocol); exit 1 on a mandatory violation",
                 "diff compare two offline plans (e.g. base branch vs PR)",
                 "config-docs print (or --write) docs/config.md, the stack config reference generated from the model",
                 "validators print (or --write) docs/validators.md, every validator of the stack config and the policy pack, with its source",
                 "unconfirmed list the vendor-facing values no upstream source confirmed yet (hybrid/unconfirmed.py)"):
        assert part in text, part
    subs = cli.subcommands()
    flags = {name: " ".join(subs[name].format_help().split()) for name in subs}
    for name, part in (
            ("plan", "--out OUT output root; default build/plan"),
            ("plan", "--policy-config POLICY_CONFIG policy config file; default policy/config/<stack>.json"),
            ("plan", "--no-policy skip the policy gate that runs after the plan"),
            ("plan", "--pricing-api price the pools"),
            ("init", "STACK the new stack's name"),
            ("init", "--from SOURCE, --copy-config-from SOURCE the stack to copy (as `pulumi stack init --copy-config-from`); default dev"),
            ("policy", "--policy-config POLICY_CONFIG policy config file; default policy/config/<stack>.json"),
            ("policy", "--out OUT output root for <stack>/policy.json; default build/plan"),
            ("policy", "--write-config refresh the stack-derived values in the policy config file and exit"),
            ("diff", "base base plan dir (build/plan/<stack> of the base branch)"),
            ("diff", "head head plan dir"),
            ("diff", "--format {table,json,md} table: the terminal view; json: the diff as data; md: Markdown for a PR comment; default table"),
            ("diff", "--output OUTPUT write here instead of stdout"),
            ("config-docs", "--write write docs/config.md instead of printing it"),
            ("validators", "--write write docs/validators.md instead of printing it"),
            ("config-docs", "--format {table,json,md} table and md: the page as Markdown; json: its content as data; default table"),
            ("unconfirmed", "--format {table,json,md} table: one value a block; json: the table as data; md: a Markdown table; default table")):
        assert part in flags[name], (name, part)


def test_parser_defaults():
    p = cli.build_parser()
    a = p.parse_args(["plan"])
    assert (a.stack, a.out, a.policy_config, a.no_policy, a.pricing_api) == ("dev", "build/plan", None, False, False)
    a = p.parse_args(["init", "lab"])
    assert (a.new_stack, a.source) == ("lab", "dev")
    assert p.parse_args(["init", "lab", "--copy-config-from", "prod"]).source == "prod"
    a = p.parse_args(["policy"])
    assert (a.out, a.write_config, a.policy_config) == ("build/plan", False, None)
    a = p.parse_args(["diff", "a", "b"])
    assert (a.base, a.head, a.output, a.format) == ("a", "b", None, "table")
    assert p.parse_args(["config-docs"]).write is False


# --- the output root --------------------------------------------------------------------------

def test_out_root_checks(tmp_path, monkeypatch):
    cli.check_out_root(tmp_path / "new" / "deeper")  # created later; its existing parent is writable
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError) as e:
        cli.check_out_root(f)
    assert str(e.value) == f"--out {f}: is a file, not a directory. Fix: pass a directory (created if missing), e.g. build/plan."
    with pytest.raises(InputError) as e:
        cli.check_out_root(f / "sub" / "plan")
    assert str(e.value) == f"--out {f / 'sub' / 'plan'}: {f} is a file, not a directory. Fix: pass a directory path, e.g. build/plan."
    real = os.access
    asked = []

    def access(path, mode):
        asked.append((Path(path), mode))
        return False if Path(path) == tmp_path else real(path, mode)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(InputError) as e:
        cli.check_out_root(tmp_path / "plan")
    assert str(e.value) == f"--out {tmp_path / 'plan'}: {tmp_path} is not writable. Fix: pass a directory you can write, e.g. build/plan."
    assert asked == [(tmp_path, os.W_OK | os.X_OK)]
    (tmp_path / "new").mkdir()
    cli.check_out_root(tmp_path / "new" / "x")  # a writable directory below it is fine


def test_a_relative_out_root_is_checked_against_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("f").write_text("x")
    with pytest.raises(InputError) as e:
        cli.check_out_root(Path("f/plan"))
    assert str(e.value) == f"--out f/plan: {tmp_path / 'f'} is a file, not a directory. Fix: pass a directory path, e.g. build/plan."


# --- plan -------------------------------------------------------------------------------------

def test_plan_without_the_gate_writes_the_plan_and_says_what_the_real_run_needs(tmp_path, capsys):
    rc, out, err = _main(capsys, "plan", "--stack", "dev", "--out", str(tmp_path), "--no-policy")
    assert rc == 0
    assert (tmp_path / "dev" / "resources.json").is_file() and not (tmp_path / "dev" / "policy.json").exists()
    lines = out.splitlines()
    i = lines.index("  for the real run (pulumi preview/up): 8 missing")
    # dev sets no secret and no environment (stacks/Pulumi.dev.yaml; README "Before the first real run")
    assert [line[:4] for line in lines[i + 1:i + 9]] == ["    "] * 8
    assert lines[i + 1].startswith("    missing secret caCertHash ")
    assert lines[i + 8] == "    missing env ALIBABA_CLOUD_ACCESS_KEY_SECRET (the AccessKey secret of that identity)"
    assert "policy gate" not in out and out.endswith("\n") and lines[-1] != ""
    assert err.startswith("planning dev")


def test_plan_with_the_gate_writes_its_verdict_and_prints_its_table_last(tmp_path, capsys):
    rc, out, _ = _main(capsys, "plan", "--stack", "dev", "--out", str(tmp_path))
    assert rc == 0  # dev passes every mandatory policy (policy/config/dev.json)
    verdict = json.loads((tmp_path / "dev" / "policy.json").read_text())
    assert verdict["stack"] == "dev"
    head, table = out.split("\n\npolicy gate: ", 1)
    assert "  for the real run (pulumi preview/up): 8 missing" in head.splitlines()
    assert table.startswith("stack 'dev', pack hybrid-gpu-policies@")


def test_a_failing_gate_is_the_plans_exit_status_and_its_verdict_is_kept(tmp_path, capsys, monkeypatch):
    from types import SimpleNamespace

    from hybrid_tools import policy_gate

    def gate(stack, platform, run, gate_dir, policy_path, stream):
        (gate_dir / "policy.json").write_bytes(b'{"verdict": "fail"}')
        stream.write("the gate's table\n")
        return SimpleNamespace(exit_code=1)

    monkeypatch.setattr(policy_gate, "gate_run", gate)
    rc, out, _ = _main(capsys, "plan", "--stack", "dev", "--out", str(tmp_path))
    assert rc == 1
    assert (tmp_path / "dev" / "policy.json").read_bytes() == b'{"verdict": "fail"}'
    assert out.endswith("\n\nthe gate's table\n")


def test_a_bad_policy_config_fails_before_planning_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "p.json"
    bad.write_text("{")
    rc, out, err = _main(capsys, "plan", "--stack", "dev", "--out", str(tmp_path / "out"), "--policy-config", str(bad))
    assert (rc, out) == (2, "") and err.count("\n") == 1 and str(bad) in err and "planning" not in err
    assert not (tmp_path / "out").exists()
    rc, _, _ = _main(capsys, "plan", "--stack", "dev", "--out", str(tmp_path / "out"), "--policy-config", str(bad), "--no-policy")
    assert rc == 0  # no gate: its config is not read


def test_plan_warnings_go_to_stderr(tmp_path, capsys, monkeypatch):
    import hybrid.model

    monkeypatch.setattr(hybrid.model, "warnings", lambda p: [ConfigIssue("a.b", "is risky.", "set c.")])
    rc, out, err = _main(capsys, "plan", "--stack", "dev", "--out", str(tmp_path), "--no-policy")
    assert rc == 0 and "warning: a.b: is risky. Fix: set c.\n" in err and "warning:" not in out


def test_plan_with_the_pricing_api_prices_cost_json_through_it(tmp_path, capsys, monkeypatch):
    import tests.pricing_standin as ps
    from tests.standin import loopback_only

    loopback_only(monkeypatch)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ps.ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ps.ACCESS_KEY_SECRET)
    with ps.PricingStandIn() as s:
        rc, _, _ = _main(capsys, "plan", "--stack", "dev", "--out", str(tmp_path), "--no-policy", "--pricing-api",
                         "--pricing-endpoint", s.endpoint, "--pricing-protocol", "http")
        assert s.calls and s.violations == []
    assert rc == 0
    assert json.loads((tmp_path / "dev" / "cost.json").read_text())["source"].startswith("Alibaba Cloud ECS DescribePrice")


def test_plan_refuses_an_out_root_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "f"
    f.write_text("")
    rc, out, err = _main(capsys, "plan", "--stack", "dev", "--out", str(f), "--no-policy")
    assert (rc, out) == (2, "")
    assert err == f"hybrid-gpu: --out {f}: is a file, not a directory. Fix: pass a directory (created if missing), e.g. build/plan.\n"


def test_plan_reads_the_given_config_file(tmp_path, capsys):
    cfg = tmp_path / "Pulumi.dev.yaml"
    cfg.write_text((ROOT / "stacks" / "Pulumi.dev.yaml").read_text().replace("hybrid-gpu-platform:", "hybrid-gpu-platformX:", 1))
    rc, _, err = _main(capsys, "plan", "--stack", "dev", "--config", str(cfg), "--out", str(tmp_path / "o"), "--no-policy")
    assert rc == 2 and err.count("\n") >= 1


# --- the other built-in subcommands -------------------------------------------------------------

def test_init_prints_what_init_stack_says(capsys, monkeypatch):
    from hybrid_tools import init_stack

    seen = []
    monkeypatch.setattr(init_stack, "init", lambda new, source: seen.append((new, source)) or ([], ["line 1", "line 2"]))
    assert _main(capsys, "init", "lab", "--from", "prod") == (0, "line 1\nline 2\n", "")
    assert _main(capsys, "init", "lab2")[0] == 0
    assert seen == [("lab", "prod"), ("lab2", "dev")]


def test_policy_checks_the_out_root_unless_it_only_writes_the_config(tmp_path, capsys, monkeypatch):
    from hybrid_tools import policy_gate

    seen = []
    monkeypatch.setattr(policy_gate, "cli", lambda args: seen.append(args.write_config) or 7)
    f = tmp_path / "f"
    f.write_text("")
    rc, _, err = _main(capsys, "policy", "--stack", "dev", "--out", str(f))
    assert rc == 2 and err.startswith(f"hybrid-gpu: --out {f}: is a file") and seen == []
    assert _main(capsys, "policy", "--stack", "dev", "--out", str(f), "--write-config")[0] == 7
    assert _main(capsys, "policy", "--stack", "dev", "--out", str(tmp_path))[0] == 7
    assert seen == [True, False]


def test_diff_passes_its_arguments(capsys, monkeypatch, tmp_path):
    from hybrid_tools import diff

    seen = []
    monkeypatch.setattr(diff, "main", lambda *a: seen.append(a) or 0)
    assert _main(capsys, "diff", "a", "b", "--format", "md", "--output", str(tmp_path / "o"))[0] == 0
    assert _main(capsys, "diff", "a", "b")[0] == 0
    assert seen == [(Path("a"), Path("b"), "md", tmp_path / "o"), (Path("a"), Path("b"), "table", None)]


@pytest.mark.parametrize(("command", "module"), [("config-docs", "configdoc"), ("validators", "validators")])
def test_generated_pages(command, module, capsys, monkeypatch):
    import importlib

    mod = importlib.import_module(f"hybrid_tools.{module}")
    rc, out, _ = _main(capsys, command)
    assert rc == 0 and out == mod.DOC_PATH.read_text()  # the page as committed (its test keeps them equal)
    rc, out, _ = _main(capsys, command, "--format", "json")
    assert rc == 0 and out == json.dumps(mod.data(), indent=2, sort_keys=True) + "\n"
    for changed, word in ((True, "written"), (False, "up to date")):
        monkeypatch.setattr(mod, "write", lambda changed=changed: changed)
        assert _main(capsys, command, "--write") == (0, f"{mod.DOC_PATH}: {word}\n", "")
        assert _main(capsys, command, "--write", "--format", "json") == (
            0, json.dumps({"path": str(mod.DOC_PATH), "written": changed}) + "\n", "")


def test_unconfirmed_in_each_format(capsys):
    from hybrid import unconfirmed

    rows = unconfirmed.table()
    rc, out, _ = _main(capsys, "unconfirmed", "--format", "json")
    assert rc == 0 and out == json.dumps(rows, indent=2, sort_keys=True) + "\n"
    rc, out, _ = _main(capsys, "unconfirmed")
    first = rows[0]
    assert out.startswith(f"{first['key']}: {first['value']}\n  used by {first['usedBy']}; {first['why']}\n  confirm: {first['confirmBy']}\n")
    assert out.count("\n") == 3 * len(rows)
    rc, out, _ = _main(capsys, "unconfirmed", "--format", "md")
    lines = out.splitlines()
    assert lines[0] == "| key | value | used by | why unconfirmed | confirm by |" and len(lines) == len(rows) + 2
    assert lines[2] == f"| `{first['key']}` | {first['value']} | {first['usedBy']} | {first['why']} | {first['confirmBy']} |"


# --- errors -----------------------------------------------------------------------------------

def test_expected_failures_are_one_line_each():
    assert cli.expected_failure(ConfigError([ConfigIssue("a", "is bad.", "fix it.")])) == "invalid stack config: a: is bad. Fix: fix it."
    assert cli.expected_failure(InputError("x. Fix: y.")) == "hybrid-gpu: x. Fix: y."
    err = PermissionError(13, "Permission denied", "/p/q")
    assert cli.expected_failure(err) == "hybrid-gpu: /p/q: Permission denied. Fix: check the path and its permissions."
    # no strerror: the error itself stands in for it
    assert cli.expected_failure(OSError(5, "", "/p")) == "hybrid-gpu: /p: [Errno 5] : '/p'. Fix: check the path and its permissions."
    assert cli.expected_failure(FileNotFoundError("no Pulumi.yaml here")) == "hybrid-gpu: no Pulumi.yaml here."
    try:
        b"ab\xffcd".decode("utf-8")
    except UnicodeDecodeError as e:
        bad = e
    assert cli.expected_failure(bad) == "hybrid-gpu: an input file is not UTF-8 text (invalid start byte at byte 2). Fix: save it as UTF-8."
    assert cli.expected_failure(OSError("no file")) is None
    assert cli.expected_failure(ValueError("x")) is None


def test_a_defect_is_raised_not_hidden(monkeypatch):
    from hybrid_tools import init_stack

    def boom(new, source):
        raise OSError("socket trouble")  # no filename: not a path the user gave

    monkeypatch.setattr(init_stack, "init", boom)
    with pytest.raises(OSError, match="socket trouble"):
        cli.main(["init", "lab"])


@pytest.mark.parametrize(("err", "text"), [
    (InputError("bad. Fix: good."), "hybrid-gpu: bad. Fix: good.\n"),
    (ConfigError([ConfigIssue("k", "is bad.", "fix.")]), "invalid stack config: k: is bad. Fix: fix.\n"),
    (IsADirectoryError(21, "Is a directory", "/d"), "hybrid-gpu: /d: Is a directory. Fix: check the path and its permissions.\n"),
])
def test_expected_failures_exit_2_with_their_line(err, text, capsys, monkeypatch):
    from hybrid_tools import init_stack

    def fail(new, source):
        raise err

    monkeypatch.setattr(init_stack, "init", fail)
    assert _main(capsys, "init", "lab") == (2, "", text)


def test_a_unicode_error_exits_2(capsys, monkeypatch):
    from hybrid_tools import init_stack

    def fail(new, source):
        b"\xff".decode("utf-8")

    monkeypatch.setattr(init_stack, "init", fail)
    assert _main(capsys, "init", "lab") == (
        2, "", "hybrid-gpu: an input file is not UTF-8 text (invalid start byte at byte 0). Fix: save it as UTF-8.\n")


@pytest.mark.parametrize("argv", [["plan", "--stack", "../x"], ["init", "Lab!"], ["init", "lab", "--from", "a/b"]])
def test_stack_names_are_checked_before_any_path_is_built(argv, capsys, monkeypatch):
    from hybrid_tools import init_stack

    monkeypatch.setattr(init_stack, "init", lambda *a: pytest.fail("ran"))
    rc, out, err = _main(capsys, *argv)
    name = argv[-1] if argv[0] == "init" else argv[2]
    assert (rc, out) == (2, "") and err.startswith(f"invalid stack config: --stack: {name!r} is not a stack name.") and err.count("\n") == 1


def test_a_reader_that_went_away_is_exit_141_and_stdout_goes_to_devnull(monkeypatch, capsys):
    from hybrid_tools import formats

    calls = []

    class Out:
        def fileno(self):
            return 99

        def flush(self):
            raise BrokenPipeError

        def write(self, s):
            return len(s)

    monkeypatch.setattr(os, "open", lambda path, flags: calls.append(("open", path, flags)) or 42)
    monkeypatch.setattr(os, "dup2", lambda a, b: calls.append(("dup2", a, b)))
    monkeypatch.setattr(formats, "run", lambda *a: 0)
    monkeypatch.setattr("sys.stdout", Out())
    assert cli.main(["unconfirmed"]) == 141
    assert calls == [("open", os.devnull, os.O_WRONLY), ("dup2", 42, 99)]


def test_main_runs_the_subcommand_through_the_format(capsys):
    rc, out, err = _main(capsys, "placement", "--input", "/nonexistent/in.json", "--format", "table")
    assert rc == 2 and out == ""
    rc, out, _ = _main(capsys, "unconfirmed", "--format", "json")
    assert rc == 0 and json.loads(out)


# --- plan: what it passes on, what it prints ------------------------------------------------------

def _plan_with_a_recording_gate(tmp_path, capsys, monkeypatch, *extra: str):
    """`plan --stack dev` with the gate's two calls recorded (the gate itself answered: it passes)."""
    from types import SimpleNamespace

    from hybrid_tools import policy_gate

    seen: dict = {}
    monkeypatch.setattr(policy_gate, "load_policy_config", lambda path, explicit: seen.update(config=(path, explicit)) or {})

    def gate(stack, platform, run, gate_dir, policy_path, stream):
        seen["gate"] = (stack, policy_path)
        (gate_dir / "policy.json").write_bytes(b"{}")
        return SimpleNamespace(exit_code=0)

    monkeypatch.setattr(policy_gate, "gate_run", gate)
    rc, out, err = _main(capsys, "plan", "--stack", "dev", "--out", str(tmp_path / "out"), *extra)
    return rc, out, err, seen


def test_the_gate_reads_the_stacks_policy_config_unless_one_is_named(tmp_path, capsys, monkeypatch):
    # docs/operations.md: policy/config/<stack>.json by default (absent: the pack's defaults); a file
    # named with --policy-config must exist
    rc, _, _, seen = _plan_with_a_recording_gate(tmp_path, capsys, monkeypatch)
    assert rc == 0 and seen == {"config": (ROOT / "policy" / "config" / "dev.json", False), "gate": ("dev", None)}
    named = tmp_path / "p.json"
    rc, _, _, seen = _plan_with_a_recording_gate(tmp_path, capsys, monkeypatch, "--policy-config", str(named))
    assert rc == 0 and seen == {"config": (named, True), "gate": ("dev", named)}


def test_plan_prints_its_summary_then_what_the_real_run_needs_then_the_review(tmp_path, capsys, monkeypatch):
    from hybrid_tools import init_stack

    monkeypatch.setattr(init_stack, "missing", lambda cfg, platform: [])
    rc, out, err = _main(capsys, "plan", "--stack", "dev", "--out", str(tmp_path), "--no-policy")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].startswith("offline plan of stack 'dev': ") and " resources registered in " in lines[0]
    assert f"  artifacts: {tmp_path / 'dev'}" in lines
    refs = [line for line in lines if line.startswith("  references between resources: ")]
    assert len(refs) == 1 and refs[0].endswith(" checked, 0 wrong (hybrid_tools/references.py)")
    i = lines.index("  for the real run (pulumi preview/up): nothing missing")
    # the review last, a line each: dev's one workload placed, dev has no price table (stacks/Pulumi.dev.yaml)
    assert lines[i + 1].startswith("  unplaced replicas: ") and lines[i + 1].endswith(" (every replica has a place)")
    assert lines[i + 2:] == ["  monthly cost: no price table (hybrid-gpu-platform:pricing; docs/cost.md)"]
    # the progress line counts what the run registered (not a terminal: one closing line)
    (progress,) = [line for line in err.splitlines() if line.startswith("planning dev: ")]
    registered = int(lines[0].split(": ", 1)[1].split(" resources", 1)[0])
    assert progress.startswith(f"planning dev: {registered} resources registered in ") and registered > 50


def test_stack_names_are_checked_before_a_plan_directory_is_named(capsys):
    # jobs builds build/plan/<stack> from the name: a path outside build/plan must never be read
    rc, out, err = _main(capsys, "jobs", "--stack", "../x")
    assert (rc, out) == (2, "") and err.startswith("invalid stack config: --stack: '../x' is not a stack name.")


def test_a_generic_format_names_the_command(capsys, monkeypatch):
    from hybrid_tools import init_stack

    monkeypatch.setattr(init_stack, "init", lambda new, source: (None, ["created stacks/Pulumi.lab.yaml"]))
    rc, out, _ = _main(capsys, "init", "lab", "--format", "json")
    assert rc == 0 and json.loads(out) == {"command": "init", "exitCode": 0, "lines": ["created stacks/Pulumi.lab.yaml"]}
    rc, out, _ = _main(capsys, "init", "lab", "--format", "md")
    assert out.splitlines()[0] == "**hybrid-gpu init** (exit 0)"
