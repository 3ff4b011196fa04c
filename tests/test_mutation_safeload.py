"""hybrid.safeload: every refusal as the user reads it, and every limit on both sides.

A refusal is one line: ``<field path>: <problem> (<file> line N). Fix: <fix>``. The tests check the
parts a user acts on against expectations worked out by hand from the input: the field path (the
keys above the bad value), the file and line (counted in the input), the problem (the offending
value or key quoted, the limit named) and the fix (what to do). Every fix is a sentence of its own:
it starts lowercase after "Fix: " and ends with a period. Where the parser itself words the problem
(YAML and JSON syntax), the expectation is the parser's own message for the same input.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import re
import threading
import time

import pytest
import yaml

from hybrid import yamlio
from hybrid.safeload import LoadError, decode, load_json, load_yaml, loads_json, loads_yaml

WHERE_RE = re.compile(r"^(?P<problem>.*) \((?P<where>[^()]*)\)\.$", re.S)


def refusal(load, *args):
    """(path, problem, where, fix) of the one problem ``load(*args)`` refuses, after the checks every
    refusal obeys: one rendered line, the location last in the message, the fix a sentence."""
    with pytest.raises(LoadError) as info:
        load(*args)
    (issue,) = info.value.issues
    assert "\n" not in str(info.value)
    m = WHERE_RE.match(issue.message)
    assert m, issue.message
    assert isinstance(issue.fix, str) and issue.fix[:1].islower() and issue.fix.endswith("."), issue.fix
    return issue.path, m["problem"], m["where"], issue.fix


# (input, field path, where, the problem starts with, the fix holds). Lines counted by hand.
YAML_REFUSALS = [
    ("a:\n  b:\n    c: 1\n    c: 2\n", "a.b.c", "f line 4", "key 'c' appears twice", "remove one"),
    ("a:\n  b:\n    1: x\n", "a.b", "f line 3", "mapping key 1 is not a string", "quote the key"),
    ("a: &x [1]\nb:\n  c:\n    ? *x\n    : 2\n", "b.c", "f line 4", "mapping key list is not a string", "quote the key"),
    ("a: &x {d: 1}\nb:\n  c:\n    ? *x\n    : 2\n", "b.c", "f line 4", "mapping key dict is not a string", "quote the key"),
    ("a:\n  b:\n    ? [x]\n    : 1\n", "a.b", "f line 3", "a mapping key is a list or mapping (", "string keys only"),
    ("a:\n  b:\n    0x1F: 1\n", "a.b", "f line 3", "'0x1F' is not a plain decimal integer", 'decimal, or quote it ("0x1F")'),
    ("a:\n  b:\n    c: 0x1F\n", "a.b.c", "f line 3", "'0x1F' is not a plain decimal integer", 'decimal, or quote it ("0x1F")'),
    ("a:\n  - x\n  - 017\n", "a[1]", "f line 3", "'017' is not a plain decimal integer", 'quote it ("017")'),
    ("a:\n  b:\n    c: !!set {x}\n", "a.b.c", "f line 3", "a mapping tagged tag:yaml.org,2002:set", "plain list or mapping"),
    ("a:\n  b:\n    c: !!omap [{d: 1}]\n", "a.b.c", "f line 3", "a sequence tagged tag:yaml.org,2002:omap",
     "plain list or mapping"),
    ("a:\n  b:\n    - *nope\n", "a.b[0]", "f line 3", "alias *nope refers to no finished anchor", "define &anchor before"),
    ("a: 1\n---\nb: 2\n", "<root>", "f line 2", "holds more than one YAML document (", "remove the extra ---"),
    ("a:\n  b: 2024-01-01\n", "a.b", "f line 2", "'2024-01-01' is a timestamp;", 'quote it ("2024-01-01")'),
    ("a:\n  b:\n    c: {<<: {d: 1}}\n", "a.b.c", "f line 3", "'<<' is a merge key;", 'quote it ("<<")'),
    ("a:\n  b: !vault secret\n", "a.b", "f line 2", "'secret' is tag !vault;", 'quote it ("secret")'),
    ("a:\n  b: yes\n", "a.b", "f line 2", "'yes' is a YAML 1.1 boolean", 'write true or false, or quote it ("yes")'),
    ("a:\n  b: 1234567890123456789\n", "a.b", "f line 2", "integer with 19 digits", "at most 18 digits"),
    ("a:\n  b: -1234567890123456789\n", "a.b", "f line 2", "integer with 19 digits", "at most 18 digits"),
    ("a:\n  b: .nan\n", "a.b", "f line 2", "'.nan' is not a finite decimal number", 'such as 6.5, or quote it (".nan")'),
    ("a:\n  b: 1.0e+999\n", "a.b", "f line 2", "'1.0e+999' overflows a float", "realistic number"),
]


@pytest.mark.parametrize("text,path,where,problem,fix", YAML_REFUSALS)
def test_yaml_refusal_names_field_line_and_fix(text, path, where, problem, fix):
    got_path, got_problem, got_where, got_fix = refusal(loads_yaml, text, "f")
    assert (got_path, got_where) == (path, where)
    assert (got_problem + " (").startswith(problem), got_problem
    assert fix in got_fix


@pytest.mark.parametrize("text,where", [
    ("a: b: c\n", "f line 1 column 5"),        # the second ':' is the 5th character of line 1
    ("a:\n  - x\n - y\n", "f line 3 column 2"),  # '-' at column 2 of line 3 breaks the mapping
    ("a: \x07\n", "f"),                          # a reader error: the parser gives no line
])
def test_yaml_syntax_error_quotes_the_parsers_problem(text, where):
    try:
        list(yaml.parse(text, Loader=yamlio.SafeLoader))
    except yaml.YAMLError as e:  # the parser's own words for the same input
        said = getattr(e, "problem", None) or str(e).splitlines()[0]
    path, problem, got_where, fix = refusal(loads_yaml, text, "f")
    assert (path, problem, got_where) == ("<root>", f"is not valid YAML: {said}", where)
    assert "YAML syntax" in fix


def test_long_values_are_quoted_by_their_first_40_characters():
    value = "y" * 39 + "Z" + "q" * 10  # 50 characters, the 40th is Z
    _, problem, _, fix = refusal(loads_yaml, f"a: !vault {value}\n", "f")
    assert problem.startswith(f"'{'y' * 39}Z' is tag !vault")
    assert fix == "quote it if it is a string."  # too long to repeat in the fix
    for text, start in [(f"a: 0x{'1' * 45}\n", "'0x" + "1" * 38 + "' is not a plain"),
                        (f"a: 1{'_0' * 30}.5\n", "'1" + "_0" * 19 + "_' is not a finite"),
                        (f"a: 1{'0' * 40}.0e+999\n", "'1" + "0" * 39 + "' overflows")]:
        assert refusal(loads_yaml, text, "f")[1].startswith(start)


def test_the_quoted_hint_repeats_values_up_to_40_characters():
    forty = "0x" + "a" * 38
    assert refusal(loads_yaml, f"a: {forty}\n", "f")[3] == f'write it in decimal, or quote it ("{forty}") if it is a string.'
    assert refusal(loads_yaml, f"a: {forty}b\n", "f")[3] == "write it in decimal, or quote it if it is a string."


@pytest.mark.parametrize("text,expected", [
    ("a: ! 12\nb: ! [1]\nc: ! {d: x}\n", {"a": 12, "b": [1], "c": {"d": "x"}}),  # `!`: resolved as untagged
    ("a: !!seq [1]\nb: !!map {c: 1}\nd: !!str 5\ne: !!int '5'\nf: !!float 1\ng: !!null x\n",
     {"a": [1], "b": {"c": 1}, "d": "5", "e": 5, "f": 1.0, "g": None}),
    ("a: 123456789012345678\nb: -123456789012345678\nc: +123456789012345678\n",
     {"a": 123456789012345678, "b": -123456789012345678, "c": 123456789012345678}),
    ("a: &x {b: [1, 2]}\nc: *x\nd: &s s\n? *s\n: *s\n", {"a": {"b": [1, 2]}, "c": {"b": [1, 2]}, "d": "s", "s": "s"}),
    ("- &k a\n- {*k : 1}\n", ["a", {"a": 1}]),
])
def test_plain_forms_load_as_pyyaml_reads_them(text, expected):
    assert yaml.safe_load(text) == expected  # the upstream reading of the same text
    assert loads_yaml(text, "f") == expected


def test_tag_handles_that_expand_to_the_short_core_tags_are_the_core_types():
    # `%TAG !e! !!` makes `!e!int` the tag "!!int" (YAML 1.2 spec, 6.8.2 TAG directives): the core type.
    text = "%TAG !e! !!\n---\n[!e!str 5, !e!int 5, !e!float 5, !e!bool true, !e!null x]\n"
    assert loads_yaml(text, "f") == ["5", 5, 5.0, True, None]


def test_a_float_is_at_most_64_characters():
    assert loads_yaml("a: 1." + "0" * 62 + "\n", "f") == {"a": 1.0}  # 64 characters
    _, problem, _, _ = refusal(loads_yaml, "a: 1." + "0" * 63 + "\n", "f")
    assert "is not a finite decimal number" in problem


def test_nesting_64_deep_loads_and_65_is_refused_at_the_65th():
    value = loads_yaml("[" * 64 + "]" * 64, "f")
    for _ in range(63):
        (value,) = value
    assert value == []
    path, problem, where, fix = refusal(loads_yaml, "[" * 65 + "]" * 65, "f")
    assert (path, problem, where) == ("[0]" * 64, "nests deeper than 64 levels", "f line 1")
    assert "flatten" in fix


def test_32_aliases_load_and_the_33rd_is_refused():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 32) + "]\n"
    assert loads_yaml(text, "f") == {"a": "x", "b": ["x"] * 32}
    path, problem, where, fix = refusal(loads_yaml, text.replace("]", ", *a]"), "f")
    assert (path, problem, where) == ("b[32]", "uses more than 32 aliases", "f line 2")
    assert "write the values out" in fix


def _counted(padding: int) -> str:
    # Every event counts once (a scalar, an alias, the start and the end of a collection) and an alias
    # adds what it expands to (a list: itself and its items). Here: the mapping 2, key s and its
    # scalar 2, key a and its list of 998: 1 + 2 + 998, key c and its list: 1 + 2 + padding, key b
    # and its list: 1 + 2, *s: 1 + 1, 31 times *x: 31 * (1 + 999). Total 32013 + padding.
    return ("s: &s 0\na: &x [" + ", ".join(["0"] * 998) + "]\nc: [" + ", ".join(["0"] * padding)
            + "]\nb: [*s" + ", *x" * 31 + "]\n")


def test_50000_values_load_and_one_more_is_refused():
    doc = loads_yaml(_counted(50_000 - 32_013), "f")
    assert len(doc["b"]) == 32 and doc["b"][31] == [0] * 998
    _, problem, where, fix = refusal(loads_yaml, _counted(50_001 - 32_013), "f")
    assert problem == "holds more than 50000 values" and where.startswith("f line ")
    assert "right file" in fix
    # Two more: the last alias and what it expands to still fit, the end of its list does not.
    path, problem, where, _ = refusal(loads_yaml, _counted(50_002 - 32_013), "f")
    assert (path, problem, where) == ("<root>", "holds more than 50000 values", "f line 4")
    # Three more: the last alias event still fits, what it expands to does not.
    path, problem, where, fix = refusal(loads_yaml, _counted(50_003 - 32_013), "f")
    assert (path, problem, where) == ("b[31]", "aliases expand to more than 50000 values", "f line 4")
    assert "write the values out" in fix


def test_yaml_size_counts_utf8_bytes():
    assert loads_yaml("a" * 1_000_000, "f") == "a" * 1_000_000
    path, problem, where, fix = refusal(loads_yaml, "é" * 500_001, "f")  # 1,000,002 bytes
    assert (path, problem, where) == ("<root>", "is above the 1000000-byte limit", "f")
    assert "a few KB" in fix


# --- bytes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    "a: 1\n".encode("utf-16"), "a: 1\n".encode("utf-32"), "a: 1\n".encode("utf-8-sig"),
    codecs.BOM_UTF16_BE + "a: 1\n".encode("utf-16-be"), codecs.BOM_UTF32_BE + "a: 1\n".encode("utf-32-be"),
])
def test_byte_order_marks_are_refused(data):
    path, problem, where, fix = refusal(decode, data, "f")
    assert (path, where) == ("<root>", "f")
    assert problem.startswith("starts with a byte-order mark (UTF-16/UTF-32 or UTF-8 with BOM)") and problem.endswith(")")
    assert "UTF-8 without BOM" in fix


@pytest.mark.parametrize("data,problem,fix", [
    (b"a: 1\x00\x00\n", "contains a NUL byte at offset 4", "UTF-8 text"),
    ("ab".encode("utf-16-le"), "contains a NUL byte at offset 1", "UTF-16 files contain NUL bytes"),
    ("name: café\n".encode("latin-1"), "is not UTF-8 (byte 0xe9 at offset 9)", "as UTF-8"),
    (b"a" * 1_000_001, "is above the 1000000-byte limit", "a few KB"),
], ids=["nul", "utf-16-without-bom", "latin-1", "1000001-bytes"])
def test_bytes_that_are_not_utf8_text(data, problem, fix):
    got = refusal(decode, data, "f")
    assert got[:3] == ("<root>", problem, "f")
    assert fix in got[3]


def test_utf8_decodes():
    assert decode("naïve: ✓\n".encode(), "f") == "naïve: ✓\n"
    assert decode(b"a" * 1_000_000, "f") == "a" * 1_000_000


def test_files_load_and_refusals_name_the_file(tmp_path):
    good = tmp_path / "stack.yaml"
    good.write_text("a: [1, 2]\n")
    assert load_yaml(good) == {"a": [1, 2]}
    js = tmp_path / "input.json"
    js.write_text('{"a": [1, 2]}')
    assert load_json(js) == {"a": [1, 2]}
    full = tmp_path / "full.yaml"
    full.write_bytes(b"a: " + b"b" * 999_996 + b"\n")  # exactly 1,000,000 bytes
    assert load_yaml(full) == {"a": "b" * 999_996}
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b" " * 1_000_000 + b"]")
    assert refusal(load_json, big)[1:3] == ("is above the 1000000-byte limit", str(big))
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: 1\na: 2\n")
    assert refusal(load_yaml, bad)[:3] == ("a", "key 'a' appears twice in this mapping (the parser would silently keep the last)",
                                           f"{bad} line 2")
    bad_js = tmp_path / "bad.json"
    bad_js.write_text('{"a": 1, "a": 2}')
    assert refusal(load_json, bad_js)[2] == str(bad_js)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("a: é\n".encode("latin-1"))
    assert refusal(load_yaml, latin)[2] == str(latin)
    assert refusal(load_json, latin)[2] == str(latin)


def test_a_stream_past_the_limit_is_refused_without_waiting_for_its_end(tmp_path):
    # A pipe that delivers one byte more than the limit and then stays open (a producer that never
    # stops): the loader has what it needs to refuse and must not wait for the end of the stream.
    fifo = tmp_path / "stream.yaml"
    os.mkfifo(fifo)
    release, closing = threading.Event(), threading.Event()

    def producer():  # bounded on every path: waits at most 3 s for a reader and 3 s for the release
        deadline = time.monotonic() + 3
        while True:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:  # ENXIO: no reader has opened the pipe yet
                if e.errno != errno.ENXIO or time.monotonic() > deadline:
                    return
                time.sleep(0.01)
        os.set_blocking(fd, True)
        with open(fd, "wb") as out:
            try:
                out.write(b"a" * 1_000_001)
                out.flush()
            except BrokenPipeError:  # the reader stopped early and closed
                return
            release.wait(3)  # a loader that waits for the end of the stream is released after 3 s
            closing.set()

    thread = threading.Thread(target=producer)
    thread.start()
    try:
        problem = refusal(load_yaml, fifo)[1]
        assert not closing.is_set(), "the loader waited for the end of the stream"
    finally:
        release.set()
        thread.join()
    assert problem == "is above the 1000000-byte limit"


def test_an_unreadable_file_names_the_os_reason(tmp_path):
    missing = tmp_path / "nope.yaml"
    for load in (load_yaml, load_json):
        path, problem, where, fix = refusal(load, missing)
        assert (path, problem, where) == ("<root>", f"cannot be read: {os.strerror(errno.ENOENT)}", str(missing))
        assert "readable file" in fix


# --- JSON -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,where,problem,fix", [
    ('{"a": {"b": 1, "b": 2}}', "f", "key 'b' appears twice in one object", "remove one"),
    ('{"a": -1234567890123456789}', "f", "holds an integer with 19 digits", "at most 18 digits"),
    ('{"a": 1e999}', "f", "number 1e999 overflows a float", "realistic number"),
    ('{"a": NaN}', "f", "NaN is not JSON", "finite number"),
    ('{"a": }', "f line 1 column 7", "is not JSON: Expecting value", "JSON syntax"),  # '}' is the 7th character
    ("[" * 65 + "]" * 65, "f", "nests deeper than 64 levels", "flatten"),
    ('"' + "é" * 500_000 + '"', "f", "is above the 1000000-byte limit", "input files are small"),
], ids=["duplicate-key", "19-digits", "float-overflow", "nan", "syntax", "65-deep", "1000002-bytes"])
def test_json_refusals(text, where, problem, fix):
    path, got_problem, got_where, got_fix = refusal(loads_json, text, "f")
    assert (path, got_where) == ("<root>", where)
    assert got_problem.startswith(problem)
    assert fix in got_fix


def test_json_long_numbers_are_quoted_by_their_first_40_characters():
    number = "1" * 39 + "2" + "0" * 330 + ".5"
    assert refusal(loads_json, f"[{number}]", "f")[1] == f"number {'1' * 39}2 overflows a float"


@pytest.mark.parametrize("text,expected", [
    ('[123456789012345678, -123456789012345678, 2.5]', [123456789012345678, -123456789012345678, 2.5]),
    ('"' + "a" * 999_998 + '"', "a" * 999_998),  # exactly 1,000,000 bytes
    ("[" * 64 + "]" * 64, None),
    ('["' + "[" * 70 + '"]', ["[" * 70]),            # brackets in a string are text
    ('["\\"' + "[" * 70 + '"]', ['"' + "[" * 70]),    # ... also after an escaped quote
    ("[" + ", ".join(["[]"] * 100) + "]", [[]] * 100),  # siblings do not add up
], ids=["numbers", "1000000-bytes", "64-deep", "brackets-in-string", "after-escaped-quote", "siblings"])
def test_json_loads(text, expected):
    assert json.loads(text) == loads_json(text, "f")  # the stdlib's reading of the same text
    if expected is not None:
        assert loads_json(text, "f") == expected


@pytest.mark.parametrize("text", [
    '["x", ' + "[" * 64 + "]" * 64 + "]",            # a string closes: what follows counts again
    '["a\\\\b", ' + "[" * 64 + "]" * 64 + "]",        # an escaped backslash ends its escape
    "[[[[]], " + "[" * 63 + "]" * 63 + "]]",          # closing brackets step back one level each
    "XXXXX" + "[" * 65 + "]" * 65,                    # letters are no brackets (depth is read first)
], ids=["after-a-string", "after-an-escape", "after-closes", "after-letters"])
def test_json_65_deep_is_refused_wherever_it_starts(text):
    assert refusal(loads_json, text, "f")[1] == "nests deeper than 64 levels"


def test_json_letters_never_count_as_nesting():
    assert refusal(loads_json, "[" + "X" * 70 + "]", "f")[1].startswith("is not JSON: ")
