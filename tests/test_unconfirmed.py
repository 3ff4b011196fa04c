"""The unconfirmed-values table: complete by construction, written by the plan, printed by the CLI."""

import json

from hybrid import agent, cloudinit, unconfirmed
from hybrid.model import gpu_driver
from hybrid_tools import cli


def test_users_take_their_values_from_the_table():
    # The values below are what the modules render; they must be the table's, not copies.
    assert cloudinit.PAUSE_IMAGE == unconfirmed.UNCONFIRMED["cloudinit.pauseImage"].value
    assert cloudinit.TOOLKIT_APT_REPO == unconfirmed.UNCONFIRMED["gpu.toolkitAptRepo"].value
    assert cloudinit.TOOLKIT_GPG_KEY == unconfirmed.UNCONFIRMED["gpu.toolkitGpgKey"].value
    assert gpu_driver.DevicePlugin().image == unconfirmed.UNCONFIRMED["gpu.devicePluginImage"].value
    assert ",".join(agent.CREDENTIAL_KEYS) == unconfirmed.UNCONFIRMED["agent.credentialKeys"].value
    from hybrid import pricing_api

    assert pricing_api.SYSTEM_DISK_IN_INSTANCE_QUOTE is (unconfirmed.UNCONFIRMED["pricing.instanceQuoteIncludesSystemDisk"].value == "true")


def test_every_entry_says_why_and_how_to_confirm():
    for key, entry in unconfirmed.UNCONFIRMED.items():
        assert entry.value and entry.why and entry.confirm_by, key
        assert entry.used_by.endswith(".py"), key


def test_cli_lists_every_entry(capsys):
    assert cli.main(["unconfirmed"]) == 0
    out = capsys.readouterr().out
    for key in unconfirmed.UNCONFIRMED:
        assert key in out


def test_table_is_json_ready():
    rows = unconfirmed.table()
    assert [r["key"] for r in rows] == sorted(unconfirmed.UNCONFIRMED)
    json.dumps(rows)
