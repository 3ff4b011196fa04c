"""The boot units a node's user-data enables, checked by systemd itself (`systemd-analyze verify`).

Each pool's user-data is unpacked into a root directory the way cloud-init writes it (path and
mode of every ``write_files`` entry), beside the distribution's own units (the targets the boot
units order against). systemd then loads every unit the boot enables, as runcmd names it: a unit
whose ExecStart is not written executable, or that requires a unit no file provides, fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from hybrid import shtemplate
from hybrid.cloudinit import context_for, render_cloud_init
from hybrid.model import load
from tests.conftest import require_tool

CA_HASH = "sha256:" + "ab" * 32
DISTRO_UNITS = Path("/lib/systemd/system")  # Debian's units (the package systemd): the targets


@pytest.fixture(scope="module")
def analyze() -> str:
    return require_tool("systemd-analyze")


def user_data(raw: dict) -> list[tuple[str, dict]]:
    p = load(raw)
    return [(f"{r.id}/{pool.name}", yaml.safe_load(render_cloud_init(context_for(p, r.id, pool), CA_HASH)))
            for r in p.regions for pool in r.gpu_pools]


def enabled_units(doc: dict) -> list[str]:
    """The units runcmd enables, templates as the instances it names."""
    units = []
    for cmd in doc["runcmd"]:
        if cmd[:2] == ["systemctl", "enable"]:
            units += [arg for arg in cmd[2:] if not arg.startswith("--")]
    return units


def node_root(tmp: Path, doc: dict, drop: str = "") -> Path:
    root = tmp / "root"
    shutil.copytree(DISTRO_UNITS, root / "lib/systemd/system", symlinks=True)
    for f in doc["write_files"]:
        if f["path"] == drop:
            continue
        path = root / f["path"].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f["content"])
        path.chmod(int(f["permissions"], 8))
    return root


def verify(analyze: str, root: Path, units: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([analyze, "verify", f"--root={root}", *(f"/etc/systemd/system/{u}" for u in units)],
                          capture_output=True, text=True)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_enabled_unit_loads_with_its_executable_and_dependencies(analyze, stack, request, tmp_path):
    pools = user_data(request.getfixturevalue(f"{stack}_raw"))
    assert pools
    for i, (name, doc) in enumerate(pools):
        units = enabled_units(doc)
        # every pool shapes traffic, mounts its disk, guards the metadata service, installs the driver and joins
        assert {"hybrid-tc.service", "hybrid-data-disk.service", "hybrid-metadata-guard.service",
                "hybrid-gpu-driver.service", "hybrid-join.service"} <= set(units), name
        out = verify(analyze, node_root(tmp_path / str(i), doc), units)
        assert out.returncode == 0 and not out.stderr.strip(), f"{name}: {out.stderr}"


def test_a_unit_whose_script_is_not_written_fails(analyze, dev_raw, tmp_path):
    """Control: the same check with the join script left out of write_files names the unit and the path."""
    _, doc = user_data(dev_raw)[0]
    out = verify(analyze, node_root(tmp_path, doc, drop="/usr/local/sbin/hybrid-join"), enabled_units(doc))
    assert out.returncode != 0
    assert "hybrid-join.service: Command /usr/local/sbin/hybrid-join is not executable" in out.stderr


def test_a_unit_requiring_a_missing_unit_fails(analyze, dev_raw, tmp_path):
    """Control: hybrid-join requires the data disk; without its unit file systemd refuses the join unit."""
    _, doc = user_data(dev_raw)[0]
    root = node_root(tmp_path, doc, drop="/etc/systemd/system/hybrid-data-disk.service")
    out = verify(analyze, root, ["hybrid-join.service"])
    assert out.returncode != 0 and "hybrid-data-disk.service" in out.stderr


def test_every_shipped_unit_is_installed_by_some_pool(prod_raw):
    """No unit file in hybrid/units is orphaned: prod (preload included) writes each one."""
    written = {Path(f["path"]).name for _, doc in user_data(prod_raw) for f in doc["write_files"]
               if f["path"].startswith("/etc/systemd/system/")}
    assert set(shtemplate.unit_names()) == written
