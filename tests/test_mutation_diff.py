"""hybrid-gpu diff over one hand-made pair of plans that holds every kind of change, read line by line.

The pair (worked by hand): a protected VPC whose CIDR changes (ForceNew cidr_block: replaced, and
`pulumi up` stops at it; its vSwitch and that vSwitch's instance depend on it), an instance whose
ignored userData and whose instanceType change and which stops being retained, a protected disk
removed (the pre-options `protect` form), a vSwitch re-parented (its URN moves) with a new CIDR,
a resource imported, a provider changed, a protect turned off, placement rows changed, added and
removed, outputs changed, node boot files and manifests added, changed and removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybrid_tools import diff
from hybrid_tools.errors import InputError

NET, SW, INST, DISK = ("alicloud:vpc/network:Network", "alicloud:vpc/switch:Switch", "alicloud:ecs/instance:Instance",
                       "alicloud:ecs/ecsDisk:EcsDisk")


def urn(typ, name, parent="c"):
    return f"urn:pulumi:dev::p::{parent}${typ}::{name}"


def r(typ, name, parent="c", deps=(), options=None, provider="alicloud-cn-beijing", protect=None, **inputs):
    doc = {"urn": urn(typ, name, parent), "type": typ, "name": name, "custom": True, "parent": None,
           "provider": provider, "inputs": inputs}
    if deps:
        doc["dependencies"] = [urn(t, n) for t, n in deps]
    if options is not None:
        doc["options"] = options
    if protect is not None:
        doc["protect"] = protect
    return doc


def write(d: Path, resources, outputs, files):
    d.mkdir(parents=True)
    (d / "resources.json").write_text(json.dumps(resources))
    (d / "outputs.json").write_text(json.dumps(outputs))
    for rel, text in files.items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(text)
    return d


def pair(tmp: Path):
    base = write(tmp / "base", [
        r(NET, "vpc", options={"protect": True}, cidrBlock="10.0.0.0/16"),
        r(SW, "sw", deps=[(NET, "vpc")], cidrBlock="10.0.0.0/24"),
        r(INST, "pool-a-0", deps=[(SW, "sw")], options={"ignoreChanges": ["userData"], "retainOnDelete": True},
          userData="a", instanceType="ecs.x"),
        r(INST, "pool-ab-1", instanceType="ecs.x"),
        r(DISK, "old", protect=True, size=40),
        r(SW, "pods", parent="old-parent", cidrBlock="10.0.1.0/24"),
        r(SW, "p", cidrBlock="10.0.3.0/24"),
        r(SW, "q", options={"protect": True}, cidrBlock="10.0.4.0/24"),
    ], {"placement": {"w1": {"assignments": {"idc": 4, "cn": 2}, "unplaced": 1}, "w2": {"assignments": {"idc": 1}},
                      "bad": "str"},
        "networks": {"a": 1}, "gone": "x"},
        {"cloud-init/pool-a.yaml": "X=1\n", "manifests/a.yaml": "a: 1\n"})
    head = write(tmp / "head", [
        r(NET, "vpc", options={"protect": True}, cidrBlock="10.1.0.0/16"),
        r(SW, "sw", deps=[(NET, "vpc")], cidrBlock="10.0.0.0/24"),
        r(INST, "pool-a-0", deps=[(SW, "sw")], options={"ignoreChanges": ["userData"]}, userData="b",
          instanceType="ecs.y"),
        r(INST, "pool-ab-1", instanceType="ecs.x"),
        r(SW, "pods", parent="new-parent", cidrBlock="10.0.2.0/24"),
        r(NET, "imp", options={"import": "vpc-123", "retainOnDelete": True}, cidrBlock="10.9.0.0/16"),
        r(SW, "p", provider="alicloud-cn-hangzhou", cidrBlock="10.0.3.0/24"),
        r(SW, "q", options={"protect": False}, cidrBlock="10.0.4.0/24"),
    ], {"placement": {"w1": {"assignments": {"idc": 3, "cn": 2, "hz": 1}, "unplaced": 0}, "w3": {"assignments": {"cn": 2}}},
        "networks": {"a": 2}, "new": "line one\nline two | `quoted` " + "x" * 80},
        {"cloud-init/pool-a.yaml": "X=2\n", "elastic/s.sh": "K=1\n", "manifests/b.yaml": "b: 1\n"})
    return base, head


TEXT = """\
plan diff {T}/base -> {T}/head
  1 to add, 4 to change, 1 to delete, 1 moved; 2 replacement(s); 2 manifest(s) changed; 2 node boot file(s) changed; 4 workload placement(s) changed; 2 protected resource(s) in the way
