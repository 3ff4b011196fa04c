"""Every Kubernetes object the plan writes (manifests/ and examples/) is a valid object
for the IDC cluster's Kubernetes version, checked strictly by kubernetes-validate."""

from __future__ import annotations

import pytest
import yaml

from hybrid.model import load
from tests.conftest import ROOT, stack_raw
from tests.k8s_validate import validate_files

# Kinds served by CRDs: kubernetes-validate has no schema for them (their CRD schemas are
# checked against the upstream CRDs in tests/data/ by tests/test_calico.py, tests/test_fleet.py and tests/test_jobs.py).
CUSTOM_KINDS = {"PropagationPolicy", "ClusterPropagationPolicy", "OverridePolicy", "FederatedHPA",
                "BGPConfiguration", "BGPPeer", "IPPool",
                "PyTorchJob", "PodGroup", "FederatedResourceQuota", "CronFederatedHPA"}


@pytest.fixture(scope="module", params=["dev", "prod"])
def planned(request, tmp_path_factory):
    from hybrid_tools import plan

    _, platform, run, _ = plan.build_plan(request.param, root=ROOT)
    out, _ = plan.write_plan(request.param, tmp_path_factory.mktemp("manifests"), platform, run)
    return request.param, out


def test_every_manifest_and_example_is_valid_strict(planned, capsys):
    stack, out = planned
    version = load(stack_raw(stack)).idc.kubernetes_version
    files = sorted([*(out / "manifests").rglob("*"), *(out / "examples").rglob("*")])
    files = [f for f in files if f.is_file()]
    assert len(files) >= 10
    valid, invalid, custom = validate_files(files, out, version)
    with capsys.disabled():
        print(f"\n{stack}: kubernetes-validate {version} strict over {len(files)} files in manifests/ and examples/: "
              f"{valid} valid, {len(invalid)} invalid, {len(custom)} custom resources ({sorted(set(custom))})")
    assert invalid == []
    assert set(custom) <= CUSTOM_KINDS


def test_secret_keeps_its_keys_and_hides_every_value(planned):
    stack, out = planned
    secrets = [yaml.safe_load(f.read_text()) for f in (out / "manifests").rglob("secret-*.yaml")]
    assert secrets
    for doc in secrets:
        for field in ("data", "stringData"):
            if field in doc:
                assert isinstance(doc[field], dict) and doc[field], doc["metadata"]["name"]
                assert set(doc[field].values()) == {"[secret]"}
    # The ACK agent looks up its Secret by the prefix "ack-credentials" and reads
    # /ack-credentials/{ca,cert,key,token,url} (team notes, ALIBABA-NOTES.md).
    agent = [d for d in secrets if d["metadata"]["name"].startswith("ack-credentials")]
    assert sorted(agent[0]["stringData"]) == ["ca", "cert", "key", "token", "url"]
