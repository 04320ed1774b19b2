"""Periodic ticks: small functions apps register (``every(seconds, func)`` in ``ready()``) and
``lianke worker`` calls on schedule — e.g. the outbox enqueues a delivery job when retries fall
due. A tick should be quick and idempotent (enqueue work, do not do it); a failing tick is
logged and tried again at its next turn."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass
class Tick:
    func: Callable[[], object]
    seconds: float
    next_at: float = 0.0


_ticks: list[Tick] = []


def every(seconds: float, func: Callable[[], object]) -> Callable[[], object]:
    _ticks.append(Tick(func, seconds))
    return func


def run_due(now: float | None = None) -> int:
    """Run the ticks whose time has come; how many ran."""
    now = time.monotonic() if now is None else now
    ran = 0
    for tick in list(_ticks):
        if tick.next_at > now:
            continue
        tick.next_at = now + tick.seconds
        ran += 1
        try:
            tick.func()
        except Exception:
            logger.exception("periodic tick %r failed", tick.func)
    return ran
