"""The bell's unread count for the top bar and the phone's bottom bar: one indexed count, asked
only when a template shows it and at most once per request however many places show it."""

from __future__ import annotations

from . import service


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread": _Unread(user)}


class _Unread:
    """Counts on first use; both bars read the same number."""

    def __init__(self, user):
        self.user = user
        self.value: int | None = None

    def __call__(self) -> int:
        if self.value is None:
            self.value = service.unread_count(self.user)
        return self.value
