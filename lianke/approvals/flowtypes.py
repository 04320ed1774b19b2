"""The object types approval flows are declared on, as the flow editor and the flow service
see them: the registry's types in the navigation, and records of the approvals app's own that
have flows (a large export's request), declared here with what the editor needs — a key, a
model, labels and an icon — since they have no pages of their own in the registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lianke.core.objecttypes.registry import registry


@dataclass(frozen=True)
class FlowType:
    key: str
    model: Any
    label: Any
    label_plural: Any
    icon: str = "check2-square"

    def custom_fields(self) -> list:
        return []


_own: dict[str, FlowType] = {}


def declare(model, *, label, label_plural, icon: str = "check2-square") -> FlowType:
    flow_type = FlowType(model._meta.label_lower, model, label, label_plural, icon)
    _own[flow_type.key] = flow_type
    return flow_type


def get(key: str) -> Any | None:
    """The type ``key`` names (a registry ``ObjectType`` or a :class:`FlowType`), or ``None``."""
    if key in registry:
        return registry.get(key)
    return _own.get(key)


def editable() -> list[Any]:
    """The types a flow can be declared on, in the editor's order (child types go with their
    parent): the registry's in the navigation, then the declared ones."""
    return [ot for ot in registry if ot.in_nav] + list(_own.values())
