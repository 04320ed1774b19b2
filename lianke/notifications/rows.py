"""A notification's row as the list shows it, with what its reader can do in it: the declared
type's ``actions`` (``types.declare(..., actions=...)``) render those, one call per type for a
whole page. The app that declares the actions handles them and answers with the row again
(``row``), the notification read and the bell's count refreshed."""

from __future__ import annotations

from collections.abc import Sequence

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from . import render as rendering
from . import service, types
from .models import Notification


def attach_actions(request, notifications: Sequence[Notification], items: Sequence[rendering.Item]) -> None:
    """Fill ``item.actions`` for the notifications whose type offers actions."""
    by_kind: dict[str, list[Notification]] = {}
    for n in notifications:
        declared = types.find(n.kind)
        if declared is not None and declared.actions is not None:
            by_kind.setdefault(n.kind, []).append(n)
    if not by_kind:
        return
    html: dict[int, str] = {}
    for kind, rows in by_kind.items():
        html.update(types.get(kind).actions(request, rows) or {})
    for item in items:
        if item.id in html:
            item.actions = mark_safe(html[item.id])  # noqa: S308 - the declaring app's template output


def row(
    request, notification: Notification, *, actions: str | None = None, refresh_bell: bool = False
) -> str:
    """The notification's row (its reader's own), with ``actions`` as given (the declaring app
    answering an action) or as its type renders them; ``refresh_bell`` adds the bell's new
    count for htmx to swap in (out of band)."""
    notification = Notification.objects.select_related("actor").get(pk=notification.pk)
    [item] = rendering.render(request.user, [notification])
    if actions is None:
        attach_actions(request, [notification], [item])
    else:
        item.actions = mark_safe(actions)  # noqa: S308 - the declaring app's template output
    context = {"item": item, "refresh_bell": refresh_bell, "next": reverse("notifications:list")}
    if refresh_bell:
        context["count"] = service.unread_count(request.user)
    return render_to_string("notifications/partials/row.html", context, request=request)
