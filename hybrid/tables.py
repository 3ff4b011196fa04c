"""Tables as text: aligned columns for a terminal, GitHub Flavored Markdown for a PR comment or an issue."""

from __future__ import annotations

from typing import Collection, Sequence

Row = Sequence[str]


def text(head: Row, rows: Sequence[Row], right: Collection[int] = (), rule: bool = False, indent: str = "") -> list[str]:
    """The lines of an aligned table: columns two spaces apart, those in ``right`` right-aligned,
    a dashed rule under the head when ``rule``."""
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]

    def line(r: Row) -> str:
        return (indent + "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))).rstrip()

    return [line(head), *([line(["-" * w for w in widths])] if rule else []), *map(line, rows)]


def md_cell(text: str) -> str:
    """``text`` as one Markdown table cell: a line break would end the row, a bare ``|`` the cell (GitHub
    Flavored Markdown spec, "Tables (extension)": a pipe inside a cell is escaped as ``\\|``)."""
    return " ".join(text.split()).replace("|", "\\|")


def md(head: Row, rows: Sequence[Row], right: Collection[int] = ()) -> list[str]:
    """The lines of a Markdown table; columns in ``right`` (numbers) are right-aligned."""
    out = ["| " + " | ".join(map(md_cell, head)) + " |", "|" + "|".join("---:" if i in right else "---" for i in range(len(head))) + "|"]
    return out + ["| " + " | ".join(map(md_cell, row)) + " |" for row in rows]
