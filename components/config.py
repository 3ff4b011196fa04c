"""Read the stack config into the pure model (the only place that touches pulumi.Config)."""

from __future__ import annotations

import os

import pulumi

from components.platform import PlatformSecrets
from hybrid.errors import ConfigError, ConfigIssue
from hybrid.model import KUBECONFIG_ENV, OPTIONAL_SECRET_KEYS, Platform, load
from hybrid.model.identity import required_secrets

REQUIRED_OBJECTS = ("idc", "regions", "registration")
OPTIONAL_OBJECTS = ("cni", "virtualNode", "placement", "pricing", "identity", "gpu", "jobs")


def read_platform(config: pulumi.Config | None = None) -> tuple[Platform, PlatformSecrets]:
    """Build the model once from stack config; raise ConfigError naming every bad field."""
    cfg = config or pulumi.Config()
    raw = {"environment": cfg.require("environment")}
    raw.update({key: cfg.require_object(key) for key in REQUIRED_OBJECTS})
    raw.update({key: cfg.get_object(key) for key in OPTIONAL_OBJECTS})
    platform = load(raw)
    missing = []
    # The Fleet's kubeconfig only when the Karmada objects are applied: before that the Fleet may not exist yet.
    wanted = ["HYBRID_IDC_KUBECONFIG"] + (["HYBRID_FLEET_KUBECONFIG"] if platform.registration.fleet.apply else [])
    paths = {name: os.environ.get(name, "") for name in wanted}
    for name, path in paths.items():
        if not path:
            missing.append(ConfigIssue(name, f"is not set: the {KUBECONFIG_ENV[name]}.",
                                       f"export {name}=<path of the kubeconfig file> (CI writes the environment's secret "
                                       "to a file and sets it; see docs/pipeline.md)."))
    secrets = PlatformSecrets(
        idc_kubeconfig=paths["HYBRID_IDC_KUBECONFIG"],
        bootstrap_token=cfg.require_secret("bootstrapToken"),
        ca_cert_hash=cfg.require_secret("caCertHash"),
        fleet_kubeconfig=paths.get("HYBRID_FLEET_KUBECONFIG"),
    )
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
