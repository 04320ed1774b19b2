"""Panels that platform apps add to a record's page, above its details (core knows none of
them): the approval banner with "Submit for approval", later others.

A panel is a function ``(request, object_type, record) -> str`` returning the HTML to show
(``""`` shows nothing); apps register theirs in ``AppConfig.ready()`` with :func:`register`.
The record page (``views.objects.detail_context``) renders them in registration order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.safestring import SafeString, mark_safe

Panel = Callable[[Any, Any, Any], str]

_panels: dict[str, Panel] = {}


def register(key: str, panel: Panel) -> None:
    """Add (or replace) the panel ``key``."""
    _panels[key] = panel


def render(request, object_type, record) -> list[SafeString]:
    """The record page's panels for this request, empty ones left out."""
    shown = []
    for panel in _panels.values():
        html = panel(request, object_type, record)
        if html:
            shown.append(mark_safe(html))  # noqa: S308 - a panel renders its own template
    return shown
