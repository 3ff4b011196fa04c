"""hybrid/model/gpu_driver.py: driver branch forms, the driver table's refusals, the GPU provider rule, kubelet labels.

Sources: Alibaba's GPU driver table by instance family
(help.aliyun.com/en/eci/user-guide/create-an-instance-by-specifying-the-gpu-type, "Specifications"):
gn5 .. gn7e take Tesla 470, 535 or 550; gn8ia and gn8is 535 or 550; the *-vws families only GRID 470.
Pulumi structured config keeps numbers typed (pulumi.com/docs/iac/concepts/config/), so a branch can
arrive as the number 535. NodeRestriction (kubernetes/kubernetes plugin/pkg/admission/noderestriction,
staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go): a kubelet may set the listed kubeletLabels,
anything under kubelet.kubernetes.io / node.kubernetes.io (and their subdomains), and anything outside
the kubernetes.io and k8s.io namespaces. Model cases edit dev's pool a10-dev (stacks/Pulumi.dev.yaml:
ecs.gn7i-c8g1.2xlarge, driver install 535).
"""

from __future__ import annotations

import pytest

from hybrid.errors import FieldError
from hybrid.model import load
from hybrid.model.gpu_driver import GpuDriver, check_driver, instance_family, kubelet_may_set
from tests.conftest import refusals

POOL = "regions[0].gpuPools[0]"
TABLE = "gn5, gn5i, gn6e, gn6i, gn6v, gn7, gn7e, gn7i, gn7s, gn8ia, gn8is"  # the table's families, sorted


def _pool(raw):
    return raw["regions"][0]["gpuPools"][0]


def _refusal(driver, instance_type):
    with pytest.raises(FieldError) as info:
        check_driver(driver, instance_type)
    message, fix = str(info.value).split(" Fix: ")
    assert fix == info.value.fix
    return message, fix


# --- the branch as a number -------------------------------------------------------

@pytest.mark.parametrize("number,text", [(535, "535"), (550, "550"), (470, "470")])
def test_a_branch_given_as_a_number_is_that_branch(dev_raw, number, text):
    _pool(dev_raw)["driver"]["branch"] = number
    assert load(dev_raw).regions[0].gpu_pools[0].driver.branch == text


@pytest.mark.parametrize("number,text", [(0, "000"), (55, "055"), (999, "999")])
def test_a_number_is_padded_to_three_digits(dev_raw, number, text):
    _pool(dev_raw)["driver"]["branch"] = number
    assert refusals(dev_raw) == [(f"{POOL}.driver", f"driver branch {text} is not offered for family gn7i "
                                 "(Alibaba lists 470, 535, 550).", "set branch to one of 470, 535, 550.")]


@pytest.mark.parametrize("value", [1000, -1, True])
def test_numbers_outside_three_digits_and_booleans_are_not_branches(dev_raw, value):
    _pool(dev_raw)["driver"]["branch"] = value
    assert [path for path, _, _ in refusals(dev_raw)] == [f"{POOL}.driver.branch"]


@pytest.mark.parametrize("number,text", [(1000, "1000"), (-1, "-1"), (12345, "12345")])
def test_a_number_past_three_digits_meets_the_refusal_its_text_meets(dev_raw, number, text):
    # 999 is the largest three-digit number (padded and checked against the table above); 1000 and -1 are one
    # past either end. A number is read as its digits, so it is refused as its text is: by the branch's form,
    # never as "not a string" (numbers are a branch's accepted form).
    _pool(dev_raw)["driver"]["branch"] = number
    as_number = refusals(dev_raw)
    _pool(dev_raw)["driver"]["branch"] = text
    assert as_number == refusals(dev_raw) == [(f"{POOL}.driver.branch", "String should match pattern '^[0-9]{3}$'.",
                                               "match the pattern shown.")]


# --- the driver table --------------------------------------------------------------

def test_no_driver_names_both_paths(dev_raw):
    del _pool(dev_raw)["driver"]
    assert refusals(dev_raw) == [(f"{POOL}.driver",
                                 "ecs.gn7i-c8g1.2xlarge is a GPU instance type but the pool declares no NVIDIA driver "
                                 "path, so its nodes would join without nvidia.com/gpu capacity.",
                                 'add driver: {source: install, branch: "535"} (installed at first boot) or '
                                 'driver: {source: image, branch: "535"} with an imageId that ships that driver.')]


def test_an_invalid_instance_type_is_reported_once_on_its_own_field(dev_raw):
    pool = _pool(dev_raw)
    del pool["driver"]
    pool["instanceType"] = "ecs.g7.2xlarge"  # a general-purpose type
    assert [path for path, _, _ in refusals(dev_raw)] == [f"{POOL}.instanceType"]


