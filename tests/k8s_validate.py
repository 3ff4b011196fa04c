"""Validators the tests share: kubernetes-validate (strict) over plan files for built-in kinds, and a
vendored CRD's schema with unknown fields rejected for custom resources."""

from __future__ import annotations

import functools
from pathlib import Path

import jsonschema
import yaml


def strict(schema):
    """The schema with unknown fields rejected: an apiserver prunes them silently, so a misspelt field
    (for a policy: a setting that never takes effect) would vanish instead of failing."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


@functools.lru_cache(maxsize=None)
def crd_validator(crd: Path, api_version: str, kind: str) -> jsonschema.Draft7Validator:
    """The strict validator of ``kind`` at ``api_version`` from a vendored CRD file, which must define
    exactly that group, kind and a served version."""
    doc = yaml.safe_load(crd.read_text())
    group, version = api_version.split("/")
    assert doc["spec"]["group"] == group and doc["spec"]["names"]["kind"] == kind, (crd, api_version, kind)
    (served,) = [v for v in doc["spec"]["versions"] if v["name"] == version and v.get("served", True)]
    return jsonschema.Draft7Validator(strict(served["schema"]["openAPIV3Schema"]))


def validate_files(files: list[Path], root: Path, version: str) -> tuple[int, list[str], list[str]]:
    """(valid count, invalid 'path: message at [field path]' lines, kinds without a schema)."""
    import kubernetes_validate as kv

    valid, invalid, custom = 0, [], []
    for f in files:
        obj = yaml.safe_load(f.read_text())
        try:
            kv.validate(obj, version, strict=True)
            valid += 1
        except kv.SchemaNotFoundError:
            custom.append(obj["kind"])  # custom resources: no upstream schema
        except kv.ValidationError as e:
            invalid.append(f"{f.relative_to(root)}: {e.message} at {list(e.path)}")
    return valid, invalid, custom
