"""Configuration errors that name the field path and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

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
        # One line per problem, also when the message quotes a multi-line parser error.
        return " ".join(part.strip() for part in text.splitlines() if part.strip())


class ConfigError(Exception):
    """One or more invalid stack-config values. ``str()`` lists them all."""

    def __init__(self, issues: Iterable[ConfigIssue]):
        self.issues = sorted(set(issues), key=lambda i: (i.path, i.message))
        super().__init__(self.render())

    def render(self) -> str:
        return render_issues("invalid stack config", self.issues)


def render_issues(what: str, issues: Sequence[ConfigIssue]) -> str:
    """One line per problem: ``what: <problem>`` alone, or a count line and one ``  - `` line each."""
    if len(issues) == 1:
        return f"{what}: {issues[0].render()}"
    return "\n".join([f"{what} ({len(issues)} problems):", *(f"  - {issue.render()}" for issue in issues)])


class FieldError(ValueError):
    """Raised inside validators: message plus the fix. Pydantic supplies the path."""

    def __init__(self, message: str, fix: str):
        self.fix = fix
        super().__init__(f"{message} Fix: {fix}")


def validation_issues(errors: Iterable[Mapping[str, Any]], *, key_style: str, reference: str) -> list[ConfigIssue]:
    """Pydantic errors (``ValidationError.errors()``) as issues with the path the user wrote.

    A :class:`FieldError` raised in a validator keeps its own message and fix; other
    errors get a fix by kind. ``key_style`` says how keys are spelled (for a misspelt
    key), ``reference`` where the fields are documented."""
    out = []
    for e in errors:
        ctx_err = (e.get("ctx") or {}).get("error")
        if isinstance(ctx_err, FieldError):
            msg, fix = str(ctx_err).split(" Fix: ")[0], ctx_err.fix
        else:
            msg, fix = e["msg"] + ".", _generic_fix(e["type"], key_style, reference)
        out.append(ConfigIssue(format_loc(e["loc"]), msg, fix))
    return out


def _generic_fix(kind: str, key_style: str, reference: str) -> str:
    if kind == "missing":
        return "add this key."
    if kind == "extra_forbidden":
        return f"remove the key or fix its spelling (keys are {key_style})."
    if kind == "literal_error":
        return "use one of the values listed."
    if kind.startswith(("greater", "less")):
        return "use a value in the allowed range."
    if kind == "string_pattern_mismatch":
        return "match the pattern shown."
    return f"see the field's type and limits in {reference}."
