"""Pulumi program: stack config -> model -> HybridPlatform -> stack outputs."""

import json

import pulumi

from components.config import read_platform
from components.platform import HybridPlatform, HybridPlatformArgs
from hybrid.errors import ConfigError

try:
    platform, secrets = read_platform()
except ConfigError as err:
    # RunError is reported by the engine without a Python traceback.
    raise pulumi.RunError(err.render()) from None

hybrid = HybridPlatform(
    "hybrid",
    HybridPlatformArgs(platform=platform, secrets=secrets, stack=pulumi.get_stack()),
)

pulumi.export("networks", hybrid.network_outputs)
pulumi.export("gpuPools", hybrid.gpu_pool_outputs)
if hybrid.elastic is not None:
    pulumi.export("elasticPools", hybrid.elastic_outputs)
pulumi.export("registeredClusterId", hybrid.registered_cluster.cluster_id)
pulumi.export("placement", hybrid.placement_output)
if hybrid.fleet_output is not None:
    pulumi.export("fleet", hybrid.fleet_output)
if hybrid.virtual_node is not None:
    pulumi.export("virtualNodeConfig", hybrid.virtual_node.config.apply(json.loads))
