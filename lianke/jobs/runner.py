"""Running the schedules: what is due, claiming a period, running the job, recording the run.

- **Due.** An enabled schedule of a declared job is due when its latest scheduled time at or
  before now (its *period*) has no real run yet, is not older than the schedule's
  ``active_since`` (creation, a change of timing, being enabled: periods before it are never
  run) and is later than the period of its last scheduled run.
- **Catch-up.** After downtime only the latest missed period runs, once, marked ``catch_up``
  (the periods missed before it are not run one by one: jobs work on the state as it is, so one
  run does what the missed ones would have). A run that starts more than
  ``LIANKE_JOBS_GRACE_SECONDS`` after its period is a catch-up too.
- **Claiming** is one short write transaction, as the outbox claims deliveries: PostgreSQL locks
  the schedule's row (``SELECT … FOR UPDATE SKIP LOCKED``: a worker that finds it locked leaves
  it to the one holding it); SQLite's IMMEDIATE transactions let one writer at a time claim.
  Inside it the run is inserted; its key (schedule, period) is unique for real runs, so a
  period never runs twice even if the lock were missed (the ``IntegrityError`` means taken).
  A schedule whose previous run is still running is not claimed (one run of a schedule at a
  time); a run still ``running`` after ``LIANKE_JOBS_LEASE_SECONDS`` lost its worker and is
  recorded as failed.
- **Running** happens after the claim's commit, in a system context with the source ``job``
  (history names a manual run's administrator). A job that raises is recorded as failed with
  its error; the other schedules run on. What the job reported (``Run.did``) is kept with the
  run, the first ``ACTIONS_KEPT`` of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from lianke.core import schedules
from lianke.core.context import Source, system_context
from lianke.core.errors import JobCode

from . import timing
from .models import JobRun, Schedule

logger = logging.getLogger(__name__)
Status, Trigger = JobRun.Status, JobRun.Trigger

ACTIONS_KEPT = 500


# ------------------------------------------------------------------ declarations → schedules
_synced = False


def sync_declared() -> None:
    """Give every declared job its code schedule and keep its timing in step with the
    declaration — unless an administrator changed its timing in Settings (``timing_customised``):
    then his timing stays, whatever a later release declares. Administrators may turn a code
    schedule off; it is never deleted here (its run log stays)."""
    global _synced
    from lianke.core.models import ObjectChange
    from lianke.core.records import audit

    existing = {s.job: s for s in Schedule.objects.filter(source=Schedule.Source.CODE)}
    for name, job in schedules.declared().items():
        cron, every = job.cron or "", job.every
        schedule = existing.get(name)
        if schedule is None:
            # Made as declared (no history: nobody configured anything).
            Schedule.objects.get_or_create(
                job=name, source=Schedule.Source.CODE, defaults={"cron": cron, "every": every}
            )
        elif not schedule.timing_customised and (schedule.cron, schedule.every) != (cron, every):
            before = audit.config_snapshot(schedule)
            schedule.cron, schedule.every, schedule.active_since = cron, every, timezone.now()
            schedule.save(update_fields=["cron", "every", "active_since", "updated_at"])
            with system_context(source=Source.SYSTEM):  # the release's change, not the viewer's
                audit.record(
                    ObjectChange.ActionChoices.UPDATE, schedule, before, audit.config_snapshot(schedule)
                )
    _synced = True


def sync_after_migrate(**kwargs) -> None:
    if _tables_exist():
        sync_declared()


def _tables_exist() -> bool:
    return Schedule._meta.db_table in connection.introspection.table_names()


def _ensure_synced() -> None:
    if not _synced:
        sync_declared()


# ------------------------------------------------------------------------------ what is due
@dataclass(frozen=True)
class Due:
    schedule: Schedule
    period: dt.datetime
    trigger: str


def last_periods(schedule_ids=None) -> dict[int, dt.datetime]:
    """Each schedule's latest period run on its timing (manual runs and dry runs aside): one
    query, one index seek per schedule (the run key's index, newest period first)."""
    last = (
        JobRun.objects.filter(
            schedule=OuterRef("pk"), dry_run=False, trigger__in=[Trigger.SCHEDULE, Trigger.CATCH_UP]
        )
        .order_by("-period")
        .values("period")[:1]
    )
    schedules_ = (
        Schedule.objects.all() if schedule_ids is None else Schedule.objects.filter(pk__in=schedule_ids)
    )
    rows = schedules_.annotate(last=Subquery(last)).filter(last__isnull=False).values_list("pk", "last")
    return dict(rows)


def due_for(schedule: Schedule, last: dt.datetime | None, now: dt.datetime) -> Due | None:
    if not schedule.enabled or schedule.declared is None:
        return None
    period = schedule.latest_period(now)
    if period is None or period < schedule.active_since or (last is not None and period <= last):
        return None
    before = schedule_previous(schedule, period)
    missed = before is not None and before >= schedule.active_since and (last is None or before > last)
    late = now - period > dt.timedelta(seconds=settings.LIANKE_JOBS_GRACE_SECONDS)
    return Due(schedule, period, Trigger.CATCH_UP if missed or late else Trigger.SCHEDULE)


def schedule_previous(schedule: Schedule, period: dt.datetime) -> dt.datetime | None:
    return timing.previous(schedule.cron, schedule.every, period)


def due(now: dt.datetime | None = None) -> list[Due]:
    """What is due at ``now``: two queries however many schedules."""
    now = now or timezone.now()
    enabled = list(Schedule.objects.filter(enabled=True).filter(~Q(cron="") | Q(every__isnull=False)))
    last = last_periods()
    return [d for s in enabled if (d := due_for(s, last.get(s.pk), now)) is not None]


# ------------------------------------------------------------------------------- the runner
def run_due(now: dt.datetime | None = None) -> list[JobRun]:
    """Claim and run every due schedule, one after another; the runs made (a schedule another
    worker holds, or whose period it already took, is left out)."""
    _ensure_synced()
    now = now or timezone.now()
    runs = []
    for item in due(now):
        run = claim(item.schedule.pk, item.period, trigger=item.trigger, now=now)
        if run is not None:
            runs.append(execute(run))
    return runs


def _abandon_stale(schedule: Schedule, now: dt.datetime) -> bool:
    """Mark runs of ``schedule`` running past the lease as failed; whether one is still running."""
    running = JobRun.objects.filter(schedule=schedule, status=Status.RUNNING)
    stale_before = now - dt.timedelta(seconds=settings.LIANKE_JOBS_LEASE_SECONDS)
    running.filter(started_at__lt=stale_before).update(
        status=Status.FAILED,
        finished_at=now,
        error="The run did not finish: its worker stopped or the run took longer than the lease.",
    )
    return running.filter(started_at__gte=stale_before, dry_run=False).exists()


def claim(
    schedule_id: int,
    period: dt.datetime,
    *,
    trigger: str,
    now: dt.datetime | None = None,
    actor=None,
    dry_run: bool = False,
    skip_if_running: bool = True,
) -> JobRun | None:
    """Take ``period`` of the schedule for this worker: the run, ``running``, or None when the
    schedule is locked by another worker, is running, is off, or the period was taken."""
    now = now or timezone.now()
    with transaction.atomic():
        queryset = Schedule.objects.filter(pk=schedule_id)
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True)
        schedule = queryset.first()
        if schedule is None or (trigger != Trigger.MANUAL and not schedule.enabled):
            return None
        if _abandon_stale(schedule, now) and skip_if_running and not dry_run:
            return None
        if not dry_run and JobRun.objects.filter(schedule=schedule, period=period, dry_run=False).exists():
            return None
        try:
            with transaction.atomic():
                run = JobRun.objects.create(
                    schedule=schedule,
                    period=period,
                    trigger=trigger,
                    dry_run=dry_run,
                    actor=actor,
                    started_at=timezone.now(),
                )
        except IntegrityError:
            return None
    run.schedule = schedule
    return run


