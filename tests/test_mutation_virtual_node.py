"""hybrid.virtual_node: the addon config's edges and the example Deployments users copy, against upstream rules.

- Pod Security Standards, "restricted" profile (kubernetes.io/docs/concepts/security/pod-security-standards):
  runAsNonRoot true, runAsUser not 0, seccompProfile RuntimeDefault or Localhost, allowPrivilegeEscalation
  false, capabilities.drop containing "ALL".
- Service-account tokens mounted only where needed (checkov CKV_K8S_38) and a read-only root filesystem
  (checkov CKV_K8S_22, kube-linter no-read-only-root-fs): the examples call no API and write nothing.
- Guaranteed QoS (kubernetes pkg/apis/core/helper/qos/qos.go): every container has cpu and memory limits
  equal to its requests.
- Resource quantities (k8s.io/apimachinery pkg/api/resource/quantity.go): a number and one of the suffixes
  Ki Mi Gi Ti Pi Ei, n u m k M G T P E (case matters: "4gi" is no quantity).
- Names (k8s.io/apimachinery pkg/util/validation IsDNS1123Label): lower-case alphanumerics and '-', at most 63.
- ACR's VPC endpoint of a region: registry-vpc.<region>.aliyuncs.com (docs/gpu-nodes.md).
- ACS pod labels: compute-qos default | best-effort (ACS "compute QoS" page; /work/shared/ALIBABA-NOTES.md).
"""

from __future__ import annotations

import json
import re

import pytest

from hybrid.virtual_node import ADDON_KEYS, RegionEntry, addon_config, example_deployment, examples, parse_version, pod_labels

QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?")
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
R = dict(vpc_id="vpc-1", vswitch_ids=("vsw-1",), security_group_id="sg-1")


def _key(name: str) -> str:
    return ADDON_KEYS[name].json


def _restricted_violations(pod_spec: dict) -> list[str]:
    """The Pod Security Standards' restricted profile, written again from the page above."""
    out = []
    psc = pod_spec.get("securityContext") or {}
    for c in pod_spec["containers"]:
        sc = c.get("securityContext") or {}
        if sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True:
            out.append("runAsNonRoot")
        if sc.get("runAsUser", psc.get("runAsUser")) == 0:
            out.append("runAsUser")
        seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append("seccompProfile")
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append("allowPrivilegeEscalation")
        if "ALL" not in (sc.get("capabilities") or {}).get("drop", []):
            out.append("capabilities")
    return out


def test_a_version_that_is_not_major_minor_patch_is_refused_naming_it():
    assert parse_version("v2.13.0") == (2, 13, 0)
    with pytest.raises(ValueError) as e:
        parse_version("2.13")
    assert str(e.value) == "'2.13' is not a MAJOR.MINOR.PATCH version"


def test_no_default_region_and_two_default_regions_are_named_in_the_refusal():
    with pytest.raises(ValueError) as e:
        addon_config("10.0.0.10", 6443, [RegionEntry("cn-beijing", **R)])
    assert str(e.value) == "exactly one default region is required, got none"
    with pytest.raises(ValueError) as e:
        addon_config("10.0.0.10", 6443, [RegionEntry("cn-hangzhou", default=True, **R),
                                         RegionEntry("cn-beijing", default=True, **R)])
    assert str(e.value) == "exactly one default region is required, got ['cn-beijing', 'cn-hangzhou']"


@pytest.mark.parametrize("missing", ["vpc_id", "vswitch_ids", "security_group_id"])
def test_a_region_without_its_vpc_or_vswitch_or_security_group_is_refused(missing):
    fields = {**R, missing: () if missing == "vswitch_ids" else ""}
    with pytest.raises(ValueError) as e:
        addon_config("10.0.0.10", 6443, [RegionEntry("cn-beijing", default=True, **fields)])
    assert str(e.value) == "region cn-beijing needs a VPC, at least one vSwitch and a security group"


def test_two_regions_are_multi_region_and_the_default_comes_first():
    cfg = addon_config("10.0.0.10", 6443, [RegionEntry("cn-beijing", **R), RegionEntry("cn-zhangjiakou", default=True, **R)])
    assert cfg[_key("multi_region")] is True
    assert [r[_key("region_id")] for r in cfg[_key("regions")]] == ["cn-zhangjiakou", "cn-beijing"]
    assert json.loads(json.dumps(cfg)) == cfg


