"""hybrid.waivers: the annotations each scanner and the policy pack read, checked against how they read them.

checkov: checkov/kubernetes/kubernetes_utils.py (get_skipped_checks) takes every annotation whose key
contains ``checkov.io/skip`` and splits its value with ``value.split("=")`` into exactly (id, comment);
its documentation's example is ``checkov.io/skip1: CKV_K8S_20=<reason>``. kube-linter:
docs/configuring-kubelinter.md, "ignore-check.kube-linter.io/<check-name>: <reason>". The policy
pack's own keys: policy/rules/kubernetes.py (host-root init containers) and policy/rules/identity.py
(cluster-admin binding), each requiring a reason of 10+ characters.
"""

from __future__ import annotations

import pytest

from hybrid import waivers


def _checkov_reads(annotations: dict[str, str]) -> list[tuple[str, str]]:
    """checkov's reading of an object's annotations (get_skipped_checks, written again here)."""
    out = []
    for key, value in annotations.items():
        if any(p in key for p in ("checkov.io/skip", "bridgecrew.io/skip", "cortex.io/skip")):
            check, comment = value.split("=")  # more than one '=' makes checkov fail on the object
            out.append((check, comment))
    return out


def _obj(name="gpu-agent", kind="DaemonSet", annotations=None):
    meta = {"name": name}
    if annotations is not None:
        meta["annotations"] = annotations
    return {"kind": kind, "metadata": meta}


def test_checkov_annotations_are_numbered_from_one_in_check_order_and_checkov_reads_each():
    ann = waivers.checkov_annotations([("CKV_K8S_40", "the agent runs as root by design"),
                                       ("CKV_K8S_21", "kube-system is the vendor's namespace")], "ack-agent")
    assert ann == {"checkov.io/skip1": "CKV_K8S_21=kube-system is the vendor's namespace",
                   "checkov.io/skip2": "CKV_K8S_40=the agent runs as root by design"}
    assert sorted(_checkov_reads(ann)) == [("CKV_K8S_21", "kube-system is the vendor's namespace"),
                                           ("CKV_K8S_40", "the agent runs as root by design")]


@pytest.mark.parametrize("reason", ["", "   ", "a=b means c"])
def test_a_checkov_reason_checkov_cannot_split_in_two_or_an_empty_one_is_refused_naming_check_and_owner(reason):
    with pytest.raises(ValueError) as e:
        waivers.checkov_annotations([("CKV_K8S_8", reason)], "nvidia-device-plugin")
    assert str(e.value) == "waiver CKV_K8S_8 on nvidia-device-plugin needs a reason without '='"


def test_kube_linter_annotation_key_is_the_documented_prefix_plus_the_check_and_the_value_the_reason():
    ann = waivers.kube_linter_annotations([("run-as-non-root", "the driver installer needs root"),
                                           ("no-read-only-root-fs", "writes the driver under /usr")], "gpu-driver")
    assert ann == {"ignore-check.kube-linter.io/run-as-non-root": "the driver installer needs root",
                   "ignore-check.kube-linter.io/no-read-only-root-fs": "writes the driver under /usr"}


@pytest.mark.parametrize("reason", ["", " \t "])
def test_a_kube_linter_waiver_without_a_reason_is_refused(reason):
    with pytest.raises(ValueError) as e:
        waivers.kube_linter_annotations([("privileged-container", reason)], "dcgm-exporter")
    assert str(e.value) == "waiver privileged-container on dcgm-exporter has no reason"


def test_host_root_waiver_accepts_ten_characters_and_refuses_nine_after_stripping():
    assert waivers.host_root_init_annotations([("install-driver", "0123456789")], "gpu-driver") == {
        "hybrid-gpu.io/host-root-init.install-driver": "0123456789"}
    with pytest.raises(ValueError) as e:
        waivers.host_root_init_annotations([("install-driver", "  012345678  ")], "gpu-driver")
    assert str(e.value) == "host-root waiver for install-driver on gpu-driver needs a reason (10+ characters)"


