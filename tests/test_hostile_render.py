"""Hostile strings through every renderer: no value can become code, a new unit line, or a new file.

The model rejects these values first; here they are forced past it (``model_copy`` does not
validate) to prove the renderers' own quoting. Every rendered script is checked by
``bash -n`` and shellcheck, its parameter header is executed by a real bash and must yield
the values byte for byte, and a canary file that any injection would create must not exist.
"""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from hybrid import shtemplate
from hybrid.cloudinit import context_for, preload_env, render_cloud_init, render_preload_run_script
from hybrid.model import load
from tests.conftest import require_tool

TOKEN = "q7w8e9.0a1b2c3d4e5f6a7b"
CA_HASH = "sha256:" + "ab" * 32


def hostile(canary) -> list[str]:
    return [
        f"a\nb$(touch {canary})",
        f"x'y`touch {canary}`'",
        f'x"y"$(touch {canary})"',
        f"; touch {canary} #",
        f"\n[Service]\nExecStartPre=/bin/touch {canary}\n",
        "${IFS}*?[a]\\ \t~",
        "-rf",
    ]


@pytest.fixture(scope="module")
def shellcheck_bin():
    return require_tool("shellcheck")


def run_header(rendered: str, names: list[str], tmp_path) -> dict[str, list[str]]:
    """Execute the rendered script's header in bash; return each parameter's words."""
    end = rendered.index(shtemplate.END) + len(shtemplate.END)
    header = rendered[:end]
    dump = ""
    for n in names:
        if f"\n{n}=(" in header:  # a bash array
            dump += f'printf "%s\\0" "{n}" "${{#{n}[@]}}" "${{{n}[@]}}"\n'
        else:
            dump += f'printf "%s\\0" "{n}" 1 "${n}"\n'

    probe = tmp_path / "probe.sh"
    probe.write_text(header + "\n" + dump)
    out = subprocess.run(["bash", str(probe)], capture_output=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    fields = out.stdout.decode().split("\0")[:-1]
    got, i = {}, 0
    while i < len(fields):
        name, count = fields[i], int(fields[i + 1])
        got[name] = fields[i + 2:i + 2 + count]
        i += 2 + count
    return got


@pytest.mark.parametrize("script", shtemplate.names())
def test_every_script_template_quotes_hostile_values(script, tmp_path, shellcheck_bin):
    canary = tmp_path / "pwned"
    names = shtemplate.declared(shtemplate.source(script))
    for value in hostile(canary):
        params = {n: value for n in names}
        # array parameters get the value twice, as two words
        text = shtemplate.source(script)
        for n in names:
            if f"${{{n}[@]}}" in text or f"${{!{n}[@]}}" in text or f"${{#{n}[@]}}" in text:
                params[n] = [value, value]
        rendered = shtemplate.render(script, **params)
        path = tmp_path / script
        path.write_text(rendered)
        assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
        sc = subprocess.run([shellcheck_bin, "--severity=style", str(path)], capture_output=True, text=True)
        assert sc.returncode == 0, sc.stdout
        got = run_header(rendered, names, tmp_path)
        assert got == {n: (v if isinstance(v, list) else [v]) for n, v in params.items()}
        assert not canary.exists(), f"{script}: {value!r} was executed"


def test_nul_bytes_are_refused():
    with pytest.raises(ValueError, match="NUL"):
        shtemplate.render("hybrid-preload.sh", PRELOAD_MARKER="a\0b")


def test_hostile_preload_settings_reach_the_program_as_single_words(tmp_path):
    """The settings file is sourced by the real wrapper; the program gets exactly the four values."""
    canary = tmp_path / "pwned"
    conf = tmp_path / "conf"
    conf.mkdir()
    stub = tmp_path / "stub"
    stub.write_text('#!/bin/bash\nprintf "%s\\0" "$@" > "$(dirname "$0")/args"\n')
    stub.chmod(0o755)
    wrapper = tmp_path / "hybrid-preload-run"
    wrapper.write_text(shtemplate.render("hybrid-preload-run.sh", PRELOAD_CONF_DIR=str(conf), PRELOAD_BIN=str(stub)))
    for value in hostile(canary):
        (conf / "ds.env").write_text(preload_env(value, value + "s", value + "t", 7))
        out = subprocess.run(["bash", str(wrapper), "ds"], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert (tmp_path / "args").read_bytes().decode().split("\0")[:-1] == [value, value + "s", value + "t", "7"]
        assert not canary.exists()
    # the instance name itself is checked before any file is read
    assert subprocess.run(["bash", str(wrapper), "../conf/ds"], capture_output=True).returncode == 64


def test_shipped_wrapper_is_the_rendered_one():
    assert "PRELOAD_CONF_DIR=/etc/hybrid/preload" in render_preload_run_script()


def test_hostile_pool_values_stay_inside_their_quotes(prod_raw, tmp_path, shellcheck_bin):
    """A pool whose mount path, preload source/target and taint value carry newlines, quotes,
    $() and backticks (forced past the model): units unchanged, scripts clean, values literal."""
    canary = tmp_path / "pwned"
    p = load(prod_raw)
    region = p.regions[0]
    benign = context_for(p, region.id, region.gpu_pools[0])
    pool = benign.pool
    evil = f"/data\nExecStartPre=/bin/touch {canary}\n$(touch {canary})`touch {canary}`'\""
    bad_pool = pool.model_copy(update={
        "data_disk": pool.data_disk.model_copy(update={"mount_path": evil}),
        "preload": [pool.preload[0].model_copy(update={"source": evil + "src", "target": evil + "/t"})],
        "taints": [pool.taints[0].model_copy(update={"value": evil})],
    })
    ctx = context_for(p, region.id, pool)
    ctx = type(ctx)(**{**ctx.__dict__, "pool": bad_pool})
    good_doc = yaml.safe_load(render_cloud_init(benign, CA_HASH))
    doc = yaml.safe_load(render_cloud_init(ctx, CA_HASH))
    good = {f["path"]: f for f in good_doc["write_files"]}
    files = {f["path"]: f for f in doc["write_files"]}
    assert set(files) == set(good), "no file added or renamed"
    assert doc["runcmd"] == good_doc["runcmd"]
    for path, f in files.items():
        if path.startswith("/etc/systemd/") or path.startswith("/etc/udev/"):
            assert f["content"] == good[path]["content"], f"{path} carries a configured value"
    # the taint value arrives in kubeadm's YAML as one string, unchanged
    join = yaml.safe_load(files["/etc/hybrid/kubeadm-join.yaml.tmpl"]["content"])
    assert join["nodeRegistration"]["taints"][0]["value"] == evil
    # every script: bash -n, shellcheck, and the header yields the values literally
    for path, f in files.items():
        if not f["content"].startswith("#!/bin/bash"):
            continue
        script = tmp_path / os.path.basename(path)
        script.write_text(f["content"])
        assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
        sc = subprocess.run([shellcheck_bin, "--severity=style", str(script)], capture_output=True, text=True)
        assert sc.returncode == 0, path + sc.stdout
        names = shtemplate.declared(shtemplate.source(os.path.basename(path) + ".sh"))
        got = run_header(f["content"], names, tmp_path)
        for key in ("MOUNT", "DATA_MOUNT"):
            if key in got:
                assert got[key] == [evil]
    env = tmp_path / "ds.env"
    env.write_text(files[f"/etc/hybrid/preload/{pool.preload[0].name}.env"]["content"])
    out = subprocess.run(["bash", "-c", f'. {env} && printf "%s\\0" "$SOURCE" "$TARGET"'], capture_output=True)
    assert out.stdout.decode().split("\0")[:-1] == [evil + "src", evil + "/t"]
    assert not canary.exists()


@pytest.mark.parametrize("field,value", [("name", "a,b=c"), ("gpu_model_series", "A10\nx=y")])
def test_label_values_outside_the_grammar_are_refused_by_the_renderer(prod_raw, field, value):
    p = load(prod_raw)
    region = p.regions[0]
    ctx = context_for(p, region.id, region.gpu_pools[0])
    ctx = type(ctx)(**{**ctx.__dict__, "pool": ctx.pool.model_copy(update={field: value})})
    with pytest.raises(ValueError, match="label grammar"):
        render_cloud_init(ctx, CA_HASH)


def test_preload_names_that_are_not_one_word_are_refused(prod_raw):
    p = load(prod_raw)
    region = p.regions[0]
    ctx = context_for(p, region.id, region.gpu_pools[0])
    bad = ctx.pool.model_copy(update={"preload": [ctx.pool.preload[0].model_copy(update={"name": "../../etc/x"})]})
    with pytest.raises(ValueError, match="preload name"):
        render_cloud_init(type(ctx)(**{**ctx.__dict__, "pool": bad}), CA_HASH)
