"""What the IDC cluster answers in the offline plan, where no cluster is reachable.

A server-side apply answers with the live object: every field, whichever manager
owns it. For the adopted pod pool that means ``cidr`` and ``blockSize`` as the
cluster has them, which the program compares with the stack (components/calico.py).
Offline there is no live pool, so the plan's stand-in cluster holds the pool the
stack describes: the plan shows the patch and the comparison, and can never show a
mismatch. A mismatch is exercised against a stand-in cluster with other values in
tests/test_calico_adoption.py.
"""

from __future__ import annotations

from typing import Any

import pulumi

from hybrid.model.cni import Cni
from hybrid.model.network import Idc

# pulumi-kubernetes names a CustomResourcePatch's type kubernetes:<apiVersion>:<kind>Patch
# (the pinned SDK's apiextensions/CustomResourcePatch.py).
IPPOOL_PATCH = "kubernetes:crd.projectcalico.org/v1:IPPoolPatch"


def ippool_patch_response(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """The live pool after the patch: the stack's cidr/blockSize under the patched fields."""
    cfg = pulumi.Config()
    idc = Idc.model_validate(cfg.require_object("idc"))
    cni = Cni.model_validate(cfg.get_object("cni") or {})
    spec = dict(args.inputs.get("spec") or {})
    return {"spec": {"cidr": idc.pod_cidr, "blockSize": cni.calico.bgp.block_size, **spec}}
