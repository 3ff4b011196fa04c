"""Every validator cites its rule's source or is a warning; docs/validators.md lists them all."""

import pytest

from hybrid.errors import ConfigError
from hybrid.model import load, warnings
from hybrid_tools import validators
from hybrid_tools.errors import InputError


def _warned(raw) -> list[str]:
    return [w.path for w in warnings(load(raw))]


def test_kubeadm_default_service_cidr_plans_with_a_warning(dev_raw):
    # kubeadm's default Service CIDR (kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go):
    # most existing clusters run it, and it cannot change.
    dev_raw["idc"]["serviceCidr"] = "10.96.0.0/12"
    p = load(dev_raw)
    assert p.idc.service_cidr == "10.96.0.0/12"
    (w,) = [w for w in warnings(p) if w.path == "idc.serviceCidr"]
    assert "10.0.0.0/16-24, 172.16-31.0.0/16-24, 192.168.0.0/16-24" in w.message


@pytest.mark.parametrize("cidr, warned", [
    ("172.21.0.0/20", False), ("10.96.0.0/16", False), ("192.168.0.0/24", False),   # inside the documented range
    ("10.96.0.0/15", True), ("192.168.0.0/25", True), ("100.100.0.0/16", True),     # mask or block outside it
])
def test_service_cidr_warning_follows_the_documented_range(dev_raw, cidr, warned):
    dev_raw["idc"]["serviceCidr"] = cidr
    assert ("idc.serviceCidr" in _warned(dev_raw)) is warned


def test_a_vpc_on_the_service_cidr_is_still_an_error(dev_raw):
    # ACK's CIDR planning: the Service CIDR and the VPC must not overlap.
    dev_raw["idc"]["serviceCidr"] = "10.96.0.0/12"
    dev_raw["regions"][0]["vpcCidr"] = "10.100.0.0/16"
    for z in dev_raw["regions"][0]["zones"]:
        if isinstance(z, dict):
            z.pop("nodeVswitchCidr", None), z.pop("podVswitchCidr", None)
    with pytest.raises(ConfigError) as err:
        load(dev_raw)
    assert any(i.path == "regions[0].vpcCidr" and "Service CIDR 10.96.0.0/12" in i.message for i in err.value.issues)


def test_a_spot_limit_without_spot_is_a_warning(dev_raw):
    pool = dev_raw["regions"][0]["gpuPools"][0]
    pool["billing"] = {"strategy": "PayAsYouGo", "spotPriceLimit": 3.5}
    assert "regions[0].gpuPools[0].billing.spotPriceLimit" in _warned(dev_raw)
    pool["billing"] = {"strategy": "Spot"}  # the program renders SpotWithPriceLimit: still an error
    with pytest.raises(ConfigError):
        load(dev_raw)


def test_dev_and_prod_have_no_warnings(dev_raw, prod_raw):
    assert _warned(dev_raw) == [] and _warned(prod_raw) == []


def test_every_validator_in_the_code_has_a_source_and_no_entry_is_stale():
    found = {f.id for f in validators.discover()}
    assert found == set(validators.SOURCES)
    for what, source in validators.SOURCES.values():
        assert what.strip() and source.strip()
    # Known members, counted by hand from the code: the 25 policies of policy/rules/, the Service CIDR warning.
    assert sum(1 for f in found if f.startswith("policy.")) == 25
    assert "network.Idc._service_cidr_allowed" not in found
    assert "platform._service_cidr_documented_range" in found


def test_levels_follow_the_code():
    level = {f.id: f.level for f in validators.discover()}
    assert level["policy.ecs-gpu-lease-ending-soon"] == "warning"   # advisory in policy/README.md
    assert level["policy.ecs-disks-encrypted"] == "error"
    assert level["platform._service_cidr_documented_range"] == "warning"
    assert level["platform._regions"] == "error"
    forms = {f.id for f, _, _ in validators.rows() if f.level == "form"}
    assert forms == {"network.Region._zone_shorthand", "gpu_driver.GpuDriver._number_form"}


def test_a_validator_without_a_source_stops_the_page(monkeypatch):
    monkeypatch.delitem(validators.SOURCES, "gpu.GpuPool._unique_taints")
    with pytest.raises(InputError, match="gpu.GpuPool._unique_taints"):
        validators.render()


def test_the_page_is_up_to_date():
    assert validators.DOC_PATH.read_text(encoding="utf-8") == validators.render(), \
        "docs/validators.md is stale: run `hybrid-gpu validators --write`"


def test_a_driver_branch_given_as_a_number_is_read_as_its_digits(prod_raw):
    # What `pulumi config set --path 'regions[0].gpuPools[1].driver.branch' 550` writes: the number 550.
    prod_raw["regions"][0]["gpuPools"][1]["driver"]["branch"] = 550
    assert load(prod_raw).regions[0].gpu_pools[1].driver.branch == "550"
    prod_raw["regions"][0]["gpuPools"][1]["driver"]["branch"] = True  # a boolean is not a branch
    with pytest.raises(ConfigError) as err:
        load(prod_raw)
    assert any(i.path == "regions[0].gpuPools[1].driver.branch" for i in err.value.issues)


def _messages(raw) -> dict[str, str]:
    with pytest.raises(ConfigError) as err:
        load(raw)
    return {i.path: i.message for i in err.value.issues}


def test_did_you_mean_for_keys_at_every_depth(dev_raw):
    dev_raw["regoins"] = dev_raw.pop("regions")
    assert _messages(dev_raw)["regoins"].endswith("Did you mean regions?")


def test_did_you_mean_for_nested_and_case_slipped_keys(dev_raw):
    dev_raw["regions"][0]["vpcCIDR"] = dev_raw["regions"][0].pop("vpcCidr")
    dev_raw["regions"][0]["gpuPools"][0]["dataDisk"]["mountPth"] = dev_raw["regions"][0]["gpuPools"][0]["dataDisk"].pop("mountPath")
    got = _messages(dev_raw)
    assert got["regions[0].vpcCIDR"].endswith("Did you mean vpcCidr?")
    assert got["regions[0].gpuPools[0].dataDisk.mountPth"].endswith("Did you mean mountPath?")


def test_did_you_mean_for_instance_types_and_zones(dev_raw, prod_raw):
    dev_raw["regions"][0]["gpuPools"][0]["instanceType"] = "ecs.gn7i-c8g1.2xlarg"  # the e dropped
    assert "Did you mean ecs.gn7i-c8g1.2xlarge" in _messages(dev_raw)["regions[0].gpuPools[0]"]
    prod_raw["regions"][0]["zones"][0]["id"] = "cn-beijing-gg"
    assert "Did you mean cn-beijing-g" in _messages(prod_raw)["regions[0].zones[0].id"]
    # nothing close: no guess
    prod_raw["regions"][0]["zones"][0]["id"] = "cn-beijing-z"
    assert "Did you mean" not in _messages(prod_raw).get("regions[0].zones[0].id", "")


def test_elastic_pools_without_the_autoscaler_user_warn(prod_raw):
    assert "registration.autoscaler.ramUser" not in _warned(prod_raw)  # prod names hybrid-prod-autoscaler
    del prod_raw["registration"]["autoscaler"]["ramUser"]
    assert "registration.autoscaler.ramUser" in _warned(prod_raw)
