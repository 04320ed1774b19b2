"""Uses of the engine that business apps declare (customer registration, transfer requests,
later campaign expenses, quotes, discounts): a key a flow names in ``ApprovalFlow.purpose``,
the object type it is about (its flows are offered on that type in the flow editor), and what
happens when an approval of it is submitted and decided. The handlers run inside the
approval's transaction (a failure undoes the decision) and get ``(approval, record, actor)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[Any, Any, Any], None]


@dataclass(frozen=True)
class Purpose:
    key: str
    label: Any
    on_approved: Handler | None = None
    on_rejected: Handler | None = None
    # Who may submit: the record's edit permission unless the purpose checks for itself.
    needs_edit: bool = True
    object_type: str = ""  # "" : any type


_purposes: dict[str, Purpose] = {}


def declare(
    key: str,
    *,
    label: Any,
    on_approved: Handler | None = None,
    on_rejected: Handler | None = None,
    needs_edit: bool = True,
    object_type: str = "",
) -> Purpose:
    declared = Purpose(key, label, on_approved, on_rejected, needs_edit, object_type)
    _purposes[key] = declared
    return declared


def get(key: str) -> Purpose | None:
    return _purposes.get(key) if key else None


def declared() -> dict[str, Purpose]:
    return dict(_purposes)


def for_type(object_type: str) -> list[Purpose]:
    """The purposes a flow of ``object_type`` may serve, in the order they were declared."""
    return [p for p in _purposes.values() if p.object_type in ("", object_type)]
