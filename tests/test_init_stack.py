"""`hybrid-gpu init STACK --from SRC`: the new stack's files, and the secrets/environment the real run needs."""

import json
import shutil
from pathlib import Path

import pytest

from hybrid.errors import ConfigError
from hybrid.model import load
from hybrid_tools import cli, init_stack, policy_config
from hybrid_tools.stackconfig import read_stack

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def checkout(tmp_path):
    """A project checkout with the dev and prod stacks and their policy configs."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    (tmp_path / "policy" / "config").mkdir(parents=True)
    for st in ("dev", "prod"):
        shutil.copy(ROOT / "policy" / "config" / f"{st}.json", tmp_path / "policy" / "config" / f"{st}.json")
    return tmp_path


def test_init_copies_the_config_and_the_policy_decisions(checkout):
    files, lines = init_stack.init("shanghai", "dev", checkout)
    assert files == [checkout / "stacks" / "Pulumi.shanghai.yaml", checkout / "policy" / "config" / "shanghai.json"]
    new, dev = read_stack("shanghai", checkout), read_stack("dev", checkout)
    assert new.raw == dev.raw and new.platform is not None
    doc = json.loads(files[1].read_text())
    assert doc["ecs-gpu-owner-tagged"] == "advisory"              # dev.json's decision, kept
    assert doc["vpc-no-cidr-overlap"]["serviceCidr"] == "172.21.0.0/20"  # the stack's fact
    assert policy_config.drift(doc, new.platform) == []
    text = "\n".join(lines)
    # dev: the fixed pools' two secrets plus ack-virtual-node's AccessKey (virtualNode on, addonSecret credentials).
    for key in ("caCertHash", "addonAccessKeyId", "addonAccessKeySecret", "HYBRID_IDC_KUBECONFIG",
                "PULUMI_CONFIG_PASSPHRASE", "pulumi stack init shanghai", "hybrid-gpu join-token put --stack shanghai"):
        assert key in text
    # the join token is no stack config any more
    assert "bootstrapToken" not in text and "HYBRID_FLEET_KUBECONFIG" not in text


def test_init_from_prod_asks_for_the_join_token_put_and_the_fleet_kubeconfig(checkout):
    _, lines = init_stack.init("prod-2", "prod", checkout)
    text = "\n".join(lines)
    assert "elasticBootstrapToken" not in text and "| hybrid-gpu join-token put --stack prod-2" in text
    assert "HYBRID_FLEET_KUBECONFIG" in text  # prod applies the Fleet objects (registration.fleet.apply)


def test_encrypted_values_and_the_salt_stay_with_their_stack(checkout):
    src = checkout / "stacks" / "Pulumi.dev.yaml"
    src.write_text("encryptionsalt: v1:abc:def\n" + src.read_text()
                   + "  hybrid-gpu-platform:addonAccessKeyId:\n    secure: v1:AAAA\n")
    files, lines = init_stack.init("fresh", "dev", checkout)
    text = files[0].read_text()
    assert "secure" not in text and "encryptionsalt" not in text
    assert any("left out hybrid-gpu-platform:addonAccessKeyId" in line for line in lines)
    assert read_stack("fresh", checkout).raw == read_stack("dev", checkout).raw


def test_init_never_overwrites(checkout):
    init_stack.init("fresh", "dev", checkout)
    before = (checkout / "stacks" / "Pulumi.fresh.yaml").read_text()
    with pytest.raises(Exception, match="exists already"):
        init_stack.init("fresh", "prod", checkout)
    assert (checkout / "stacks" / "Pulumi.fresh.yaml").read_text() == before


def test_missing_names_each_unset_secret_and_variable(checkout):
    src = checkout / "stacks" / "Pulumi.dev.yaml"
    src.write_text(src.read_text() + "  hybrid-gpu-platform:caCertHash:\n    secure: v1:AAAA\n")
    cfg = read_stack("dev", checkout)
    lines = init_stack.missing(cfg, load(cfg.raw), {"HYBRID_IDC_KUBECONFIG": "/k", "PULUMI_BACKEND_URL": "s3://b"})
    named = sorted(line.split()[2] for line in lines)
    assert named == sorted(["addonAccessKeyId", "addonAccessKeySecret",
                            "PULUMI_CONFIG_PASSPHRASE", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
    assert all(line.startswith(("missing secret ", "missing env ")) for line in lines)


def test_cli_init_prints_and_exits_zero(checkout, monkeypatch, capsys):
    monkeypatch.chdir(checkout)
    assert cli.main(["init", "edge", "--copy-config-from", "dev"]) == 0
    assert "created stacks/Pulumi.edge.yaml" in capsys.readouterr().out
    assert cli.main(["init", "edge"]) == 2
    assert "exists already" in capsys.readouterr().err


def test_every_problem_of_a_stack_file_in_one_run(checkout):
    # A region moved by hand, half done: the provider region misspelt, a token pasted in clear, and the
    # model's own problems. One run names them all.
    src = checkout / "stacks" / "Pulumi.dev.yaml"
    text = src.read_text().replace("alicloud:region: cn-beijing", "alicloud:region: cn-shangai")
    text = text.replace("    regionId: cn-beijing\n", "    regionId: cn-shanghai\n")
    text += "  hybrid-gpu-platform:bootstrapToken: abcdef.0123456789abcdef\n"
    src.write_text(text)
    with pytest.raises(ConfigError) as err:
        read_stack("dev", checkout)
    paths = {i.path for i in err.value.issues}
    assert {"config.alicloud:region", "bootstrapToken", "registration.regionId"} <= paths
    region = next(i for i in err.value.issues if i.path == "config.alicloud:region")
    assert "Did you mean cn-shanghai?" in region.message
    assert not any("Extra inputs" in i.message and i.path == "bootstrapToken" for i in err.value.issues)
    token = next(i for i in err.value.issues if i.path == "bootstrapToken")
    assert "pulumi config rm bootstrapToken" in token.fix and "join-token put" in token.fix
