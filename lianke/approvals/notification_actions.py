"""Deciding from a notification: an approval waiting for the reader ("approval.waiting",
"escalated", "urged") shows Approve / Reject (a reason required) right in the notification's
row while he is still one of the current approvers, and says plainly when it was decided
already. The buttons post to the inbox's own ``act`` view (``from=notification``), which
answers with the notification's row again, read now (``lianke.notifications.rows``).

Declared as the types' ``actions`` (``notifications.types``): the notifications app places the
HTML and never imports approvals."""

from __future__ import annotations

from collections.abc import Sequence

from django.template.loader import render_to_string

from . import services

TEMPLATE = "approvals/partials/notification_actions.html"


def approval_id(notification) -> int | None:
    params = notification.params if isinstance(notification.params, dict) else {}
    value = params.get("approval")
    return value if isinstance(value, int) else None


def render(request, notification_id: int, approval, *, mine: bool, errors=(), done: str = "") -> str:
    return render_to_string(
        TEMPLATE,
        {"a": approval, "notification_id": notification_id, "mine": mine, "errors": errors, "done": done},
        request=request,
    )


def actions(request, notifications: Sequence) -> dict[int, str]:
    """``{notification id: HTML}`` for a page of the reader's notifications: two queries
    whatever their number (the approvals he may see, his pending tasks among them)."""
    from .views import my_pending_ids

    wanted = {n.pk: pk for n in notifications if (pk := approval_id(n)) is not None}
    if not wanted:
        return {}
    user = request.user
    approvals = {
        a.pk: a
        for a in services.visible_to(user).filter(pk__in=set(wanted.values())).select_related("version")
    }
    waiting = my_pending_ids(user, list(approvals.values()))
    return {
        notification_id: render(request, notification_id, approvals[pk], mine=pk in waiting)
        for notification_id, pk in wanted.items()
        if pk in approvals
    }
