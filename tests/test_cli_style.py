"""One CLI style for every subcommand, checked by walking the parser: a new subcommand that
breaks it fails here.

* ``--format {table,json,md}`` everywhere; ``json`` prints one JSON document on stdout.
* A subcommand that reads a stack takes ``--stack`` (default ``dev``, the same help) and
  ``--config``; the others are listed below with the reason they take no stack."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hybrid_tools import cli

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ["table", "json", "md"]
# Subcommands without --stack, each with why (written by hand: a new one must be placed).
NO_STACK = {
    "diff": "compares two plan directories",
    "placement": "reads a placement input file",
    "config-docs": "documents the model, not a stack",
    "validators": "documents the validators, not a stack",
    "unconfirmed": "lists the program's unconfirmed values",
    "init": "names the new stack as its argument (as `pulumi stack init NAME`) and copies --from, default dev",
}
# Subcommands whose json and md are only the generic form (formats.run: their terminal lines), each
# with why (written by hand: a new subcommand renders json as data or is placed here).
GENERIC_ONLY = {
    "plan": "its data are the files it writes (build/plan/<stack>/); stdout is the summary",
    "init": "its data are the stack file and policy config it writes",
    "policy": "its data is build/plan/<stack>/policy.json",
    "join-token": "check's verdict is its exit status (one line per region's object); put writes the objects",
}


def test_every_subcommand_offers_the_three_formats():
    for name, p in cli.subcommands().items():
        assert "--format {table,json,md}" in p.format_help(), name
        assert p.get_default("format") in FORMATS, name
        assert set(p.get_default("format_native")) <= set(FORMATS), name


def test_json_is_data_except_where_placed():
    subs = cli.subcommands()
    assert set(GENERIC_ONLY) <= set(subs)
    generic = {name for name, p in subs.items() if "json" not in p.get_default("format_native")}
    assert generic == set(GENERIC_ONLY), "render --format json natively, or place the subcommand in GENERIC_ONLY with why"
    for name in ("wait-gpus", "lease"):  # the two that scripts read besides cost and usage
        assert set(subs[name].get_default("format_native")) == set(FORMATS), name


def test_one_stack_convention():
    subs = cli.subcommands()
    assert set(NO_STACK) <= set(subs)
    for name, p in subs.items():
        text = " ".join(p.format_help().split())
        if name in NO_STACK:
            assert "--stack" not in text, name
            continue
        assert "--stack STACK stack name (stacks/Pulumi.<stack>.yaml); default dev" in text, name
        assert "--config CONFIG" in text, name
        assert p.get_default("stack") == "dev", name
    assert subs["init"].get_default("source") == "dev"


def _init_project(tmp: Path) -> Path:
    for rel in ("Pulumi.yaml", "stacks/Pulumi.dev.yaml", "policy/config/dev.json"):
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, tmp / rel)
    return tmp


PLACEMENT = {"replicas": 5, "strategy": "static",
             "clusters": [{"name": "idc", "available_replicas": 4}, {"name": "cloud", "available_replicas": 8}]}


def _argv(name: str, tmp: Path, monkeypatch) -> list[str] | None:
    if name == "init":
        monkeypatch.chdir(_init_project(tmp / "project"))
        return ["init", "fmt-check"]
    monkeypatch.chdir(ROOT)
    if name == "placement":
        (tmp / "in.json").write_text(json.dumps(PLACEMENT))
        return ["placement", "--input", str(tmp / "in.json")]
    return {
        "unconfirmed": ["unconfirmed"],
        "validators": ["validators"],
        "config-docs": ["config-docs"],
        "cost": ["cost", "--stack", "prod"],
        "policy": ["policy", "--stack", "dev", "--out", str(tmp / "plan")],
        "preflight": ["preflight", "--stack", "dev", "--region", "cn-beijing", "--write-node-bundle", str(tmp / "bundle")],
        "lease": ["lease", "renew", "a10-train", "--stack", "prod", "--until", "2099-01-31", "--dry-run"],
    }.get(name)


# Run for real here; diff, usage, plan and wait-gpus have their own output tests (test_diff_coverage,
# test_usage_prometheus, test_plan_summary, test_wait_gpus: its json and md against a stand-in apiserver).
RUN = ["unconfirmed", "validators", "config-docs", "placement", "cost", "policy", "preflight", "lease", "init"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", RUN)
def test_format_output(name: str, fmt: str, tmp_path: Path, monkeypatch, capsys):
    argv = _argv(name, tmp_path, monkeypatch)
    code = cli.main([*argv, "--format", fmt])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert out.strip(), name
    if fmt == "json":
        json.loads(out)  # one document, nothing else on stdout
    if fmt == "md" and "md" not in cli.subcommands()[name].get_default("format_native"):
        assert out.splitlines()[2] == "```text" and out.rstrip().endswith("```")


# --- the docs name only flags the tool has ---------------------------------------------------

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
# Spans that are another tool's command line: their flags are that tool's.
OTHER_TOOLS = ("pulumi ", "kubectl ", "kubeadm ", "nvidia-ctk ", ".venv/bin/python ", "duplicates ", "refresh ", "mypy ")
# Bare flags of other tools the docs name in prose, each with its tool (hand list: a new one is placed here).
OTHER_FLAGS = {
    "--expect-no-changes": "pulumi preview", "--preview-only": "pulumi refresh", "--run-program": "pulumi preview/refresh",
    "--gang-scheduler-name": "kubeflow training-operator", "--node-labels": "kubelet", "--patches": "kubeadm",
    "--scale-down-unneeded-time": "cluster-autoscaler", "--ttl": "kubeadm token create",
    "--enable-batch-scheduler": "spark-operator controller", "--kube-scheduler-names": "spark-operator controller",
    "--table-only": "scripts/mutate.py", "--survivors": "scripts/mutate.py", "--open": "scripts/mutate.py",
}


def _tool_flags() -> set[str]:
    return {f for p in cli.subcommands().values() for f in FLAG.findall(p.format_help())}


def _doc_flags():
    for doc in DOCS:
        for span in re.findall(r"`([^`\n]+)`", doc.read_text(encoding="utf-8")):
            if span.startswith(OTHER_TOOLS):
                continue
            for flag in FLAG.findall(span):
                yield doc.name, span, flag


def test_every_flag_the_docs_name_is_the_tools():
    # Full `hybrid-gpu ...` lines are parsed by test_docs_tool; this covers flags named in prose
    # (`--no-policy`, `--write-config`), where a renamed or removed flag would otherwise linger.
    flags = _tool_flags()
    stale = sorted({(doc, span) for doc, span, flag in _doc_flags() if flag not in flags and flag not in OTHER_FLAGS})
    assert not stale, f"flags in the docs that no hybrid-gpu subcommand has: {stale}"


def test_a_removed_flag_in_prose_would_fail():
    assert "--json" not in _tool_flags()  # preflight and cost take --format json now
    assert "--json" not in OTHER_FLAGS
