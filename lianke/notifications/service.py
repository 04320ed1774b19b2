"""``notify``: what producers call. It writes the in-app rows in the caller's transaction (a
notification exists if and only if the change that caused it committed)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone

from . import types
from .models import Notification


def notify(
    recipients: Iterable[Any],
    kind: str,
    *,
    record: Model | None = None,
    actor: Any = None,
    url: str = "",
    **params: Any,
) -> list[Notification]:
    """Notify each of ``recipients`` (users or user ids; the actor himself and duplicates are
    left out) of ``kind`` (a declared type) about ``record``, with ``params`` for its title."""
    types.get(kind)  # an undeclared type is a programming error
    actor_id = getattr(actor, "pk", actor)
    ids = {getattr(r, "pk", r) for r in recipients} - {actor_id, None}
    if not ids:
        return []
    content_type = ContentType.objects.get_for_model(record) if record is not None else None
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=user_id,
            kind=kind,
            actor_id=actor_id,
            content_type=content_type,
            object_id=getattr(record, "pk", None),
            params=params,
            url=url,
            created_at=now,
        )
        for user_id in sorted(ids)
    ]
    return Notification.objects.bulk_create(rows)
