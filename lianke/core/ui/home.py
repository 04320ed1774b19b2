"""The home page is a workbench of widgets that apps register (core knows none of them).

A widget computes its context once per request (``None`` hides it, e.g. a manager's widget for
a rep), may put count tiles at the top of the page from that same context, and renders its own
template. Apps register theirs in ``AppConfig.ready()``; later issues add approvals, pool
warnings, reminders and dashboard tiles the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tile:
    """A count at the top of the home page: a label, a number, where it leads, a tone."""

    key: str
    label: str
    value: Any
    url: str = ""
    tone: str = "secondary"  # a Bootstrap colour: danger for overdue, warning, primary…


class Widget:
    key: str = ""
    order: int = 100
    template: str = ""
    wide: bool = False  # spans the whole row on a desktop

    def context(self, request) -> dict | None:
        raise NotImplementedError

    def tiles(self, request, context: dict) -> list[Tile]:
        return []


_widgets: dict[str, Widget] = {}


def register(cls: type[Widget]) -> type[Widget]:
    """Class decorator: register one instance of the widget under its key."""
    widget = cls()
    if not widget.key or not widget.template:
        raise ValueError(f"{cls.__name__} needs a key and a template")
    _widgets[widget.key] = widget
    return cls


def widgets() -> list[Widget]:
    return sorted(_widgets.values(), key=lambda w: (w.order, w.key))


def workbench(request) -> tuple[list[Tile], list[tuple[Widget, dict]]]:
    """The tiles and the visible widgets (with their context) for this request's user."""
    tiles: list[Tile] = []
    shown: list[tuple[Widget, dict]] = []
    for widget in widgets():
        context = widget.context(request)
        if context is None:
            continue
        tiles.extend(widget.tiles(request, context))
        shown.append((widget, context))
    return tiles, shown


@register
class RecentRecords(Widget):
    """The records the user opened last, of every type, still within their reach."""

    key = "recent"
    order = 90
    template = "core/home/recent.html"
    LIMIT = 8

    def context(self, request) -> dict | None:
        from django.contrib.contenttypes.models import ContentType

        from lianke.org import access
        from lianke.org.choices import Action

        from ..models import RecentRecord
        from ..objecttypes.registry import registry

        recent = list(RecentRecord.objects.filter(user=request.user)[: self.LIMIT * 2])
        by_type: dict[int, list[int]] = {}
        for row in recent:
            by_type.setdefault(row.content_type_id, []).append(row.object_id)
        found = {}
        for ct_id, ids in by_type.items():
            model = ContentType.objects.get_for_id(ct_id).model_class()
            ot = registry.get_for_model(model, None) if model else None
            if ot is None or not access.has_action(request.user, model, Action.VIEW):
                continue
            for obj in model.objects.filter(pk__in=ids):  # scoped: records out of reach drop out
                found[(ct_id, obj.pk)] = (ot, obj)
        items = [
            {
                "type": found[key][0],
                "object": found[key][1],
                "title": found[key][0].title(found[key][1]),
                "at": r.viewed_at,
            }
            for r in recent
            if (key := (r.content_type_id, r.object_id)) in found
        ][: self.LIMIT]
        return {"items": items}
