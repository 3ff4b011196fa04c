"""A stand-in apiserver for server-side apply: field ownership and merging, no etcd.

No kube-apiserver is installable here (Debian bookworm ships etcd-server but no
apiserver; PyPI has no wheel with envtest binaries), so the replay uses this model of
the apiserver's structured-merge-diff rules (Kubernetes docs "Server-Side Apply";
sigs.k8s.io/structured-merge-diff):

* an applied configuration's *field set* is its leaves, plus one member per item of a
  ``map`` list (keyed by the list's keys), the item's own fields beneath it; an
  ``atomic`` list or an atomic struct is a single leaf;
* apply with manager M: a field in the set that another manager owns with a different
  value is a conflict; without force the apply fails listing every conflict, with
  force the other managers lose those fields; equal values are shared;
* the object becomes the live object merged with the configuration (maps by key,
  ``map`` lists by item key, everything else replaced); a field M owned before, does
  not apply now and nobody else owns is removed; M then owns exactly the set;
* an *Update* (kubectl's client-side apply, a controller's PUT) makes its manager own
  every field it sent.

Limits, stated: list types come from a table of the fields this replay meets (the
core/v1 and apps/v1 tags ``+listType`` / ``+listMapKey`` at Kubernetes 1.30, and the
Calico CRDs' ``x-kubernetes-list-type``), other lists are atomic as the apiserver
treats a list with no list type in a CRD; no defaulting, no validation, no
``metadata.generation``; ownership of a map itself (``.`` in fieldsV1) is not tracked.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str, ...]

# field name -> list-map keys, for the lists this replay meets (k8s.io/api core/v1 types.go,
# apps/v1 types.go at release-1.30). A list not named here is atomic.
MAP_LISTS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "ports": ("containerPort", "protocol"),
    "imagePullSecrets": ("name",),
}
# Identity fields: never owned (they name the object, they are not state).
IDENTITY = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}


class Conflict(Exception):
    def __init__(self, conflicts: list[tuple[str, Path]]):
        self.conflicts = [(m, ".".join(p)) for m, p in conflicts]
        super().__init__("Apply failed with conflicts: " + "; ".join(f"{m} owns {p}" for m, p in self.conflicts))


class NotFound(Exception):
    pass


def _item_key(name: str, item: Any) -> str:
    keys = MAP_LISTS[name]
    return "k:" + json.dumps({k: item.get(k, "TCP" if k == "protocol" else None) for k in keys}, sort_keys=True)


def fieldset(obj: Any, prefix: Path = ()) -> dict[Path, Any]:
    """Path -> value for every member of the field set of ``obj`` (values for conflict checks)."""
    out: dict[Path, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = prefix + (k,)
            if isinstance(v, dict) and v:
                out.update(fieldset(v, p))
            elif isinstance(v, list) and k in MAP_LISTS:
                for item in v:
                    ip = p + (_item_key(k, item),)
                    out[ip] = None  # the item itself
                    out.update(fieldset(item, ip))
            else:
                out[p] = copy.deepcopy(v)
    return {p: v for p, v in out.items() if p not in IDENTITY}


def _get(obj: Any, path: Path) -> tuple[bool, Any]:
    cur = obj
    for i, part in enumerate(path):
        if part.startswith("k:") and isinstance(cur, list):
            name = path[i - 1]
            found = [it for it in cur if _item_key(name, it) == part]
            if not found:
                return False, None
            cur = found[0]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return False, None
    return True, cur


def _merge(live: Any, cfg: Any, name: str = "") -> Any:
    if isinstance(live, dict) and isinstance(cfg, dict):
        out = dict(live)
        for k, v in cfg.items():
            out[k] = _merge(live[k], v, k) if k in live else copy.deepcopy(v)
        return out
    if isinstance(live, list) and isinstance(cfg, list) and name in MAP_LISTS:
        out = [copy.deepcopy(it) for it in live]
        index = {_item_key(name, it): i for i, it in enumerate(out)}
        for item in cfg:
            k = _item_key(name, item)
            if k in index:
                out[index[k]] = _merge(out[index[k]], item)
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(cfg)


def _remove(obj: Any, path: Path) -> None:
    parent_path, last = path[:-1], path[-1]
    ok, parent = _get(obj, parent_path)
    if not ok:
        return
    if last.startswith("k:") and isinstance(parent, list):
        parent[:] = [it for it in parent if _item_key(parent_path[-1], it) != last]
    elif isinstance(parent, dict):
        parent.pop(last, None)
    # A map left empty by the removal goes too (it held only the removed field); nothing else is touched.
    while parent_path:
        ok, node = _get(obj, parent_path)
        if not (ok and isinstance(node, dict) and not node):
            break
        _remove_key(obj, parent_path)
        parent_path = parent_path[:-1]


def _remove_key(obj: Any, path: Path) -> None:
    ok, parent = _get(obj, path[:-1])
    if ok and isinstance(parent, dict):
        parent.pop(path[-1], None)


@dataclass
class Stored:
    obj: dict
    managers: dict[str, dict[Path, Any]] = field(default_factory=dict)  # manager -> owned paths
    operations: dict[str, str] = field(default_factory=dict)  # manager -> Apply | Update


Key = tuple[str, str, str, str]  # group, kind, namespace, name


def key_of(obj: dict) -> Key:
    meta = obj.get("metadata") or {}
    return obj["apiVersion"].rpartition("/")[0], obj["kind"], meta.get("namespace", ""), meta["name"]


class Apiserver:
    def __init__(self) -> None:
        self.objects: dict[Key, Stored] = {}
        self.deleted: list[Key] = []

    # -- the writes a cluster sees before this program -------------------------------
    def update(self, manager: str, obj: dict) -> None:
        """Create or replace through an Update (kubectl client-side apply, a controller's write)."""
        k = key_of(obj)
        st = self.objects.get(k) or Stored(obj={})
        st.obj = copy.deepcopy(obj)
        owned = fieldset(obj)
        for m in st.managers:  # an Update takes every field it sent
            st.managers[m] = {p: v for p, v in st.managers[m].items() if p not in owned}
        st.managers[manager] = owned
        st.operations[manager] = "Update"
        self.objects[k] = st

    # -- server-side apply ------------------------------------------------------------
    def apply(self, manager: str, cfg: dict, force: bool = False, must_exist: bool = False) -> dict:
        k = key_of(cfg)
        if k not in self.objects:
            if must_exist:
                raise NotFound(k)
            self.objects[k] = Stored(obj={"apiVersion": cfg["apiVersion"], "kind": cfg["kind"],
                                          "metadata": {x: y for x, y in cfg["metadata"].items() if x in ("name", "namespace")}})
        st = self.objects[k]
        new = fieldset(cfg)
        conflicts = []
        for m, owned in st.managers.items():
            if m == manager:
                continue
            for p in new:
                if p in owned:
                    _, live_v = _get(st.obj, p)
                    if p[-1].startswith("k:") or live_v == new[p]:
                        continue  # an item's existence or an equal value: shared, no conflict
                    conflicts.append((m, p))
        if conflicts and not force:
            raise Conflict(sorted(conflicts))
        for m, p in conflicts:
            st.managers[m].pop(p, None)
        previous = st.managers.get(manager, {})
        st.obj = _merge(st.obj, cfg)
        for p in previous:
            if p not in new and not any(p in o for m, o in st.managers.items() if m != manager):
                _remove(st.obj, p)
        st.managers[manager] = new
        st.operations[manager] = "Apply"
        return copy.deepcopy(st.obj)

    def delete(self, k: Key) -> None:
        self.deleted.append(k)
        self.objects.pop(k, None)

    def get(self, k: Key) -> dict:
        if k not in self.objects:
            raise NotFound(k)
        return copy.deepcopy(self.objects[k].obj)

    def owners(self, k: Key) -> dict[str, list[str]]:
        return {m: sorted(".".join(p) for p in owned) for m, owned in self.objects[k].managers.items() if owned}


def leaves(obj: Any) -> dict[str, Any]:
    """Every leaf of an object as dotted path -> value (map-list items by key), for before/after diffs."""
    return {".".join(p): v for p, v in fieldset(obj).items() if not p[-1].startswith("k:")}


def diff(before: dict, after: dict) -> list[str]:
    b, a = leaves(before), leaves(after)
    out = []
    for p in sorted(set(b) | set(a)):
        if p not in a:
            out.append(f"- {p} = {json.dumps(b[p])}")
        elif p not in b:
            out.append(f"+ {p} = {json.dumps(a[p])}")
        elif a[p] != b[p]:
            out.append(f"~ {p}: {json.dumps(b[p])} -> {json.dumps(a[p])}")
    return out

