"""Placement weights: spread a workload's replicas over member clusters.

Pure code (no Pulumi). The inputs are plain numbers: for every candidate
cluster its tier, its static weight and its *capacity*, i.e. how many more
replicas of this workload it can host (see :mod:`hybrid.placement_capacity`).

Division method
    Webster / Sainte-Lague, applied seat by seat: the next replica goes to
    the cluster with the largest ``weight / (2 * seats + 1)``. Ties go to the
    cluster with fewer seats, then to the smaller rank (the cluster name, or a
    hash of ``tie_key`` and the name when a tie key is given, so that many
    small workloads do not all hand their odd replica to the same cluster).
    Because every replica count is the previous one plus one more seat, the
    method is house-monotone: adding a replica never takes one away. A cluster
    that reaches its capacity simply stops receiving seats, which is the same
    as clamping it and re-dividing the excess among the others.

Tiers
    Tier 0 (the IDC) takes new replicas up to its capacity before tier 1
    (cloud regions), and so on. Whatever fits in no tier is ``unplaced``.
    Scale-in removes replicas from the highest tier first; inside a tier the
    cut is proportional to the replicas each cluster runs (Webster again,
    weights = current replicas).

Stability
    ``previous`` (what each cluster runs today) stays where it is on
    scale-out; only the difference is divided. Previous replicas of clusters
    that are no longer candidates, and replicas reported ``pending`` (assigned
    but not running), are given back and placed again.

Strategies
    ``static``: the clusters' weights (all zero: equal weights).
    ``dynamic``: weight = capacity.
    ``aggregated``: as few clusters as possible: clusters that already run the
    workload first, then the largest capacity, each filled to capacity.
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from hybrid.errors import ConfigError, ConfigIssue

STRATEGIES: tuple[str, ...] = ("static", "dynamic", "aggregated")

# Float priorities w / (2s + 1) order exactly as the fractions do while
# w * (2s + 1) stays below 2**50 (IEEE division is correctly rounded, so equal
# fractions give equal floats and distinct ones stay apart). Past that bound
# the heap switches to exact fractions.
_FLOAT_EXACT_LIMIT = 2**50


@dataclass(frozen=True)
class Candidate:
    """One member cluster as the calculator sees it."""

    name: str
    capacity: int
    tier: int = 0
    weight: int = 1


@dataclass(frozen=True)
class PlacementResult:
    """Result for one workload. Dicts list every candidate, sorted by name."""

    assignments: dict[str, int]
    unplaced: int
    capacity: dict[str, int]
    weights: dict[str, int]
    strategy: str = "dynamic"
    kept: dict[str, int] = field(default_factory=dict)

    @property
    def placed(self) -> int:
        return sum(self.assignments.values())

    def contract(self) -> dict[str, object]:
        """The CLI's JSON shape."""
        return {"assignments": dict(self.assignments), "unplaced": self.unplaced, "capacity": dict(self.capacity)}


def tie_ranks(names: Sequence[str], tie_key: str = "") -> list[tuple[str, str]]:
    """Rank used to break exact ties: the name, or a per-workload hash of it first."""
    if not tie_key:
        return [("", n) for n in names]
    return [(hashlib.sha256(f"{tie_key}\x00{n}".encode()).hexdigest(), n) for n in names]


def webster(seats: int, weights: Sequence[int], caps: Sequence[int], ranks: Sequence[object] | None = None) -> list[int]:
    """Divide ``seats`` by Webster's method with per-cluster ceilings.

    Clusters with zero weight or zero cap get nothing. Returns the seat
    counts; their sum is ``min(seats, sum of caps of clusters with weight)``.
    """
    n = len(weights)
    out = [0] * n
    if seats <= 0 or n == 0:
        return out
    ranks = list(ranks) if ranks is not None else list(range(n))
    top = max(weights, default=0)
    exact = top * (2 * seats + 1) >= _FLOAT_EXACT_LIMIT
    heap: list[tuple[Any, ...]] = []
    for i in range(n):
        if weights[i] > 0 and caps[i] > 0:
            heap.append((-Fraction(weights[i]) if exact else -float(weights[i]), 0, ranks[i], i))
    heapq.heapify(heap)
    left = seats
    while left and heap:
        _, s, rank, i = heap[0]
        s += 1
        out[i] = s
        left -= 1
        if s >= caps[i]:
            heapq.heappop(heap)
        else:
            w = weights[i]
            prio = -Fraction(w, 2 * s + 1) if exact else -(w / (2 * s + 1))
            heapq.heapreplace(heap, (prio, s, rank, i))
    return out


def _fill_in_order(seats: int, order: Iterable[int], caps: Sequence[int], n: int) -> list[int]:
    """Aggregated division: fill clusters to capacity in the given order."""
    out = [0] * n
    for i in order:
        if seats <= 0:
            break
        take = min(seats, caps[i])
        out[i] = take
        seats -= take
    return out


