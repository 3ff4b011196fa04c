"""hybrid_tools/cen_standin.py: what the offline plan's CEN answers for transit-router attachments.

terraform-provider-alicloud (resource_alicloud_cen_transit_router_vpc_attachment.go,
..._peer_attachment.go) reports the bare attachment id, ``tr-attach-`` and its suffix, as
``transit_router_attachment_id``; the resource id is ``<cen id>:<attachment id>``. The stand-in's
ids must have that form (no ``:``), be stable across runs (same config, byte-identical plan) and
differ between attachments.
"""

from __future__ import annotations

import re

import pulumi

from hybrid_tools.cen_standin import PEER_ATTACHMENT, VPC_ATTACHMENT, attachment_response


def _answer(typ: str, name: str, inputs: dict | None = None) -> dict:
    return attachment_response(pulumi.runtime.MockResourceArgs(typ, name, inputs or {}))


def test_the_answer_is_one_bare_attachment_id_of_alibabas_form():
    out = _answer(VPC_ATTACHMENT, "cn-beijing-tr-vpc")
    assert list(out) == ["transitRouterAttachmentId"]
    assert re.fullmatch(r"tr-attach-[0-9a-f]{20}", out["transitRouterAttachmentId"])


def test_the_id_is_stable_and_pinned():
    # Same in every process (no per-process hash seed): a changed id would change every route entry
    # and route-table binding of a reviewed plan; the inputs do not enter it.
    assert _answer(VPC_ATTACHMENT, "cn-beijing-tr-vpc") == _answer(VPC_ATTACHMENT, "cn-beijing-tr-vpc", {"x": 1})
    assert _answer(VPC_ATTACHMENT, "a") == {"transitRouterAttachmentId": "tr-attach-2bf0eda154297bae2729"}


def test_each_attachment_gets_its_own_id():
    ids = {_answer(t, n)["transitRouterAttachmentId"]
           for t in (VPC_ATTACHMENT, PEER_ATTACHMENT) for n in ("a", "b")}
    assert len(ids) == 4
