"""hybrid_tools/placement_artifacts.py: ``tiering/`` and ``not-applied/``, called directly on stack models.

Expectations worked by hand from the stack files: dev has one placement workload (finetune-7b) and
no Fleet; prod has one (batch-infer, namespace default) and a Fleet that applies; prod with
``registration.fleet.apply: false`` (and without its Fleet-only jobs, which the model then refuses)
keeps its Fleet objects out of the program and shows them under not-applied/.
"""

from __future__ import annotations

import yaml

from hybrid.stack import load_platform
from hybrid_tools.placement_artifacts import propagation_policies
from tests.conftest import stack_raw


def _prod_not_applied() -> dict:
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    raw.pop("jobs")
    return raw


def test_dev_has_the_tiering_patch_and_its_readme_and_no_fleet_objects():
    files = propagation_policies(load_platform(stack_raw("dev")), None)
    assert sorted(files) == ["tiering/README.md", "tiering/default/deployment-finetune-7b.yaml"]
    patch = yaml.safe_load(files["tiering/default/deployment-finetune-7b.yaml"])
    assert patch["spec"]["template"]["spec"]  # a pod-template patch (kubectl patch --type strategic)
    assert "kubectl patch <kind> <name> -n <namespace> --type strategic --patch-file <file>" in files["tiering/README.md"]


def test_an_applying_fleet_writes_nothing_under_not_applied():
    files = propagation_policies(load_platform(stack_raw("prod")), None)
    assert sorted(files) == ["tiering/README.md", "tiering/default/deployment-batch-infer.yaml"]


def test_a_fleet_that_does_not_apply_shows_its_objects_under_not_applied():
    files = propagation_policies(load_platform(_prod_not_applied()), None)
    fleet = sorted(p for p in files if p.startswith("not-applied/"))
    assert fleet == ["not-applied/README.md",
                     "not-applied/manifests/cluster/clusterpropagationpolicy-hybrid-gpu-priority-classes.yaml",
                     "not-applied/manifests/cluster/priorityclass-gpu-batch.yaml",
                     "not-applied/manifests/default/federatedhpa-batch-infer.yaml",
                     "not-applied/manifests/default/propagationpolicy-batch-infer.yaml"]
    assert files["not-applied/README.md"].startswith("NOT APPLIED: ")
    policy = yaml.safe_load(files["not-applied/manifests/default/propagationpolicy-batch-infer.yaml"])
    assert policy["kind"] == "PropagationPolicy" and policy["metadata"]["name"] == "batch-infer"
    # the tiering patches stay: they do not depend on the Fleet
    assert "tiering/default/deployment-batch-infer.yaml" in files and "tiering/README.md" in files


def test_no_workload_no_file():
    raw = _prod_not_applied()
    raw["placement"]["workloads"] = []
    assert propagation_policies(load_platform(raw), None) == {}
