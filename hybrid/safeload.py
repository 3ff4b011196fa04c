"""One loader for every file the CLI reads (stack config YAML, policy config JSON,
placement input JSON): plain data only, bounded work, one line per problem.

What it refuses, and why:

* more than ``MAX_BYTES`` (1 MB): every file this project reads is a few KB;
* anything but UTF-8 without a byte-order mark (UTF-16/32 files, Latin-1 bytes, NUL);
* duplicate mapping keys (YAML and JSON parsers silently keep the last one, so
  ``environment: dev`` then ``environment: prod`` would plan prod);
* mapping keys that are not strings (``1:``, ``true:``, ``~:``);
* YAML tags beyond str/int/float/bool/null/seq/map: ``!!set``, ``!!binary``,
  ``!!omap``, timestamps (``2024-01-01`` unquoted), merge keys ``<<``, custom tags;
* YAML 1.1 spellings that change a value's type by accident: ``yes``/``no``/``on``/``off``
  booleans, hex/octal/sexagesimal (``1:20``) integers, ``.inf``/``.nan``;
* integers longer than ``MAX_INT_DIGITS`` digits, non-finite floats;
* aliases beyond ``MAX_ALIASES`` and expansions beyond ``MAX_NODES`` values
  (a 2 KB alias bomb otherwise expands to billions of values downstream);
* nesting deeper than ``MAX_DEPTH``; more than one YAML document.

The YAML side builds values from libyaml's event stream itself (no recursion, no
object construction by tag), so its cost is linear in the file size.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml
from yaml.resolver import Resolver

from hybrid import yamlio
from hybrid.errors import ConfigError, ConfigIssue, format_loc

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_ALIASES = 32
MAX_NODES = 50_000
MAX_INT_DIGITS = 18

_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_T + t for t in ("str", "int", "float", "bool", "null")}
_INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT_RE = re.compile(r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?$")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class LoadError(ConfigError):
    """A file that is not plain, bounded data. Same rendering as ConfigError (one line per problem)."""

    def __init__(self, where: str, message: str, fix: str, path: str = "<root>"):
        super().__init__([ConfigIssue(path, f"{message} ({where}).", fix)])


def decode(data: bytes, where: str) -> str:
    """UTF-8 text of ``data``, or LoadError naming the first bad byte."""
    # No byte count in the message: callers read at most MAX_BYTES + 1 bytes, so len(data) is not the file's size.
    if len(data) > MAX_BYTES:
        raise LoadError(where, f"is above the {MAX_BYTES}-byte limit", "config files are a few KB; check that this is the right file.")
    for bom in _BOMS:
        if data.startswith(bom):
            raise LoadError(where, "starts with a byte-order mark (UTF-16/UTF-32 or UTF-8 with BOM)", "save the file as UTF-8 without BOM.")
    if b"\x00" in data:
        raise LoadError(where, f"contains a NUL byte at offset {data.index(0)}", "save the file as UTF-8 text (UTF-16 files contain NUL bytes).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LoadError(where, f"is not UTF-8 (byte {data[e.start]:#04x} at offset {e.start})", "save the file as UTF-8.") from None


def read_bytes(path: Path) -> bytes:
    where = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as e:
        raise LoadError(where, f"cannot be read: {e.strerror}", "give a readable file.") from None
    return data


# --- YAML -----------------------------------------------------------------

_RESOLVER = Resolver()
_NO_KEY = object()


def _scalar(ev: yaml.ScalarEvent, where: str, loc: list[str | int]) -> Any:
    tag = ev.tag
    if tag in (None, "!"):
        tag = _RESOLVER.resolve(yaml.ScalarNode, ev.value, ev.implicit)
    tag = {"!!str": _T + "str", "!!int": _T + "int", "!!float": _T + "float", "!!bool": _T + "bool", "!!null": _T + "null"}.get(tag, tag)
    value = ev.value

    # Where and how to say it, built only for a problem (a stack file has hundreds of scalars).
    def problem(message: str, fix: str) -> LoadError:
        return LoadError(f"{where} line {ev.start_mark.line + 1}", message, fix, format_loc(loc))

    def quote() -> str:
        return f"quote it (\"{value[:40]}\") if it is a string" if len(value) <= 40 else "quote it if it is a string"

    if tag not in _SCALAR_TAGS:
        kind = "a timestamp" if tag == _T + "timestamp" else ("a merge key" if tag == _T + "merge" else f"tag {tag}")
        raise problem(f"{value[:40]!r} is {kind}; only strings, numbers, true/false and null are accepted", f"{quote()}.")
    if tag == _T + "str":
        return value
    if tag == _T + "null":
        return None
    if tag == _T + "bool":
        if value not in _BOOLS:
            raise problem(f"{value!r} is a YAML 1.1 boolean", f"write true or false, or {quote()}.")
        return _BOOLS[value]
    if tag == _T + "int":
        if not _INT_RE.match(value):
            raise problem(f"{value[:40]!r} is not a plain decimal integer (hex, octal, 1:20 and 1_000 spellings are refused)",
                          f"write it in decimal, or {quote()}.")
        if len(value.lstrip("+-")) > MAX_INT_DIGITS:
            raise problem(f"integer with {len(value.lstrip('+-'))} digits", f"use at most {MAX_INT_DIGITS} digits.")
        return int(value)
    # float
    if not _FLOAT_RE.match(value) or len(value) > 64:
        raise problem(f"{value[:40]!r} is not a finite decimal number (.inf, .nan and 1_0.5 are refused)", f"write a number such as 6.5, or {quote()}.")
    number = float(value)
    if not math.isfinite(number):
        raise problem(f"{value[:40]!r} overflows a float", "use a realistic number.")
    return number


def _events(text: str, where: str) -> Iterator[Any]:
    try:
        yield from yaml.parse(text, Loader=yamlio.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        at = f" line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise LoadError(f"{where}{at}", f"is not valid YAML: {problem}", "fix the YAML syntax.") from None


def _size(value: Any) -> int:
    """Number of values in ``value`` (what an alias to it expands to), iteratively."""
    count, todo = 0, [value]
    while todo:
        v = todo.pop()
        count += 1
        if count > MAX_NODES:
            break
        if isinstance(v, dict):
            todo.extend(v.values())
        elif isinstance(v, list):
            todo.extend(v)
    return count


def loads_yaml(text: str, where: str) -> Any:
    """The one document in ``text`` as plain dicts/lists/scalars. ``where`` names the file in errors."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise LoadError(where, f"is above the {MAX_BYTES}-byte limit", "config files are a few KB; check that this is the right file.")
    anchors: dict[str, tuple[Any, int]] = {}
    # Open collections, innermost last: [container, pending mapping key (or _NO_KEY), anchor, start event]
    stack: list[list[Any]] = []
    loc: list[str | int] = []
    docs = 0
    result: Any = None
    aliases = 0
    nodes = 0

    def line_of(ev: Any) -> str:
        return f"{where} line {ev.start_mark.line + 1}"

    def add(value: Any, ev: Any, is_key_candidate: bool = True) -> None:
        nonlocal result
        if not stack:
            result = value
            return
        top = stack[-1]
        container = top[0]
        if isinstance(container, list):
            container.append(value)
            return
        if top[1] is _NO_KEY:
            if not isinstance(value, str) or not is_key_candidate:
                shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
                raise LoadError(line_of(ev), f"mapping key {shown[:40]} is not a string", "quote the key, e.g. \"1\": ..., or fix the indentation.", format_loc(loc[:-1]))
            if value in container:
                raise LoadError(line_of(ev), f"key {value!r} appears twice in this mapping (the parser would silently keep the last)", "remove one of them.", format_loc([*loc[:-1], value]))
            top[1] = value
            loc[-1] = value
            return
        container[top[1]] = value
        top[1] = _NO_KEY

    for ev in _events(text, where):
        if isinstance(ev, yaml.DocumentStartEvent):
            docs += 1
            if docs > 1:
                raise LoadError(line_of(ev), "holds more than one YAML document", "keep one document per file (remove the extra ---).")
            continue
        if isinstance(ev, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            continue
        if stack and isinstance(stack[-1][0], list):
            loc[-1] = len(stack[-1][0])
        # Path of the value this event starts (a pending key's mapping when the event is a key).
        here = loc if not stack or isinstance(stack[-1][0], list) or stack[-1][1] is not _NO_KEY else loc[:-1]
        nodes += 1
        if nodes > MAX_NODES:
            raise LoadError(line_of(ev), f"holds more than {MAX_NODES} values", "config files are small; check that this is the right file.")
        if isinstance(ev, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise LoadError(line_of(ev), f"uses more than {MAX_ALIASES} aliases", "write the values out instead of *aliases.", format_loc(here))
            if ev.anchor not in anchors:
                raise LoadError(line_of(ev), f"alias *{ev.anchor} refers to no finished anchor", "define &anchor before using it (and not inside itself).", format_loc(here))
            value, size = anchors[ev.anchor]
            nodes += size
            if nodes > MAX_NODES:
                raise LoadError(line_of(ev), f"aliases expand to more than {MAX_NODES} values", "write the values out instead of *aliases.", format_loc(here))
            add(value, ev, is_key_candidate=not isinstance(value, (dict, list)))
            continue
        if isinstance(ev, yaml.ScalarEvent):
            value = _scalar(ev, where, here)
            if ev.anchor:
                anchors[ev.anchor] = (value, 1)
            add(value, ev)
            continue
        if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            seq = isinstance(ev, yaml.SequenceStartEvent)
            want = _T + ("seq" if seq else "map")
            if ev.tag not in (None, "!", want):
                raise LoadError(line_of(ev), f"a {'sequence' if seq else 'mapping'} tagged {ev.tag} (sets, ordered maps, pairs and custom tags are refused)",
                                "drop the tag and write a plain list or mapping.", format_loc(here))
            if stack and isinstance(stack[-1][0], dict) and stack[-1][1] is _NO_KEY:
                raise LoadError(line_of(ev), "a mapping key is a list or mapping", "use string keys only.", format_loc(loc[:-1]))
            if len(stack) >= MAX_DEPTH:
                raise LoadError(line_of(ev), f"nests deeper than {MAX_DEPTH} levels", "flatten the structure.", format_loc(here))
            stack.append([[] if seq else {}, _NO_KEY, ev.anchor, ev])
            loc.append(0 if seq else "")
            continue
        if isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            container, _, anchor, start = stack.pop()
            loc.pop()
            if anchor:
                anchors[anchor] = (container, _size(container))
            add(container, start, is_key_candidate=False)
            continue
    if docs == 0:
        return None
    return result


def load_yaml(path: Path) -> Any:
    """``path`` read with every check above."""
    return loads_yaml(decode(read_bytes(path), str(path)), str(path))


# --- JSON -----------------------------------------------------------------

def _json_pairs(where: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise LoadError(where, f"key {k!r} appears twice in one object (the parser would silently keep the last)", "remove one of them.")
            out[k] = v
        return out
    return hook


def _json_int(where: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            raise LoadError(where, f"holds an integer with {len(text.lstrip('-'))} digits", f"use at most {MAX_INT_DIGITS} digits.")
        return int(text)
    return parse


def _json_float(where: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise LoadError(where, f"number {text[:40]} overflows a float", "use a realistic number.")
        return value
    return parse


def _json_constant(where: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        raise LoadError(where, f"{text} is not JSON", "use a finite number.")
    return parse


def _json_depth(text: str) -> int:
    depth = deepest = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_json(text: str, where: str) -> Any:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise LoadError(where, f"is above the {MAX_BYTES}-byte limit", "input files are small; check that this is the right file.")
    if _json_depth(text) > MAX_DEPTH:
        raise LoadError(where, f"nests deeper than {MAX_DEPTH} levels", "flatten the structure.")
    try:
        return json.loads(text, object_pairs_hook=_json_pairs(where), parse_int=_json_int(where),
                          parse_float=_json_float(where), parse_constant=_json_constant(where))
    except json.JSONDecodeError as e:
        raise LoadError(f"{where} line {e.lineno} column {e.colno}", f"is not JSON: {e.msg}", "fix the JSON syntax.") from None


def load_json(path: Path) -> Any:
    return loads_json(decode(read_bytes(path), str(path)), str(path))
