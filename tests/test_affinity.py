"""The nodeAffinity/taint matcher follows the Kubernetes API semantics."""

from __future__ import annotations

import pytest

from tests.k8s_affinity import Node, SelectorError, placement, requirement_matches, term_matches, toleration_matches


def _spec(*terms, tolerations=None, node_selector=None):
    spec = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    if node_selector is not None:
        spec["nodeSelector"] = node_selector
    return spec


@pytest.mark.parametrize("op,values,labels,expected", [
    ("In", ["a", "b"], {"k": "a"}, True),
    ("In", ["a"], {"k": "c"}, False),
    ("In", ["a"], {}, False),
    ("NotIn", ["a"], {"k": "b"}, True),
    ("NotIn", ["a"], {}, True),  # absent label satisfies NotIn
    ("NotIn", ["a"], {"k": "a"}, False),
    ("Exists", [], {"k": ""}, True),
    ("Exists", [], {}, False),
    ("DoesNotExist", [], {}, True),
    ("DoesNotExist", [], {"k": "x"}, False),
    ("Gt", ["3"], {"k": "4"}, True),
    ("Gt", ["3"], {"k": "3"}, False),
    ("Gt", ["3"], {"k": "many"}, False),  # non-integer label never matches
    ("Lt", ["3"], {"k": "2"}, True),
    ("Lt", ["3"], {}, False),
])
def test_operators(op, values, labels, expected):
    assert requirement_matches({"key": "k", "operator": op, "values": values}, labels) is expected


@pytest.mark.parametrize("req", [
    {"key": "k", "operator": "Near", "values": ["a"]},
    {"key": "k", "operator": "In", "values": []},
    {"key": "k", "operator": "Exists", "values": ["a"]},
    {"key": "k", "operator": "Gt", "values": ["1", "2"]},
    {"key": "k", "operator": "Lt", "values": ["x"]},
])
def test_invalid_requirements_are_rejected(req):
    with pytest.raises(SelectorError):
        requirement_matches(req, {"k": "1"})


def test_terms_are_ored_and_expressions_anded():
    a = {"matchExpressions": [{"key": "x", "operator": "In", "values": ["1"]}, {"key": "y", "operator": "In", "values": ["1"]}]}
    b = {"matchExpressions": [{"key": "z", "operator": "Exists"}]}
    spec = _spec(a, b)
    assert placement(spec, Node("n", {"x": "1", "y": "1"}))[0]
    assert not placement(spec, Node("n", {"x": "1", "y": "2"}))[0]  # AND inside a term
    assert placement(spec, Node("n", {"z": ""}))[0]  # OR across terms
    assert placement(spec, Node("n", {"x": "1"}))[1] == "nodeAffinity"


def test_empty_terms_match_nothing_and_match_fields_uses_the_name():
    assert not term_matches({}, Node("n", {"a": "b"}))
    assert not placement(_spec(), Node("n"))[0]
    by_name = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["gpu-1"]}]}
    assert placement(_spec(by_name), Node("gpu-1"))[0]
    assert not placement(_spec(by_name), Node("gpu-2"))[0]
    with pytest.raises(SelectorError):
        term_matches({"matchFields": [{"key": "spec.unschedulable", "operator": "Exists"}]}, Node("n"))


def test_no_affinity_and_node_selector():
    assert placement({}, Node("n"))[0]
    spec = {"nodeSelector": {"kubernetes.io/os": "linux"}}
    assert placement(spec, Node("n", {"kubernetes.io/os": "linux"}))[0]
    assert placement(spec, Node("n", {"kubernetes.io/os": "windows"})) == (False, "nodeSelector")


def test_taints_and_tolerations():
    vk = {"key": "virtual-kubelet.io/provider", "value": "alibabacloud", "effect": "NoSchedule"}
    soft = {"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"}
    node = Node("vk", {}, [vk, soft])
    assert placement({}, node) == (False, "taint virtual-kubelet.io/provider:NoSchedule")
    assert placement({"tolerations": [{"operator": "Exists"}]}, node)[0]  # empty key + Exists tolerates all
    assert placement({"tolerations": [{"key": "virtual-kubelet.io/provider", "operator": "Exists"}]}, node)[0]
    assert not placement({"tolerations": [{"key": "virtual-kubelet.io/provider", "value": "other"}]}, node)[0]
    assert not placement({"tolerations": [{"operator": "Exists", "effect": "NoExecute"}]}, node)[0]
    assert toleration_matches({"key": "virtual-kubelet.io/provider", "value": "alibabacloud", "effect": "NoSchedule"}, vk)
    assert placement({}, Node("soft", {}, [soft]))[0]  # PreferNoSchedule never blocks
