"""hybrid-gpu diff over two small hand-made plan directories."""

from __future__ import annotations

import json
from pathlib import Path

from hybrid_tools import diff

SW = "alicloud:vpc/switch:Switch"
INST = "alicloud:ecs/instance:Instance"


def _plan(d: Path, resources: list[dict], outputs: dict, manifests: dict[str, str]) -> Path:
    (d / "manifests").mkdir(parents=True)
    (d / "resources.json").write_text(json.dumps(resources))
    (d / "outputs.json").write_text(json.dumps(outputs))
    for rel, text in manifests.items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return d


def _r(parent: str, typ: str, name: str, **inputs) -> dict:
    return {"urn": f"urn:pulumi:dev::p::{parent}${typ}::{name}", "type": typ, "name": name, "custom": True,
            "parent": None, "provider": "alicloud-cn-beijing", "inputs": inputs}


def _pair(tmp_path: Path):
    base = _plan(tmp_path / "base", [
        _r("c", SW, "g-nodes", cidrBlock="10.32.0.0/22", zoneId="cn-beijing-g", description="nodes"),
        _r("c", INST, "n0", instanceType="ecs.gn7i-c8g1.2xlarge", userData="[secret]", imageId="img-1"),
        _r("c", INST, "n1", instanceType="ecs.gn7i-c8g1.2xlarge"),
        _r("old-parent", SW, "g-pods", cidrBlock="10.32.32.0/19"),
    ], {"placement": {"w": {"assignments": {"idc": 4, "cn-beijing": 2}, "unplaced": 0}}},
        {"manifests/kube-system/configmap-x.yaml": "a: 1\nb: 2\n"})
    head = _plan(tmp_path / "head", [
        _r("c", SW, "g-nodes", cidrBlock="10.32.4.0/22", zoneId="cn-beijing-g", description="node ENIs"),
        _r("c", INST, "n0", instanceType="ecs.gn7i-c8g1.2xlarge", userData="[secret]", imageId="img-2"),
        _r("c", INST, "n2", instanceType="ecs.gn7i-c8g1.2xlarge"),
        _r("new-parent", SW, "g-pods", cidrBlock="10.32.32.0/19"),
    ], {"placement": {"w": {"assignments": {"idc": 3, "cn-beijing": 3}, "unplaced": 0}}},
        {"manifests/kube-system/configmap-x.yaml": "a: 1\nb: 3\n"})
    return base, head


def test_compute_classifies_changes(tmp_path):
    d = diff.compute(*_pair(tmp_path))
    kinds = {(c.kind, c.name) for c in d.resources}
    assert kinds == {("changed", "g-nodes"), ("changed", "n0"), ("added", "n2"), ("removed", "n1"), ("moved", "g-pods")}
    sw = next(c for c in d.resources if c.name == "g-nodes")
    assert {(p.path, p.effect) for p in sw.props} == {("cidrBlock", "replace"), ("description", "")}
    assert sw.replaces
    n0 = next(c for c in d.resources if c.name == "n0")
    assert [(p.path, p.effect) for p in n0.props] == [("imageId", "system disk re-created")] and n0.replaces
    assert next(c for c in d.resources if c.name == "g-pods").replaces  # URN moved without an alias
    assert d.placement == {"w": [("cn-beijing", 2, 3), ("idc", 4, 3)]}
    assert "-b: 2" in d.manifests["manifests/kube-system/configmap-x.yaml"]


def test_text_and_markdown(tmp_path):
    d = diff.compute(*_pair(tmp_path))
    text = diff.render_text(d)
    assert "~ Switch g-nodes  [REPLACE]" in text and "cidrBlock: 10.32.0.0/22 -> 10.32.4.0/22  (replace)" in text
    assert "w: cn-beijing 2 -> 3, idc 4 -> 3" in text
    md = diff.render_md(d)
    assert md.startswith("### Offline plan diff") and "> [!WARNING]" in md and "```diff" in md
    assert "| `cidrBlock` | `10.32.0.0/22` | `10.32.4.0/22` | replace |" in md


def test_identical_plans(tmp_path):
    base, _ = _pair(tmp_path)
    d = diff.compute(base, base)
    assert d.empty and "no changes" in diff.render_text(d)
    assert "No changes" in diff.render_md(d)


def test_effect_table_prefix_matching():
    assert diff.effect(INST, "dataDisks[0].size") == "replace"
    assert diff.effect("kubernetes:apps/v1:DaemonSet", "spec.template.spec.containers[0].image") == "rolling restart"
    assert diff.effect("kubernetes:core/v1:ConfigMap", "metadata.name") == "replace"
    assert diff.effect(SW, "tags.role") == ""


def test_option_changes_are_shown_one_per_option(tmp_path):
    kept = _r("c", SW, "g-nodes", cidrBlock="10.32.0.0/22")
    kept["options"] = {"retainOnDelete": True, "protect": True, "ignoreChanges": ["tags"]}
    added = _r("c", SW, "h-nodes", cidrBlock="10.32.4.0/22")
    added["options"] = {"import": "vsw-existing", "retainOnDelete": True}
    base = _plan(tmp_path / "base", [kept], {}, {})
    dropped = dict(kept, options={"ignoreChanges": ["tags", "vswitchName"]})
    head = _plan(tmp_path / "head", [dropped, added], {}, {})
    d = diff.compute(base, head)
    g = next(c for c in d.resources if c.name == "g-nodes")
    assert {(p.path, repr(p.new)) for p in g.props} == {
        ("<options.retainOnDelete>", "(absent)"), ("<options.protect>", "(absent)"),
        ("<options.ignoreChanges>", "['tags', 'vswitchName']")}
    assert "destroy or removal deletes" in next(p.effect for p in g.props if p.path == "<options.retainOnDelete>")
    h = next(c for c in d.resources if c.name == "h-nodes")
    assert h.kind == "added" and not h.replaces
    assert {(p.path, p.new) for p in h.props} == {("<options.import>", "vsw-existing"), ("<options.retainOnDelete>", True)}
    text = diff.render_text(d)
    assert "    <options.retainOnDelete>: true -> (absent)  (no longer retained: destroy or removal deletes the object)" in text
    assert "    <options.import>: (absent) -> vsw-existing  (the next up imports the existing object)" in text

    # A plan from before protect moved into options: the top-level flag still counts.
    old_style = dict(kept, protect=True, options={"retainOnDelete": True, "ignoreChanges": ["tags"]})
    base2 = _plan(tmp_path / "base2", [old_style], {}, {})
    head2 = _plan(tmp_path / "head2", [kept], {}, {})
    assert diff.compute(base2, head2).empty