- EcsDisk old  [PROTECTED: up stops here]
> Switch pods  [REPLACE]
    URN changed from urn:pulumi:dev::p::old-parent$alicloud:vpc/switch:Switch::pods: add an Alias or Pulumi replaces it
    cidrBlock: 10.0.1.0/24 -> 10.0.2.0/24  (replace)
~ Instance pool-a-0
    instanceType: ecs.x -> ecs.y  (reboot)
    userData: a -> b  (ignored (ignoreChanges): reaches new resources only)
    <options.retainOnDelete>: true -> (absent)  (no longer retained: destroy or removal deletes the object)
~ Network vpc  [REPLACE]  [PROTECTED: up stops here]
    dependents (replaced or updated with it): Instance pool-a-0, Switch sw
    cidrBlock: 10.0.0.0/16 -> 10.1.0.0/16  (replace)
~ Switch p
    <provider>: alicloud-cn-beijing -> alicloud-cn-hangzhou  (replaces (new provider))
~ Switch q
    <options.protect>: true -> false  (no longer protected: the engine may delete or replace it)
+ Network imp
    <options.import>: (absent) -> vpc-123  (the next up imports the existing object)
    <options.retainOnDelete>: (absent) -> true
placement:
  bad: (workload) present -> (absent)
  w1: hz 0 -> 1, idc 4 -> 3, (unplaced) 1 -> 0
  w2: (workload) present -> (absent), idc 1 -> 0
  w3: (workload) (absent) -> present, cn 0 -> 2
output gone: x -> (absent)
output networks.a: 1 -> 2
output new: (absent) -> line one\\nline two | `quoted` xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...
protected: EcsDisk old, Network vpc: `pulumi up` stops at a protected resource it would delete or replace. Fix: keep the slot (count, zone), or move the data off and `pulumi state unprotect <urn>` first; docs/operations.md (scale-in)
cost:
  +1 ecs.x (cn/p, new pool): +10.00 CNY
node boot cloud-init/pool-a.yaml (instances pool-a-0):
    reaches new nodes only: instances ignore userData changes (ignoreChanges), so running nodes keep their boot. To roll it: per node, `kubectl drain`, then `pulumi up --replace <instance URN>` (its data disk is its own protected resource and is attached again), then `hybrid-gpu wait-gpus`; docs/operations.md
    --- base/cloud-init/pool-a.yaml
    +++ head/cloud-init/pool-a.yaml
    @@ -1 +1 @@
    -X=1
    +X=2
node boot elastic/s.sh:
    reaches new nodes only: ACK runs the node script when it adds a node, so running elastic nodes keep theirs. To roll it: drain and delete the pool's nodes a few at a time and let the autoscaler add fresh ones; docs/operations.md
    --- /dev/null
    +++ head/elastic/s.sh
    @@ -0,0 +1 @@
    +K=1
manifest manifests/a.yaml:
    --- base/manifests/a.yaml
    +++ /dev/null
    @@ -1 +0,0 @@
    -a: 1
manifest manifests/b.yaml:
    --- /dev/null
    +++ head/manifests/b.yaml
    @@ -0,0 +1 @@
    +b: 1
"""

MD = """\
### Offline plan diff

**1 to add, 4 to change, 1 to delete, 1 moved; 2 replacement(s); 2 manifest(s) changed; 2 node boot file(s) changed; 4 workload placement(s) changed; 2 protected resource(s) in the way**

> [!WARNING]
> This change replaces resources: `Switch pods`, `Network vpc`
> - `Network vpc` takes with it: `Instance pool-a-0`, `Switch sw`

> [!CAUTION]
> Protected: `EcsDisk old`, `Network vpc`. `pulumi up` stops at a protected resource it would delete or replace. Fix: keep the slot (count, zone), or move the data off and `pulumi state unprotect <urn>` first; docs/operations.md (scale-in)

#### Node boot files (user-data, elastic node script)

- `cloud-init/pool-a.yaml` (instances `pool-a-0`): reaches new nodes only: instances ignore userData changes (ignoreChanges), so running nodes keep their boot. To roll it: per node, `kubectl drain`, then `pulumi up --replace <instance URN>` (its data disk is its own protected resource and is attached again), then `hybrid-gpu wait-gpus`; docs/operations.md
- `elastic/s.sh`: reaches new nodes only: ACK runs the node script when it adds a node, so running elastic nodes keep theirs. To roll it: drain and delete the pool's nodes a few at a time and let the autoscaler add fresh ones; docs/operations.md

