"""The navigation's count of approvals waiting for the user (待我审批): one indexed count
(``approval_task_pending``), run only when a template shows it and at most once per request
however many times the page shows it (top bar and phone bar)."""

from __future__ import annotations

from functools import cache

from . import services


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def pending() -> int:
        return services.pending_count(user)

    return {"approvals_pending": pending}
