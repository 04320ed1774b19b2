"""``notify``: what producers call. It writes the rows in the caller's transaction (a
notification exists if and only if the change that caused it committed) and queues it on each
channel the recipient has on for its type (``preferences``, ``channels``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.utils import timezone

from . import channels, preferences, types
from .models import Notification


def notify(
    recipients: Iterable[Any],
    kind: str,
    *,
    record: Model | None = None,
    actor: Any = None,
    url: str = "",
    dedupe_key: str = "",
    **params: Any,
) -> list[Notification]:
    """Notify each of ``recipients`` (users or user ids; the actor himself and duplicates are
    left out) of ``kind`` (a declared type) about ``record``, with ``params`` for its title.

    With ``dedupe_key`` (a producer that may run twice for the same thing: a job, a re-saved
    note), a recipient who already has a notification with that key gets none: the call is
    idempotent, also against a parallel one (the unique constraint settles it). A recipient
    who turned every channel of the type off gets nothing. Returns the rows written."""
    types.get(kind)  # an undeclared type is a programming error
    actor_id = getattr(actor, "pk", actor)
    ids = {getattr(r, "pk", r) for r in recipients} - {actor_id, None}
    if dedupe_key and ids:
        ids -= set(
            Notification.objects.filter(recipient_id__in=ids, dedupe_key=dedupe_key).values_list(
                "recipient_id", flat=True
            )
        )
    if not ids:
        return []
    wanted = {pk: on for pk, on in preferences.channels_for(ids, kind).items() if on}
    if not wanted:
        return []
    content_type = ContentType.objects.get_for_model(record) if record is not None else None
    params = json.loads(json.dumps(params, cls=DjangoJSONEncoder))
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
            dedupe_key=dedupe_key,
            in_app=types.IN_APP in wanted[user_id],
            read_at=None if types.IN_APP in wanted[user_id] else now,
        )
        for user_id in sorted(wanted)
    ]
    if dedupe_key:
        # A parallel producer may have written the same key since: skip those, read ours back.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        rows = list(
            Notification.objects.filter(
                recipient_id__in=list(wanted), dedupe_key=dedupe_key, created_at=now
            ).order_by("recipient_id")
        )
    else:
        rows = Notification.objects.bulk_create(rows)
    for channel in channels.registered():
        if channel.key == types.IN_APP or not channel.available():
            continue
        chosen = [n for n in rows if channel.key in wanted[n.recipient_id]]
        if chosen:
            channel.deliver(chosen)
    return rows


# The unread count stops here: the bell shows "99+" from 100 on, and a count of 100,000 unread
# notifications would read 100,000 index entries for a number nobody reads (~300 ms on a busy
# machine); ``COUNT_CAP + 1`` entries at most answer "more than that".
COUNT_CAP = 1000


def unread(user) -> tuple[int, bool]:
    """``(count, more)``: the user's unread notifications, counted up to ``COUNT_CAP`` (``more``
    when there are more) — one query over the partial index ``notif_unread_new``."""
    # Not ``core.pagination.capped_count``: only the keys, so that the partial index alone
    # answers (index-only), and no order — sorting 100,000 unread rows to count the first 1,001
    # cost 140 ms on SQLite.
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).order_by()
    found = unread.values("pk")[: COUNT_CAP + 1].count()
    return min(found, COUNT_CAP), found > COUNT_CAP


def unread_count(user) -> int:
    """The bell's number (at most ``COUNT_CAP``)."""
    return unread(user)[0]


def mark_read(user, *, ids: Iterable[int] | None = None, everything: bool = False) -> int:
    """Mark the user's own notifications read (``ids``, or all); another user's ids change
    nothing. Returns how many changed."""
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if not everything:
        unread = unread.filter(pk__in=list(ids or ()))
    return unread.update(read_at=timezone.now())
