"""hybrid/tables.py: aligned text columns and GitHub Flavored Markdown tables, laid out by hand."""

from __future__ import annotations

from hybrid import tables


def test_text_table_with_right_aligned_numbers_a_rule_and_an_indent():
    lines = tables.text(("name", "n"), [("a", "10"), ("bbb", "2")], right={1}, rule=True, indent="  ")
    # widths 4 and 2, two spaces between columns; the second column right-aligned
    assert lines == ["  name   n",
                     "  ----  --",
                     "  a     10",
                     "  bbb    2"]


def test_text_table_defaults_left_aligned_no_rule_no_indent_no_trailing_blanks():
    assert tables.text(("k", "value"), [("long", "x"), ("b", "")]) == [
        "k     value",
        "long  x",
        "b"]  # the padding of an empty last cell is stripped


def test_text_table_right_aligns_only_the_listed_columns():
    assert tables.text(("a", "b", "c"), [("xxx", "yyy", "zzz")], right=(0, 2)) == [
        "  a  b      c",
        "xxx  yyy  zzz"]


def test_markdown_cell_is_one_line_with_pipes_escaped():
    # GFM spec, "Tables (extension)": a line break ends the row, "\|" is a pipe inside a cell
    assert tables.md_cell("a |b\n  c\t d ") == "a \\|b c d"
    assert tables.md_cell("") == ""


def test_markdown_table():
    assert tables.md(("module", "score"), [("a|b", "87 %"), ("c\nd", "100 %")], right={1}) == [
        "| module | score |",
        "|---|---:|",
        "| a\\|b | 87 % |",
        "| c d | 100 % |"]
    assert tables.md(("x", "y", "z"), []) == ["| x | y | z |", "|---|---|---|"]
