"""hybrid_tools/elastic_artifacts.py: ``elastic/`` read from a hand-built recorded run.

The node script object is the shipped template (hybrid/scripts/hybrid-elastic-node.sh) rendered
with two pools whose bundles are gzip'd tar archives built here; the node pools are recorded
``cs.NodePool`` inputs (camelCase, numbers as the engine returns them: floats). Every expectation
is written out by hand.
"""

from __future__ import annotations

import base64
import io
import tarfile

import pytest
import yaml

from hybrid import shtemplate
from hybrid_tools import elastic_artifacts
from hybrid_tools.mockrun import SECRET_SIG, SIG_KEY, ProgramRun, Registration

CA = "sha256:" + "cd" * 32
OBJECT, NODE_POOL = "alicloud:oss/bucketObject:BucketObject", "alicloud:cs/nodePool:NodePool"


def _reg(type_, name, inputs):
    return Registration(urn=f"urn:{type_}::{name}", type=type_, name=name, parent="", custom=True, provider="",
                        inputs=inputs, protect=False, dependencies=[])


def _run(*regs):
    return ProgramRun(registrations={r.urn: r for r in regs}, outputs={}, secret_values=(CA,))


def _bundle(files: dict[str, str]) -> str:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("etc")  # a directory member: nothing to write for it
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(buf.getvalue()).decode()


def _script() -> str:
    return shtemplate.render(
        "hybrid-elastic-node.sh", POOLS=["a10-elastic", "t4-elastic"],
        BUNDLES=[_bundle({"etc/hybrid/join.yaml": f"caCertHashes: [{CA}]\n", "etc/hybrid/pool": "a10\n"}),
                 _bundle({"usr/local/sbin/x": "#!/bin/sh\necho t4\n"})],
        POOL_LABEL="hybrid/pool", PACKAGES=["nvidia"], CONF_DIR="/etc/hybrid")


def _object(content):
    return _reg(OBJECT, "node-script", {"bucket": "b", "key": "hybrid-elastic-node.sh", "content": content})


def _secret(value):
    return {SIG_KEY: SECRET_SIG, "value": value}


def test_the_script_is_shown_with_its_bundles_counted_and_each_bundle_unpacked_redacted():
    out = elastic_artifacts.elastic_pools(None, _run(_object(_secret(_script()))))
    assert sorted(out) == ["elastic/a10-elastic/etc/hybrid/join.yaml", "elastic/a10-elastic/etc/hybrid/pool",
                           "elastic/hybrid-elastic-node.sh", "elastic/t4-elastic/usr/local/sbin/x"]
    assert out["elastic/a10-elastic/etc/hybrid/join.yaml"] == "caCertHashes: ['[secret]']\n"
    assert out["elastic/a10-elastic/etc/hybrid/pool"] == "a10\n"
    assert out["elastic/t4-elastic/usr/local/sbin/x"] == "#!/bin/sh\necho t4\n"
    script = out["elastic/hybrid-elastic-node.sh"]
    lines = script.splitlines()
    assert "POOLS=(a10-elastic t4-elastic)" in lines
    assert "BUNDLES=(...)  # 2 bundle(s), unpacked under elastic/<pool>/" in lines
    # everything else is the rendered script, line for line
    assert [x for x in lines if not x.startswith("BUNDLES=")] == [x for x in _script().splitlines()
                                                                  if not x.startswith("BUNDLES=")]


def test_secret_values_in_the_script_itself_are_redacted():
    script = _script().replace("# --- end of parameters ---", f"CA={CA}\n# --- end of parameters ---")
    text = elastic_artifacts.elastic_pools(None, _run(_object(_secret(script))))["elastic/hybrid-elastic-node.sh"]
    assert CA not in text and "CA='[secret]'" in text.splitlines()


def test_a_script_recorded_in_clear_text_is_refused():
    with pytest.raises(RuntimeError) as e:
        elastic_artifacts.elastic_pools(None, _run(_object(_script())))
    assert str(e.value) == ("the node script object's content was recorded in clear text; "
                            "it must be a Pulumi secret")


def test_objects_without_content_and_other_types_write_nothing():
    bare = _reg(OBJECT, "bare", {"bucket": "b", "key": "k", "source": "/tmp/x"})
    other = _reg("alicloud:ecs/instance:Instance", "i", {"content": _secret(_script())})
    assert elastic_artifacts.elastic_pools(None, _run(bare, other)) == {}


SNAPSHOTS = """\
- dataDiskGib: 2048
  labels:
    hybrid/pool: a10-elastic
    hybrid/tier: ''
  nodePool: hybrid-a10-elastic
  pool: a10-elastic
  snapshotId: s-2zeimagenet1kdata0001
- dataDiskGib: 100.5
  labels: {}
  nodePool: hybrid-t4-elastic
  pool: t4-elastic
  snapshotId: ''
"""


def test_snapshots_name_each_node_pools_snapshot_and_disk_size_sorted_by_pool():
    t4 = _reg(NODE_POOL, "aa-t4", {"nodePoolName": "hybrid-t4-elastic", "tags": {"pool": "t4-elastic"},
                                   "dataDisks": [{"size": 100.5, "category": "cloud_essd"}]})
    a10 = _reg(NODE_POOL, "zz-a10", {
        "nodePoolName": "hybrid-a10-elastic", "tags": {"pool": "a10-elastic", "region": "cn-beijing"},
        "dataDisks": [{"size": 2048.0, "snapshotId": "s-2zeimagenet1kdata0001"}, {"size": 40.0, "snapshotId": "s-other"}],
        "labels": [{"key": "hybrid/pool", "value": "a10-elastic"}, {"key": "hybrid/tier"}]})
    out = elastic_artifacts.elastic_pools(None, _run(t4, a10))
    assert out == {"elastic/snapshots.yaml": SNAPSHOTS}


def test_a_node_pool_without_tags_disks_or_labels_is_listed_first():
    bare = _reg(NODE_POOL, "z", {"nodePoolName": "np"})
    tagged = _reg(NODE_POOL, "a", {"nodePoolName": "np2", "tags": {"pool": "a"}, "dataDisks": [{"size": 7.0}]})
    doc = yaml.safe_load(elastic_artifacts.elastic_pools(None, _run(bare, tagged))["elastic/snapshots.yaml"])
    assert doc == [{"nodePool": "np", "pool": None, "snapshotId": "", "dataDiskGib": None, "labels": {}},
                   {"nodePool": "np2", "pool": "a", "snapshotId": "", "dataDiskGib": 7, "labels": {}}]
    assert isinstance(doc[1]["dataDiskGib"], int)
