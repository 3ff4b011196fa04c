"""Stack-config model. ``load(raw)`` is the entry point."""

from hybrid.model.platform import CONFIG_KEYS, KUBECONFIG_ENV, OPTIONAL_SECRET_KEYS, SECRET_KEYS, Platform, load, warnings

__all__ = ["CONFIG_KEYS", "KUBECONFIG_ENV", "OPTIONAL_SECRET_KEYS", "SECRET_KEYS", "Platform", "load", "warnings"]