def execute(run: JobRun) -> JobRun:
    """Run a claimed run's job and record how it went. Never raises for the job's failure."""
    schedule = run.schedule
    declared = schedule.declared
    report = schedules.Run(
        name=schedule.job, period=run.period, dry_run=run.dry_run, params=dict(schedule.params or {})
    )
    error = ""
    try:
        if declared is None:
            raise LookupError(f"no job {schedule.job!r} is declared (was its app removed?)")
        with system_context(source=Source.JOB, actor=run.actor):
            declared.func(report)
    except Exception:
        logger.exception("scheduled job %s (schedule %s) failed", schedule.job, schedule.pk)
        error = traceback.format_exc()[-4000:]
    actions = report.actions[:ACTIONS_KEPT]
    if len(report.actions) > ACTIONS_KEPT:
        actions.append({"message": f"… and {len(report.actions) - ACTIONS_KEPT} more", "more": True})
    run.status = Status.FAILED if error else Status.SUCCEEDED
    run.finished_at, run.actions, run.error = timezone.now(), actions, error
    for attempt in range(3):  # the record of the outcome must not be lost to a busy database
        try:
            JobRun.objects.filter(pk=run.pk).update(
                status=run.status, finished_at=run.finished_at, actions=actions, error=error
            )
            break
        except DatabaseError:
            if attempt == 2:
                raise
    return run


