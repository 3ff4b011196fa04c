"""hybrid_tools/policy_config.py: the facts a stack's policy config takes from the stack config, the
overlay the offline gate uses, drift, load and render, called directly.

Expected facts worked by hand from stacks/Pulumi.dev.yaml (idc.serviceCidr 172.21.0.0/20; IDC ranges:
nodeCidrs 10.8.0.0/20, podCidr 10.244.0.0/16, extraRanges 10.9.0.0/24; cni.cloudNodeLabel
alibabacloud.com/external=true), and from upstream: the Terway addon is ``terway-eniip``
(alibabacloud-cs20151215 models/_create_cluster_request.py); its pod vSwitch key ``PodVswitchId`` is
unconfirmed (hybrid/unconfirmed.py terway.addonConfigKeys: the policy must get the spelling the
program sets, whatever it turns out to be); the addon Secret
``alibaba-addon-secret`` in kube-system is the one registered clusters' components read (Alibaba help
"Manage registered clusters with onectl", https://www.alibabacloud.com/help/en/doc-detail/469900.htm).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from hybrid.errors import ConfigError
from hybrid.stack import load_platform
from hybrid_tools import policy_config as pc
from tests.conftest import stack_raw, the_issue

ROOT = Path(__file__).resolve().parents[1]
DEV_FACTS = {
    "vpc-no-cidr-overlap": {"serviceCidr": "172.21.0.0/20",
                            "idcRanges": ["10.8.0.0/20", "10.244.0.0/16", "10.9.0.0/24"]},
    "stack-gpu-cloud-node-label": {"labelKey": "alibabacloud.com/external", "labelValue": "true"},
    "k8s-terway-eni-config-zones": {"terwayAddonName": "terway-eniip", "terwayAddonVswitchKey": "PodVswitchId"},
    "k8s-terway-credentials": {"terwayAddonName": "terway-eniip", "addonSecretName": "alibaba-addon-secret"},
}


@pytest.fixture
def dev():
    return load_platform(stack_raw("dev"))


def test_default_path_is_the_stacks_file_under_policy_config():
    assert pc.default_path("dev") == ROOT / "policy" / "config" / "dev.json"
    assert pc.default_path("prod").is_file()


def test_facts_of_dev(dev):
    assert pc.facts(dev) == DEV_FACTS


def test_load_missing_object_and_not_an_object(tmp_path: Path):
    assert pc.load(tmp_path / "absent.json") == {}
    f = tmp_path / "c.json"
    f.write_text('{"vpc-flow-logs": {"requireFlowLogs": true}}')
    assert pc.load(f) == {"vpc-flow-logs": {"requireFlowLogs": True}}
    f.write_text('["advisory"]')
    with pytest.raises(ConfigError) as e:
        pc.load(f)
    assert the_issue(e) == (
        "<root>", f"{f} is not a JSON object.",
        "write an object of policy name -> enforcement level or settings.")


def test_effective_lays_the_facts_over_the_decisions(dev):
    doc = {
        "vpc-flow-logs": {"requireFlowLogs": True},             # a decision, kept as written
        "stack-gpu-cloud-node-label": "mandatory",               # a bare level becomes an object
        "vpc-no-cidr-overlap": {"enforcementLevel": "advisory", "serviceCidr": "10.0.0.0/8"},  # stale fact
        "k8s-terway-credentials": 3,                             # neither: only the facts remain
    }
    before = copy.deepcopy(doc)
    out = pc.effective(doc, dev)
    assert doc == before  # the caller's document is not changed
    assert out == {
        "vpc-flow-logs": {"requireFlowLogs": True},
        "stack-gpu-cloud-node-label": {"enforcementLevel": "mandatory", **DEV_FACTS["stack-gpu-cloud-node-label"]},
        "vpc-no-cidr-overlap": {"enforcementLevel": "advisory", **DEV_FACTS["vpc-no-cidr-overlap"]},
        "k8s-terway-credentials": DEV_FACTS["k8s-terway-credentials"],
        "k8s-terway-eni-config-zones": DEV_FACTS["k8s-terway-eni-config-zones"],
    }
    # a nested value of the file is copied, not shared
    out["vpc-flow-logs"]["requireFlowLogs"] = False
    assert doc["vpc-flow-logs"]["requireFlowLogs"] is True


def test_effective_entry_is_a_copy_of_the_files_object(dev):
    doc = {"vpc-no-cidr-overlap": {"enforcementLevel": "advisory", "extra": {"a": [1]}}}
    out = pc.effective(doc, dev)
    out["vpc-no-cidr-overlap"]["extra"]["a"].append(2)
    assert doc == {"vpc-no-cidr-overlap": {"enforcementLevel": "advisory", "extra": {"a": [1]}}}


def test_drift(dev):
    assert pc.drift(copy.deepcopy(DEV_FACTS), dev) == []
    assert pc.drift(pc.load(pc.default_path("dev")), dev) == []  # the checked-in file is in sync
    doc = copy.deepcopy(DEV_FACTS)
    doc["vpc-no-cidr-overlap"]["serviceCidr"] = "10.0.0.0/8"
    doc["stack-gpu-cloud-node-label"] = "advisory"  # a bare level: both label facts missing
    assert pc.drift(doc, dev) == [
        "vpc-no-cidr-overlap.serviceCidr is '10.0.0.0/8', the stack config says '172.21.0.0/20'",
        "stack-gpu-cloud-node-label.labelKey is None, the stack config says 'alibabacloud.com/external'",
        "stack-gpu-cloud-node-label.labelValue is None, the stack config says 'true'",
    ]
    # missing_ok: facts the file leaves out are not drift, facts it states wrongly still are
    assert pc.drift(doc, dev, missing_ok=True) == [
        "vpc-no-cidr-overlap.serviceCidr is '10.0.0.0/8', the stack config says '172.21.0.0/20'"]
    assert pc.drift({}, dev, missing_ok=True) == []
    # a wrong fact after a missing one in the same entry is still found
    doc = {"k8s-terway-credentials": {"addonSecretName": "other"}}
    assert pc.drift(doc, dev, missing_ok=True) == [
        "k8s-terway-credentials.addonSecretName is 'other', the stack config says 'alibaba-addon-secret'"]


def test_render_is_sorted_two_space_json_with_a_final_newline():
    text = pc.render({"b": {"y": 1, "x": [2]}, "a": "advisory"})
    assert text == '{\n  "a": "advisory",\n  "b": {\n    "x": [\n      2\n    ],\n    "y": 1\n  }\n}\n'
    assert json.loads(text) == {"a": "advisory", "b": {"x": [2], "y": 1}}