def pending_problem(previous: Mapping[str, int], pending: Mapping[str, int]) -> tuple[str, str] | None:
    """The rule ``pending`` obeys wherever it is given (stack model and CLI): it counts replicas of
    ``previous`` that are not running, so it can exceed it nowhere. (message, fix) or None."""
    for cluster, n in sorted(pending.items()):
        if n > previous.get(cluster, 0):
            return (f"pending[{cluster}] = {n} is more than previous[{cluster}] = {previous.get(cluster, 0)}.",
                    "pending counts replicas of previous that are not running; lower it or raise previous.")
    return None


def _check(replicas: int, candidates: Sequence[Candidate], strategy: str,
           previous: Mapping[str, int], pending: Mapping[str, int]) -> None:
    issues: list[ConfigIssue] = []
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        issues.append(ConfigIssue("replicas", f"{replicas!r} is not a non-negative integer.", "give a whole number of replicas, 0 or more."))
    if strategy not in STRATEGIES:
        issues.append(ConfigIssue("strategy", f"{strategy!r} is not a strategy.", f"use one of {', '.join(STRATEGIES)}."))
    seen: set[str] = set()
    for i, c in enumerate(candidates):
        if c.name in seen:
            issues.append(ConfigIssue(f"clusters[{i}].name", f"cluster {c.name!r} is listed twice.", "list each cluster once."))
        seen.add(c.name)
        for attr in ("capacity", "tier", "weight"):
            v = getattr(c, attr)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                issues.append(ConfigIssue(f"clusters[{i}].{attr}", f"{v!r} is not a non-negative integer.", f"give {attr} as a whole number, 0 or more."))
    for label, mapping in (("previous", previous), ("pending", pending)):
        for name, v in mapping.items():
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                issues.append(ConfigIssue(f"{label}.{name}", f"{v!r} is not a non-negative integer.", "give a whole number of replicas."))
    if issues:
        raise ConfigError(issues)


def place(
    replicas: int,
    candidates: Sequence[Candidate],
    strategy: str = "dynamic",
    previous: Mapping[str, int] | None = None,
    pending: Mapping[str, int] | None = None,
    tie_key: str = "",
) -> PlacementResult:
    """Assign ``replicas`` to ``candidates``. See the module docstring for the rules.

    Invalid numbers raise :class:`ConfigError` naming the field; running out of
    room never raises, it shows up as ``unplaced``.
    """
    previous = dict(previous or {})
    pending = dict(pending or {})
    _check(replicas, candidates, strategy, previous, pending)

    n = len(candidates)
    names = [c.name for c in candidates]
    ranks = tie_ranks(names, tie_key)
    caps = [c.capacity for c in candidates]
    # What each candidate keeps from the previous round. Clusters that left the
    # candidate set are simply not looked up, so their replicas come back.
    kept = [max(previous.get(c.name, 0) - pending.get(c.name, 0), 0) for c in candidates]

    if strategy == "static":
        weights = [c.weight for c in candidates]
        if not any(weights):
            weights = [1] * n
    else:
        weights = list(caps)

    tiers = sorted({c.tier for c in candidates})
    members = {t: [i for i in range(n) if candidates[i].tier == t] for t in tiers}
    total_kept = sum(kept)
    result = list(kept)

    if replicas <= total_kept:
        # Scale-in (or steady): cut from the highest tier down, proportionally inside a tier.
        cut = total_kept - replicas
        for t in reversed(tiers):
            if cut == 0:
                break
            idx = members[t]
            tier_kept = sum(kept[i] for i in idx)
            take = min(cut, tier_kept)
            if take:
                local = [kept[i] for i in idx]
                share = webster(tier_kept - take, local, local, [ranks[i] for i in idx])
                for i, s in zip(idx, share):
                    result[i] = s
            cut -= take
        unplaced = 0
    else:
        # Scale-out: keep what runs, divide only the difference, tier by tier.
        left = replicas - total_kept
        for t in tiers:
            if left == 0:
                break
            idx = members[t]
            local_caps = [caps[i] for i in idx]
            if strategy == "aggregated":
                order = sorted(range(len(idx)), key=lambda j: (kept[idx[j]] == 0, -local_caps[j], ranks[idx[j]]))
                share = _fill_in_order(left, order, local_caps, len(idx))
            else:
                share = webster(left, [weights[i] for i in idx], local_caps, [ranks[i] for i in idx])
            for i, s in zip(idx, share):
                result[i] += s
                left -= s
        unplaced = left

    order = sorted(range(n), key=lambda i: names[i])
    return PlacementResult(
        assignments={names[i]: result[i] for i in order},
        unplaced=unplaced,
        capacity={names[i]: caps[i] for i in order},
        weights={names[i]: weights[i] for i in order},
        strategy=strategy,
        kept={names[i]: kept[i] for i in order},
    )
