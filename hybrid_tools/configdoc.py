"""docs/config.md: the stack config reference, generated from the pydantic model.

The model is the one source of truth for keys, types, defaults and limits; this page is
its rendering, and ``tests/test_configdoc.py`` fails when the checked-in page drifts.
Regenerate with ``hybrid-gpu config-docs --write``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hybrid.model import CONFIG_KEYS, OPTIONAL_SECRET_KEYS, SECRET_KEYS, Platform

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "config.md"
PROJECT = "hybrid-gpu-platform"


def _ref_name(ref: str) -> str:
    """The title of a model: its class name; pydantic qualifies two classes of one name by module
    (``hybrid__model__gpu__Billing``), shown as ``Billing (gpu)``."""
    name = ref.rsplit("/", 1)[-1]
    parts = name.split("__")
    return f"{parts[-1]} ({parts[-2]})" if len(parts) >= 3 else name


def _anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, spaces to '-', other punctuation dropped."""
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def _type(node: dict[str, Any]) -> str:
    if "$ref" in node:
        name = _ref_name(node["$ref"])
        return f"[{name}](#{_anchor(name)})"
    if "anyOf" in node:
        kinds = [_type(n) for n in node["anyOf"] if n.get("type") != "null"]
        optional = any(n.get("type") == "null" for n in node["anyOf"])
        return " or ".join(kinds) + (" or null" if optional else "")
    if "enum" in node:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in node["enum"])
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {_type(node.get('items', {}))}"
    if kind == "object":
        extra = node.get("additionalProperties")
        return f"map of string to {_type(extra)}" if isinstance(extra, dict) else "map"
    return kind


def _limits(node: dict[str, Any]) -> str:
    parts = []
    for key, label in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<"),
                       ("minItems", "items >="), ("maxItems", "items <="), ("minLength", "length >="),
                       ("maxLength", "length <=")):
        if key in node:
            parts.append(f"{label} {node[key]}")
    if "pattern" in node:
        parts.append(f"pattern `{node['pattern']}`")
    for sub in node.get("anyOf", []):
        if sub.get("type") != "null":
            parts.append(_limits(sub))
    return ", ".join(p for p in parts if p)


def _default(node: dict[str, Any], required: bool) -> str:
    if required:
        return "**required**"
    if "default" not in node:
        return ""
    text = json.dumps(node["default"], sort_keys=True)
    return f"`{text}`" if len(text) <= 60 else "see the model"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| key | type | default | limits | description |", "|---|---|---|---|---|"]
    for key, node in schema.get("properties", {}).items():
        rows.append(f"| `{key}` | {_type(node)} | {_default(node, key in required)} | {_cell(_limits(node))} "
                    f"| {_cell(node.get('description', ''))} |")
    return rows


def render() -> str:
    schema = Platform.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    out = [
        "# Stack config reference",
        "",
        "Generated from the pydantic model (`hybrid/model/`) by `hybrid-gpu config-docs --write`;",
        "a test fails when this page and the model disagree. Every key lives under the project",
        f"namespace, e.g. `{PROJECT}:regions` in `stacks/Pulumi.<stack>.yaml`; keys are camelCase",
        "and unknown keys are rejected with the field's path and a fix.",
        "",
        "## Top-level keys",
        "",
        *_table(schema),
        "",
        "## Secret keys",
        "",
        "Set with `pulumi config set --secret <key>`; they stay Pulumi secrets end to end and never",
        "appear in plan artifacts (the offline plan uses placeholders).",
        "",
        *[f"- `{PROJECT}:{key}`: {what}" for key, what in SECRET_KEYS.items()],
        "",
        "Needed only with some settings (`hybrid-gpu init` and `hybrid-gpu plan` name the ones a stack needs):",
        "",
        *[f"- `{PROJECT}:{key}`: {what}" for key, what in OPTIONAL_SECRET_KEYS.items()],
        "",
    ]
    assert set(schema.get("properties", {})) <= set(CONFIG_KEYS), "model keys missing from CONFIG_KEYS"
    for name in sorted(defs, key=_ref_name):
        node = defs[name]
        out += [f"## {_ref_name(name)}", ""]
        if node.get("description"):
            out += [" ".join(node["description"].split()), ""]
        if "properties" in node:
            out += [*_table(node), ""]
        else:
            out += [f"Type: {_type(node)}", ""]
    return "\n".join(out).rstrip() + "\n"


def write(path: Path = DOC_PATH) -> bool:
    """Write the page; True if it changed."""
    text = render()
    if path.is_file() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def data() -> dict[str, Any]:
    """``hybrid-gpu config-docs --format json``: the JSON schema the page is generated from (camelCase keys)."""
    return Platform.model_json_schema(by_alias=True)