def start_now(schedule: Schedule, *, actor=None, dry_run: bool = False) -> JobRun:
    """Claim a manual run of ``schedule`` now (its period is this moment); refused with a
    ``ValidationError`` while a real run of it is running, or for an undeclared job."""
    if schedule.declared is None:
        raise ValidationError(_("No such job."), code=JobCode.UNKNOWN_JOB)
    run = claim(schedule.pk, timezone.now(), trigger=Trigger.MANUAL, actor=actor, dry_run=dry_run)
    if run is None:
        raise ValidationError(
            _("“%(job)s” is running; wait for its run to finish."),
            code=JobCode.ALREADY_RUNNING,
            params={"job": schedule.display_label},
        )
    return run


def run_now(schedule: Schedule, *, actor=None, dry_run: bool = False) -> JobRun:
    """Run ``schedule`` now in this process (``lianke jobs run``), recorded as a manual run."""
    return execute(start_now(schedule, actor=actor, dry_run=dry_run))


# ---------------------------------------------------------------------- the worker's tick
_last_enqueued = None


def enqueue_if_due() -> bool:
    """The periodic tick: enqueue one run of the due schedules (``tasks.run_due_jobs``) when
    something is due and the last one enqueued has been picked up."""
    global _last_enqueued
    from .tasks import run_due_jobs

    if not due():
        return False
    if _last_enqueued is not None:
        try:
            _last_enqueued.refresh()
            waiting = not _last_enqueued.is_finished and _last_enqueued.started_at is None
        except Exception:
            waiting = False
        if waiting:
            return False
    _last_enqueued = run_due_jobs.enqueue()
    return True


# ------------------------------------------------------------------------------ reading
def last_runs(schedule_ids) -> dict[int, JobRun]:
    """Each schedule's newest run (dry runs included): one query, one index seek per schedule
    (``jobs_run_log``), however long the run logs."""
    newest = JobRun.objects.filter(schedule=OuterRef("pk")).order_by("-id").values("id")[:1]
    ids = Schedule.objects.filter(pk__in=list(schedule_ids)).annotate(last=Subquery(newest)).values("last")
    return {run.schedule_id: run for run in JobRun.objects.filter(pk__in=ids)}


def find(name: str) -> Schedule:
    """The schedule ``lianke jobs run NAME`` means: a schedule's id, or a job's name (its code
    schedule, else its only one). A ``ValidationError`` coded ``unknown_job`` otherwise."""
    _ensure_synced()
    if name.isdigit():
        schedule = Schedule.objects.filter(pk=int(name)).first()
    else:
        candidates = list(Schedule.objects.filter(job=name).order_by("source", "pk"))
        code = [s for s in candidates if s.source == Schedule.Source.CODE]
        schedule = code[0] if code else (candidates[0] if len(candidates) == 1 else None)
        if schedule is None and len(candidates) > 1:
            raise ValidationError(
                _("“%(name)s” has several schedules; give the number of one: %(ids)s."),
                code=JobCode.UNKNOWN_JOB,
                params={"name": name, "ids": ", ".join(str(s.pk) for s in candidates)},
            )
    if schedule is None:
        raise ValidationError(
            _("No job or schedule “%(name)s”."), code=JobCode.UNKNOWN_JOB, params={"name": name}
        )
    return schedule