def test_best_effort_qos_is_accepted_and_each_refusal_names_the_bad_value():
    assert pod_labels("general-purpose", "best-effort")["alibabacloud.com/compute-qos"] == "best-effort"
    cases = [
        (dict(compute_class="tpu"),
         "compute class 'tpu' is not one of ('gpu', 'gpu-hpn', 'general-purpose', 'performance')"),
        (dict(compute_class="performance", compute_qos="gold"),
         "compute QoS 'gold' is not one of ('default', 'best-effort')"),
        (dict(compute_class="gpu-hpn"), "compute class gpu-hpn needs a GPU model series (e.g. A10, T4)"),
        (dict(compute_class="performance", gpu_model_series="T4"), "compute class performance takes no GPU model series"),
        (dict(compute_class="general-purpose", region="cn-shanghai", regions=["cn-beijing"]),
         "region 'cn-shanghai' is not a virtual-node region ['cn-beijing']"),
    ]
    for kw, text in cases:
        with pytest.raises(ValueError) as e:
            pod_labels(**kw)
        assert str(e.value) == text


def _deployments(default="cn-beijing", others=("cn-zhangjiakou",), series="A10"):
    regions = [default, *others]
    return {ex.name: example_deployment(ex, regions, default) for ex in examples(default, list(others), series)}


def test_without_other_regions_the_pinned_examples_pin_the_default_region():
    objs = _deployments(others=())
    assert sorted(objs) == ["serverless-cpu-cn-beijing", "serverless-cpu-default", "serverless-gpu-cn-beijing",
                            "serverless-gpu-default"]
    pinned = objs["serverless-gpu-cn-beijing"]["spec"]["template"]["metadata"]["labels"]
    assert pinned["alibabacloud.com/serverless-region-id"] == "cn-beijing"


def test_each_example_pulls_from_the_registry_of_the_region_its_pod_runs_in():
    objs = _deployments()
    for name, region in (("serverless-cpu-default", "cn-beijing"), ("serverless-cpu-cn-zhangjiakou", "cn-zhangjiakou"),
                         ("serverless-gpu-default", "cn-beijing"), ("serverless-gpu-cn-zhangjiakou", "cn-zhangjiakou")):
        image = objs[name]["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.startswith(f"registry-vpc.{region}.aliyuncs.com/"), (name, image)


def test_every_example_meets_the_restricted_pod_security_standard_and_mounts_no_token():
    for name, obj in _deployments().items():
        spec = obj["spec"]["template"]["spec"]
        assert _restricted_violations(spec) == [], name
        assert spec["automountServiceAccountToken"] is False
        assert all(c["securityContext"]["readOnlyRootFilesystem"] is True for c in spec["containers"])


def test_the_restricted_checker_above_catches_each_rule():
    good = _deployments()["serverless-cpu-default"]["spec"]["template"]["spec"]
    for path, value, rule in ((("securityContext", "runAsNonRoot"), False, "runAsNonRoot"),
                              (("securityContext", "runAsUser"), 0, "runAsUser"),
                              (("securityContext", "seccompProfile"), {"type": "Unconfined"}, "seccompProfile")):
        spec = json.loads(json.dumps(good))
        spec[path[0]][path[1]] = value
        assert _restricted_violations(spec) == [rule]
    spec = json.loads(json.dumps(good))
    spec["containers"][0]["securityContext"]["capabilities"]["drop"] = ["all"]
    assert _restricted_violations(spec) == ["capabilities"]


def test_every_example_is_guaranteed_qos_with_valid_quantities_and_one_gpu_for_the_gpu_ones():
    for name, obj in _deployments().items():
        assert obj["spec"]["replicas"] == 1  # a sample: one pod, one GPU at most, to try the path
        for c in obj["spec"]["template"]["spec"]["containers"]:
            req, lim = c["resources"]["requests"], c["resources"]["limits"]
            assert {"cpu", "memory"} <= set(req) and lim == req, name
            assert all(QUANTITY.fullmatch(v) for v in req.values()), req
            assert set(req) - {"cpu", "memory"} == ({"nvidia.com/gpu"} if "gpu" in name else set())
            if "gpu" in name:
                assert req["nvidia.com/gpu"] == "1"


def test_example_object_names_are_dns_labels():
    for obj in _deployments().values():
        assert DNS1123_LABEL.fullmatch(obj["metadata"]["name"])
        assert DNS1123_LABEL.fullmatch(obj["metadata"]["namespace"])
        for c in obj["spec"]["template"]["spec"]["containers"]:
            assert DNS1123_LABEL.fullmatch(c["name"])
