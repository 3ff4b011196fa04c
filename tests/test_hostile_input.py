"""One test per class of hostile or malformed input: each ends in exit 2 with the field path,
no traceback, nothing written, within seconds."""

from __future__ import annotations

import copy
import io
import json
import sys
import time
from pathlib import Path

import pytest
import yaml

from hybrid_tools import cli
from tests.conftest import PROJECT, ROOT, stack_raw

DEV = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()


def plan(tmp_path: Path, data: bytes | str, stack: str = "fuzz", capsys=None) -> tuple[int, str]:
    cfg = tmp_path / "Pulumi.x.yaml"
    cfg.write_bytes(data.encode() if isinstance(data, str) else data)
    out = tmp_path / "out"
    start = time.perf_counter()
    rc = cli.main(["plan", f"--stack={stack}", "--config", str(cfg), "--out", str(out), "--no-policy"])
    assert time.perf_counter() - start < 10
    # The test's own tmp path (named after the test) must not satisfy a fragment check.
    err = capsys.readouterr().err.replace(str(tmp_path), "<tmp>")
    assert "Traceback" not in err
    if rc == 2:
        assert not out.exists() or not any(out.rglob("*")), "a rejected config wrote artifacts"
    return rc, err


def with_raw(mutate) -> str:
    raw = copy.deepcopy(stack_raw("dev"))
    mutate(raw)
    return yaml.safe_dump({"config": {f"{PROJECT}:{k}": v for k, v in raw.items()}}, allow_unicode=True, sort_keys=False)


def expect(tmp_path, capsys, data, *fragments):
    rc, err = plan(tmp_path, data, capsys=capsys)
    assert rc == 2, err
    for f in fragments:
        assert f in err, f"{f!r} not in {err}"
    # one line per problem, each with a path and a fix: the line itself when there is one problem,
    # else a count line and one "  - " line each
    lines = [ln for ln in err.splitlines() if ln.strip()]
    problems = [ln for ln in lines if ln.startswith("  - ")] if len(lines) > 1 else lines
    assert problems and all(": " in p and "Fix:" in p for p in problems), err
    return err


# --- tracebacks before: loader classes ---------------------------------------

@pytest.mark.parametrize("text,fragment", [
    ("- config\n- x\n", "top level"),
    ("just text\n", "top level"),
    ("7\n", "top level"),
    ("config: [1, 2]\n", "config: is a list"),
])
def test_top_level_not_a_mapping(tmp_path, capsys, text, fragment):
    expect(tmp_path, capsys, text, fragment)


@pytest.mark.parametrize("key", ["1", "true", "~"])
def test_non_string_mapping_keys(tmp_path, capsys, key):
    text = DEV.replace("    name: idc-bj-dev\n", f"    name: idc-bj-dev\n    {key}: x\n", 1)
    expect(tmp_path, capsys, text, f"config.{PROJECT}:idc:", "is not a string")


def test_timestamp_where_a_string_belongs(tmp_path, capsys):
    text = DEV.replace("kubernetesVersion: 1.30.4", "kubernetesVersion: 2024-09-26", 1)
    expect(tmp_path, capsys, text, f"config.{PROJECT}:idc.kubernetesVersion:", "is a timestamp")


@pytest.mark.parametrize("value,fragment", [("!!set {a, b}", "tagged tag:yaml.org,2002:set"), ("!!binary aGVsbG8=", "is tag tag:yaml.org,2002:binary")])
def test_set_and_binary_tags(tmp_path, capsys, value, fragment):
    text = DEV.replace("imageId: ubuntu_22_04_x64_20G_alibase_20240926.vhd", f"imageId: {value}", 1)
    expect(tmp_path, capsys, text, "gpuPools[0].imageId", fragment)


@pytest.mark.parametrize("data,fragment", [
    (DEV.encode("utf-16"), "byte-order mark"),
    (DEV.encode("utf-16-le"), "NUL byte"),
    (DEV.encode().replace(b"idc-bj-dev", b"idc-bj-d\xe9v", 1), "not UTF-8 (byte 0xe9"),
    (b"\xef\xbb\xbf" + DEV.encode(), "byte-order mark"),
])
def test_non_utf8_and_utf16_files(tmp_path, capsys, data, fragment):
    expect(tmp_path, capsys, data, fragment)


@pytest.mark.parametrize("value", [".inf", "1.0e308", "1e308"])
def test_spot_price_limit_inf_or_huge(tmp_path, capsys, value):
    text = DEV.replace("spotPriceLimit: 6.5", f"spotPriceLimit: {value}", 1)
    expect(tmp_path, capsys, text, "spotPriceLimit")


