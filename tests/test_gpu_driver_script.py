"""hybrid-gpu-driver as the node runs it, with the system commands as PATH shims that log their calls:
the reboot marker is cleared once the GPUs work, a kernel that came after the driver gets its headers
and a DKMS build instead of a dead end, the kernel packages are held, and the /dev/char symlinks
(NVIDIA/nvidia-container-toolkit#48) are created on every run. The run is in a private mount namespace
whose /etc is an overlay: the toolkit's apt source and key land in the test's directory, and curl is a
shim, so no path of the script reaches this machine's /etc or the network."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hybrid import shtemplate

KERNEL = "5.15.0-122-generic"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="needs root and unshare (a private mount namespace over /etc)")

SHIMS = {
    # nvidia-smi sees SHIM_GPUS GPUs (the instance type's 4 by default) once the module is loaded
    # (the marker file modprobe writes); its -L lines as nvidia-smi prints them
    "nvidia-smi": ('if [ -e "$SHIM_DIR/loaded" ]; then for ((i = 0; i < ${SHIM_GPUS:-4}; i++)); do echo "GPU $i: NVIDIA A10 (UUID: GPU-$i)"; done; '
                   'else exit 9; fi'),
    # SHIM_NOUVEAU=1: nouveau holds the GPUs, so the nvidia module cannot load until a reboot
    "modprobe": ('echo "modprobe $*" >> "$SHIM_LOG"; [ "${SHIM_NOUVEAU:-0}" = 0 ] || { echo "modprobe: ERROR: could not insert nvidia: No such device" >&2; exit 1; }; '
                 'if [ "${SHIM_MODULE_BUILT:-1}" = 1 ] || [ -e "$SHIM_DIR/built" ]; then touch "$SHIM_DIR/loaded"; fi'),
    "dkms": 'echo "dkms $*" >> "$SHIM_LOG"; touch "$SHIM_DIR/built"',
    "uname": f'echo {KERNEL}',
    # installed packages: SHIM_INSTALLED (space separated); with -f '${{db:Status-Abbrev}} ${{Package}}' list the kernel's
    "dpkg-query": ('case "$*" in *db:Status-Abbrev*) for p in linux-image-5.15.0-122-generic linux-image-generic linux-headers-generic '
                   'linux-modules-5.15.0-122-generic; do echo "ii  $p"; done;; '
                   '*) pkg="${*: -1}"; for p in $SHIM_INSTALLED; do [ "$p" = "$pkg" ] && { echo "install ok installed"; exit 0; }; done; exit 1;; esac'),
    "apt-get": 'echo "apt-get $*" >> "$SHIM_LOG"',
    "apt-mark": 'echo "apt-mark $*" >> "$SHIM_LOG"',
    "nvidia-ctk": ('if [ "$1" = --version ]; then echo "NVIDIA Container Toolkit CLI version ${SHIM_TOOLKIT:-1.17.8}"; '
                   'else echo "nvidia-ctk $*" >> "$SHIM_LOG"; fi'),
    "systemctl": 'echo "systemctl $*" >> "$SHIM_LOG"',
    "curl": 'echo "curl $*" >> "$SHIM_LOG"; echo "-----BEGIN PGP PUBLIC KEY BLOCK-----"',
    "gpg": 'cat > /dev/null; echo "gpg $*" >> "$SHIM_LOG"',
}


def _run(tmp_path: Path, installed: str, built: bool, marker: bool = False, loaded: bool = False, **shim_env: str):
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
           "SHIM_MODULE_BUILT": "1" if built else "0", **shim_env}
    etc, work = tmp_path / "etc", tmp_path / "etc-work"
    etc.mkdir()
    work.mkdir()
    inner = f"set -e; mount --make-rprivate /; mount -t overlay overlay -o lowerdir=/etc,upperdir={etc},workdir={work} /etc; exec bash {script}"
    out = subprocess.run(["unshare", "--mount", "bash", "-c", inner], env=env, capture_output=True, text=True, timeout=60)
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
    # the driver branch pinned too: an upgrade to another branch would leave the built module behind
    assert "apt-mark hold nvidia-driver-535-server nvidia-utils-535-server" in calls


def test_nouveau_holding_the_gpus_reboots_once(tmp_path):
    """Right after the install nouveau still holds the GPUs (the package only blacklists it for the
    next boot): modprobe nvidia fails, the script marks the reboot and asks systemd for one."""
    out, calls, state = _run(tmp_path, "", built=True, SHIM_NOUVEAU="1")
    assert out.returncode == 1 and "rebooting once" in out.stderr
    assert calls[-1] == "systemctl --no-block reboot"
    assert (state / "rebooted-for-driver").exists()


def test_no_gpu_after_the_reboot_fails_instead_of_rebooting_again(tmp_path):
    # marker present (the reboot happened), the driver installed, still no module: a dead end, named
    out, calls, state = _run(tmp_path, "nvidia-driver-535-server linux-headers-" + KERNEL, built=False, marker=True)
    assert out.returncode == 1 and "no GPU visible after a reboot" in out.stderr
    assert not [c for c in calls if "reboot" in c]


def test_fewer_gpus_than_the_instance_type_has_fail_the_node(tmp_path):
    # rendered for an instance type of 4 GPUs (EXPECT_GPUS=4): two visible = GPUs lost (Xid, fallen off the bus)
    out, calls, _ = _run(tmp_path, "nvidia-driver-535-server", built=True, loaded=True, SHIM_GPUS="2")
    assert out.returncode == 1 and "nvidia-smi sees 2 GPU(s), the instance type has 4" in out.stderr
    assert not [c for c in calls if c.startswith("nvidia-ctk")]


def test_an_older_toolkit_is_upgraded_to_the_pinned_version(tmp_path):
    out, calls, _ = _run(tmp_path, "nvidia-driver-535-server", built=True, loaded=True, SHIM_TOOLKIT="1.14.6")
    assert out.returncode == 0, out.stderr
    # the toolkit repository's package versions are <version>-1 (NVIDIA's install guide pins them so)
    install = next(c for c in calls if c.startswith("apt-get install"))
    assert "nvidia-container-toolkit=1.17.8-1" in install.split() and "libnvidia-container1=1.17.8-1" in install.split()
    assert (tmp_path / "etc/apt/sources.list.d/nvidia-container-toolkit.list").read_text() == (
        "deb [signed-by=/etc/apt/keyrings/nvidia-container-toolkit.gpg] http://10.1.0.40/x /\n")


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