| | Type | Name | Replace |
|---|---|---|---|
| 🗑️ delete | `EcsDisk` | `old` |  **protected: up stops here** |
| ↪️ moved | `Switch` | `pods` | **yes** |
| ✏️ change | `Instance` | `pool-a-0` |  |
| ✏️ change | `Network` | `vpc` | **yes** **protected: up stops here** |
| ✏️ change | `Switch` | `p` |  |
| ✏️ change | `Switch` | `q` |  |
| ➕ add | `Network` | `imp` |  |

<details><summary>Property changes</summary>

**Switch `pods`** (URN moved from `urn:pulumi:dev::p::old-parent$alicloud:vpc/switch:Switch::pods`: add an Alias)

| Property | Base | Head | Effect |
|---|---|---|---|
| `cidrBlock` | `10.0.1.0/24` | `10.0.2.0/24` | replace |

**Instance `pool-a-0`**

| Property | Base | Head | Effect |
|---|---|---|---|
| `instanceType` | `ecs.x` | `ecs.y` | reboot |
| `userData` | `a` | `b` | ignored (ignoreChanges): reaches new resources only |
| `<options.retainOnDelete>` | `true` | `(absent)` | no longer retained: destroy or removal deletes the object |

**Network `vpc`**

| Property | Base | Head | Effect |
|---|---|---|---|
| `cidrBlock` | `10.0.0.0/16` | `10.1.0.0/16` | replace |

**Switch `p`**

| Property | Base | Head | Effect |
|---|---|---|---|
| `<provider>` | `alicloud-cn-beijing` | `alicloud-cn-hangzhou` | replaces (new provider) |

**Switch `q`**

| Property | Base | Head | Effect |
|---|---|---|---|
| `<options.protect>` | `true` | `false` | no longer protected: the engine may delete or replace it |

**Network `imp`**

| Property | Base | Head | Effect |
|---|---|---|---|
| `<options.import>` | `(absent)` | `vpc-123` | the next up imports the existing object |
| `<options.retainOnDelete>` | `(absent)` | `true` |  |

</details>

#### Placement

| Workload | Cluster | Base | Head |
|---|---|---|---|
| `bad` | `(workload)` | present | (absent) |
| `w1` | `hz` | 0 | 1 |
| `w1` | `idc` | 4 | 3 |
| `w1` | `(unplaced)` | 1 | 0 |
| `w2` | `(workload)` | present | (absent) |
| `w2` | `idc` | 1 | 0 |
| `w3` | `(workload)` | (absent) | present |
| `w3` | `cn` | 0 | 2 |

#### Cost

- `+1 ecs.x (cn/p, new pool): +10.00 CNY`

#### Stack outputs

| Output | Base | Head |
|---|---|---|
| `gone` | `x` | `(absent)` |
| `networks.a` | `1` | `2` |
| `new` | `(absent)` | `line one\\nline two \\| 'quoted' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...` |

<details><summary>node boot file <code>cloud-init/pool-a.yaml</code></summary>

```diff
--- base/cloud-init/pool-a.yaml
+++ head/cloud-init/pool-a.yaml
... 3 more lines
```

</details>

<details><summary>node boot file <code>elastic/s.sh</code></summary>

```diff
--- /dev/null
+++ head/elastic/s.sh
... 2 more lines
```

</details>

<details><summary>manifest <code>manifests/a.yaml</code></summary>

```diff
--- base/manifests/a.yaml
+++ /dev/null
... 2 more lines
```

</details>

<details><summary>manifest <code>manifests/b.yaml</code></summary>

```diff
--- /dev/null
+++ head/manifests/b.yaml
... 2 more lines
```

