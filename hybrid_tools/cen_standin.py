"""What the CEN API answers for transit-router attachments in the offline plan.

terraform-provider-alicloud (resource_alicloud_cen_transit_router_vpc_attachment.go and
..._peer_attachment.go, ``d.SetId(fmt.Sprint(cen_id, ":", attachment_id))``) gives these
resources the composite id ``<cen id>:<attachment id>`` and reports the bare attachment id
as ``transit_router_attachment_id``, which route-table bindings and VPC route entries take.
The plan's mock echoes inputs, so without this answer that output would be missing.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi

VPC_ATTACHMENT = "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment"
PEER_ATTACHMENT = "alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment"


def attachment_response(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    digest = hashlib.sha256(f"{args.typ}::{args.name}".encode()).hexdigest()[:20]
    return {"transitRouterAttachmentId": f"tr-attach-{digest}"}
