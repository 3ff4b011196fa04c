"""README's table of the secrets each stack needs, against what the program reads: the
always-required keys (hybrid.model.SECRET_KEYS) plus those the stack's settings need
(hybrid.model.identity.required_secrets, the list components/config.py requires)."""

from __future__ import annotations

from hybrid.model import OPTIONAL_SECRET_KEYS, SECRET_KEYS
from hybrid.model.identity import required_secrets
from hybrid.stack import load_platform
from tests.conftest import ROOT, stack_raw

STACKS = ("dev", "prod")


def _table() -> dict[str, dict[str, str]]:
    text = (ROOT / "README.md").read_text()
    rows = text.split("<!-- secrets:begin -->", 1)[1].split("<!-- secrets:end -->", 1)[0].strip().splitlines()[2:]
    out = {}
    for row in rows:
        key, *marks, what = [c.strip() for c in row.strip("|").split("|")]
        out[key.strip("`")] = {**dict(zip(STACKS, marks)), "what": what}
    return out


def test_readme_lists_every_secret_each_stack_needs():
    table = _table()
    for stack in STACKS:
        needed = set(SECRET_KEYS) | set(required_secrets(load_platform(stack_raw(stack))))
        listed = {k for k, v in table.items() if v[stack] == "yes"}
        assert listed == needed, stack
    for key, row in table.items():
        assert row["what"] == {**SECRET_KEYS, **OPTIONAL_SECRET_KEYS}[key], key


def test_each_stack_file_shows_how_its_secrets_are_set():
    for stack in STACKS:
        head = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text().split("\nconfig:", 1)[0]
        for key in set(SECRET_KEYS) | set(required_secrets(load_platform(stack_raw(stack)))):
            assert any(line.startswith(f"#   pulumi config set --stack {stack} --secret {key} ") for line in head.splitlines()), (stack, key)
