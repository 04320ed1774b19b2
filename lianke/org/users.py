"""The people records can be given to, shared with or filtered by: one definition of "active
users", so a deactivated person drops out of every picker, filter and check at once; and one
definition of an administrator."""

from __future__ import annotations

from django.db.models import QuerySet


def is_administrator(user) -> bool:
    """An administrator: an active superuser. Administrators open every settings page, change
    every configuration and are the approvers of last resort; a deactivated one is nobody."""
    return bool(
        user is not None and getattr(user, "is_active", False) and getattr(user, "is_superuser", False)
    )


def active_users() -> QuerySet:
    """Every active user (a queryset; narrow it further as needed). Deactivated people keep
    their records and history but are offered nowhere and accepted for no new assignment."""
    from .models import User

    return User.objects.filter(is_active=True)
