"""The people records can be given to, shared with or filtered by: one definition of "active
users", so a deactivated person drops out of every picker, filter and check at once."""

from __future__ import annotations

from django.db.models import QuerySet


def active_users() -> QuerySet:
    """Every active user (a queryset; narrow it further as needed). Deactivated people keep
    their records and history but are offered nowhere and accepted for no new assignment."""
    from .models import User

    return User.objects.filter(is_active=True)