</details>
"""

COST = ["+1 ecs.x (cn/p, new pool): +10.00 CNY"]  # a cost_diff line: shown as given


def test_every_kind_of_change_is_classified(tmp_path):
    d = diff.compute(*pair(tmp_path))
    got = [(c.kind, c.type.rsplit(":", 1)[1], c.name, c.protected, c.replaces, c.dependents, c.moved_from,
            [(p.path, p.old if p.old is not diff._ABSENT else "(absent)", p.new if p.new is not diff._ABSENT else "(absent)",
              p.effect) for p in c.props])
           for c in d.resources]
    assert got == [
        ("removed", "EcsDisk", "old", True, False, [], "", []),
        ("moved", "Switch", "pods", False, True, [], urn(SW, "pods", "old-parent"),
         [("cidrBlock", "10.0.1.0/24", "10.0.2.0/24", "replace")]),
        ("changed", "Instance", "pool-a-0", False, False, [], "", [
            ("instanceType", "ecs.x", "ecs.y", "reboot"),
            ("userData", "a", "b", "ignored (ignoreChanges): reaches new resources only"),
            ("<options.retainOnDelete>", True, "(absent)", "no longer retained: destroy or removal deletes the object")]),
        ("changed", "Network", "vpc", True, True, ["Instance pool-a-0", "Switch sw"], "",
         [("cidrBlock", "10.0.0.0/16", "10.1.0.0/16", "replace")]),
        ("changed", "Switch", "p", False, False, [], "",
         [("<provider>", "alicloud-cn-beijing", "alicloud-cn-hangzhou", "replaces (new provider)")]),
        ("changed", "Switch", "q", False, False, [], "",
         [("<options.protect>", True, False, "no longer protected: the engine may delete or replace it")]),
        ("added", "Network", "imp", False, False, [], "", [
            ("<options.import>", "(absent)", "vpc-123", "the next up imports the existing object"),
            ("<options.retainOnDelete>", "(absent)", True, "")])]
    assert [c.urn for c in d.resources][1] == urn(SW, "pods", "new-parent")
    assert [c.name for c in d.protected] == ["old", "vpc"]
    absent = diff._ABSENT
    assert d.placement == {"bad": [("(workload)", "present", absent)],
                           "w1": [("hz", 0, 1), ("idc", 4, 3), ("(unplaced)", 1, 0)],
                           "w2": [("(workload)", "present", absent), ("idc", 1, 0)],
                           "w3": [("(workload)", absent, "present"), ("cn", 0, 2)]}
    assert [(p.path, p.old, p.new, p.effect) for p in d.outputs] == [
        ("gone", "x", absent, ""), ("networks.a", 1, 2, ""),
        ("new", absent, "line one\nline two | `quoted` " + "x" * 80, "")]
    assert d.boot == {"cloud-init/pool-a.yaml": "--- base/cloud-init/pool-a.yaml\n+++ head/cloud-init/pool-a.yaml\n"
                                                "@@ -1 +1 @@\n-X=1\n+X=2\n",
                      "elastic/s.sh": "--- /dev/null\n+++ head/elastic/s.sh\n@@ -0,0 +1 @@\n+K=1\n"}
    # The user-data of pool pool-a boots its instances pool-a-<n>, not those of pool pool-ab.
    assert d.boot_targets == {"cloud-init/pool-a.yaml": ["pool-a-0"], "elastic/s.sh": []}
    assert d.manifests == {"manifests/a.yaml": "--- base/manifests/a.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-a: 1\n",
                           "manifests/b.yaml": "--- /dev/null\n+++ head/manifests/b.yaml\n@@ -0,0 +1 @@\n+b: 1\n"}
    assert d.cost == [] and (d.base, d.head) == (tmp_path / "base", tmp_path / "head") and not d.empty


def test_the_text_view_line_by_line(tmp_path):
    d = diff.compute(*pair(tmp_path))
    d.cost = COST
    assert diff.render_text(d) == TEXT.replace("{T}", str(tmp_path))


def test_the_markdown_view_line_by_line(tmp_path):
    d = diff.compute(*pair(tmp_path))
    d.cost = COST
    assert diff.render_md(d, max_manifest_lines=2) == MD


def test_the_json_view(tmp_path):
    d = diff.compute(*pair(tmp_path))
    d.cost = COST
    doc = diff.to_json(d)
    assert (doc["base"], doc["head"]) == (str(tmp_path / "base"), str(tmp_path / "head"))
    assert doc["summary"] == TEXT.splitlines()[1].strip() and doc["cost"] == COST
    vpc = {"kind": "changed", "type": NET, "name": "vpc", "urn": urn(NET, "vpc"), "replaces": True, "protected": True,
           "dependents": ["Instance pool-a-0", "Switch sw"], "movedFrom": None,
           "props": [{"path": "cidrBlock", "old": "10.0.0.0/16", "new": "10.1.0.0/16", "effect": "replace"}]}
    moved = {"kind": "moved", "type": SW, "name": "pods", "urn": urn(SW, "pods", "new-parent"), "replaces": True,
             "protected": False, "dependents": [], "movedFrom": urn(SW, "pods", "old-parent"),
             "props": [{"path": "cidrBlock", "old": "10.0.1.0/24", "new": "10.0.2.0/24", "effect": "replace"}]}
    added = {"kind": "added", "type": NET, "name": "imp", "urn": urn(NET, "imp"), "replaces": False, "protected": False,
             "dependents": [], "movedFrom": None,
             "props": [{"path": "<options.import>", "old": None, "new": "vpc-123", "effect": "the next up imports the existing object"},
                       {"path": "<options.retainOnDelete>", "old": None, "new": True, "effect": ""}]}
    assert [doc["resources"][i] for i in (1, 3, 6)] == [moved, vpc, added]
    assert [r["name"] for r in doc["resources"]] == ["old", "pods", "pool-a-0", "vpc", "p", "q", "imp"]
    assert doc["nodeBoot"] == [
        {"file": "cloud-init/pool-a.yaml", "instances": ["pool-a-0"], "note": diff.BOOT_NOTE["cloud-init/"],
         "diff": d.boot["cloud-init/pool-a.yaml"]},
        {"file": "elastic/s.sh", "instances": [], "note": diff.BOOT_NOTE["elastic/"], "diff": d.boot["elastic/s.sh"]}]
    assert doc["manifests"] == [{"file": "manifests/a.yaml", "diff": d.manifests["manifests/a.yaml"]},
                                {"file": "manifests/b.yaml", "diff": d.manifests["manifests/b.yaml"]}]
    assert doc["placement"] == {
        "bad": [{"cluster": "(workload)", "old": "present", "new": None}],
        "w1": [{"cluster": "hz", "old": 0, "new": 1}, {"cluster": "idc", "old": 4, "new": 3},
               {"cluster": "(unplaced)", "old": 1, "new": 0}],
        "w2": [{"cluster": "(workload)", "old": "present", "new": None}, {"cluster": "idc", "old": 1, "new": 0}],
        "w3": [{"cluster": "(workload)", "old": None, "new": "present"}, {"cluster": "cn", "old": 0, "new": 2}]}
    assert doc["outputs"] == [{"path": "gone", "old": "x", "new": None}, {"path": "networks.a", "old": 1, "new": 2},
                              {"path": "new", "old": None, "new": "line one\nline two | `quoted` " + "x" * 80}]
    assert json.loads(json.dumps(doc)) == doc  # plain JSON throughout


@pytest.mark.parametrize("fmt,start", [("json", "{\n  \"base\": "), ("md", "### Offline plan diff\n"), ("table", "plan diff ")])
def test_main_writes_each_format_to_stdout_or_a_file(tmp_path, capsys, fmt, start):
    base, head = pair(tmp_path)
    assert diff.main(base, head, fmt) == 0
    out = capsys.readouterr().out
    assert out.startswith(start) and out.endswith("\n")
    if fmt == "json":
        assert json.loads(out)["summary"] == TEXT.splitlines()[1].strip()
        assert out == json.dumps(json.loads(out), indent=2, sort_keys=True) + "\n"
    target = tmp_path / "new" / "dir" / "diff.out"
    assert diff.main(base, head, fmt, output=target) == 0
    assert capsys.readouterr().out == "" and target.read_text() == out


def test_markdown_cuts_a_long_file_diff_at_200_lines_by_default(tmp_path):
    long = "".join(f"l{i}\n" for i in range(197))  # its diff: 3 header lines + 197 = 200 lines
    d = diff.PlanDiff(tmp_path, tmp_path, [], {"manifests/x.yaml": "--- a\n+++ b\n@@ h @@\n" + long}, {}, [])
    assert "more lines" not in diff.render_md(d) and "\nl196\n```\n" in diff.render_md(d)
    d.manifests["manifests/x.yaml"] += "extra\n"
    assert "\nl196\n... 1 more lines\n```" in diff.render_md(d)


def test_each_part_alone_makes_a_diff_non_empty(tmp_path):
    parts = {"resources": [diff.ResourceChange("u", "t", "n", "added")], "manifests": {"m": "x"}, "placement": {"w": []},
             "outputs": [diff.PropChange("o", 1, 2, "")], "cost": ["c"], "boot": {"cloud-init/x": "y"}}
    empty = diff.PlanDiff(tmp_path, tmp_path, [], {}, {}, [])
    assert empty.empty
    counts = ("0 to add, 0 to change, 0 to delete, 0 moved; 0 replacement(s); 0 manifest(s) changed; 0 node boot file(s) "
              "changed; 0 workload placement(s) changed; 0 protected resource(s) in the way")
    assert diff.render_text(empty) == f"plan diff {tmp_path} -> {tmp_path}\n  {counts}\n  no changes\n"
    assert diff.render_md(empty) == f"### Offline plan diff\n\n**{counts}**\n\nNo changes to the offline plan.\n"
    for name, value in parts.items():
        d = diff.PlanDiff(tmp_path, tmp_path, [], {}, {}, [])
        setattr(d, name, value)
        assert not d.empty, name


def test_flatten_paths():
    assert diff.flatten({"a": {"b": [1, {"c": 2}], "e": {}, "f": []}, "d": 3}) == {
        "a.b[0]": 1, "a.b[1].c": 2, "a.e": {}, "a.f": [], "d": 3}
    assert diff.flatten([1, [2]]) == {"[0]": 1, "[1][0]": 2}
    assert diff.flatten(5) == {"": 5}


def test_effect_is_the_longest_matching_property_or_nothing():
    assert diff.effect(SW, "description") == ""
    assert diff.effect("alicloud:unknown/thing:Thing", "metadata.name") == ""
    assert diff.effect("kubernetes:core/v1:Service", "metadata.name") == "replace"
    assert diff.effect("kubernetes:apps/v1:DaemonSet", "spec.template.spec.containers[0].image") == "rolling restart"
    assert diff.effect(INST, "dataDisks[0].size") == "replace"


def test_fmt_sorted_utf8_json_one_line_cut_at_80():
    assert diff._fmt({"b": 1, "a": "é"}) == '{"a": "é", "b": 1}'
    assert diff._fmt("x" * 80) == "x" * 80
    assert diff._fmt("x" * 81) == "x" * 77 + "..."
    assert diff._fmt("a\nb") == "a\\nb"
    assert diff._fmt(diff._ABSENT) == "(absent)"


def test_short_type():
    assert diff._short_type("kubernetes:apps/v1:DaemonSet") == "DaemonSet"
    assert diff._short_type("custom:Thing") == "custom:Thing"  # not a type token: shown whole


def test_a_property_that_appears_as_null_is_a_change(tmp_path):
    a = write(tmp_path / "a", [r(SW, "s", cidrBlock="10.0.0.0/24")], {}, {})
    b = write(tmp_path / "b", [r(SW, "s", cidrBlock="10.0.0.0/24", description=None)], {}, {})
    (c,) = diff.compute(a, b).resources
    assert [(p.path, p.old, p.new) for p in c.props] == [("description", diff._ABSENT, None)]
    (c,) = diff.compute(b, a).resources
    assert [(p.path, p.old, p.new) for p in c.props] == [("description", None, diff._ABSENT)]


def _nested_dicts(n: int) -> dict:
    v: dict = {}
    for _ in range(n - 1):
        v = {"a": v}
    return v


def _nested_lists(n: int) -> list:
    v: list = []
    for _ in range(n - 1):
        v = [v]
    return v


@pytest.mark.parametrize("doc,ok", [
    ({"x": _nested_dicts(63)}, True),                     # 64 levels: the limit
    ({"x": _nested_lists(63)}, True),
    ({"x": _nested_dicts(64)}, False),                    # 65
    ({"x": [_nested_lists(64)]}, False),
    ({"x": [_nested_lists(70), [1]]}, False),             # the deep one first, a shallow one after it
    ({"x": {"deep": _nested_dicts(70), "z": {"c": 1}}}, False),
])
def test_outputs_nested_past_64_levels_are_refused(tmp_path, doc, ok):
    a = write(tmp_path / "a", [], doc, {})
    if ok:
        assert diff.load_plan(a)[1] == doc
    else:
        with pytest.raises(InputError) as e:
            diff.load_plan(a)
        assert str(e.value) == (f"{a / 'outputs.json'}: not a plan artifact (nested deeper than 64). "
                                "Fix: re-run `hybrid-gpu plan` to rewrite it.")


@pytest.mark.parametrize("resources,says", [
    ([1], "entry 0 is not an object"),
    ([{"urn": "u", "type": "t", "name": "n", "options": []}], "u: options is not a dict"),
    ([{"urn": "u", "type": "t", "name": "n", "dependencies": {}}], "u: dependencies is not a list"),
    ([{"urn": "u", "type": "t", "name": "n", "inputs": "x"}], "u: inputs is not a dict"),
])
def test_a_resource_entry_of_the_wrong_shape_names_the_file(tmp_path, resources, says):
    a = write(tmp_path / "a", resources, {}, {})
    with pytest.raises(InputError) as e:
        diff.load_plan(a)
    assert str(e.value) == f"{a / 'resources.json'}: not a plan artifact ({says}). Fix: re-run `hybrid-gpu plan` to rewrite it."


def test_a_plan_without_outputs_has_none(tmp_path):
    a = write(tmp_path / "a", [], {}, {})
    (a / "outputs.json").unlink()
    assert diff.load_plan(a) == ({}, {}, {}, {})


def test_missing_plans_say_how_to_make_one(tmp_path):
    with pytest.raises(InputError) as e:
        diff.load_plan(tmp_path / "nope")
    assert str(e.value) == (f"{tmp_path / 'nope'}: no such plan directory. Fix: run `hybrid-gpu plan --stack <stack> "
                            "--out <root>` and pass <root>/<stack>.")
    with pytest.raises(InputError) as e:
        diff.load_plan(tmp_path)
    assert str(e.value) == (f"{tmp_path}: not an offline plan (no resources.json). Fix: run `hybrid-gpu plan` and pass "
                            "its output directory.")


@pytest.mark.parametrize("name", ["outputs.json", "cost.json"])
def test_a_linked_output_or_cost_file_leaving_the_plan_is_refused(tmp_path, name):
    a = write(tmp_path / "a", [], {}, {})
    outside = tmp_path / "elsewhere.json"
    outside.write_text("{}")
    (a / name).unlink(missing_ok=True)
    (a / name).symlink_to(outside)
    with pytest.raises(InputError) as e:
        diff.load_plan(a)
    assert str(e.value) == f"{a / name}: links outside the plan directory {a}. Fix: re-run `hybrid-gpu plan` to rewrite it."


def test_plan_files_that_are_not_utf8_or_link_out_name_the_file(tmp_path):
    a = write(tmp_path / "a", [], {}, {"manifests/ok.yaml": "a: 1\n"})
    (a / "manifests" / "bad.yaml").write_bytes(b"a: \xff\n")
    with pytest.raises(InputError) as e:
        diff.load_plan(a)
    assert str(e.value) == (f"{a / 'manifests' / 'bad.yaml'}: not a plan file (not UTF-8: byte 0xff at offset 3). "
                            "Fix: re-run `hybrid-gpu plan` to rewrite it.")
    b = write(tmp_path / "b", [], {}, {})
    (tmp_path / "outside").mkdir()
    (b / "elastic").symlink_to(tmp_path / "outside")
    with pytest.raises(InputError) as e:
        diff.load_plan(b)
    assert str(e.value) == f"{b / 'elastic'}: links outside the plan directory {b}. Fix: re-run `hybrid-gpu plan` to rewrite it."


def test_plans_are_read_as_utf8_whatever_the_locale(tmp_path):
    import locale

    a = write(tmp_path / "a", [r(SW, "s", description="café")], {"note": "雪"}, {"manifests/m.yaml": "name: café\n"})
    for name, doc in (("resources.json", [r(SW, "s", description="café")]), ("outputs.json", {"note": "雪"})):
        (a / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")  # as the plan writes them
    old = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")  # an ASCII locale, as on a bare CI image without LANG
    try:
        resources, outputs, manifests, _ = diff.load_plan(a)
    finally:
        locale.setlocale(locale.LC_CTYPE, old)
    assert resources[urn(SW, "s")]["inputs"] == {"description": "café"}
    assert outputs == {"note": "雪"} and manifests == {"manifests/m.yaml": "name: café\n"}


def test_ignore_changes_covers_the_property_and_everything_under_it(tmp_path):
    opts = {"ignoreChanges": ["tags", "dataDisks"]}
    a = write(tmp_path / "a", [r(INST, "n", options=opts, tags={"a": "1"}, dataDisks=[{"size": 40}], tagsNote="x")], {}, {})
    b = write(tmp_path / "b", [r(INST, "n", options=opts, tags={"a": "2"}, dataDisks=[{"size": 80}], tagsNote="y")], {}, {})
    (c,) = diff.compute(a, b).resources
    ignored = "ignored (ignoreChanges): reaches new resources only"
    assert [(p.path, p.effect) for p in c.props] == [("dataDisks[0].size", ignored), ("tags.a", ignored), ("tagsNote", "")]
    assert not c.replaces  # dataDisks is ForceNew, but the engine keeps the old value


def test_every_changed_option_is_shown_after_an_unchanged_one(tmp_path):
    a = write(tmp_path / "a", [r(SW, "s", options={"deleteBeforeReplace": True, "protect": True, "retainOnDelete": True})], {}, {})
    b = write(tmp_path / "b", [r(SW, "s", options={"deleteBeforeReplace": True, "protect": False})], {}, {})
    (c,) = diff.compute(a, b).resources
    assert [(p.path, p.old, p.new) for p in c.props] == [("<options.protect>", True, False),
                                                         ("<options.retainOnDelete>", True, diff._ABSENT)]


def test_placement_that_is_not_a_mapping_is_skipped(tmp_path):
    a = write(tmp_path / "a", [], {"placement": ["not", "a", "mapping"]}, {})
    b = write(tmp_path / "b", [], {"placement": {"w": {"assignments": {"idc": 1}}}}, {})
    assert diff.compute(a, b).placement == {} and diff.compute(b, a).placement == {}
    c = write(tmp_path / "c", [], {"placement": {"w": 7}}, {})  # an entry that is not an object reads as empty
    assert diff.compute(b, c).placement == {"w": [("idc", 1, 0)]}
    assert diff.compute(c, b).placement == {"w": [("idc", 0, 1)]}


def test_a_provider_set_or_dropped_and_an_option_other_than_protect(tmp_path):
    a = write(tmp_path / "a", [r(SW, "s", provider=None, options={"deleteBeforeReplace": True})], {}, {})
    b = write(tmp_path / "b", [r(SW, "s", options={"deleteBeforeReplace": False})], {}, {})
    (c,) = diff.compute(a, b).resources
    assert [(p.path, p.old, p.new, p.effect) for p in c.props] == [
        ("<options.deleteBeforeReplace>", True, False, ""),
        ("<provider>", diff._ABSENT, "alicloud-cn-beijing", "replaces (new provider)")]
    (c,) = diff.compute(b, a).resources
    assert [(p.path, p.old, p.new) for p in c.props][-1] == ("<provider>", "alicloud-cn-beijing", diff._ABSENT)


def test_removed_resources_come_before_moved_ones_whatever_their_type(tmp_path):
    a = write(tmp_path / "a", [r(SW, "z"), r(NET, "a", parent="old")], {}, {})
    b = write(tmp_path / "b", [r(NET, "a", parent="new")], {}, {})
    d = diff.compute(a, b)
    assert [(c.kind, c.name) for c in d.resources] == [("removed", "z"), ("moved", "a")]
    # A move without a property change is still listed with its URN in the Markdown details.
    assert "**Network `a`** (URN moved from `urn:pulumi:dev::p::old$alicloud:vpc/network:Network::a`: add an Alias)" in diff.render_md(d)


@pytest.mark.parametrize("base,head,rows", [
    ({"assignments": {"idc": 1}}, {"assignments": {"idc": 1, "new": 0}}, None),  # a cluster given 0 is no change
    ({"assignments": {"idc": 1, "old": 0}}, {"assignments": {"idc": 1}}, None),
    ({"assignments": {}, "unplaced": 0}, {"assignments": {}, "unplaced": 2}, [("(unplaced)", 0, 2)]),
    ({"assignments": {}}, {"assignments": {}, "unplaced": 2}, [("(unplaced)", 0, 2)]),
    ({"assignments": {}, "unplaced": 3}, {"assignments": {}}, [("(unplaced)", 3, 0)]),
])
def test_placement_rows_read_a_missing_count_as_zero(tmp_path, base, head, rows):
    a = write(tmp_path / "a", [], {"placement": {"w": base}}, {})
    b = write(tmp_path / "b", [], {"placement": {"w": head}}, {})
    assert diff.compute(a, b).placement == ({"w": rows} if rows else {})


def test_file_diffs_keep_their_last_line_as_written_and_name_every_instance(tmp_path):
    a = write(tmp_path / "a", [r(INST, "pool-a-0"), r(INST, "pool-a-1")], {},
              {"manifests/a.yaml": "v: 0\n", "manifests/b.yaml": "v: 0\n", "cloud-init/pool-a.yaml": "X=1\n"})
    b = write(tmp_path / "b", [r(INST, "pool-a-0"), r(INST, "pool-a-1")], {},
              {"manifests/a.yaml": "v: X\n", "manifests/b.yaml": "v: 1 \n", "cloud-init/pool-a.yaml": "X=X\n",
               "elastic/s.sh": "K=1 \n"})
    d = diff.compute(a, b)
    text, md = diff.render_text(d), diff.render_md(d)
    for line in ("+v: X", "+v: 1 ", "+X=X", "+K=1 "):
        assert f"\n    {line}\n" in text and f"\n{line}\n" in md
    assert "node boot cloud-init/pool-a.yaml (instances pool-a-0, pool-a-1):" in text
    assert "- `cloud-init/pool-a.yaml` (instances `pool-a-0`, `pool-a-1`): reaches new nodes only" in md


def test_main_writes_into_an_existing_directory(tmp_path):
    base, head = pair(tmp_path)
    (tmp_path / "out").mkdir()
    assert diff.main(base, head, "md", output=tmp_path / "out" / "one.md") == 0
    assert diff.main(base, head, "md", output=tmp_path / "out" / "two.md") == 0
    assert (tmp_path / "out" / "one.md").read_text() == (tmp_path / "out" / "two.md").read_text()
