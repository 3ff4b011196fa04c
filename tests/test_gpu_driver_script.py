"""hybrid-gpu-driver as the node runs it, with the system commands as PATH shims that log their calls:
the reboot marker is cleared once the GPUs work, a kernel that came after the driver gets its headers
and a DKMS build instead of a dead end, the kernel packages are held, and the /dev/char symlinks
(NVIDIA/nvidia-container-toolkit#48) are created on every run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hybrid import shtemplate

KERNEL = "5.15.0-122-generic"

SHIMS = {
    # nvidia-smi sees 4 GPUs once the module is loaded (the marker file modprobe writes)
    "nvidia-smi": 'if [ -e "$SHIM_DIR/loaded" ]; then for i in 0 1 2 3; do echo "GPU $i: NVIDIA A10 (UUID: GPU-$i)"; done; else exit 9; fi',
    "modprobe": 'echo "modprobe $*" >> "$SHIM_LOG"; if [ "${SHIM_MODULE_BUILT:-1}" = 1 ] || [ -e "$SHIM_DIR/built" ]; then touch "$SHIM_DIR/loaded"; fi',
    "dkms": 'echo "dkms $*" >> "$SHIM_LOG"; touch "$SHIM_DIR/built"',
    "uname": f'echo {KERNEL}',
    # installed packages: SHIM_INSTALLED (space separated); with -f '${{db:Status-Abbrev}} ${{Package}}' list the kernel's
    "dpkg-query": ('case "$*" in *db:Status-Abbrev*) for p in linux-image-5.15.0-122-generic linux-image-generic linux-headers-generic '
                   'linux-modules-5.15.0-122-generic; do echo "ii  $p"; done;; '
                   '*) pkg="${*: -1}"; for p in $SHIM_INSTALLED; do [ "$p" = "$pkg" ] && { echo "install ok installed"; exit 0; }; done; exit 1;; esac'),
    "apt-get": 'echo "apt-get $*" >> "$SHIM_LOG"',
    "apt-mark": 'echo "apt-mark $*" >> "$SHIM_LOG"',
    "nvidia-ctk": 'if [ "$1" = --version ]; then echo "NVIDIA Container Toolkit CLI version 1.17.8"; else echo "nvidia-ctk $*" >> "$SHIM_LOG"; fi',
    "systemctl": 'echo "systemctl $*" >> "$SHIM_LOG"',
}


def _run(tmp_path: Path, installed: str, built: bool, marker: bool = False, loaded: bool = False):
    shim = tmp_path / "shim"
    shim.mkdir()
    for name, body in SHIMS.items():
        (shim / name).write_text("#!/bin/bash\n" + body + "\n")
        (shim / name).chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    if marker:
        (state / "rebooted-for-driver").touch()
    if loaded:
        (shim / "loaded").touch()
    script = tmp_path / "driver.sh"
    script.write_text(shtemplate.render("hybrid-gpu-driver.sh", DRIVER_SOURCE="install", DRIVER_BRANCH="535", EXPECT_GPUS=4,
                                        TOOLKIT_VERSION="1.17.8", TOOLKIT_APT_REPO="http://10.1.0.40/x", TOOLKIT_GPG_KEY="http://10.1.0.40/k",
                                        STATE_DIR=str(state)))
    log = tmp_path / "log"
    env = {"PATH": f"{shim}:{os.environ['PATH']}", "SHIM_DIR": str(shim), "SHIM_LOG": str(log), "SHIM_INSTALLED": installed,
           "SHIM_MODULE_BUILT": "1" if built else "0"}
    out = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    return out, (log.read_text().splitlines() if log.exists() else []), state


def test_marker_cleared_once_the_gpus_work(tmp_path):
    out, calls, state = _run(tmp_path, "nvidia-driver-535-server linux-headers-" + KERNEL, built=True, marker=True)
    assert out.returncode == 0, out.stderr
    assert not (state / "rebooted-for-driver").exists()
    assert "nvidia-ctk system create-dev-char-symlinks --create-all" in calls


def test_a_later_kernel_gets_headers_and_a_dkms_build(tmp_path):
    # driver installed for an older kernel; this kernel has no headers, so no module yet
    out, calls, state = _run(tmp_path, "nvidia-driver-535-server", built=False, marker=True)
    assert out.returncode == 0, out.stderr
    assert f"apt-get install -y -q linux-headers-{KERNEL}" in calls
    assert f"dkms autoinstall -k {KERNEL}" in calls
    assert calls.index(f"dkms autoinstall -k {KERNEL}") < calls.index("modprobe nvidia")
    assert not (state / "rebooted-for-driver").exists()


def test_fresh_install_holds_driver_and_kernel(tmp_path):
    out, calls, _ = _run(tmp_path, "", built=True)
    assert out.returncode == 0, out.stderr
    assert f"apt-get install -y -q linux-headers-{KERNEL} nvidia-driver-535-server nvidia-utils-535-server" in calls
    held = [c for c in calls if c.startswith("apt-mark hold linux-")]
    assert held == ["apt-mark hold linux-image-5.15.0-122-generic linux-image-generic linux-headers-generic linux-modules-5.15.0-122-generic"]


def test_working_driver_is_left_alone(tmp_path):
    out, calls, _ = _run(tmp_path, "nvidia-driver-535-server", built=True, loaded=True)
    assert out.returncode == 0, out.stderr
    assert not [c for c in calls if c.startswith("apt-get")]
    assert calls == ["nvidia-ctk system create-dev-char-symlinks --create-all"]


def test_every_node_gets_nvidias_dev_char_udev_rule():
    from hybrid import cloudinit
    from hybrid.model import load
    from tests.conftest import stack_raw

    p = load(stack_raw("prod"))
    files = {f["path"]: f["content"] for f in cloudinit.node_files(cloudinit.context_for(p, "cn-hangzhou", p.region("cn-hangzhou").gpu_pools[0]), "x")}
    # the rule as NVIDIA/nvidia-docker#1671 gives it (linked from NVIDIA/nvidia-container-toolkit#48)
    assert files["/etc/udev/rules.d/71-nvidia-dev-char.rules"] == (
        'ACTION=="add", DEVPATH=="/bus/pci/drivers/nvidia", RUN+="/usr/bin/nvidia-ctk system create-dev-char-symlinks --create-all"\n')
