"""hybrid.shtemplate: what bash makes of a rendered header, and which templates render at all.

Expectations come from bash itself (each rendered assignment is evaluated by bash and the value
read back), from shellcheck's SC2016 (an expression in single quotes draws the warning, so a value
holding `$` or a backtick carries the disable comment), and from the template contract in the
module's docstring (exactly one `# hybrid:params` line; the caller passes exactly those names).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hybrid import shtemplate
from tests.conftest import require_tool

SCRIPTS = Path(shtemplate.__file__).parent / "scripts"


def _bash(script: str) -> str:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True, timeout=10).stdout


@pytest.mark.parametrize("value", ["plain", "two words", "it's", "$(touch /tmp/x)", "`id`", "a\nb", "", "*", "-n"])
def test_a_string_assignment_gives_bash_the_value_back_unchanged(value):
    line = shtemplate.assignment("VALUE", value)
    assert line.startswith("VALUE=")
    assert _bash(f"{line}\nprintf '%s' \"$VALUE\"") == value


def test_an_integer_is_assigned_as_its_decimal_digits():
    assert _bash(shtemplate.assignment("EXPECT_GPUS", 4) + "\nprintf '%s' \"$EXPECT_GPUS\"") == "4"


def test_a_list_becomes_a_bash_array_of_one_word_per_item():
    for items in (["10.0.0.0/8", "a b", "$HOME"], ("x",), []):
        line = shtemplate.assignment("RANGES", items)
        out = _bash(f"{line}\nprintf '%s\\n' \"${{#RANGES[@]}}\"; for w in \"${{RANGES[@]}}\"; do printf '<%s>' \"$w\"; done")
        count, words = out.split("\n", 1)
        assert int(count) == len(items)
        assert words == "".join(f"<{i}>" for i in items)


@pytest.mark.parametrize("value", [True, 1.5, None, {"a": "b"}])
def test_other_value_types_are_refused_naming_the_parameter(value):
    with pytest.raises(TypeError) as e:
        shtemplate.assignment("DRIVER_BRANCH", value)
    assert str(e.value) == f"DRIVER_BRANCH: unsupported parameter type {type(value).__name__}"


@pytest.mark.parametrize("name", ["lower", "1ST", "A-B", "A B", "", "A\n"])
def test_a_name_bash_would_not_read_as_one_variable_is_refused(name):
    with pytest.raises(ValueError) as e:
        shtemplate.assignment(name, "x")
    assert str(e.value) == f"bad parameter name {name!r}"


def test_a_nul_byte_is_refused_in_a_string_and_in_a_list_item():
    for value in ("a\0b", ["ok", "a\0b"]):
        with pytest.raises(ValueError) as e:
            shtemplate.assignment("X", value)
        assert str(e.value) == "a script parameter cannot contain a NUL byte"


def test_declared_reads_the_names_of_the_one_params_line_in_order():
    assert shtemplate.declared("#!/bin/bash\n# hybrid:params B_2 A\necho\n") == ["B_2", "A"]


@pytest.mark.parametrize("text, found", [
    ("#!/bin/bash\necho\n", 0),
    ("# hybrid:params A\n# hybrid:params B\n", 2),
    ("# hybrid:params a\n", 0),           # lower-case is no parameter name
    ("# hybrid:params A \n", 0),          # the line is exactly the names
    ("  # hybrid:params A\n", 0),         # at the start of a line
    ("# hybrid:paramsA\n", 0),
])
def test_a_template_without_exactly_one_params_line_is_refused(text, found):
    with pytest.raises(ValueError) as e:
        shtemplate.declared(text)
    assert str(e.value) == f"a script template needs exactly one '# hybrid:params' line, found {found}"


def test_source_is_the_shipped_file_and_names_are_the_shipped_bash_scripts():
    assert shtemplate.source("hybrid-tc.sh") == (SCRIPTS / "hybrid-tc.sh").read_text(encoding="utf-8")
    got = shtemplate.names()
    assert got == sorted(got)
    assert {"hybrid-tc.sh", "hybrid-join.sh", "hybrid-preload-run.sh"} <= set(got)
    assert "hybrid-preflight.py" not in got  # a Python helper, no template


def test_render_replaces_only_the_params_line_and_bash_sees_the_values(tmp_path):
    source = shtemplate.source("hybrid-preload-run.sh")
    out = shtemplate.render("hybrid-preload-run.sh", PRELOAD_CONF_DIR="/etc/hybrid preload", PRELOAD_BIN="/usr/bin/pl")
    before, after = source.split("# hybrid:params PRELOAD_CONF_DIR PRELOAD_BIN\n")
    assert out.startswith(before) and out.endswith(after)
    header = out[len(before):len(out) - len(after)]
    assert header.splitlines()[0] == shtemplate.BEGIN and header.splitlines()[-1] == shtemplate.END
    assert _bash(header + "printf '%s|%s' \"$PRELOAD_CONF_DIR\" \"$PRELOAD_BIN\"") == "/etc/hybrid preload|/usr/bin/pl"
    assert "# shellcheck" not in header


def test_a_value_holding_dollar_or_backtick_carries_the_sc2016_disable_for_its_line_only():
    out = shtemplate.render("hybrid-preload-run.sh", PRELOAD_CONF_DIR="/etc/$x", PRELOAD_BIN="/usr/bin/`pl`")
    lines = out.splitlines()
    disable = "# shellcheck disable=SC2016  # single-quoted: taken literally, never expanded"
    for name in ("PRELOAD_CONF_DIR", "PRELOAD_BIN"):
        i = next(i for i, line in enumerate(lines) if line.startswith(f"{name}="))
        assert lines[i - 1] == disable
    out = shtemplate.render("hybrid-preload-run.sh", PRELOAD_CONF_DIR="/etc/$x", PRELOAD_BIN="/usr/bin/pl")
    assert out.count(disable) == 1


def test_shellcheck_accepts_a_rendered_script_with_literal_dollars(tmp_path):
    shellcheck_bin = require_tool("shellcheck")
    path = tmp_path / "run.sh"
    path.write_text(shtemplate.render("hybrid-preload-run.sh", PRELOAD_CONF_DIR="/etc/$x", PRELOAD_BIN="/b/`pl`"))
    r = subprocess.run([shellcheck_bin, str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("params, missing, extra", [
    ({"PRELOAD_CONF_DIR": "/c"}, ["PRELOAD_BIN"], []),
    ({"PRELOAD_CONF_DIR": "/c", "PRELOAD_BIN": "/b", "EXTRA": "x"}, [], ["EXTRA"]),
    ({"PRELOAD_BIN": "/b", "OTHER": "x"}, ["PRELOAD_CONF_DIR"], ["OTHER"]),
])
def test_render_refuses_parameters_other_than_the_declared_ones_naming_both_sides(params, missing, extra):
    with pytest.raises(ValueError) as e:
        shtemplate.render("hybrid-preload-run.sh", **params)
    assert str(e.value) == f"hybrid-preload-run.sh: parameters missing {missing}, unexpected {extra}"


def test_every_shipped_script_is_ascii():
    # Read the same under any locale (here and on a node whose locale is C); the equivalence of
    # reading them with the locale's encoding (scripts/mutate.toml) rests on this.
    for name in shtemplate.names():
        (SCRIPTS / name).read_bytes().decode("ascii")
