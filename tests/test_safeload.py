"""hybrid/safeload.py on its own: what plain PyYAML/json would silently accept or mangle."""

from __future__ import annotations

import pytest
import yaml

from hybrid.safeload import LoadError, decode, loads_json, loads_yaml


def test_plain_documents_load_like_pyyaml():
    text = "a: 1\nb: [x, 'y', 2.5, true, ~, \"7\"]\nc: {d: -3, e: 1.0e3}\n"
    assert loads_yaml(text, "f") == yaml.safe_load(text)


@pytest.mark.parametrize("text,pyyaml_reads,fragment", [
    ("a: yes\n", {"a": True}, "YAML 1.1 boolean"),          # the 'Norway problem'
    ("a: 1:20\n", {"a": 80}, "not a plain decimal integer"),  # YAML 1.1 sexagesimal
    ("a: 0x1F\n", {"a": 31}, "not a plain decimal integer"),
    ("a: 010\n", None, "not a plain decimal integer"),
    ("a: .nan\n", None, "not a finite decimal number"),
    ("a: 1.0e+999\n", {"a": float("inf")}, "overflows a float"),
    ("a: &x {b: 1}\nc: {<<: *x}\n", {"a": {"b": 1}, "c": {"b": 1}}, "merge key"),
])
def test_yaml_11_surprises_are_refused(text, pyyaml_reads, fragment):
    if pyyaml_reads is not None:
        assert yaml.safe_load(text) == pyyaml_reads  # what the old loader did
    with pytest.raises(LoadError, match=fragment):
        loads_yaml(text, "f")


@pytest.mark.parametrize("text,fragment", [
    ("a: 1\n---\nb: 2\n", "more than one YAML document"),
    ("a: &a [*a]\n", "no finished anchor"),
    ("a: " + "[" * 65 + "]" * 65 + "\n", "nests deeper than 64"),
    ("? [a]\n: 1\n", "mapping key is a list"),
    ("a: !!omap [{b: 1}]\n", "tagged tag:yaml.org,2002:omap"),
    ("a: !!python/object:os.system x\n", "is tag tag:yaml.org,2002:python/object"),
])
def test_structures_refused(text, fragment):
    with pytest.raises(LoadError, match=fragment):
        loads_yaml(text, "f")


def test_error_names_file_line_and_field():
    with pytest.raises(LoadError) as info:
        loads_yaml("x:\n  y:\n    - ok\n    - 2024-01-01\n", "stack.yaml")
    (issue,) = info.value.issues
    assert issue.path == "x.y[1]" and "(stack.yaml line 4)" in issue.message and issue.fix


def test_size_limit():
    with pytest.raises(LoadError, match="above the 1000000-byte limit"):
        decode(b"a" * 1_000_001, "f")


@pytest.mark.parametrize("text,fragment", [
    ('{"a": NaN}', "NaN is not JSON"),
    ('{"a": -Infinity}', "-Infinity is not JSON"),
    ('{"a": {"b": 1, "b": 2}}', "appears twice"),
    ('{"a": 1234567890123456789}', "19 digits"),
    ('{"a": "[[[["}', None),  # brackets inside strings do not count as nesting
])
def test_json(text, fragment):
    if fragment is None:
        assert loads_json(text, "f") == {"a": "[[[["}
        return
    with pytest.raises(LoadError, match=fragment):
        loads_json(text, "f")
