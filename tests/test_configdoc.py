"""docs/config.md is generated from the model and must not drift from it."""

from __future__ import annotations

from hybrid.model import CONFIG_KEYS, SECRET_KEYS, Platform
from hybrid_tools import configdoc


def test_checked_in_reference_matches_the_model():
    assert configdoc.DOC_PATH.read_text() == configdoc.render(), "docs/config.md drifted: run hybrid-gpu config-docs --write"


def test_reference_lists_every_key_type_and_limit():
    text = configdoc.render()
    schema = Platform.model_json_schema(by_alias=True)
    for key in CONFIG_KEYS:
        assert f"| `{key}` |" in text
    for key in SECRET_KEYS:
        assert f"`hybrid-gpu-platform:{key}`" in text
    for name, node in schema["$defs"].items():
        # A class name, qualified by its module only where two share it (written out: Billing of a
        # fixed pool and of an elastic pool); never pydantic's internal hybrid__model__... key.
        title = {"hybrid__model__gpu__Billing": "Billing (gpu)", "hybrid__model__elastic__Billing": "Billing (elastic)"}.get(name, name)
        assert f"## {title}\n" in text
        for prop in node.get("properties", {}):
            assert f"| `{prop}` |" in text, (name, prop)
    # limits come from the model, e.g. the pool size bound and required fields
    assert "| `count` | integer | **required** | >= 0, <= 1000 |" in text


def test_no_internal_titles_and_every_secret_key_listed():
    from hybrid.model import OPTIONAL_SECRET_KEYS

    text = configdoc.render()
    assert "hybrid__model" not in text
    for key in ("addonAccessKeyId", "addonAccessKeySecret", *OPTIONAL_SECRET_KEYS):
        assert f"`hybrid-gpu-platform:{key}`" in text
