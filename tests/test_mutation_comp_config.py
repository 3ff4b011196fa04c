"""components.config.read_platform: the stack config (through pulumi.Config under Pulumi's mocks, as the
engine hands it to the program) and the environment into the model and its secrets; every missing
piece named with its fix, the sentences a user reads worked out here by hand."""

from __future__ import annotations

import copy
import json

import pulumi
import pytest

from hybrid.errors import ConfigError
from hybrid.model import OPTIONAL_SECRET_KEYS
from tests.conftest import PlainConfig, settle

IDC_PATH = "/offline/hybrid-idc.kubeconfig"      # hybrid_tools.stackconfig.OFFLINE_KUBECONFIGS (the fixture sets it)
FLEET_PATH = "/offline/hybrid-fleet.kubeconfig"


def _read(raw=None):
    from components.config import read_platform

    def program():
        platform, secrets = read_platform()
        return {"platform": platform, "secrets": secrets, "ca": secrets.ca_cert_hash,
                "ca_secret": pulumi.Output.from_input(secrets.ca_cert_hash).is_secret(),
                "creds": dict(secrets.credentials)}
    return settle(program)


def _issues(err) -> list[tuple[str, str, str]]:
    return [(i.path, i.message, i.fix) for i in err.value.issues]


def test_dev_reads_every_object_the_environment_paths_and_only_the_secrets_its_settings_need(pulumi_mocks, dev_raw):
    from hybrid_tools.stackconfig import OFFLINE_SECRETS

    pulumi_mocks(dev_raw)
    got = _read()
    p = got["platform"]
    # from the stack file, by hand: environment, the IDC, one region, the registration, cni, virtualNode, placement
    assert p.environment == "dev" and p.idc.name == dev_raw["idc"]["name"]
    assert [r.id for r in p.regions] == ["cn-beijing"]
    assert p.registration.region_id == "cn-beijing"
    assert p.virtual_node.version == dev_raw["virtualNode"]["version"]
    # optional objects the dev stack leaves out take their defaults (no pricing, metrics off)
    assert p.pricing is None and p.metrics.enabled is False
    s = got["secrets"]
    assert s.idc_kubeconfig == IDC_PATH and s.fleet_kubeconfig is None
    assert got["ca"] == OFFLINE_SECRETS["caCertHash"] and got["ca_secret"] is True
    # dev's virtual node reads alibaba-addon-secret (credentials addonSecret): those two, not Terway's
    assert sorted(got["creds"]) == ["addonAccessKeyId", "addonAccessKeySecret"]
    assert got["creds"]["addonAccessKeyId"] == OFFLINE_SECRETS["addonAccessKeyId"]


def test_optional_objects_are_read_when_present(pulumi_mocks, prod_raw):
    pulumi_mocks(prod_raw, stack="prod")
    p = _read()["platform"]
    # stacks/Pulumi.prod.yaml, by hand: each optional object it sets, with a value unlike its default
    assert p.environment == "prod" and p.metrics.enabled is True and p.pricing is not None
    assert p.gpu.device_plugin.version == "v0.17.4"
    assert sorted(c.name for c in p.jobs.priority_classes) == ["ai-batch", "ai-inference-online", "ai-training"]
    assert p.node_access.control_plane_endpoint == "k8s-api.idc-bj.corp.internal:6443"
    assert [w.name for w in p.placement.workloads] == ["batch-infer"]


def test_prod_applying_to_a_fleet_it_creates_without_its_kubeconfig_is_told_the_two_phases(pulumi_mocks, prod_raw, monkeypatch):
    pulumi_mocks(prod_raw, stack="prod")
    monkeypatch.delenv("HYBRID_FLEET_KUBECONFIG")
    with pytest.raises(ConfigError) as err:
        _read()
    assert _issues(err) == [(
        "registration.fleet.apply",
        "is true, but the Fleet ai-fleet is created by this stack and HYBRID_FLEET_KUBECONFIG is not set: "
        "its kubeconfig exists only once the Fleet does.",
        "first run with apply: false (creates the Fleet and its members), then save the Fleet's kubeconfig, "
        "export HYBRID_FLEET_KUBECONFIG=<file> and set apply: true (docs/placement.md, First run).")]