def test_cluster_admin_waiver_accepts_ten_characters_and_refuses_nine_after_stripping():
    assert waivers.cluster_admin_annotations("0123456789", "ack-console-admin") == {"hybrid-gpu.io/cluster-admin-reason": "0123456789"}
    with pytest.raises(ValueError) as e:
        waivers.cluster_admin_annotations("  012345678  ", "ack-console-admin")
    assert str(e.value) == "cluster-admin waiver on ack-console-admin needs a reason (10+ characters)"


def test_annotate_keeps_the_objects_annotations_and_adds_each_kind_of_waiver():
    obj = _obj(annotations={"owner": "platform-team"})
    out = waivers.annotate(obj, checkov=[("CKV_K8S_16", "the device plugin must be privileged")],
                           kube_linter=[("privileged-container", "the device plugin must be privileged")],
                           host_root_init=[("install", "installs the driver on the host")])
    assert out is obj
    assert obj["metadata"]["annotations"] == {
        "owner": "platform-team",
        "checkov.io/skip1": "CKV_K8S_16=the device plugin must be privileged",
        "ignore-check.kube-linter.io/privileged-container": "the device plugin must be privileged",
        "hybrid-gpu.io/host-root-init.install": "installs the driver on the host",
    }


def test_annotate_creates_the_annotations_and_names_the_object_in_a_refusal():
    obj = _obj()
    waivers.annotate(obj, kube_linter=[("latest-tag", "pinned by digest elsewhere")])
    assert obj["metadata"]["annotations"] == {"ignore-check.kube-linter.io/latest-tag": "pinned by digest elsewhere"}
    for kw, text in (("checkov", "waiver CKV_K8S_1 on gpu-agent needs"), ("kube_linter", "waiver CKV_K8S_1 on gpu-agent has"),
                     ("host_root_init", "host-root waiver for CKV_K8S_1 on gpu-agent")):
        with pytest.raises(ValueError, match=text):
            waivers.annotate(_obj(), **{kw: [("CKV_K8S_1", "")]})


def test_found_lists_every_waiver_the_program_writes_and_nothing_else():
    obj = _obj(kind="ClusterRoleBinding", name="ack-console", annotations={"owner": "platform-team"})
    waivers.annotate(obj, checkov=[("CKV_K8S_155", "the console role is the vendor's")],
                     kube_linter=[("access-to-secrets", "the console reads secrets by design")],
                     host_root_init=[("install", "installs the driver on the host")])
    obj["metadata"]["annotations"].update(waivers.cluster_admin_annotations("the console user asked for admin", "ack-console"))
    assert sorted(waivers.found(obj)) == [
        ("ClusterRoleBinding/ack-console", "CKV_K8S_155", "the console role is the vendor's"),
        ("ClusterRoleBinding/ack-console", "access-to-secrets", "the console reads secrets by design"),
        ("ClusterRoleBinding/ack-console", "k8s-allowed-host-paths:install", "installs the driver on the host"),
        ("ClusterRoleBinding/ack-console", "k8s-no-wildcard-verbs-on-secrets:cluster-admin",
         "the console user asked for admin"),
    ]


def test_found_on_an_object_without_annotations_is_empty():
    assert waivers.found(_obj()) == []
    assert waivers.found(_obj(annotations=None) | {"metadata": {"name": "x", "annotations": None}}) == []


def test_found_ends_a_checkov_check_id_at_the_first_equals_sign():
    # Check ids (CKV_K8S_<n>) hold no '='; an annotation written by hand with '=' in its reason
    # (checkov itself refuses it) still reports the id checkov would look for.
    obj = _obj(annotations={"checkov.io/skip1": "CKV_K8S_35=uses env=secret on purpose"})
    assert waivers.found(obj) == [("DaemonSet/gpu-agent", "CKV_K8S_35", "uses env=secret on purpose")]
