"""hybrid/yamlio.py: safe YAML in and out; multi-line strings as literal blocks. Expected texts by hand
(YAML 1.1 block scalars: "|" keeps the final line break, "|-" strips it)."""

from __future__ import annotations

import pytest
import yaml

from hybrid import yamlio


def test_block_dumper_writes_multi_line_strings_as_literal_blocks():
    doc = {"script": "#!/bin/bash\necho hi\n", "last": "a\nb", "one": "single line"}
    assert yamlio.dump(doc, yamlio.BlockDumper, sort_keys=False) == (
        "script: |\n  #!/bin/bash\n  echo hi\n"
        "last: |-\n  a\n  b\n"
        "one: single line\n")


def test_block_dumper_leaves_one_line_strings_plain_or_quoted_as_yaml_needs():
    assert yamlio.dump(["x", "yes", "1"], yamlio.BlockDumper) == "- x\n- 'yes'\n- '1'\n"


def test_default_dumper_is_the_safe_one_and_quotes_multi_line_strings():
    assert yamlio.dump({"b": "a\nb", "a": (1, 2)}) == "a:\n- 1\n- 2\nb: 'a\n\n  b'\n"  # a tuple is a plain list
    with pytest.raises(yaml.representer.RepresenterError):
        yamlio.dump({"x": object()})


def test_dump_passes_its_options_through():
    assert yamlio.dump({"b": 1, "a": [1]}, sort_keys=False, default_flow_style=True) == "{b: 1, a: [1]}\n"
    long = "w " * 60
    assert yamlio.dump({"k": long.strip()}, width=yamlio.NO_WRAP) == f"k: {long.strip()}\n"


def test_dump_all_writes_safe_documents():
    assert yamlio.dump_all([{"a": 1}, {"b": (2,)}]) == "a: 1\n---\nb:\n- 2\n"
    assert yamlio.dump_all([{"b": 1, "a": 2}], sort_keys=False) == "b: 1\na: 2\n"
    with pytest.raises(yaml.representer.RepresenterError):
        yamlio.dump_all([object()])


def test_load_is_safe():
    assert yamlio.load("a: [1, x]\n") == {"a": [1, "x"]}
    with pytest.raises(yaml.constructor.ConstructorError):
        yamlio.load("!!python/object/apply:os.getcwd []\n")


def test_load_all_reads_every_document_as_a_list():
    assert yamlio.load_all("a: 1\n---\n- 2\n") == [{"a": 1}, [2]]
    with pytest.raises(yaml.constructor.ConstructorError):
        yamlio.load_all("a: 1\n---\n!!python/name:os.getcwd ''\n")
