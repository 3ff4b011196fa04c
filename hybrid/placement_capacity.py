"""How many more replicas of one workload a cluster can host.

Quantities are read the way Kubernetes writes them (``500m``, ``1.5Gi``,
``2e3``, ``40Ti``, plain numbers) and turned into integers of a base unit:
millicores for ``cpu``, plain units (bytes, devices, pods) for everything else.
Rounding is always in the cautious direction: what a cluster *offers*
(allocatable) is rounded down, what is *used or asked for* (allocated,
allocating, request) is rounded up. A replica is never promised on a fraction
of a unit that does not exist.

Three sources of capacity, from coarse to precise:

* ``FixedCapacity``: a number someone else computed (Karmada's
  ``availableReplicas``, a Serverless quota).
* ``AggregateCapacity``: cluster totals (allocatable - allocated - allocating).
  ``min over resources of floor(free / request)``, and the pod-count limit.
  This is what Karmada's general estimator does; it cannot see that 8 free
  GPUs spread one per node cannot host a 2-GPU replica.
* ``NodeCapacity``: the same formula per node, summed. It sees fragmentation.

Every source can also ``consume`` replicas, which is how the platform places
several workloads in turn without promising the same GPU twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Mapping, Sequence, Union

Quantity = Union[str, int, float]
Resources = Mapping[str, Quantity]

CPU = "cpu"
PODS = "pods"

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": Fraction(1),
            "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
            "P": Fraction(10**15), "E": Fraction(10**18)}


class QuantityError(ValueError):
    """A value that is not a Kubernetes quantity (message says what is accepted)."""


def _split_number(text: str) -> tuple[str, str]:
    """Split ``"1.5Gi"`` into ``("1.5", "Gi")``; the number may carry a sign."""
    i = 0
    if i < len(text) and text[i] in "+-":
        i += 1
    while i < len(text) and (text[i].isdigit() or text[i] == "."):
        i += 1
    return text[:i], text[i:]


# Bounds that keep exact arithmetic cheap: Kubernetes itself caps quantities at 63-bit
# integers (resource.Quantity), so nothing real needs more than 2**63 base units.
# source: kubernetes/apimachinery pkg/api/resource/quantity.go (int64 scaled values)
MAX_QUANTITY_CHARS = 64
MAX_EXPONENT = 18
MAX_VALUE = Fraction(2**63)


@lru_cache(maxsize=65536)
def _parse_text(text: str) -> Fraction:
    if len(text) > MAX_QUANTITY_CHARS:
        raise QuantityError(f"{text[:20]!r}... is longer than {MAX_QUANTITY_CHARS} characters.")
    if not text.isascii():
        # str.isdigit() accepts full-width and Arabic-Indic digits; Kubernetes does not.
        raise QuantityError(f"{text!r} contains non-ASCII characters (only ASCII digits are quantities).")
    number, suffix = _split_number(text.strip())
    digits = number.lstrip("+-")
    if not digits or digits == "." or digits.count(".") > 1:
        raise QuantityError(f"{text!r} is not a Kubernetes quantity.")
    value = Fraction(number)
    if suffix in _BINARY:
        return _bounded(text, value * _BINARY[suffix])
    if suffix in _DECIMAL:
        return _bounded(text, value * _DECIMAL[suffix])
    if suffix[:1] in ("e", "E") and suffix[1:].lstrip("+-").isdigit():
        exponent = int(suffix[1:])
        if abs(exponent) > MAX_EXPONENT:
            raise QuantityError(f"{text!r} has an exponent beyond +-{MAX_EXPONENT}.")
        return _bounded(text, value * Fraction(10) ** exponent)
    raise QuantityError(f"{text!r} has an unknown suffix {suffix!r}.")


def _bounded(text: object, value: Fraction) -> Fraction:
    if abs(value) > MAX_VALUE:
        raise QuantityError(f"{text!r} is above 2^63, more than Kubernetes can represent.")
    return value


def parse_quantity(value: Quantity) -> Fraction:
    """Exact value of a quantity, in the resource's natural unit (cores, bytes, ...).

    Raises :class:`QuantityError` for booleans, negative numbers, NaN and
    anything Kubernetes would not accept.
    """
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is a boolean, not a quantity.")
    if isinstance(value, int):
        result = _bounded(value, Fraction(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(f"{value!r} is not a finite number.")
        result = _bounded(value, Fraction(repr(value)))
    elif isinstance(value, str):
        result = _parse_text(value)
    else:
        raise QuantityError(f"{value!r} is neither a string nor a number.")
    if result < 0:
        raise QuantityError(f"{value!r} is negative.")
    return result


# Node lists repeat the same few quantity strings endlessly; converting each distinct
# (resource, value) once keeps 100k nodes well under a second. typed: 1, 1.0 and True are
# different inputs (a boolean is refused, a float is read through its repr).
@lru_cache(maxsize=65536, typed=True)
def _convert(resource: str, value: Quantity, round_up: bool) -> int:
    exact = parse_quantity(value) * (1000 if resource == CPU else 1)  # cpu in millicores
    return math.ceil(exact) if round_up else math.floor(exact)


def offered(resource: str, value: Quantity) -> int:
    """Allocatable amount in base units (millicores for cpu), rounded down."""
    return _convert(resource, value, False)


def used(resource: str, value: Quantity) -> int:
    """Allocated / allocating / requested amount in base units, rounded up."""
    return _convert(resource, value, True)


def normalise_request(request: Resources) -> dict[str, int]:
    """The per-replica request in base units, zero entries dropped, sorted by name.

    ``pods`` in a request is ignored: every replica is exactly one pod, and
    the pod-count limit is applied separately.
    """
    out = {}
    for name in sorted(request):
        if name == PODS:
            continue
        amount = used(name, request[name])
        if amount > 0:
            out[name] = amount
    return out


def fit(request: Mapping[str, int], allocatable: Resources, *taken: Resources) -> int | None:
    """Replicas of ``request`` (base units) that fit in ``allocatable`` minus ``taken``.

    ``None`` means "no limit at all": nothing is requested and no pod count is
    known. A requested resource the side does not offer fits zero replicas,
    as in Kubernetes (a GPU pod never lands on a node without GPUs).
    """
    best: int | None = None
    if PODS in allocatable:
        free = offered(PODS, allocatable[PODS])
        for t in taken:
            if PODS in t:
                free -= used(PODS, t[PODS])
        best = free if free > 0 else 0
        if best == 0:
            return 0
    for name, amount in request.items():
        have = allocatable.get(name)
        if have is None:
            return 0
        free = offered(name, have)
        for t in taken:
            u = t.get(name)
            if u is not None:
                free -= used(name, u)
        n = free // amount if free > 0 else 0
        if best is None or n < best:
            if n == 0:
                return 0
            best = n
    return best


def _add(base: Resources, request: Mapping[str, int], replicas: int) -> dict[str, Quantity]:
    """``base`` plus ``replicas`` x ``request`` (one pod each), in base units.

    CPU is written back as a millicore string so that it re-parses exactly.
    """
    out: dict[str, Quantity] = {k: v for k, v in base.items()}
    for name, amount in list(request.items()) + [(PODS, 1)]:
        total = used(name, out.get(name, 0)) + amount * replicas
        out[name] = f"{total}m" if name == CPU else total
    return out


class UnboundedCapacity(ValueError):
    """The request is empty and the cluster states no pod limit."""


@dataclass(frozen=True)
class FixedCapacity:
    """Capacity given as a replica count (an estimator's answer, a Serverless quota)."""

    replicas: int

    def replicas_for(self, request: Mapping[str, int]) -> int:
        return max(self.replicas, 0)

    def consume(self, request: Mapping[str, int], replicas: int) -> "FixedCapacity":
        return FixedCapacity(max(self.replicas - replicas, 0))


@dataclass(frozen=True)
class AggregateCapacity:
    """Cluster totals, as in a Karmada ``Cluster.status.resourceSummary``."""

    allocatable: Resources
    allocated: Resources = field(default_factory=dict)
    allocating: Resources = field(default_factory=dict)

    def replicas_for(self, request: Mapping[str, int]) -> int:
        n = fit(request, self.allocatable, self.allocated, self.allocating)
        if n is None:
            raise UnboundedCapacity("the request is empty and allocatable has no pods limit")
        return n

    def consume(self, request: Mapping[str, int], replicas: int) -> "AggregateCapacity":
        # Replicas just placed are not bound yet: they count as allocating.
        return AggregateCapacity(self.allocatable, self.allocated, _add(self.allocating, request, replicas))


@dataclass(frozen=True)
class Node:
    allocatable: Resources
    allocated: Resources = field(default_factory=dict)


@dataclass(frozen=True)
class NodeCapacity:
    """Per-node view: floor per node, then the sum. Sees GPU fragmentation."""

    nodes: Sequence[Node]

    def per_node(self, request: Mapping[str, int]) -> list[int]:
        counts = []
        for node in self.nodes:
            n = fit(request, node.allocatable, node.allocated)
            if n is None:
                raise UnboundedCapacity("the request is empty and a node has no pods limit")
            counts.append(n)
        return counts

    def replicas_for(self, request: Mapping[str, int]) -> int:
        return sum(self.per_node(request))

    def consume(self, request: Mapping[str, int], replicas: int) -> "NodeCapacity":
        """Bind ``replicas`` first-fit in node order (what a bin-packing kube-scheduler would do)."""
        counts = self.per_node(request)
        nodes = list(self.nodes)
        left = replicas
        for i, n in enumerate(counts):
            if left == 0:
                break
            take = min(n, left)
            if take:
                nodes[i] = Node(nodes[i].allocatable, _add(nodes[i].allocated, request, take))
                left -= take
        return NodeCapacity(tuple(nodes))


CapacitySource = Union[FixedCapacity, AggregateCapacity, NodeCapacity]

