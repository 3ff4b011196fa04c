"""hybrid-data-disk as the node runs it, on a real block device: a loop device over a sparse file,
formatted, labelled and mounted by the real mkfs.ext4, blkid and mount, in a private mount namespace
whose /etc is an overlay (the fstab it edits is the test's; the mount vanishes with the namespace).

Two shims only: ``lsblk`` reports the test's loop device as TYPE disk (an ECS data disk is a virtio
disk; a loop device lists as TYPE loop), and ``mkfs.ext4`` formats nothing but the test's device, so
no slip in the script can reach a disk of this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from hybrid import shtemplate

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("unshare", "losetup", "mkfs.ext4", "blkid", "lsblk", "sfdisk", "partx")),
    reason="needs root, unshare, losetup, mkfs.ext4, blkid, lsblk, sfdisk and partx")

# An odd size no other block device of this machine has: the script finds a blank disk by its size.
SIZE = 64 * 1024 * 1024 + 7 * 4096


class Disk:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.label = "hyb" + uuid.uuid4().hex[:8]  # ext4 labels: at most 16 bytes
        self.image = tmp / "disk.img"
        with open(self.image, "wb") as f:
            f.truncate(SIZE)
        self.dev: str | None = None
        self.mount = tmp / "data"
        self.etc, self.work = tmp / "etc", tmp / "etc-work"
        self.etc.mkdir()
        self.work.mkdir()
        (self.etc / "fstab").write_text("# the image's fstab\n")

    def attach(self, partitioned: bool = False) -> str:
        if partitioned:  # a GPT with one partition and no filesystem on the disk itself
            subprocess.run(["sfdisk", "-q", str(self.image)], input="label: gpt\n,,L\n", text=True, check=True, capture_output=True)
        self.dev = subprocess.run(["losetup", "-f", "--show", *(["-P"] if partitioned else []), str(self.image)],
                                  capture_output=True, text=True, check=True).stdout.strip()
        if partitioned:  # partx adds the partition to the kernel (no udev here to scan it), then wait for it
            subprocess.run(["partx", "-a", self.dev], capture_output=True)
            name = Path(self.dev).name
            deadline = time.monotonic() + 10
            while not Path(f"/sys/block/{name}/{name}p1").exists():
                assert time.monotonic() < deadline, f"the kernel shows no partition on {self.dev}"
                time.sleep(0.1)
        return self.dev

    def detach(self) -> None:
        if self.dev:
            subprocess.run(["losetup", "-d", self.dev], capture_output=True)
            self.dev = None

    def script(self, timeout_s: int) -> Path:
        f = self.tmp / f"hybrid-data-disk-{timeout_s}"
        f.write_text(shtemplate.render("hybrid-data-disk.sh", MOUNT=str(self.mount), LABEL=self.label, SIZE_BYTES=SIZE,
                                       SIZE_GIB=1, TIMEOUT_S=timeout_s))
        return f

    def run(self, steps: list[str], timeout_s: int = 30, dev: str | None = None, wait: float = 60) -> list[tuple[int, str]]:
        """Run shell steps in one mount namespace ($RUN is the script, killed after 25 s: a run that never
        gives up stops with the test); (exit code, output) of each."""
        shim = self.tmp / "shim"
        shim.mkdir(exist_ok=True)
        target = dev or self.dev or "/dev/nonexistent"
        (shim / "lsblk").write_text(f'#!/bin/bash\n/usr/bin/lsblk "$@" | sed -E "s|^({Path(target).name} +[0-9]+ +)loop$|\\1disk|"\n')
        (shim / "mkfs.ext4").write_text(f'#!/bin/bash\n[ "${{*: -1}}" = "{target}" ] || {{ echo "shim: not the test disk" >&2; exit 99; }}\n'
                                        'exec /usr/sbin/mkfs.ext4 "$@"\n')
        for f in shim.iterdir():
            f.chmod(0o755)
        lines = ["set -e", "mount --make-rprivate /",
                 f"mount -t overlay overlay -o lowerdir=/etc,upperdir={self.etc},workdir={self.work} /etc", "set +e"]
        for i, step in enumerate(steps):
            lines.append(f"( {step} ) > {self.tmp}/step{i}.out 2>&1; echo $? > {self.tmp}/step{i}.rc")
        runner = self.tmp / "runner.sh"
        runner.write_text("\n".join(lines) + "\n")
        env = {"PATH": f"{shim}:/usr/sbin:/usr/bin:/sbin:/bin", "RUN": f"timeout 25 bash {self.script(timeout_s)}"}
        done = subprocess.run(["unshare", "--mount", "bash", str(runner)], env=env, capture_output=True, text=True, timeout=wait)
        assert done.returncode == 0, done.stderr
        return [(int((self.tmp / f"step{i}.rc").read_text()), (self.tmp / f"step{i}.out").read_text()) for i in range(len(steps))]

    def fstab_lines(self) -> list[str]:
        return [ln for ln in (self.etc / "fstab").read_text().splitlines() if ln.startswith(f"LABEL={self.label}")]


@pytest.fixture
def disk(tmp_path):
    d = Disk(tmp_path)
    try:
        yield d
    finally:
        d.detach()


def test_a_blank_disk_is_formatted_labelled_mounted_and_its_data_survives_later_runs(disk):
    dev = disk.attach()
    m = str(disk.mount)
    rows = disk.run(["$RUN", f"findmnt -no SOURCE,FSTYPE -- {m}", f"echo weights > {m}/kept",
                     "$RUN", f"findmnt -no SOURCE -- {m} | wc -l",
                     f"umount {m}", "$RUN", f"cat {m}/kept", f"blkid -o value -s LABEL {dev}"])
    assert rows[0][0] == 0 and f"{dev} mounted at {m}" in rows[0][1], rows[0]
    assert rows[1][1].split() == [dev, "ext4"]
    # a second run on a mounted disk changes nothing: one mount, not two
    assert rows[3][0] == 0 and rows[4][1].strip() == "1", rows[3:5]
    # re-run after an unmount (a reboot, or the disk moved to a replacement instance): mounted by label, not re-formatted
    assert rows[6][0] == 0, rows[6]
    assert rows[7] == (0, "weights\n")
    assert rows[8][1].strip() == disk.label
    assert len(disk.fstab_lines()) == 1, (disk.etc / "fstab").read_text()


def test_the_fstab_entry_lets_the_node_boot_without_its_disk(disk):
    """fstab(5): LABEL= source, then mount point, type, options, dump, pass. systemd.mount(5): without
    nofail a missing disk fails local-fs.target (emergency mode on the next boot) and the device
    timeout bounds the wait; an ECS data disk can be detached while the instance is stopped."""
    disk.attach()
    assert disk.run(["$RUN"])[0][0] == 0
    (line,) = disk.fstab_lines()
    source, mount, fstype, options, dump, passno = line.split()
    assert (source, mount, fstype, dump, passno) == (f"LABEL={disk.label}", str(disk.mount), "ext4", "0", "2")
    assert {"nofail", "x-systemd.device-timeout=60s"} <= set(options.split(","))


def test_a_disk_with_partitions_but_no_filesystem_is_not_formatted(disk):
    dev = disk.attach(partitioned=True)
    rows = disk.run(["$RUN", f"blkid -o value -s PTTYPE {dev}"])
    assert rows[0][0] == 1 and "has partitions but no filesystem; refusing to format" in rows[0][1], rows[0]
    assert rows[1][1].strip() == "gpt"  # the partition table is still there
    assert disk.fstab_lines() == []


def test_a_disk_attached_after_boot_is_waited_for(disk):
    """ECS attaches the data disk after the instance starts: the script polls until it appears."""
    dev = subprocess.run(["losetup", "-f"], capture_output=True, text=True, check=True).stdout.strip()
    attacher = subprocess.Popen(["bash", "-c", f"sleep 2; losetup {dev} {disk.image}"])
    try:
        started = time.monotonic()
        rows = disk.run(["$RUN"], timeout_s=60, dev=dev)
        waited = time.monotonic() - started
    finally:
        attacher.wait(timeout=30)
        disk.dev = dev
    assert rows[0][0] == 0 and f"{dev} mounted" in rows[0][1], rows[0]
    assert waited >= 2


def test_no_disk_gives_up_at_the_deadline(disk):
    started = time.monotonic()
    rows = disk.run(["$RUN"], timeout_s=1, wait=30)
    assert rows[0][0] == 1 and "no 1 GiB data disk appeared" in rows[0][1]
    assert time.monotonic() - started < 20  # one poll interval past the deadline, not forever


def test_a_disk_grown_after_it_was_formatted_is_found_by_its_label(disk):
    """ECS disks can be resized (ResizeDisk) while attached: the disk no longer has the pool's size,
    and the next boot must find it by the filesystem label it was given, not by size."""
    dev = disk.attach()
    m = str(disk.mount)
    rows = disk.run(["$RUN", f"echo weights > {m}/kept", f"umount {m}",
                     f"truncate -s {2 * SIZE} {disk.image} && losetup -c {dev}", "/usr/bin/lsblk -dnbo SIZE " + dev,
                     "$RUN", f"cat {m}/kept"], timeout_s=3)
    assert rows[0][0] == 0 and rows[3][0] == 0, rows
    assert int(rows[4][1]) == 2 * SIZE  # the kernel sees the grown disk
    assert rows[5][0] == 0 and f"{dev} mounted at {m}" in rows[5][1], rows[5]
    assert rows[6] == (0, "weights\n")