@pytest.mark.parametrize("stack", ["", "a/b", "../x", "x" * 300, "-rf", "Prod"])
def test_stack_names_outside_the_safe_pattern(tmp_path, capsys, stack):
    rc, err = plan(tmp_path, DEV, stack=stack, capsys=capsys)
    assert rc == 2 and "--stack: " in err and "is not a stack name" in err
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()


def test_5000_digit_integer(tmp_path, capsys):
    text = DEV.replace("count: 1", "count: " + "1" * 5000, 1)
    expect(tmp_path, capsys, text, "gpuPools[0].count", "5000 digits")


# --- hangs before ----------------------------------------------------------------

def test_huge_exponent_quantity_fails_fast(tmp_path, capsys):
    text = DEV.replace('cpu: "192"', 'cpu: "1e999999999"', 1)
    start = time.perf_counter()
    expect(tmp_path, capsys, text, "placement.idcCapacity.allocatable.cpu", "exponent")
    assert time.perf_counter() - start < 2


def test_alias_bomb_under_an_unknown_key(tmp_path, capsys):
    bomb = ["    x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    bomb += [f"    x{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
    text = DEV.replace("config:\n", f"config:\n  {PROJECT}:junk:\n" + "\n".join(bomb) + "\n", 1)
    assert len(text.encode()) - len(DEV.encode()) < 2100
    start = time.perf_counter()
    err = expect(tmp_path, capsys, text, f"config.{PROJECT}:junk.x")
    assert "uses more than 32 aliases" in err or "aliases expand to more than" in err
    assert time.perf_counter() - start < 2


def test_alias_expansion_budget(tmp_path, capsys):
    # 25 aliases (within the count budget) of a 2100-item list: 52k values once expanded.
    items = ", ".join(["x"] * 2100)
    text = DEV.replace("config:\n", f"config:\n  {PROJECT}:junk:\n    a: &big [{items}]\n    b: [" + ", ".join(["*big"] * 25) + "]\n", 1)
    expect(tmp_path, capsys, text, "aliases expand to more than 50000 values")


def test_alias_count_budget(tmp_path, capsys):
    # 40 aliases of one scalar expand to nothing much, but no config needs more than a handful.
    text = DEV.replace("config:\n", f"config:\n  {PROJECT}:junk:\n    a: &x 1\n" + "".join(f"    b{i}: *x\n" for i in range(40)), 1)
    expect(tmp_path, capsys, text, "uses more than 32 aliases")


# --- unsafe acceptance before ---------------------------------------------------

def _pool(raw):
    return raw["regions"][0]["gpuPools"][0]


@pytest.mark.parametrize("mutate,path", [
    (lambda r: r["idc"].update(name="idc\nExecStartPre=/bin/true"), "idc.name"),
    (lambda r: _pool(r).update(imageId="img\n$(reboot)"), "gpuPools[0].imageId"),
    (lambda r: _pool(r).update(taints=[{"key": "k", "value": "v\nx"}]), "gpuPools[0].taints[0].value"),
    (lambda r: _pool(r).update(taints=[{"key": "a b", "value": "v"}]), "gpuPools[0].taints[0].key"),
    (lambda r: _pool(r)["dataDisk"].update(mountPath="/data\nExecStartPre=/bin/sh -c id"), "dataDisk.mountPath"),
    (lambda r: _pool(r)["dataDisk"].update(mountPath="/data/../etc"), "dataDisk.mountPath"),
    (lambda r: _pool(r)["dataDisk"].update(mountPath="/da ta"), "dataDisk.mountPath"),
    (lambda r: _pool(r)["preload"][0].update(source="/mnt/x\u2028y"), "preload[0].source"),
    (lambda r: _pool(r)["preload"][0].update(source="rsync://h/m;reboot"), "preload[0].source"),
    (lambda r: _pool(r)["preload"][0].update(source="/mnt/../etc/"), "preload[0].source"),
    (lambda r: _pool(r)["dataDisk"].update(kmsKeyId="key$(id)"), "dataDisk.kmsKeyId"),
])
def test_control_characters_and_bad_grammar_never_reach_scripts(tmp_path, capsys, mutate, path):
    expect(tmp_path, capsys, with_raw(mutate), path)


def test_duplicate_yaml_keys(tmp_path, capsys):
    text = DEV.replace(f"  {PROJECT}:environment: dev\n", f"  {PROJECT}:environment: dev\n  {PROJECT}:environment: prod\n", 1)
    expect(tmp_path, capsys, text, f"config.{PROJECT}:environment:", "appears twice")


# --- nonsense accepted before ---------------------------------------------------

@pytest.mark.parametrize("cidr,kind", [
    ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local"), ("224.0.0.0/8", "multicast"),
    ("100.64.0.0/16", "100.64.0.0/10"),
])
def test_vpc_cidr_kinds(tmp_path, capsys, cidr, kind):
    expect(tmp_path, capsys, with_raw(lambda r: r["regions"][0].update(vpcCidr=cidr, zones=["cn-beijing-g"])), "regions[0].vpcCidr", kind)


@pytest.mark.parametrize("field,cidr,kind", [
    ("podCidr", "127.16.0.0/16", "loopback"), ("extraRanges", ["239.1.0.0/16"], "multicast"),
    ("nodeCidrs", ["169.254.0.0/20"], "link-local"),
])
def test_idc_range_kinds(tmp_path, capsys, field, cidr, kind):
    expect(tmp_path, capsys, with_raw(lambda r: r["idc"].update({field: cidr})), f"idc.{field}", kind)


@pytest.mark.parametrize("host", ["999.1.1.1", "https://10.8.0.10", "10.8.0.10:6443", "10.8.0.10\n", "127.0.0.1", "bad_host.example", "010.8.0.10", "1e999999999"])
def test_apiserver_host(tmp_path, capsys, host):
    expect(tmp_path, capsys, with_raw(lambda r: r["idc"]["apiserver"].update(host=host)), "idc.apiserver.host")


def test_apiserver_dns_name_accepted():
    from hybrid.model import load

    raw = copy.deepcopy(stack_raw("dev"))
    raw["idc"]["apiserver"]["host"] = "apiserver.idc.example.com"
    # the name must resolve on the nodes (nodeAccess dns), like any IDC name they contact
    raw["nodeAccess"]["regions"]["cn-beijing"]["dns"] = {"hosts": {"apiserver.idc.example.com": "10.8.0.10"}}
    assert load(raw).idc.apiserver.host == "apiserver.idc.example.com"


def test_provider_region_checked_too(tmp_path, capsys):
    expect(tmp_path, capsys, DEV.replace("alicloud:region: cn-beijing", "alicloud:region: cn-bejing", 1), "config.alicloud:region")


def test_region_that_does_not_exist(tmp_path, capsys):
    def bad(r):
        r["regions"][0]["id"] = "cn-bejing"
    err = expect(tmp_path, capsys, with_raw(bad), "regions[0].id: 'cn-bejing' is not an Alibaba Cloud region.")
    assert "did you mean cn-beijing" in err  # the fix names the near spelling


def test_unknown_zone_letter(tmp_path, capsys):
    # cn-beijing has zones c..l per the ECI zone table; there is no zone z.
    def bad(r):
        r["regions"][0]["zones"] = ["cn-beijing-z"]
        _pool(r)["zones"] = ["cn-beijing-z"]
    expect(tmp_path, capsys, with_raw(bad), "regions[0].zones[0].id: zone cn-beijing-z is not a zone of cn-beijing")


def test_node_port_range_covering_ssh_and_apiserver(tmp_path, capsys):
    expect(tmp_path, capsys, with_raw(lambda r: r["regions"][0].update(nodePortRange={"from": 20, "to": 32767})),
           "regions[0].nodePortRange", "below 1024")
    expect(tmp_path, capsys, with_raw(lambda r: r["regions"][0].update(nodePortRange={"from": 6000, "to": 7000})),
           "regions[0].nodePortRange", "6443")


@pytest.mark.parametrize("category,level", [("cloud_auto", "PL1"), ("cloud_ssd", "PL0"), ("cloud_essd", "PL3")])
def test_disk_category_and_performance_level(tmp_path, capsys, category, level):
    # dev's data disk is 500 GiB: PL3 needs 1261 GiB (ECS ESSD doc), the others have no PLs at all.
    expect(tmp_path, capsys, with_raw(lambda r: _pool(r)["dataDisk"].update(category=category, performanceLevel=level)),
           "gpuPools[0].dataDisk", level)


def test_gpu_model_series_contradicts_instance_type(tmp_path, capsys):
    # ecs.gn7i carries NVIDIA A10 (Alibaba gn7i family page), not T4.
    expect(tmp_path, capsys, with_raw(lambda r: _pool(r).update(gpuModelSeries="T4")), "gpuPools[0]", "gpuModelSeries T4")


def test_same_taint_twice(tmp_path, capsys):
    taint = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
    expect(tmp_path, capsys, with_raw(lambda r: _pool(r).update(taints=[taint, dict(taint, value="x")])), "gpuPools[0].taints", "repeats")


@pytest.mark.parametrize("digits", ["\uff11\uff19\uff12", "\u0661\u0669\u0662"])
def test_full_width_and_arabic_indic_digits(tmp_path, capsys, digits):
    expect(tmp_path, capsys, DEV.replace('cpu: "192"', f'cpu: "{digits}"', 1), "placement.idcCapacity.allocatable.cpu", "non-ASCII")


@pytest.mark.parametrize("old,new,path", [
    ("count: 1", 'count: "7"', "gpuPools[0].count"),
    ("count: 1", "count: true", "gpuPools[0].count"),
    ("egressMbit: 500", 'egressMbit: "500"', "rateLimits.egressMbit"),
    ("leasedLine: true", 'leasedLine: "true"', "idc.leasedLine"),
])
def test_lax_coercions_refused(tmp_path, capsys, old, new, path):
    expect(tmp_path, capsys, DEV.replace(old, new, 1), path)


# --- placement input ----------------------------------------------------------

def run_placement(text, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    start = time.perf_counter()
    rc = cli.main(["placement", "--input", "-"])
    assert time.perf_counter() - start < 5
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


@pytest.mark.parametrize("text,fragment", [
    ('{"replicas": 1, "replicas": 2, "clusters": []}', "appears twice"),
    ('{"replicas": 1, "request": {"cpu": "1e999999999"}, "clusters": [{"name": "a", "available_replicas": 1}]}', "request.cpu"),
    ('{"replicas": ' + "9" * 5000 + ', "clusters": []}', "5000 digits"),
    ('{"replicas": "7", "clusters": []}', "replicas"),
    ('{"replicas": true, "clusters": []}', "replicas"),
    ('{"replicas": 1, "request": {"cpu": "\uff11"}, "clusters": [{"name": "a", "available_replicas": 1}]}', "non-ASCII"),
    ('{"replicas": 1, "clusters": [{"name": "a", "available_replicas": Infinity}]}', "Infinity"),
    ('[' * 100000, "nests deeper"),
])
def test_placement_requests(capsys, monkeypatch, text, fragment):
    rc, _, err = run_placement(text, capsys, monkeypatch)
    assert rc == 2 and fragment in err, err


def test_policy_config_duplicate_key(tmp_path):
    from hybrid.errors import ConfigError
    from hybrid_tools import policy_config

    path = tmp_path / "p.json"
    path.write_text('{"vpc-flow-logs": "advisory", "vpc-flow-logs": "mandatory"}')
    with pytest.raises(ConfigError, match="appears twice"):
        policy_config.load(path)


def test_output_paths_stay_under_out(tmp_path):
    from hybrid_tools.plan import _inside

    assert _inside(tmp_path, tmp_path / "manifests" / "x.yaml")
    assert not _inside(tmp_path, tmp_path / ".." / "x.yaml")
    (tmp_path / "link").symlink_to("/tmp")
    assert not _inside(tmp_path, tmp_path / "link" / "x")


def test_bad_policy_config_stops_plan_before_writing(tmp_path, capsys):
    bad = tmp_path / "policy.json"
    bad.write_text('{"vpc-flow-logs": "advisory", "vpc-flow-logs": "mandatory"}')
    cfg = tmp_path / "Pulumi.x.yaml"
    cfg.write_text(DEV)
    out = tmp_path / "out"
    rc = cli.main(["plan", "--stack", "dev", "--config", str(cfg), "--out", str(out), "--policy-config", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2 and "appears twice" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("name", ["\uff11\uff12", "", "A_b", "x" * 49, "a\nb"])
def test_placement_cluster_names_follow_karmada(capsys, monkeypatch, name):
    # Karmada: a member-cluster name is a DNS-1123 label of at most 48 characters.
    text = json.dumps({"replicas": 1, "clusters": [{"name": name, "available_replicas": 1}], "pending": {name: 0}})
    rc, _, err = run_placement(text, capsys, monkeypatch)
    assert rc == 2 and "clusters[0].name" in err, err


@pytest.mark.parametrize("price,fragment", [('"20"', "is not a number"), ("true", "is not a number"), ('"\uff12\uff10"', "is not a number"),
                                            ("1.0e+300", "less than or equal to 1000000")])
def test_prices_are_plain_bounded_numbers(tmp_path, capsys, price, fragment):
    text = (ROOT / "stacks" / "Pulumi.prod.yaml").read_text().replace("ecs.gn7i-c32g1.8xlarge: 20.00", f"ecs.gn7i-c32g1.8xlarge: {price}", 1)
    expect(tmp_path, capsys, text, "pricing.regions.cn-beijing.instanceHour.ecs.gn7i-c32g1.8xlarge", fragment)
