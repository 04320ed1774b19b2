"""Domain events and before-write rules: the two hooks every write of the pipeline
(``core.records.services``) offers the apps, so that a capability is declared instead of hand-wired.

- **Before-write rules** (``rule``) run inside the write transaction, on the state about to be
  written, for single writes, batches, imports, the API and jobs alike, and refuse the write by
  raising ``ValidationError`` with a stable ``code`` (approval locks, pool caps, credit limits,
  blacklists). They must not write. A batch checks its rows inside ``checking_batch``: a rule
  that reads something per record reads it once for the batch (``current_batch(record).memo``).
- **Events** (``emit`` / ``subscribe``): every create, change (with the changed fields),
  delete, restore, transfer and lifecycle transition emits one event per record, or one per
  batch. In-process handlers run after the transaction commits — never for a rolled-back write.
  A consumer whose work leaves the process (ERP, WeChat, webhooks) subscribes ``durable=True``:
  it runs inside the transaction, to write its outbox row with the change.

Apps register both in their ``AppConfig.ready()``; core knows no business app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Model

logger = logging.getLogger(__name__)

CREATED, UPDATED, DELETED, RESTORED, TRANSFERRED, TRANSITIONED = (
    "created",
    "updated",
    "deleted",
    "restored",
    "transferred",
    "transitioned",
)
EVENTS = (CREATED, UPDATED, DELETED, RESTORED, TRANSFERRED, TRANSITIONED)
# The write action each event's before-write rules are asked for.
CREATE, EDIT, DELETE, RESTORE, TRANSFER = "create", "edit", "delete", "restore", "transfer"


@dataclass(frozen=True)
class Event:
    """What happened to one record (or, for a batch, to ``ids``) of ``object_type``."""

    name: str
    object_type: str  # "customers.account"
    ids: tuple[int, ...]
    actor_id: int | None
    changed: tuple[str, ...] = ()  # changed fields (custom fields as "cf.<name>") of an update
    data: dict[str, Any] = field(default_factory=dict)  # e.g. {"from": 3, "to": 7} of a transfer


def type_key(model: type[Model] | Model) -> str:
    return model._meta.label_lower


# ---------------------------------------------------------------------------------- rules
_rules: list[tuple[str | None, frozenset[str] | None, Callable]] = []


def rule(
    check: Callable, *, object_type: str | None = None, actions: Iterable[str] | None = None
) -> Callable:
    """Register ``check(actor, record, action, before)`` for writes of ``object_type`` (``None``:
    every type) doing one of ``actions`` (``None``: all). ``before`` is the history snapshot of
    the stored state (``None`` on create). Returns ``check`` (usable as a decorator's body)."""
    _rules.append((object_type, frozenset(actions) if actions is not None else None, check))
    return check


def unregister_rule(check: Callable) -> None:
    _rules[:] = [r for r in _rules if r[2] is not check]


def rules_for(model: type[Model] | Model, action: str) -> list[Callable]:
    """The checks registered for ``action`` on ``model``'s records, in registration order (a
    batch asks once, and skips the per-row call when there are none)."""
    key = type_key(model)
    return [
        check
        for object_type, actions, check in list(_rules)
        if (object_type is None or object_type == key) and (actions is None or action in actions)
    ]


def check_rules(actor, record: Model, action: str, before: dict | None = None) -> None:
    """Run the rules for this write; the first refusal (a ``ValidationError``) stops it."""
    for check in rules_for(record, action):
        check(actor, record, action, before)


@dataclass
class Batch:
    """The rows one batch write is checking: ``ids`` of ``object_type``, and a ``memo`` where a
    rule keeps what it read for all of them at once (keyed by the rule, valid for this batch
    only: nothing read here outlives the batch's checks)."""

    object_type: str
    ids: frozenset
    memo: dict[Any, Any] = field(default_factory=dict)


_batch: ContextVar[Batch | None] = ContextVar("lianke_rule_batch", default=None)


@contextmanager
def checking_batch(model: type[Model], ids: Iterable) -> Iterator[Batch]:
    """While a batch of ``model``'s rows ``ids`` is checked: ``current_batch`` answers it."""
    token = _batch.set(Batch(type_key(model), frozenset(ids)))
    try:
        yield _batch.get()  # type: ignore[misc]
    finally:
        _batch.reset(token)


def current_batch(record: Model) -> Batch | None:
    """The batch ``record`` is checked in, or ``None`` for a single write."""
    batch = _batch.get()
    if batch is not None and record.pk in batch.ids and batch.object_type == type_key(record):
        return batch
    return None


# ---------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class _Subscription:
    handler: Callable[[Event], None]
    object_type: str | None
    events: frozenset[str] | None
    durable: bool


_subscriptions: list[_Subscription] = []


def subscribe(
    handler: Callable[[Event], None],
    *,
    object_type: str | None = None,
    events: Iterable[str] | None = None,
    durable: bool = False,
) -> Callable[[Event], None]:
    """Call ``handler(event)`` for events of ``object_type`` (``None``: all types) named in
    ``events`` (``None``: all) — after commit, or inside the transaction when ``durable``."""
    _subscriptions.append(
        _Subscription(handler, object_type, frozenset(events) if events is not None else None, durable)
    )
    return handler


def unsubscribe(handler: Callable[[Event], None]) -> None:
    _subscriptions[:] = [s for s in _subscriptions if s.handler is not handler]


def emit(
    name: str,
    model: type[Model] | Model,
    ids: Iterable[int],
    *,
    actor=None,
    changed: Iterable[str] = (),
    **data: Any,
) -> Event | None:
    """Announce ``name`` for the records ``ids`` of ``model``; called by the services inside
    their transaction. Durable subscribers run now (their outbox row commits or rolls back with
    the change); the others after commit."""
    ids = tuple(ids)
    if not ids:
        return None
    event = Event(
        name=name,
        object_type=type_key(model),
        ids=ids,
        actor_id=getattr(actor, "pk", None),
        changed=tuple(changed),
        data=data,
    )
    for sub in list(_subscriptions):
        if sub.object_type not in (None, event.object_type) or (
            sub.events is not None and name not in sub.events
        ):
            continue
        if sub.durable:
            sub.handler(event)
        else:
            transaction.on_commit(partial(_run_after_commit, sub.handler, event))
    return event


def _run_after_commit(handler: Callable[[Event], None], event: Event) -> None:
    # The change is committed: a failing in-process handler is logged, never undoes it.
    try:
        handler(event)
    except Exception:
        logger.exception("event handler %r failed for %s %s", handler, event.object_type, event.name)