def test_with_the_fleet_kubeconfig_set_prod_carries_its_path(pulumi_mocks, prod_raw):
    pulumi_mocks(prod_raw, stack="prod")
    s = _read()["secrets"]
    assert (s.idc_kubeconfig, s.fleet_kubeconfig) == (IDC_PATH, FLEET_PATH)


def test_a_fleet_given_by_id_without_its_kubeconfig_names_the_variable(pulumi_mocks, prod_raw, monkeypatch):
    raw = copy.deepcopy(prod_raw)
    raw["registration"]["fleet"].pop("name")
    raw["registration"]["fleet"]["id"] = "c0123456789abcdef0"
    pulumi_mocks(raw, stack="prod")
    monkeypatch.delenv("HYBRID_FLEET_KUBECONFIG")
    monkeypatch.delenv("HYBRID_IDC_KUBECONFIG")
    with pytest.raises(ConfigError) as err:
        _read()
    fix = "(CI writes the environment's secret to a file and sets it; see docs/pipeline.md)."
    assert _issues(err) == [  # (ConfigError sorts by path)
        ("HYBRID_FLEET_KUBECONFIG",
         "is not set: the path of the ACK One Fleet's kubeconfig file (only read with registration.fleet.apply: true).",
         f"export HYBRID_FLEET_KUBECONFIG=<path of the kubeconfig file> {fix}"),
        ("HYBRID_IDC_KUBECONFIG",
         "is not set: the path of the IDC cluster's kubeconfig file, for the Kubernetes providers.",
         f"export HYBRID_IDC_KUBECONFIG=<path of the kubeconfig file> {fix}"),
    ]


def test_a_fleet_not_applied_needs_no_fleet_kubeconfig(pulumi_mocks, prod_raw, monkeypatch):
    raw = copy.deepcopy(prod_raw)
    raw["registration"]["fleet"]["apply"] = False
    del raw["jobs"]  # its failover needs the Fleet applied
    pulumi_mocks(raw, stack="prod")
    monkeypatch.delenv("HYBRID_FLEET_KUBECONFIG")
    s = _read()["secrets"]
    assert s.fleet_kubeconfig is None and s.idc_kubeconfig == IDC_PATH


def test_a_retired_token_and_a_missing_credential_are_each_named_with_their_fix(pulumi_mocks, dev_raw):
    from hybrid_tools.stackconfig import OFFLINE_SECRETS

    pulumi_mocks(dev_raw)
    # the fixture's secrets, less the addon's AccessKey secret, plus a join token left in stack config
    config = {f"hybrid-gpu-platform:{k}": v for k, v in OFFLINE_SECRETS.items() if k != "addonAccessKeySecret"}
    config.update({f"hybrid-gpu-platform:{k}": (v if isinstance(v, str) else json.dumps(v))
                   for k, v in dev_raw.items()})
    config["hybrid-gpu-platform:elasticBootstrapToken"] = "abcdef.0123456789abcdef"
    pulumi.runtime.set_all_config(config, [k for k in config if k.rsplit(":", 1)[1] in OFFLINE_SECRETS])
    with pytest.raises(ConfigError) as err:
        _read()
    assert _issues(err) == [  # (ConfigError sorts by path)
        ("addonAccessKeySecret",
         "is needed by the stack's settings (AccessKey secret of that RAM user) but not set.",
         "run `pulumi config set --secret addonAccessKeySecret ...`."),
        ("elasticBootstrapToken",
         "is set, but the join token is no longer stack config: nodes read it from their region's OSS object.",
         "run `pulumi config rm elasticBootstrapToken`, and write the token with "
         "`hybrid-gpu join-token put --stack <stack>` (docs/operations.md)."),
    ]


def test_an_explicit_config_is_read_instead_of_the_projects(pulumi_mocks, dev_raw):
    from components.config import read_platform

    pulumi_mocks(dev_raw)
    prod_like = copy.deepcopy(dev_raw)
    prod_like["environment"] = "staging"

    addon = {k: "x" for k in OPTIONAL_SECRET_KEYS if k.startswith("addon")}
    platform, secrets = read_platform(PlainConfig(prod_like, {"caCertHash": "sha256:" + "1" * 64, **addon}))
    assert platform.environment == "staging" and secrets.ca_cert_hash == "sha256:" + "1" * 64
