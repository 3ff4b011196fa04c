"""hybrid_tools/idc_standin.py: the live Calico IPPool the offline IDC cluster answers a patch with.

A server-side apply answers with the whole live object (Kubernetes server-side apply docs): the
fields the patch sets as patched, every other field as the cluster has it. Offline the cluster's
pool is the one the stack describes: dev's idc.podCidr 10.244.0.0/16 (stacks/Pulumi.dev.yaml) with
Calico's default blockSize 26 (dev sets none; Calico IPPool reference: "blockSize ... default 26"
for IPv4), prod's 10.128.0.0/14 with its explicit blockSize 26.
"""

from __future__ import annotations

import pulumi

from hybrid_tools.idc_standin import IPPOOL_PATCH, ippool_patch_response


def _answer(inputs: dict) -> dict:
    return ippool_patch_response(pulumi.runtime.MockResourceArgs(IPPOOL_PATCH, "pool", inputs))


def test_unpatched_fields_are_the_stacks_pool(pulumi_mocks, dev_raw):
    pulumi_mocks(dev_raw)
    assert _answer({"spec": {"natOutgoing": True}}) == {
        "spec": {"cidr": "10.244.0.0/16", "blockSize": 26, "natOutgoing": True}}


def test_a_patch_without_spec_answers_the_live_pool(pulumi_mocks, dev_raw):
    pulumi_mocks(dev_raw)
    assert _answer({}) == {"spec": {"cidr": "10.244.0.0/16", "blockSize": 26}}
    assert _answer({"spec": None}) == {"spec": {"cidr": "10.244.0.0/16", "blockSize": 26}}


def test_patched_fields_win_over_the_live_ones(pulumi_mocks, dev_raw):
    pulumi_mocks(dev_raw)
    assert _answer({"spec": {"cidr": "10.9.0.0/16", "blockSize": 28}}) == {
        "spec": {"cidr": "10.9.0.0/16", "blockSize": 28}}


def test_the_block_size_comes_from_the_stacks_cni(pulumi_mocks, dev_raw):
    dev_raw.setdefault("cni", {}).setdefault("calico", {}).setdefault("bgp", {})["blockSize"] = 24
    pulumi_mocks(dev_raw)
    assert _answer({})["spec"]["blockSize"] == 24


def test_a_stack_without_cni_config_has_calicos_default_block(pulumi_mocks, dev_raw):
    del dev_raw["cni"]
    pulumi_mocks(dev_raw)
    assert _answer({})["spec"] == {"cidr": "10.244.0.0/16", "blockSize": 26}
