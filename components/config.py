"""Read the stack config into the pure model (the only place that touches pulumi.Config)."""

from __future__ import annotations

import pulumi

from components.platform import PlatformSecrets
from hybrid.errors import ConfigError, ConfigIssue
from hybrid.model import OPTIONAL_SECRET_KEYS, Platform, load
from hybrid.model.identity import required_secrets

REQUIRED_OBJECTS = ("idc", "regions", "registration")
OPTIONAL_OBJECTS = ("cni", "virtualNode", "placement", "pricing", "identity", "gpu")


def read_platform(config: pulumi.Config | None = None) -> tuple[Platform, PlatformSecrets]:
    """Build the model once from stack config; raise ConfigError naming every bad field."""
    cfg = config or pulumi.Config()
    raw = {"environment": cfg.require("environment")}
    raw.update({key: cfg.require_object(key) for key in REQUIRED_OBJECTS})
    raw.update({key: cfg.get_object(key) for key in OPTIONAL_OBJECTS})
    platform = load(raw)
    secrets = PlatformSecrets(
        idc_kubeconfig=cfg.require_secret("idcKubeconfig"),
        bootstrap_token=cfg.require_secret("bootstrapToken"),
        ca_cert_hash=cfg.require_secret("caCertHash"),
        # Read only when the Karmada objects are applied: before that the Fleet may not exist yet.
        fleet_kubeconfig=cfg.require_secret("fleetKubeconfig") if platform.registration.fleet.apply else None,
    )
    missing = []
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
