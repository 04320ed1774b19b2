"""The daily e-mail digest (the scheduled job ``notification_digest``): for each user in
digest mode, one mail with the notifications of the day before the run's period that were
kept for it — one outbox message per user and day, whose delivery id (``email:digest:<user>:
<day>``) is unique, so running the job twice for a day (a retry, a catch-up, two workers)
sends nothing more. Inside the user's quiet hours the message waits for their end."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from lianke.core.schedules import Run
from lianke.outbox import delivery
from lianke.outbox.models import OutboxMessage

from . import preferences
from .models import Notification


def key(user_id: int, day: dt.date) -> str:
    return f"email:digest:{user_id}:{day.isoformat()}"


def window(period: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.date]:
    """The day a run at ``period`` digests: the 24 hours before it, named by their first day."""
    end = period
    start = end - dt.timedelta(days=1)
    return start, end, timezone.localtime(start).date()


def send_digests(run: Run) -> int:
    start, end, day = window(run.period)
    pending: dict[int, list[int]] = {}
    for pk, user_id in (
        Notification.objects.filter(
            email=Notification.Email.DIGEST, created_at__gte=start, created_at__lt=end
        )
        .order_by("created_at", "id")
        .values_list("pk", "recipient_id")
    ):
        pending.setdefault(user_id, []).append(pk)
    if not pending:
        return 0
    done = set(
        OutboxMessage.objects.filter(idempotency_key__in=[key(u, day) for u in pending]).values_list(
            "idempotency_key", flat=True
        )
    )
    todo = {u: ids for u, ids in pending.items() if key(u, day) not in done}
    if not todo:
        return 0
    settings_of = preferences.email_settings_for(todo)
    now = timezone.now()
    messages = []
    for user_id, ids in sorted(todo.items()):
        run.did("digest", user=user_id, day=day.isoformat(), notifications=len(ids))
        messages.append(
            OutboxMessage(
                consumer="email",
                topic="digest",
                object_type="notifications.digest",
                object_id=user_id,
                aggregate_key=f"user:{user_id}",
                idempotency_key=key(user_id, day),
                payload={"user": user_id, "day": day.isoformat(), "ids": ids},
                next_attempt_at=settings_of[user_id].quiet_until(now) or now,
            )
        )
    if run.dry_run:
        return len(messages)
    with transaction.atomic():
        # Two runs at once: the unique delivery id lets one of them write each user's digest.
        OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
        delivery.schedule_after_commit()
    return len(messages)
