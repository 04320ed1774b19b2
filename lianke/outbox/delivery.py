"""Delivering the outbox: claim what is due, send it through its consumer, retry with backoff.

- **Claiming** is one short write transaction: PostgreSQL locks the due rows with
  ``SKIP LOCKED`` (two workers never take the same message); SQLite's IMMEDIATE transactions
  let one writer at a time claim. A claimed message is ``delivering`` with a lease
  (``next_attempt_at``): a worker killed mid-delivery leaves it to be claimed again when the
  lease runs out — and sent again with the same delivery ID, so receivers deduplicate by it.
- **Order.** A message is not claimed while an older message of the same consumer and
  aggregate (record) is pending or delivering; a dead one no longer holds the others back.
- **Retries.** A failed attempt is retried after ``LIANKE_OUTBOX_RETRY_SECONDS`` × 2^(attempts−1)
  (capped, plus up to 10 % jitter); after ``LIANKE_OUTBOX_MAX_ATTEMPTS`` attempts, or at once for
  a :class:`PermanentFailure`, the message is ``dead`` until someone retries it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)
S = OutboxMessage.Status

Sender = Callable[[OutboxMessage], None]
_senders: dict[str, Sender] = {}


class PermanentFailure(Exception):
    """A delivery that retrying cannot fix (the consumer is gone): dead at once."""


def register_consumer(prefix: str, sender: Sender) -> None:
    """Messages whose consumer is ``prefix`` or ``prefix:…`` are sent by ``sender(message)``,
    which returns when the message was accepted and raises otherwise."""
    _senders[prefix] = sender


def sender_for(consumer: str) -> Sender | None:
    return _senders.get(consumer.split(":", 1)[0])


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    seconds = min(
        settings.LIANKE_OUTBOX_RETRY_SECONDS * 2 ** max(attempts - 1, 0),
        settings.LIANKE_OUTBOX_RETRY_CAP_SECONDS,
    )
    return dt.timedelta(seconds=seconds * (1 + random.uniform(0, 0.1)))


def lease() -> dt.timedelta:
    """How long a claimed message is the claimer's before another worker may take it again."""
    return dt.timedelta(seconds=settings.LIANKE_OUTGOING_TIMEOUT * 3 + 30)


def due(now: dt.datetime):
    older = OutboxMessage.objects.filter(
        consumer=OuterRef("consumer"),
        aggregate_key=OuterRef("aggregate_key"),
        id__lt=OuterRef("id"),
        status__in=[S.PENDING, S.DELIVERING],
    )
    return (
        OutboxMessage.objects.filter(status__in=[S.PENDING, S.DELIVERING], next_attempt_at__lte=now)
        .exclude(Exists(older))
        .order_by("id")
    )


def claim(limit: int, now: dt.datetime) -> list[OutboxMessage]:
    with transaction.atomic():
        queryset = due(now)
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True)
        messages = list(queryset[:limit])
        if messages:
            OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
                status=S.DELIVERING, attempts=F("attempts") + 1, next_attempt_at=now + lease()
            )
            for m in messages:
                m.status, m.attempts = S.DELIVERING, m.attempts + 1
    return messages


def deliver_due(limit: int = 100, *, now: dt.datetime | None = None) -> int:
    """Send up to ``limit`` due messages; the number delivered. Safe to run from several
    workers at once. Enqueues one job for the earliest retry it set, and one at once if it
    stopped at ``limit`` with more due."""
    delivered = handled = 0
    retries: list[dt.datetime] = []
    while handled < limit:
        batch = claim(min(limit - handled, 50), now or timezone.now())
        if not batch:
            break
        handled += len(batch)
        for message in batch:
            outcome = attempt(message, now=now)
            if outcome is True:
                delivered += 1
            elif outcome is not False:
                retries.append(outcome)
    if retries:
        schedule(min(retries))
    if handled >= limit and due(now or timezone.now()).exists():
        schedule()
    return delivered


def attempt(message: OutboxMessage, *, now: dt.datetime | None = None) -> bool | dt.datetime:
    """Send one claimed message and record the outcome: ``True`` delivered, ``False`` dead (or
    no longer this worker's), else when it will be tried again."""
    sender = sender_for(message.consumer)
    error, permanent = "", False
    try:
        if sender is None:
            raise PermanentFailure(f"no consumer is registered for {message.consumer}")
        sender(message)
    except PermanentFailure as exc:
        error, permanent = str(exc) or type(exc).__name__, True
    except Exception as exc:
        error = str(exc) or type(exc).__name__
    now = now or timezone.now()
    mine = OutboxMessage.objects.filter(pk=message.pk, status=S.DELIVERING, attempts=message.attempts)
    if not error:
        return bool(mine.update(status=S.DELIVERED, delivered_at=now, last_error=""))
    if permanent or message.attempts >= settings.LIANKE_OUTBOX_MAX_ATTEMPTS:
        mine.update(status=S.DEAD, last_error=error[:2000])
        logger.warning("outbox message %s is dead after %s attempts: %s", message.pk, message.attempts, error)
        return False
    retry_at = now + backoff(message.attempts)
    return (
        retry_at
        if mine.update(status=S.PENDING, next_attempt_at=retry_at, last_error=error[:2000])
        else False
    )


def retry_now(queryset) -> int:
    """Make dead or pending messages due now (attempts start again)."""
    return queryset.filter(status__in=[S.DEAD, S.PENDING]).update(
        status=S.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )


def replay(queryset) -> int:
    """Send delivered messages again, with the same delivery ID."""
    return queryset.filter(status=S.DELIVERED).update(
        status=S.PENDING, attempts=0, next_attempt_at=timezone.now(), delivered_at=None, last_error=""
    )


def purge(days: int | None = None, *, batch: int = 1000) -> int:
    """Delete delivered messages older than ``days`` (``LIANKE_OUTBOX_KEEP_DAYS``), in batches."""
    days = settings.LIANKE_OUTBOX_KEEP_DAYS if days is None else days
    cutoff = timezone.now() - dt.timedelta(days=days)
    old = OutboxMessage.objects.filter(status=S.DELIVERED, delivered_at__lt=cutoff)
    deleted = 0
    while ids := list(old.order_by("id").values_list("id", flat=True)[:batch]):
        deleted += OutboxMessage.objects.filter(pk__in=ids).delete()[0]
    return deleted


# ------------------------------------------------------------------------- jobs
def schedule(at: dt.datetime | None = None) -> None:
    """Enqueue a delivery job (at ``at``, where the task backend can defer). Failing to enqueue
    is logged: the periodic tick picks the messages up anyway."""
    from .tasks import deliver_outbox

    try:
        job = deliver_outbox
        if at is not None and job.get_backend().supports_defer:
            job = job.using(run_after=at)
        job.enqueue()
    except Exception:
        logger.exception("could not enqueue the outbox delivery job")


def schedule_purge() -> None:
    """The hourly tick: enqueue the purge of old deliveries."""
    from .tasks import purge_outbox

    purge_outbox.enqueue()


def schedule_if_due() -> bool:
    """The periodic tick: enqueue a delivery job when something is due."""
    if due(timezone.now()).exists():
        schedule()
        return True
    return False


def schedule_after_commit() -> None:
    """Enqueue one delivery job when the current transaction commits (once per transaction)."""
    if connection.in_atomic_block and any(entry[1] is schedule for entry in connection.run_on_commit):
        return
    transaction.on_commit(schedule, robust=True)
