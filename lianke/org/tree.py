"""The department tree as code reads it: every department's parent and name, siblings in the
order the database sorts them (``sort_order``, then name), from one plain query — kept for the
web or API request that asked — with ancestors, descendants, paths and tree order walked in
Python. An organisation has tens to hundreds of departments; building django-tree-queries'
recursive query cost 3–4 ms of Python each time, and a list page asked three times."""

from __future__ import annotations

from dataclasses import dataclass, field

from lianke.core import configcache, context


@dataclass
class Tree:
    parent: dict[int, int | None] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    children: dict[int | None, list[int]] = field(default_factory=dict)

    def order(self) -> list[int]:
        """Every department, depth first, siblings in their order (what the tree queries' order
        was); a department whose parent is missing starts a branch of its own."""
        return self._depth_first([pk for pk, parent in self.parent.items() if parent not in self.parent])

    def ancestors(self, pk: int) -> list[int]:
        """``pk`` and the departments above it, from the top down."""
        chain: list[int] = []
        while pk in self.parent and pk not in chain:
            chain.append(pk)
            pk = self.parent[pk]  # type: ignore[assignment]
        return chain[::-1]

    def descendants(self, pk: int) -> list[int]:
        """``pk`` and every department below it (none if it does not exist)."""
        return self._depth_first([pk]) if pk in self.parent else []

    def _depth_first(self, starts: list[int]) -> list[int]:
        result: list[int] = []
        seen: set[int] = set()
        stack = list(reversed(starts))
        while stack:
            pk = stack.pop()
            if pk in seen:  # a loop in the data: each department once
                continue
            seen.add(pk)
            result.append(pk)
            stack.extend(reversed(self.children.get(pk, [])))
        return result


def tree() -> Tree:
    """The departments, read once per web or API request and kept across requests while the
    configuration is unchanged (``core.configcache``); fresh for any other caller."""
    ctx = context.current()
    cache = ctx.cache if ctx is not None and ctx.request is not None else {}
    if "department_tree" not in cache:
        cache["department_tree"] = configcache.cached("department_tree", _load)
    return cache["department_tree"]


def _load() -> Tree:
    from .models import Department

    loaded = Tree()
    for pk, parent, name in Department.objects.order_by("sort_order", "name", "pk").values_list(
        "pk", "parent_id", "name"
    ):
        loaded.parent[pk], loaded.names[pk] = parent, name
        loaded.children.setdefault(parent, []).append(pk)
    return loaded
