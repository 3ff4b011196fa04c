"""Stack ids that cannot resolve are refused: one line naming the field and the form, exit 2, nothing written.

Forms: cen-, tr-, vtb-, vpc-, vsw- (hybrid/model/leased_line.py, with their sources there); next-hop
ids by type (leased_line.NEXT_HOP_ID); transit routers and VPCs are regional, a vSwitch has one zone."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from hybrid.errors import ConfigError
from hybrid.model import load
from tests.conftest import stack_raw

PROJECT = "hybrid-gpu-platform"
TR0 = ("regions", 0, "leasedLine", "transitRouter")
EV1 = ("regions", 1, "leasedLine", "existingVpc")


def _set(raw, path, value):
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _get(raw, path):
    for key in path:
        raw = raw[key]
    return raw


def _reuse_vpc(raw):
    # cn-beijing adopts cn-hangzhou's existing VPC (a VPC of another region).
    raw["regions"][0]["leasedLine"] = {"existingVpc": {**copy.deepcopy(_get(raw, EV1)), "vswitches": []}}


def _reuse_tr(raw):
    _set(raw, ("regions", 2, "leasedLine", "transitRouter", "transitRouterId"), _get(raw, TR0 + ("transitRouterId",)))


def _vsw_twice(raw):
    vsws = _get(raw, EV1 + ("vswitches",))
    vsws[1]["id"] = vsws[0]["id"]


CASES = [
    ("tr-id-as-cen-id", lambda r: _set(r, TR0 + ("cenId",), "tr-2zetyq3e6kf5b8mhm0ae1"),
     "regions[0].leasedLine.transitRouter.cenId", "cen-"),
    ("empty-cen-body", lambda r: _set(r, TR0 + ("cenId",), "cen-"), "regions[0].leasedLine.transitRouter.cenId", "cen-"),
    ("attachment-as-tr-id", lambda r: _set(r, TR0 + ("transitRouterId",), "tr-attach-h2kx9q4w7e1r5t8y3u"),
     "regions[0].leasedLine.transitRouter.transitRouterId", "tr-"),
    ("vpc-id-as-route-table", lambda r: _set(r, EV1 + ("routeTableId",), "vpc-bp1k7mq9w2x3r4t5y6u7i"),
     "regions[1].leasedLine.existingVpc.routeTableId", "vtb-"),
    ("vsw-id-as-vpc", lambda r: _set(r, EV1 + ("vpcId",), "vsw-bp1a2b3c4d5e6f7g8h9i0"),
     "regions[1].leasedLine.existingVpc.vpcId", "vpc-"),
    ("next-hop-of-another-type", lambda r: _set(r, EV1 + ("nextHop",), {"type": "VpnGateway", "id": "tr-attach-h2kx9q4w7e1r5t8y3u"}),
     "regions[1].leasedLine.existingVpc.nextHop", "vpn-"),
    ("transit-router-of-two-regions", _reuse_tr, "regions[2].leasedLine.transitRouter.transitRouterId", "the VBR's transit router"),  # the VBR's: named against the VBR (leased_line.check)
    ("vpc-of-two-regions", _reuse_vpc, "regions[1].leasedLine.existingVpc.vpcId", "regions[0]"),
    ("vswitch-imported-twice", _vsw_twice, "regions[1].leasedLine.existingVpc.vswitches[1].id", "vswitches[0]"),
]


@pytest.mark.parametrize("case,edit,field,word", CASES, ids=[c[0] for c in CASES])
def test_model_names_the_field_and_the_form(case, edit, field, word):
    raw = copy.deepcopy(stack_raw("prod"))
    edit(raw)
    with pytest.raises(ConfigError) as info:
        load(raw)
    match = [i for i in info.value.issues if i.path == field]
    assert match, info.value.render()
    assert any(word in i.message or word in i.fix for i in match), info.value.render()


def test_prod_as_written_passes():
    load(copy.deepcopy(stack_raw("prod")))


@pytest.mark.parametrize("case,edit,field,word", CASES[-3:], ids=[c[0] for c in CASES[-3:]])
def test_cli_exit_2_one_line_nothing_written(tmp_path: Path, capsys, case, edit, field, word):
    from hybrid_tools.cli import main

    raw = copy.deepcopy(stack_raw("prod"))
    edit(raw)
    cfg = tmp_path / "Pulumi.bad.yaml"
    cfg.write_text(yaml.safe_dump({"config": {f"{PROJECT}:{k}": v for k, v in raw.items()}}))
    out = tmp_path / "plan"
    assert main(["plan", "--stack", "bad", "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if field in line]
    assert len(lines) == 1 and "Fix:" in lines[0] and "Traceback" not in err
    assert not out.exists()
