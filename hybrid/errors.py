"""Configuration errors that name the field path and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

Loc = Sequence[str | int]


def format_loc(loc: Loc) -> str:
    """Render a location tuple as ``regions[0].zones[1].podVswitchCidr``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            # A key the user wrote may hold anything; the path stays one printable line.
            if not text.isprintable() or len(text) > 80:
                text = repr(text[:80])
            out += ("." if out else "") + text
    return out or "<root>"


@dataclass(frozen=True)
class ConfigIssue:
    path: str
    message: str
    fix: str = ""

    def render(self) -> str:
        text = f"{self.path}: {self.message}"
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class ConfigError(Exception):
    """One or more invalid stack-config values. ``str()`` lists them all."""

    def __init__(self, issues: Iterable[ConfigIssue]):
        self.issues = sorted(set(issues), key=lambda i: (i.path, i.message))
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"invalid stack config ({len(self.issues)} problem(s)):"]
        lines += [f"  - {issue.render()}" for issue in self.issues]
        return "\n".join(lines)


class FieldError(ValueError):
    """Raised inside validators: message plus the fix. Pydantic supplies the path."""

    def __init__(self, message: str, fix: str):
        self.fix = fix
        super().__init__(f"{message} Fix: {fix}")
