"""hybrid/model/metrics.py: the Prometheus choice and its environment, the scrape/rule interval rule, the image.

Cases edit prod's metrics block (stacks/Pulumi.prod.yaml: enabled, prometheus in-cluster, no managed
block, the default intervals: rules every 60 s, scrapes every 30 s). A recording rule that runs more
often than its series is scraped counts the same sample twice (GPU-hours are samples x the rule
interval), so a scrape interval equal to the rule interval is the longest allowed; one second more
is refused. The exporter's image is a registry path with {region}, tagged with its version
(dcgm-exporter's chart, github:NVIDIA/dcgm-exporter deployment/values.yaml: image.repository + ":" + image.tag).
"""

from __future__ import annotations

import pytest

from hybrid.errors import ConfigError
from hybrid.model import load
from hybrid.model.metrics import Exporter


def _issues(raw, **metrics):
    raw["metrics"].update(metrics)
    with pytest.raises(ConfigError) as info:
        load(raw)
    return [(i.path, i.message, i.fix) for i in info.value.issues]


def _metrics(raw, **metrics):
    raw["metrics"].update(metrics)
    return load(raw).metrics


def test_managed_without_its_environment_names_the_key_to_add(prod_raw):
    assert _issues(prod_raw, prometheus="managed") == [
        ("metrics", "prometheus is managed but managed.environmentId is missing.",
         "set managed: {environmentId: env-...} (the ARMS environment of the registered cluster).")]


def test_managed_with_its_environment_is_accepted(prod_raw):
    m = _metrics(prod_raw, prometheus="managed", managed={"environmentId": "env-abc123"})
    assert (m.prometheus, m.managed.environment_id) == ("managed", "env-abc123")


def test_an_environment_with_the_in_cluster_prometheus_is_refused(prod_raw):
    assert _issues(prod_raw, managed={"environmentId": "env-abc123"}) == [
        ("metrics", "managed is set but prometheus is in-cluster.", "drop managed or set prometheus: managed.")]


def test_in_cluster_without_an_environment_is_accepted(prod_raw):
    m = _metrics(prod_raw)
    assert (m.prometheus, m.managed) == ("in-cluster", None)


@pytest.mark.parametrize("scrape,rule", [(60, 60), (15, 15), (30, 60), (300, 600)])
def test_a_scrape_as_often_as_the_rules_or_more_often_is_accepted(prod_raw, scrape, rule):
    m = _metrics(prod_raw, scrapeIntervalSeconds=scrape, ruleIntervalSeconds=rule)
    assert (m.scrape_interval_seconds, m.rule_interval_seconds) == (scrape, rule)


@pytest.mark.parametrize("scrape,rule", [(61, 60), (16, 15)])
def test_a_scrape_one_second_longer_than_the_rules_is_refused(prod_raw, scrape, rule):
    assert _issues(prod_raw, scrapeIntervalSeconds=scrape, ruleIntervalSeconds=rule) == [
        ("metrics", f"scrapeIntervalSeconds {scrape} is longer than ruleIntervalSeconds {rule}.",
         "scrape at least as often as the rules run.")]


def test_the_image_reference_puts_the_region_in_and_the_version_as_tag():
    e = Exporter(image="registry-vpc.{region}.example.com/acs/dcgm-exporter", version="4.5.3-4.8.2-distroless")
    assert e.reference("cn-shanghai") == "registry-vpc.cn-shanghai.example.com/acs/dcgm-exporter:4.5.3-4.8.2-distroless"
    fixed = Exporter(image="mirror.example.com/nvidia/dcgm-exporter", version="4.5.3-4.8.2")
    assert fixed.reference("cn-beijing") == "mirror.example.com/nvidia/dcgm-exporter:4.5.3-4.8.2"
