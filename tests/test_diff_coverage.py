"""The diff covers everything the plan renders: node boot files, dependents of replacements, protected
resources, ignoreChanges; and a hand-edited plan directory is one line naming the file, exit 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hybrid_tools import cli, diff
from hybrid_tools.errors import InputError

NET, SW, INST, DISK = "alicloud:vpc/network:Network", "alicloud:vpc/switch:Switch", "alicloud:ecs/instance:Instance", "alicloud:ecs/ecsDisk:EcsDisk"


def _r(typ: str, name: str, deps=(), options=None, **inputs) -> dict:
    r = {"urn": f"urn:pulumi:dev::p::c${typ}::{name}", "type": typ, "name": name, "custom": True,
         "parent": None, "provider": "alicloud-cn-beijing", "inputs": inputs}
    if deps:
        r["dependencies"] = [f"urn:pulumi:dev::p::c${t}::{n}" for t, n in deps]
    if options:
        r["options"] = options
    return r


def _plan(d: Path, resources: list[dict], files: dict[str, str] | None = None) -> Path:
    d.mkdir(parents=True)
    (d / "resources.json").write_text(json.dumps(resources))
    (d / "outputs.json").write_text("{}")
    for rel, text in (files or {}).items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(text)
    return d


def test_user_data_and_elastic_script_changes_say_they_reach_new_nodes_only(tmp_path):
    node = _r(INST, "cn-beijing-a100-cn-beijing-i-0", options={"ignoreChanges": ["userData"]}, userData="[secret]")
    base = _plan(tmp_path / "a", [node], {"cloud-init/cn-beijing-a100.yaml": "DRIVER_BRANCH=535\n",
                                           "elastic/node-script.sh": "KUBE_VERSION=1.30.4\n"})
    head = _plan(tmp_path / "b", [node], {"cloud-init/cn-beijing-a100.yaml": "DRIVER_BRANCH=550\n",
                                           "elastic/node-script.sh": "KUBE_VERSION=1.30.6\n"})
    d = diff.compute(base, head)
    assert sorted(d.boot) == ["cloud-init/cn-beijing-a100.yaml", "elastic/node-script.sh"]
    assert d.boot_targets["cloud-init/cn-beijing-a100.yaml"] == ["cn-beijing-a100-cn-beijing-i-0"]
    text = diff.render_text(d)
    assert "-DRIVER_BRANCH=535" in text and "+DRIVER_BRANCH=550" in text and "+KUBE_VERSION=1.30.6" in text
    assert text.count("reaches new nodes only") == 2 and "pulumi up --replace" in text
    md = diff.render_md(d)
    assert "Node boot files" in md and "reaches new nodes only" in md and "+DRIVER_BRANCH=550" in md
    assert not d.empty and "2 node boot file(s) changed" in text


def test_an_ignored_property_is_not_an_update(tmp_path):
    a = _plan(tmp_path / "a", [_r(INST, "n0", options={"ignoreChanges": ["userData"]}, userData="x")])
    b = _plan(tmp_path / "b", [_r(INST, "n0", options={"ignoreChanges": ["userData"]}, userData="y")])
    (c,) = diff.compute(a, b).resources
    (p,) = c.props
    assert p.effect.startswith("ignored") and not c.replaces  # the EFFECTS table alone would say "reboot"


def test_a_replacement_lists_its_dependents_transitively(tmp_path):
    # VPC replaced (cidrBlock is ForceNew) -> the vSwitch in it -> the instance in the vSwitch.
    vpc_a, vpc_b = _r(NET, "vpc", cidrBlock="10.40.0.0/16"), _r(NET, "vpc", cidrBlock="10.41.0.0/16")
    rest = [_r(SW, "sw", deps=[(NET, "vpc")], cidrBlock="10.40.0.0/22"), _r(INST, "n0", deps=[(SW, "sw")]),
            _r(INST, "elsewhere")]
    d = diff.compute(_plan(tmp_path / "a", [vpc_a, *rest]), _plan(tmp_path / "b", [vpc_b, *rest]))
    (c,) = d.resources
    assert c.replaces and c.dependents == ["Instance n0", "Switch sw"]
    assert "dependents (replaced or updated with it): Instance n0, Switch sw" in diff.render_text(d)
    assert "takes with it: `Instance n0`, `Switch sw`" in diff.render_md(d)


def test_a_protected_resource_in_the_way_of_up(tmp_path):
    disk = _r(DISK, "n1-data", options={"protect": True}, size=500)
    kept = _r(DISK, "n0-data", options={"protect": True}, size=500)
    d = diff.compute(_plan(tmp_path / "a", [kept, disk]), _plan(tmp_path / "b", [kept]))
    assert [c.name for c in d.protected] == ["n1-data"]
    text = diff.render_text(d)
    assert "- EcsDisk n1-data  [PROTECTED: up stops here]" in text and "pulumi state unprotect" in text
    assert "1 protected resource(s) in the way" in text
    assert "[!CAUTION]" in diff.render_md(d)
    # grown, not replaced: not in the way
    d2 = diff.compute(_plan(tmp_path / "c", [kept]), _plan(tmp_path / "d", [_r(DISK, "n0-data", options={"protect": True}, size=600)]))
    assert d2.protected == []


BAD = [
    ("resources.json", '[{"urn": "u"}]', "entry 0 has no string 'type'"),
    ("resources.json", '[{"urn": "u", "type": "t", "name": "n", "inputs": []}]', "inputs is not a dict"),
    ("resources.json", '[{"urn": "u", "type": "t", "name": "n", "dependencies": [1]}]', "dependencies are not URNs"),
    ("resources.json", '{"urn": "u"}', "a dict, not a list"),
    ("resources.json", "[" * 70 + "]" * 70, "nested deeper than 64"),
    ("resources.json", "[" * 200000 + "]" * 200000, "nested deeper than 64"),
    ("resources.json", '[{"urn": ', "Expecting value"),
    ("outputs.json", "not json", "Expecting value"),
    ("outputs.json", "[]", "a list, not a dict"),
    ("cost.json", '{"pools": {}}', "pools is not a list"),
]


@pytest.mark.parametrize("name, text, says", BAD)
def test_a_hand_edited_plan_is_one_line_naming_the_file(tmp_path, capsys, name, text, says):
    good = _plan(tmp_path / "good", [_r(INST, "n0")])
    bad = _plan(tmp_path / "bad", [_r(INST, "n0")])
    (bad / name).write_text(text)
    assert cli.main(["diff", str(good), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad / name) in err[0] and says in err[0], err


@pytest.mark.parametrize("where", ["manifests", "cloud-init", "resources.json"])
def test_links_leaving_the_plan_directory_are_refused(tmp_path, where):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("stolen: true\n")
    (outside / "resources.json").write_text("[]")
    good = _plan(tmp_path / "good", [])
    bad = _plan(tmp_path / "bad", [])
    if where == "resources.json":
        (bad / "resources.json").unlink()
        os.symlink(outside / "resources.json", bad / "resources.json")
    else:
        (bad / where).mkdir(exist_ok=True)
        os.symlink(outside / "secret.yaml", bad / where / "x.yaml")
    with pytest.raises(InputError, match="links outside the plan directory"):
        diff.compute(good, bad)


def test_one_format_flag(tmp_path, capsys):
    a = _plan(tmp_path / "a", [_r(NET, "vpc", cidrBlock="10.40.0.0/16")])
    b = _plan(tmp_path / "b", [_r(NET, "vpc", cidrBlock="10.41.0.0/16")])
    assert cli.main(["diff", str(a), str(b), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (r,) = doc["resources"]
    assert (r["name"], r["replaces"], r["props"][0]["effect"]) == ("vpc", True, "replace")
    for fmt, first in (("table", "plan diff"), ("text", "plan diff"), ("md", "### Offline plan diff")):
        assert cli.main(["diff", str(a), str(b), "--format", fmt]) == 0
        assert capsys.readouterr().out.startswith(first)
    with pytest.raises(SystemExit) as e:  # a usage error: argparse exits 2 with one line
        cli.main(["diff", str(a), str(b), "--format", "yaml"])
    assert e.value.code == 2 and "invalid choice: 'yaml'" in capsys.readouterr().err


def test_placement_and_cost_take_the_same_flag(tmp_path, capsys):
    inp = tmp_path / "in.json"
    inp.write_text(json.dumps({"replicas": 3, "strategy": "static", "request": {"cpu": "1"},
                               "clusters": [{"name": "a", "tier": 0, "available_replicas": 2}, {"name": "b", "tier": 1, "available_replicas": 5}]}))
    assert cli.main(["placement", "--input", str(inp), "--format", "table"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "unplaced  0" and out[0].startswith("a  ")
    assert cli.main(["cost", "--stack", "prod", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["currency"] == "CNY"
