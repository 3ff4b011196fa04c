"""hybrid-preload-run as hybrid-preload@<name>.service runs it: the real wrapper, a settings file as the
renderer writes it, and a stand-in hybrid-preload that records what it was started with."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hybrid import shtemplate
from hybrid.cloudinit import preload_env

# The stand-in: its arguments (NUL-separated) and its process id.
STUB = '#!/bin/bash\nprintf "%s\\0" "$@" > "$(dirname "$0")/args"\necho $$ > "$(dirname "$0")/pid"\nexit "${STUB_EXIT:-0}"\n'


@pytest.fixture
def wrapper(tmp_path: Path) -> Path:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "imagenet-1k.env").write_text(preload_env("imagenet-1k", "rsync://10.9.0.20/datasets/imagenet", "/data/datasets/imagenet", 800))
    stub = tmp_path / "hybrid-preload"
    stub.write_text(STUB)
    stub.chmod(0o755)
    f = tmp_path / "hybrid-preload-run"
    f.write_text(shtemplate.render("hybrid-preload-run.sh", PRELOAD_CONF_DIR=str(conf), PRELOAD_BIN=str(stub)))
    return f


def test_the_dataset_settings_reach_hybrid_preload(wrapper):
    out = subprocess.run(["bash", str(wrapper), "imagenet-1k"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (wrapper.parent / "args").read_text().split("\0")[:-1] == [
        "imagenet-1k", "rsync://10.9.0.20/datasets/imagenet", "/data/datasets/imagenet", "800"]


def test_hybrid_preload_replaces_the_wrapper(wrapper):
    """The unit's main process is hybrid-preload itself: systemd's stop signal and the exit status
    (75: another run holds the lock) are its own, no shell in between."""
    proc = subprocess.Popen(["bash", str(wrapper), "imagenet-1k"], env={"STUB_EXIT": "75", "PATH": "/usr/bin:/bin"})
    assert proc.wait(timeout=30) == 75
    assert int((wrapper.parent / "pid").read_text()) == proc.pid


@pytest.mark.parametrize("args", [[], ["imagenet-1k", "extra"], ["Imagenet"], ["../conf/imagenet-1k"], ["-x"]])
def test_anything_but_one_dataset_name_is_a_usage_error(wrapper, args):
    """A systemd instance name is the one argument (hybrid-preload@<name>.service); exit 64 is
    sysexits(3) EX_USAGE, and nothing is started."""
    out = subprocess.run(["bash", str(wrapper), *args], capture_output=True, text=True)
    assert out.returncode == 64 and "usage:" in out.stderr
    assert not (wrapper.parent / "args").exists()
