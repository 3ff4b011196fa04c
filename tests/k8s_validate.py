"""kubernetes-validate (strict) over plan files: one loop for every test that needs it."""

from __future__ import annotations

from pathlib import Path

import yaml


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
