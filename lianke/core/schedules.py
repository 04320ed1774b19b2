"""Scheduled jobs as the apps declare them: a name, a function, a default schedule (a cron
expression or an interval) and a label. This module only keeps the declarations (a leaf of
core: apps call ``job()`` from their ``AppConfig.ready()``); the ``jobs`` app runs them — one
run per schedule and period, recorded, under a database lock — and lets administrators add
schedules of a declared job with their own timing and parameters in Settings (a pool's recycle
rule, a payment reminder).

A job function takes a :class:`Run` and must be idempotent: running it twice for the same
period changes nothing more. In a dry run (``run.dry_run``) it changes nothing and reports what
it would do through ``run.did(…)``, exactly as a real run reports what it did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Run:
    """What a job function is given: the job's name, the period it runs for (the scheduled
    time; a catch-up run after downtime carries the period it catches up), whether it is a dry
    run, the schedule's parameters, and where it reports what it did."""

    name: str
    period: dt.datetime
    dry_run: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def did(self, message: str, **data: Any) -> None:
        """Report one thing done (or, in a dry run, that would be done)."""
        self.actions.append({"message": str(message), **data})


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[Run], Any]
    label: Any  # a lazy translation
    cron: str | None = None  # default schedule: "30 3 * * *"
    every: dt.timedelta | None = None  # … or an interval
    description: Any = ""
    # Administrators may add schedules of this job in Settings, each with its own parameters.
    configurable: bool = False


_jobs: dict[str, Job] = {}


def job(
    name: str,
    func: Callable[[Run], Any],
    *,
    label: Any,
    cron: str | None = None,
    every: dt.timedelta | None = None,
    description: Any = "",
    configurable: bool = False,
) -> Job:
    """Declare the job ``name``; ``cron`` or ``every`` is its default schedule (neither: it runs
    only on demand or from schedules made in Settings)."""
    if cron and every:
        raise ValueError(f"job {name!r}: a cron expression or an interval, not both")
    declared = Job(name, func, label, cron, every, description, configurable)
    _jobs[name] = declared
    return declared


def get(name: str) -> Job:
    return _jobs[name]


def declared() -> dict[str, Job]:
    return dict(_jobs)
