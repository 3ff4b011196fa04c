"""Config model: both stacks load; every kind of bad config names its field and exits 2."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hybrid.errors import ConfigError
from hybrid.model import load
from tests.conftest import PROJECT, ROOT, stack_raw


def test_stacks_load(dev_raw, prod_raw):
    dev, prod = load(dev_raw), load(prod_raw)
    assert [r.id for r in dev.regions] == ["cn-beijing"]
    assert [r.id for r in prod.regions] == ["cn-beijing", "cn-hangzhou", "cn-zhangjiakou"]
    # auto-planned zones got CIDRs inside their VPC
    zjk = prod.region("cn-zhangjiakou")
    assert all(z.node_vswitch_cidr and z.pod_vswitch_cidr for z in zjk.zones)


def _set(raw, path, value):
    cur = raw
    for part in path[:-1]:
        cur = cur[part]
    if value is _DELETE:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value


_DELETE = object()

# (case id, edits [(path, value)], expected field path in the error, a word the message must hold)
BAD_CONFIGS = [
    ("not-a-cidr", [(("regions", 0, "vpcCidr"), "10.40.0.0")], "regions[0].vpcCidr", "not a CIDR"),
    ("prefix-33", [(("regions", 0, "vpcCidr"), "10.40.0.0/33")], "regions[0].vpcCidr", "not a valid CIDR"),
    ("host-bits", [(("idc", "podCidr"), "10.244.1.0/16")], "idc.podCidr", "host bits"),
    ("bad-region-id", [(("regions", 0, "id"), "Beijing")], "regions[0].id", "region id"),
    ("vpc-overlaps-service", [(("regions", 0, "vpcCidr"), "172.21.0.0/16")], "regions[0].vpcCidr", "Service CIDR"),
    ("vpc-overlaps-idc", [(("regions", 0, "vpcCidr"), "10.8.0.0/16")], "regions[0].vpcCidr", "on-prem range"),
    ("duplicate-zone", [(("regions", 0, "zones"), ["cn-beijing-g", "cn-beijing-g"])], "regions[0].zones[1].id", "listed twice"),
    ("zone-not-in-region", [(("regions", 0, "zones"), ["cn-hangzhou-h"]), (("regions", 0, "gpuPools"), [])],
     "regions[0].zones[0].id", "not in region"),
    ("vswitch-outside-vpc", [(("regions", 0, "zones"), [{"id": "cn-beijing-g", "nodeVswitchCidr": "10.41.0.0/22", "podVswitchCidr": "10.40.32.0/19"}])],
     "regions[0].zones[0].nodeVswitchCidr", "not inside the VPC"),
    ("vswitches-overlap", [(("regions", 0, "zones"), [{"id": "cn-beijing-g", "nodeVswitchCidr": "10.40.0.0/22", "podVswitchCidr": "10.40.0.0/19"}])],
     "regions[0].zones[0].podVswitchCidr", "overlaps"),
    ("node-without-pod-vswitch", [(("regions", 0, "zones"), [{"id": "cn-beijing-g", "nodeVswitchCidr": "10.40.0.0/22"}])],
     "regions[0].zones[0]", "no pod vSwitch"),
    ("vswitch-mask-too-small", [(("regions", 0, "zones"), [{"id": "cn-beijing-g", "nodeVswitchCidr": "10.40.0.0/30", "podVswitchCidr": "10.40.32.0/19"}])],
     "regions[0].zones[0].nodeVswitchCidr", "/16../29"),
    ("typo-key", [(("regions", 0, "vpcCIDR"), "10.40.0.0/16")], "regions[0].vpcCIDR", "Extra inputs"),
    ("missing-idc", [(("idc",), _DELETE)], "idc", "required"),
    ("two-regions-overlap", [(("regions",), None)], "regions[1].vpcCidr", "overlaps regions[0]"),
    # Terway on a region's nodes with no credential path at all: no node role, no pool role, no AccessKey/file.
    ("terway-no-credentials", [(("identity",), {"nodeRole": False})], "regions[0].gpuPools[0].ramRole", "no credentials"),
    ("vnode-version-without-v", [(("virtualNode", "version"), "2.13.0")], "virtualNode.version", "leading v"),
    ("node-role-scope-typo", [(("identity",), {"nodeRoleScope": "global"})], "identity.nodeRoleScope", "Input should be"),
]


def _two_overlapping_regions(raw):
    second = copy.deepcopy(raw["regions"][0])
    second["id"], second["zones"], second["gpuPools"] = "cn-hangzhou", ["cn-hangzhou-h"], []
    second["vpcCidr"] = "10.40.0.0/17"
    raw["regions"].append(second)


def _apply(raw, edits):
    for path, value in edits:
        if path == ("regions",):
            _two_overlapping_regions(raw)
        else:
            _set(raw, path, value)
    return raw


@pytest.mark.parametrize("case,edits,field,word", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_names_field_and_fix(dev_raw, case, edits, field, word):
    raw = _apply(dev_raw, edits)
    with pytest.raises(ConfigError) as info:
        load(raw)
    issues = info.value.issues
    match = [i for i in issues if i.path == field]
    assert match, f"{case}: no error at {field}: {info.value.render()}"
    assert any(word in i.message for i in match), info.value.render()
    assert all(i.fix for i in issues), "every error must say how to fix it"


def _write_stack(tmp_path: Path, raw) -> Path:
    doc = {"config": {f"{PROJECT}:{k}": v for k, v in raw.items()}}
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize("case,edits,field,word", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_cli_exit_2_and_nothing_written(tmp_path, capsys, case, edits, field, word):
    from hybrid_tools.cli import main

    cfg = _write_stack(tmp_path, _apply(copy.deepcopy(stack_raw("dev")), edits))
    out = tmp_path / "plan"
    assert main(["plan", "--stack", "bad", "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert field in err and "Fix:" in err and "Traceback" not in err
    assert not out.exists(), "a rejected config must not leave a partial plan"


def test_bad_config_subprocess_has_no_traceback(tmp_path):
    raw = _apply(copy.deepcopy(stack_raw("dev")), [(("regions", 0, "vpcCidr"), "172.21.0.0/16")])
    cfg = _write_stack(tmp_path, raw)
    proc = subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--stack", "bad", "--config", str(cfg),
                           "--out", str(tmp_path / "plan")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "regions[0].vpcCidr" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "plan").exists()


def test_plaintext_secret_in_stack_file_is_rejected(tmp_path, capsys):
    from hybrid_tools.cli import main

    raw = copy.deepcopy(stack_raw("dev"))
    raw["caCertHash"] = "sha256:" + "0" * 64
    cfg = _write_stack(tmp_path, raw)
    assert main(["plan", "--stack", "bad", "--config", str(cfg), "--out", str(tmp_path / "p")]) == 2
    assert "caCertHash: is stored in plain text" in capsys.readouterr().err


def test_load_validates_every_time(dev_raw):
    """No cache between loads: two loads of one config are equal but separate models, and
    a changed or rejected config is judged on its own."""
    first = load(dev_raw)
    second = load(copy.deepcopy(dev_raw))
    assert second == first and second is not first
    changed = copy.deepcopy(dev_raw)
    changed["regions"][0]["vpcCidr"] = "10.77.0.0/16"
    assert str(load(changed).regions[0].vpc_cidr) == "10.77.0.0/16"
    bad = copy.deepcopy(dev_raw)
    bad["regions"][0]["vpcCidr"] = "10.77.0.0/33"
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"regions\[0\]\.vpcCidr"):
            load(bad)


@pytest.mark.parametrize("kind", ["SystemDisk", "DataDisk"])
def test_every_disk_kind_follows_the_essd_performance_level_rule(kind):
    # ECS "ESSDs": PL2 needs 461 GiB at least; performance levels exist only for cloud_essd.
    import hybrid.model.gpu as gpu
    from hybrid.errors import FieldError

    disk = getattr(gpu, kind)
    assert disk(category="cloud_essd", size=461, performance_level="PL2").performance_level == "PL2"
    for bad in (dict(category="cloud_essd", size=460, performance_level="PL2"),
                dict(category="cloud_auto", size=500, performance_level="PL1"),
                dict(size=500, encrypted=False, kms_key_id="key-1234")):
        with pytest.raises((FieldError, ValueError)):
            disk(**bad)


# Address ranges worked out by hand: a block overlaps another when they share any address,
# wherever each starts (the cross checks compare every pair of a stack's CIDRs).
@pytest.mark.parametrize("a, b, expected", [
    ("10.0.0.0/16", "10.0.128.0/17", True),    # the second is the upper half of the first
    ("10.0.128.0/17", "10.0.0.0/16", True),
    ("10.0.0.0/17", "10.0.128.0/17", False),   # adjacent halves: 10.0.127.255 / 10.0.128.0
    ("10.0.255.255/32", "10.0.0.0/16", True),  # the last address of the /16
    ("10.1.0.0/16", "10.0.0.0/16", False),
    ("172.21.0.0/20", "172.21.15.0/24", True),
    ("172.21.16.0/24", "172.21.0.0/20", False),  # first address after the /20
])
def test_cidr_overlap_by_hand(a, b, expected):
    from hybrid.model.base import overlaps

    assert overlaps(a, b) is expected
    assert overlaps(a, b) is expected  # again, now from parsed ranges


@pytest.mark.parametrize("cidr, kind", [
    ("127.0.0.0/8", "loopback"), ("169.254.10.0/24", "link-local"), ("239.1.0.0/16", "multicast"),
    ("250.0.0.0/8", "reserved"), ("0.0.0.0/8", "this network"), ("10.0.0.0/8", ""), ("223.255.255.0/24", ""),
])
def test_special_blocks_by_hand(cidr, kind):
    import netaddr

    from hybrid.model.base import _special_kind

    found = _special_kind(netaddr.IPNetwork(cidr))
    assert (kind in found) if kind else found == ""
