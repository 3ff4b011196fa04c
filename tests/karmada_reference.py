"""Reference model of Karmada v1.18.2's static-weight division, written from its Go source
for the tests only (independent of hybrid/placement.py and hybrid/fleet.py).

Read at karmada-io/karmada@v1.18.2 (commit 0533b555e040596f4fff9b6a344efbaeed71d0cc):

* pkg/scheduler/core/assignment.go, ``assignByStaticWeightStrategy``: a fresh
  ``Dispenser`` for ``spec.Replicas`` with no initial result (the previous schedule is
  not used), over ``getStaticWeightInfoList``.
* pkg/scheduler/core/division_algorithm.go, ``getStaticWeightInfoList``: for every
  candidate cluster the largest weight of the rules that match it; clusters whose weight
  is 0 are left out; if the sum is 0 every candidate gets weight 1.
* pkg/util/helper/binding.go, ``AllocateByWeight`` and ``tieBreakerByUID``: Webster seats;
  on a tie the party with fewer seats wins, then the name, ascending when the FNV-32a
  hash of the resource UID is even (or the UID is empty), descending when it is odd.
* pkg/util/helper/webstermethod.go, ``WebsterPriorityQueue.Less`` and
  ``AllocateWebsterSeats``: priority ``float64(votes) / float64(2*seats+1)``; each of the
  replicas pops the top party, gives it a seat and pushes it back.

The heap is replaced by a linear scan for the top party under the same ordering (the
ordering is total, so the chosen party is the same).
"""

from __future__ import annotations

from typing import Mapping, Sequence


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def names_descending(uid: str) -> bool:
    """tieBreakerByUID: descending names when the UID's FNV-32a hash is odd."""
    return bool(uid) and fnv32a(uid.encode()) & 1 == 1


def static_weight_list(candidates: Sequence[str], rules: Sequence[tuple[Sequence[str], int]]) -> dict[str, int]:
    """getStaticWeightInfoList for rules that match by clusterNames."""
    weights = {}
    for c in candidates:
        w = 0
        for names, weight in rules:
            if c in names:
                w = max(w, weight)
        if w > 0:
            weights[c] = w
    if sum(weights.values()) == 0:
        weights = {c: 1 for c in candidates}
    return weights


def _wins(a: tuple[str, int, int], b: tuple[str, int, int], descending: bool) -> bool:
    """WebsterPriorityQueue.Less(a, b) with tieBreakerByUID; parties are (name, votes, seats)."""
    pa = float(a[1]) / float(2 * a[2] + 1)
    pb = float(b[1]) / float(2 * b[2] + 1)
    if pa != pb:
        return pa > pb
    if a[2] != b[2]:
        return a[2] < b[2]
    return a[0] > b[0] if descending else a[0] < b[0]


def allocate_webster(seats: int, votes: Mapping[str, int], descending: bool) -> dict[str, int]:
    parties = [(name, v, 0) for name, v in votes.items()]
    for _ in range(seats):
        top = 0
        for i in range(1, len(parties)):
            if _wins(parties[i], parties[top], descending):
                top = i
        name, v, s = parties[top]
        parties[top] = (name, v, s + 1)
    return {name: s for name, _, s in sorted(parties)}


def divide(replicas: int, candidates: Sequence[str], rules: Sequence[tuple[Sequence[str], int]], uid: str = "") -> dict[str, int]:
    """Replicas per cluster Karmada assigns under a staticWeightList."""
    return allocate_webster(replicas, static_weight_list(candidates, rules), names_descending(uid))


def divide_policy(replicas: int, policy: dict, descending: bool) -> dict[str, int]:
    """Karmada's division of a PropagationPolicy document's static weights; the candidates are
    its clusterAffinity.clusterNames (all members, all ready)."""
    placement = policy["spec"]["placement"]
    candidates = placement["clusterAffinity"]["clusterNames"]
    rules = [(e["targetCluster"]["clusterNames"], e["weight"])
             for e in placement["replicaScheduling"]["weightPreference"]["staticWeightList"]]
    return allocate_webster(replicas, static_weight_list(candidates, rules), descending)
