"""Pulumi program: stack config -> model -> HybridPlatform -> stack outputs."""

import pulumi

from components.config import read_platform
from components.platform import build
from hybrid.errors import ConfigError

try:
    platform, secrets = read_platform()
except ConfigError as err:
    # RunError is reported by the engine without a Python traceback.
    raise pulumi.RunError(err.render()) from None

build(platform, secrets, pulumi.get_stack())
