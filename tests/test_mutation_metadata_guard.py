"""hybrid/metadata_guard.py: what cloud-init writes is what systemd runs, with the address Alibaba serves metadata on."""

from __future__ import annotations

import configparser
import shlex

from hybrid import metadata_guard


def _unit(text: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str  # systemd keys are case-sensitive
    cp.read_string(text)
    return cp


def test_the_script_targets_the_ecs_metadata_address():
    # Alibaba Cloud ECS "Instance metadata": served at http://100.100.100.200 from inside the instance.
    assert metadata_guard.METADATA_IP == "100.100.100.200"
    # The rendered assignments as the shell reads them (quotes removed).
    words = {w for line in metadata_guard.script().splitlines() if not line.startswith("#") for w in shlex.split(line)}
    assert "METADATA_IP=100.100.100.200" in words
    # iptables chain names are at most 28 characters (XT_EXTENSION_MAXNAMELEN 29 with the NUL).
    assert f"CHAIN={metadata_guard.CHAIN}" in words and len(metadata_guard.CHAIN) <= 28


def test_write_files_install_what_the_units_run():
    files = {f["path"]: f for f in metadata_guard.cloud_init_write_files()}
    unit = metadata_guard.UNIT
    # systemd's directory for the administrator's units (systemd.unit(5) "System Unit Search Path").
    service = files[f"/etc/systemd/system/{unit}.service"]
    timer = files[f"/etc/systemd/system/{unit}.timer"]
    # The service runs the file cloud-init wrote as the script (the relationship, not a constant).
    exec_start = _unit(service["content"])["Service"]["ExecStart"]
    script = files[exec_start]
    assert script["content"] == metadata_guard.script()
    assert exec_start == metadata_guard.SCRIPT_PATH
    # A timer without Unit= activates the service of the same name (systemd.timer(5)).
    assert "Unit" not in _unit(timer["content"])["Timer"]
    assert _unit(timer["content"])["Timer"]["OnUnitActiveSec"]
    # The script must be executable by root for ExecStart; units are plain root-owned files (systemd warns
    # about executable unit files), none writable by others.
    assert int(script["permissions"], 8) & 0o100 and not int(script["permissions"], 8) & 0o022
    for f in (service, timer):
        assert int(f["permissions"], 8) == 0o644
    assert {f["owner"] for f in files.values()} == {"root:root"}
    assert len(files) == 3
