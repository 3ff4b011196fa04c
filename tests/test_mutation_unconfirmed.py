"""hybrid/unconfirmed.py read the way its users read it: a value by key, and the table the CLI prints
(`hybrid-gpu unconfirmed --format json`, whose rows the plan writes to unconfirmed.json)."""

from __future__ import annotations

import json

import pytest

from hybrid import unconfirmed
from hybrid_tools import cli


def test_value_by_key():
    # the pause image every GPU node pulls (hybrid/model/node_access.py renders it per region)
    assert unconfirmed.value("cloudinit.pauseImage") == "registry-vpc.@REGION@.aliyuncs.com/acs/pause:3.9"
    with pytest.raises(KeyError):
        unconfirmed.value("no.such.key")


def test_table_rows_in_key_order_with_the_fields_the_cli_prints(capsys):
    rows = unconfirmed.table()
    assert [r["key"] for r in rows] == sorted(r["key"] for r in rows) and len(rows) == len(unconfirmed.UNCONFIRMED)
    assert cli.main(["unconfirmed", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    row = next(r for r in printed if r["key"] == "terway.addonVersionForm")
    # the entry as hybrid/unconfirmed.py states it: the v-prefixed addon version, rendered by hybrid/cni.py
    assert set(row) == {"key", "value", "usedBy", "why", "confirmBy"}
    assert (row["value"], row["usedBy"]) == ("v@VERSION@", "hybrid/cni.py")
    assert row["why"].startswith("the terway-eniip versions the CS API reports were not seen")
    assert row["confirmBy"].startswith("`alicloud.cs.get_kubernetes_addons(cluster_id=...)`")
