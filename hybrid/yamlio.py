"""YAML in and out through libyaml when PyYAML has it (several times faster than the
pure-Python emitter, which dominated the plan's artifact writing), else pure Python.

Both produce the same bytes for what this project writes; tests/test_plan_e2e.py holds
that by planning prod both ways (HYBRID_PURE_YAML=1 forces the pure-Python classes).
"""

from __future__ import annotations

import os
from typing import Any, Iterable

import yaml

_PURE = os.environ.get("HYBRID_PURE_YAML") == "1" or not getattr(yaml, "__with_libyaml__", False)
SafeDumper: type = yaml.SafeDumper if _PURE else yaml.CSafeDumper
SafeLoader: type = yaml.SafeLoader if _PURE else yaml.CSafeLoader


# Long lines are never folded: a folded scalar is where the two emitters differ.
NO_WRAP = 1_000_000


class BlockDumper(SafeDumper):  # type: ignore[misc]
    """Multi-line strings (file contents in ConfigMaps, scripts) as literal blocks, so an
    artifact reads like the files themselves."""


def _str(dumper: Any, value: str) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


BlockDumper.add_representer(str, _str)


def dump(doc: Any, dumper: type | None = None, **kwargs: Any) -> str:
    text: str = yaml.dump(doc, Dumper=dumper or SafeDumper, **kwargs)
    return text


def dump_all(docs: Iterable[Any], **kwargs: Any) -> str:
    text: str = yaml.dump_all(docs, Dumper=SafeDumper, **kwargs)
    return text


def load(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)


def load_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=SafeLoader))
