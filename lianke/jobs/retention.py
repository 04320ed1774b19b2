"""The run log's own housekeeping, a scheduled job like any other (``purge_job_runs``, nightly):
finished runs older than ``LIANKE_JOBS_KEEP_DAYS`` are deleted in batches, except each
schedule's newest run (the settings page's "last run")."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from lianke.core.schedules import Run

from .models import JobRun, Schedule

BATCH = 1000


def purge_runs(run: Run) -> None:
    days = int(run.params.get("days", settings.LIANKE_JOBS_KEEP_DAYS))
    cutoff = timezone.now() - dt.timedelta(days=days)
    newest = JobRun.objects.filter(schedule=OuterRef("pk")).order_by("-id").values("id")[:1]
    keep = Schedule.objects.annotate(last=Subquery(newest)).filter(last__isnull=False).values("last")
    old = JobRun.objects.filter(started_at__lt=cutoff, finished_at__isnull=False).exclude(pk__in=keep)
    if run.dry_run:
        count = old.count()
        run.did(
            _("%(count)s runs older than %(days)s days would be deleted.") % {"count": count, "days": days},
            count=count,
        )
        return
    deleted = 0
    while ids := list(old.order_by("id").values_list("id", flat=True)[:BATCH]):
        deleted += JobRun.objects.filter(pk__in=ids).delete()[0]
    run.did(
        _("%(count)s runs older than %(days)s days deleted.") % {"count": deleted, "days": days},
        count=deleted,
    )