def test_a_driver_is_kept_when_the_instance_type_is_unknown():
    d = GpuDriver(source="install", branch="535")
    assert check_driver(d, None) is d


@pytest.mark.parametrize("itype", ["ecs.sgn7i-vws-m2.xlarge", "ecs.vgn6i-vws-m4.xlarge", "ecs.vgn7i-vws-m4.xlarge"])
def test_vgpu_families_are_refused(itype):
    assert _refusal(GpuDriver(source="image", branch="470"), itype) == (
        f"{itype} is a vGPU family that runs only the licensed GRID 470 driver; no driver path here serves it.",
        "use a gn* compute family for Kubernetes GPU nodes.")


@pytest.mark.parametrize("itype,branch", [("ecs.gn8ia-2x.8xlarge", "535"), ("ecs.gn8is.2xlarge", "550"),
                                          ("ecs.gn5-c4g1.xlarge", "470"), ("ecs.gn7e-c16g1.4xlarge", "550")])
def test_branches_the_table_lists_are_accepted(itype, branch):
    d = GpuDriver(source="install", branch=branch)
    assert check_driver(d, itype) is d


def test_gn8ia_has_no_470():
    assert _refusal(GpuDriver(source="install", branch="470"), "ecs.gn8ia-2x.8xlarge") == (
        "driver branch 470 is not offered for family gn8ia (Alibaba lists 535, 550).", "set branch to one of 535, 550.")


def test_install_on_a_family_outside_the_table_lists_the_table():
    assert _refusal(GpuDriver(source="install", branch="535"), "ecs.ebmgn7ex.32xlarge") == (
        "Alibaba's driver table lists no driver branch for family ebmgn7ex, so an install cannot be checked.",
        f"use source: image with an image validated on this family, or a family from the table ({TABLE}).")


def test_a_type_without_a_family_is_named_whole():
    message, _ = _refusal(GpuDriver(source="install", branch="535"), "ecs.gpu.large")
    assert message == "Alibaba's driver table lists no driver branch for family ecs.gpu.large, so an install cannot be checked."


def test_an_image_on_a_family_outside_the_table_is_accepted():
    d = GpuDriver(source="image", branch="535")
    assert check_driver(d, "ecs.ebmgn7ex.32xlarge") is d


@pytest.mark.parametrize("itype,family", [("ecs.gn7i-c8g1.2xlarge", "gn7i"), ("gn7i-c8g1.2xlarge", None),
                                          ("ecs.gpu.large", None), ("ecs.vgn7i-vws-m4.xlarge", "vgn7i-vws")])
def test_instance_family(itype, family):
    assert instance_family(itype) == family


# --- who advertises the GPUs ----------------------------------------------------------

def test_a_device_plugin_setting_with_the_gpu_operator_is_refused(prod_raw):
    prod_raw["gpu"] = {"provider": "gpu-operator", "devicePlugin": {"version": "v0.17.4"}}
    assert refusals(prod_raw) == [("gpu", "devicePlugin is set but provider is gpu-operator.",
                                  "drop devicePlugin or set provider: device-plugin.")]


def test_the_gpu_operator_alone_and_the_device_plugin_with_settings_are_accepted(prod_raw):
    prod_raw["gpu"] = {"provider": "gpu-operator"}
    assert load(prod_raw).gpu.provider == "gpu-operator"
    prod_raw["gpu"] = {"provider": "device-plugin", "devicePlugin": {"version": "v0.17.4"}}
    assert load(prod_raw).gpu.device_plugin.version == "v0.17.4"


# --- labels a kubelet may set ----------------------------------------------------------

@pytest.mark.parametrize("key,ok", [
    ("beta.kubernetes.io/arch", True),             # kubeletLabels
    ("beta.kubernetes.io/gpu", False),             # kubernetes.io namespace, not in kubeletLabels
    ("kubelet.kubernetes.io/pool", True),          # kubeletLabelNamespaces, exactly
    ("a.node.kubernetes.io/pool", True),           # ... and a subdomain of one
    ("xnode.kubernetes.io/pool", False),           # not a subdomain of node.kubernetes.io
    ("kubernetes.io/pool", False),
    ("k8s.io/pool", False),
    ("xk8s.io/pool", True),                        # not a subdomain of k8s.io
    ("gpu.example.com/pool", True),
    ("pool", True),                                # no prefix
    ("kubernetes.io", True),                       # no prefix either: a name, not a namespace (getLabelNamespace)
])
def test_kubelet_may_set(key, ok):
    assert kubelet_may_set(key) is ok
