"""hybrid_tools/placement_cli.py: ``hybrid-gpu placement``, called in-process (``run`` and ``cli.main``).

Expectations are worked by hand: the input below puts 3 replicas on cluster ``a`` (capacity 2, tier 0,
filled first) and ``b`` (capacity 5, tier 1): a gets 2, b the last 1; ``c`` has no capacity figure at
all in the output when no replica lands there. Error lines are the ones a user reads, whole.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.conftest import help_text

from hybrid import safeload
from hybrid_tools import cli, placement_cli

INPUT = {"replicas": 3, "strategy": "static",
         "clusters": [{"name": "b", "tier": 1, "availableReplicas": 5}, {"name": "a", "tier": 0, "availableReplicas": 2}]}
CONTRACT = '{"assignments": {"a": 2, "b": 1}, "capacity": {"a": 2, "b": 5}, "unplaced": 0}\n'
TABLE = "a  2  (capacity 2)\nb  1  (capacity 5)\nunplaced  0\n"
NOT_OBJECT = ("hybrid-gpu placement: invalid input: <root>: the input is not a JSON object. "
              "Fix: give an object with replicas, strategy, request and clusters.\n")


def _run(path: str, stdin=None, fmt: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    kw = {} if fmt is None else {"fmt": fmt}
    rc = placement_cli.run(path, out=out, err=err, stdin=stdin, **kw)
    return rc, out.getvalue(), err.getvalue()


def _bytes_stdin(data: bytes) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


def test_default_output_is_the_sorted_one_line_contract(tmp_path):
    f = tmp_path / "in.json"
    f.write_text(json.dumps(INPUT))
    assert _run(str(f)) == (0, CONTRACT, "")


def test_table_lists_clusters_sorted_with_their_capacity(tmp_path):
    f = tmp_path / "in.json"
    f.write_text(json.dumps(INPUT))
    assert _run(str(f), fmt="table") == (0, TABLE, "")


def test_a_cluster_without_a_capacity_figure_shows_a_dash(monkeypatch, tmp_path):
    # compute() gives capacity only for clusters it measured; the table must not fail on the others
    from hybrid import placement_input

    real = placement_input.compute

    class Shown:
        def __init__(self, res):
            self.res = res

        def contract(self):
            doc = self.res.contract()
            doc["capacity"].pop("b")
            return doc

    monkeypatch.setattr(placement_input, "compute", lambda parsed: Shown(real(parsed)))
    f = tmp_path / "in.json"
    f.write_text(json.dumps(INPUT))
    assert _run(str(f), fmt="table") == (0, "a  2  (capacity 2)\nb  1  (capacity -)\nunplaced  0\n", "")


def test_cli_format_flag_reaches_the_renderer(tmp_path, capsys):
    f = tmp_path / "in.json"
    f.write_text(json.dumps(INPUT))
    assert cli.main(["placement", "--input", str(f), "--format", "table"]) == 0
    assert capsys.readouterr().out == TABLE
    assert cli.main(["placement", "--input", str(f)]) == 0
    assert capsys.readouterr().out == CONTRACT
    assert cli.main(["placement", "--input", str(f), "--format", "md"]) == 0
    # md is the generic view of the default (formats.run): the contract in a fenced block
    assert capsys.readouterr().out == "**hybrid-gpu placement** (exit 0)\n\n```text\n" + CONTRACT + "```\n"


def test_input_is_required(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["placement"])
    assert e.value.code == 2
    assert capsys.readouterr().err == ("hybrid-gpu placement: the following arguments are required: --input. "
                                       "Fix: see hybrid-gpu placement --help.\n")


def test_stdin_as_bytes_and_as_text():
    assert _run("-", stdin=_bytes_stdin(json.dumps(INPUT).encode())) == (0, CONTRACT, "")
    assert _run("-", stdin=io.StringIO(json.dumps(INPUT))) == (0, CONTRACT, "")


def test_stdin_bytes_are_checked_as_utf8_naming_stdin():
    rc, out, err = _run("-", stdin=_bytes_stdin(b'{"replicas": 1, "x": "\xff"}'))
    assert (rc, out) == (2, "")
    assert err == ("hybrid-gpu placement: invalid input: <root>: is not UTF-8 (byte 0xff at offset 22) (<stdin>). "
                   "Fix: save the file as UTF-8.\n")


def test_stdin_of_exactly_the_limit_is_read_whole_and_one_more_byte_is_refused():
    body = json.dumps(INPUT)
    exact = " " * (safeload.MAX_BYTES - len(body)) + body  # the closing brace is the last allowed byte
    assert _run("-", stdin=_bytes_stdin(exact.encode())) == (0, CONTRACT, "")
    assert _run("-", stdin=io.StringIO(exact)) == (0, CONTRACT, "")
    over = " " + exact
    big = ("hybrid-gpu placement: invalid input: <root>: is above the 1000000-byte limit (<stdin>). "
           "Fix: {}\n")
    assert _run("-", stdin=_bytes_stdin(over.encode())) == (
        2, "", big.format("config files are a few KB; check that this is the right file."))
    assert _run("-", stdin=io.StringIO(over)) == (
        2, "", big.format("input files are small; check that this is the right file."))


def test_syntax_errors_name_the_file_or_stdin(tmp_path):
    f = tmp_path / "in.json"
    f.write_text("{")
    expected = ("hybrid-gpu placement: invalid input: <root>: is not JSON: Expecting property name enclosed in double "
                "quotes ({} line 1 column 2). Fix: fix the JSON syntax.\n")
    assert _run(str(f)) == (2, "", expected.format(f))
    assert _run("-", stdin=io.StringIO("{")) == (2, "", expected.format("<stdin>"))


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    f = tmp_path / "in.json"
    f.write_bytes(b"\xfe{}")
    assert _run(str(f)) == (2, "", f"hybrid-gpu placement: invalid input: <root>: is not UTF-8 (byte 0xfe at offset 0) ({f}). "
                                   "Fix: save the file as UTF-8.\n")


def test_a_file_named_dash_is_stdin_not_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("-").write_text("[]")  # a file called "-" must not be read: "-" means stdin
    assert _run("-", stdin=io.StringIO(json.dumps(INPUT))) == (0, CONTRACT, "")


@pytest.mark.parametrize("text", ["[]", "3", '"x"', "null"])
def test_json_that_is_not_an_object_is_one_line(text):
    assert _run("-", stdin=io.StringIO(text)) == (2, "", NOT_OBJECT)


def test_model_errors_are_rendered_with_the_placement_heading():
    rc, out, err = _run("-", stdin=io.StringIO(json.dumps({"replicas": -1, "clusters": [{"name": "a", "availableReplicas": 1}]})))
    assert (rc, out) == (2, "")
    assert err.startswith("hybrid-gpu placement: invalid input: replicas: ")


def test_streams_default_to_the_current_sys_streams(monkeypatch, capsys, tmp_path):
    f = tmp_path / "in.json"
    f.write_text(json.dumps(INPUT))
    assert placement_cli.run(str(f)) == 0
    assert capsys.readouterr().out == CONTRACT
    monkeypatch.setattr("sys.stdin", io.StringIO("[]"))
    assert placement_cli.run("-") == 2
    assert capsys.readouterr().err == NOT_OBJECT


def test_help_says_what_the_command_reads_and_prints(capsys):
    text = help_text(capsys, "placement")
    assert "usage: hybrid-gpu placement [-h] --input INPUT [--format {table,json,md}]" in text
    assert "--input INPUT JSON file with replicas, strategy, request, clusters (- for stdin)" in text
    assert ("--format {table,json,md} json: the contract, one line, keys sorted; table: one cluster a line; "
            "md: the table in a fenced block") in text
    assert "placement spread a workload's replicas over clusters (JSON in, JSON out)" in help_text(capsys)


class _Endless:
    """A stdin that never ends (``yes | hybrid-gpu placement --input -``): any read without a bound never returns."""

    def __init__(self, unit):
        self.unit = unit

    def read(self, size=-1):
        if size is None or size < 0:
            raise RuntimeError("read to the end of an endless stream")
        return self.unit * size


def test_an_endless_stdin_is_cut_one_byte_past_the_limit():
    big = ("hybrid-gpu placement: invalid input: <root>: is above the 1000000-byte limit (<stdin>). "
           "Fix: {}\n")

    class Bytes:
        buffer = _Endless(b" ")

    assert _run("-", stdin=Bytes()) == (2, "", big.format("config files are a few KB; check that this is the right file."))
    assert _run("-", stdin=_Endless(" ")) == (2, "", big.format("input files are small; check that this is the right file."))
