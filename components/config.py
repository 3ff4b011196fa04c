"""Read the stack config into the pure model (the only place that touches pulumi.Config)."""

from __future__ import annotations

import os
from typing import Any

import pulumi

from components.platform import PlatformSecrets
from hybrid.errors import ConfigError, ConfigIssue
from hybrid.model import KUBECONFIG_ENV, OPTIONAL_SECRET_KEYS, Platform
from hybrid.model.platform import RETIRED_FIX, RETIRED_KEYS
from hybrid.stack import load_platform
from hybrid.model.identity import required_secrets

REQUIRED_OBJECTS = ("idc", "regions", "registration")
OPTIONAL_OBJECTS = ("cni", "virtualNode", "placement", "pricing", "identity", "gpu", "metrics", "nodeAccess", "jobs")


def read_platform(config: pulumi.Config | None = None) -> tuple[Platform, PlatformSecrets]:
    """Build the model once from stack config; raise ConfigError naming every bad field."""
    cfg = config or pulumi.Config()
    raw: dict[str, Any] = {"environment": cfg.require("environment")}
    raw.update({key: cfg.require_object(key) for key in REQUIRED_OBJECTS})
    raw.update({key: cfg.get_object(key) for key in OPTIONAL_OBJECTS})
    platform = load_platform(raw)
    missing = []
    # The Fleet's kubeconfig only when the Karmada objects are applied: before that the Fleet may not exist yet.
    wanted = ["HYBRID_IDC_KUBECONFIG"] + (["HYBRID_FLEET_KUBECONFIG"] if platform.registration.fleet.apply else [])
    paths = {name: os.environ.get(name, "") for name in wanted}
    fleet = platform.registration.fleet
    for name, path in paths.items():
        if not path and name == "HYBRID_FLEET_KUBECONFIG" and fleet.name:
            # The Fleet is created by this stack: its kubeconfig cannot exist before the first run.
            missing.append(ConfigIssue(
                "registration.fleet.apply",
                f"is true, but the Fleet {fleet.name} is created by this stack and HYBRID_FLEET_KUBECONFIG is not set: "
                "its kubeconfig exists only once the Fleet does.",
                "first run with apply: false (creates the Fleet and its members), then save the Fleet's kubeconfig, "
                "export HYBRID_FLEET_KUBECONFIG=<file> and set apply: true (docs/placement.md, First run)."))
        elif not path:
            missing.append(ConfigIssue(name, f"is not set: the {KUBECONFIG_ENV[name]}.",
                                       f"export {name}=<path of the kubeconfig file> (CI writes the environment's secret "
                                       "to a file and sets it; see docs/pipeline.md)."))
    secrets = PlatformSecrets(
        idc_kubeconfig=paths["HYBRID_IDC_KUBECONFIG"],
        ca_cert_hash=cfg.require_secret("caCertHash"),
        fleet_kubeconfig=paths.get("HYBRID_FLEET_KUBECONFIG"),
    )
    for key in RETIRED_KEYS:
        if cfg.get_secret(key) is not None:
            missing.append(ConfigIssue(key, f"is set, but {RETIRED_KEYS[key]}.", RETIRED_FIX.format(key=key)))
    for key in required_secrets(platform):
        value = cfg.get_secret(key)
        if value is None:
            missing.append(ConfigIssue(key, f"is needed by the stack's settings ({OPTIONAL_SECRET_KEYS[key]}) but not set.",
                                       f"run `pulumi config set --secret {key} ...`."))
        else:
            secrets.credentials[key] = value
    if missing:
        raise ConfigError(missing)
    return platform, secrets
