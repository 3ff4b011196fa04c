"""Node files shipped as package data: bash scripts (``hybrid/scripts/*.sh``), rendered with a
quoted header, and systemd units (``hybrid/units/``), shipped as they are.

A script file is plain bash that ``shellcheck`` reads as it is. Exactly one line of
it reads ``# hybrid:params NAME ...``: the renderer replaces that line with one
assignment per declared name, each value quoted with ``shlex.quote`` (a list
becomes a bash array of quoted words). Nothing else in the file is touched, so
``$`` in the body needs no escaping, and a value can never be read as code: inside
single quotes bash expands nothing, newlines and ``$()`` and backticks included.
The names a caller passes must be exactly the names the script declares.
"""

from __future__ import annotations

import re
import shlex
from importlib import resources
from typing import Union

Value = Union[str, int, list[str], tuple[str, ...]]

PARAMS_RE = re.compile(r"^# hybrid:params((?: [A-Z][A-Z0-9_]*)+)$", re.M)
NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
BEGIN = "# --- parameters (rendered; every value single-quoted by shlex.quote) ---"
END = "# --- end of parameters ---"


def source(name: str) -> str:
    """The script file as shipped (``hybrid/scripts/<name>``)."""
    return (resources.files("hybrid") / "scripts" / name).read_text(encoding="utf-8")


def unit(name: str) -> str:
    """The systemd unit file as shipped (``hybrid/units/<name>``): no value is rendered into a unit,
    so ``systemd-analyze verify`` reads exactly what the node runs."""
    return (resources.files("hybrid") / "units" / name).read_text(encoding="utf-8")


def unit_names() -> list[str]:
    """Every shipped unit file."""
    return sorted(p.name for p in (resources.files("hybrid") / "units").iterdir())


def names() -> list[str]:
    """Every shipped script file."""
    return sorted(p.name for p in (resources.files("hybrid") / "scripts").iterdir() if p.name.endswith(".sh"))


def declared(text: str) -> list[str]:
    found = PARAMS_RE.findall(text)
    if len(found) != 1:
        raise ValueError(f"a script template needs exactly one '# hybrid:params' line, found {len(found)}")
    params: str = found[0]
    return params.split()


def _word(v: object) -> str:
    s = str(v)
    if "\x00" in s:  # bash variables cannot hold NUL
        raise ValueError("a script parameter cannot contain a NUL byte")
    return shlex.quote(s)


def assignment(name: str, value: Value) -> str:
    if not NAME_RE.fullmatch(name):  # match() would let "A\n" through ($ matches before a final newline)
        raise ValueError(f"bad parameter name {name!r}")
    if isinstance(value, (list, tuple)):
        return f"{name}=(" + " ".join(_word(v) for v in value) + ")"
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{name}: unsupported parameter type {type(value).__name__}")
    return f"{name}={_word(value)}"


def render(name: str, **params: Value) -> str:
    """The script ``name`` with its parameter line replaced by quoted assignments."""
    text = source(name)
    want = declared(text)
    if sorted(want) != sorted(params):
        missing, extra = sorted(set(want) - set(params)), sorted(set(params) - set(want))
        raise ValueError(f"{name}: parameters missing {missing}, unexpected {extra}")
    lines = [BEGIN]
    for k in want:
        line = assignment(k, params[k])
        if "$" in line or "`" in line:  # literal on purpose: tell shellcheck (SC2016) it is meant
            lines.append("# shellcheck disable=SC2016  # single-quoted: taken literally, never expanded")
        lines.append(line)
    header = "\n".join([*lines, END])
    m = PARAMS_RE.search(text)
    assert m is not None  # declared() found exactly one such line
    return text[: m.start()] + header + text[m.end():]
