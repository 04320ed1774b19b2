"""The run log keeps ``LIANKE_JOBS_KEEP_DAYS`` of finished runs, and each schedule's last run
whatever its age; a dry run counts and deletes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianke.core import schedules
from lianke.jobs.models import JobRun

pytestmark = pytest.mark.django_db


def test_old_runs_go_and_each_schedules_last_run_stays(declare, settings):
    settings.LIANKE_JOBS_KEEP_DAYS = 30
    busy = declare("busy", lambda run: None, cron="0 3 * * *")
    quiet = declare("quiet", lambda run: None, cron="0 3 * * *")
    now = timezone.now()

    def ran(schedule, days_ago):
        moment = now - dt.timedelta(days=days_ago)
        return JobRun.objects.create(
            schedule=schedule, period=moment, started_at=moment, finished_at=moment, status="succeeded"
        )

    old = [ran(busy, 100), ran(busy, 40)]
    recent = ran(busy, 5)
    quiet_last = ran(quiet, 200)  # its only run: stays however old
    dry = schedules.Run(name="purge_job_runs", period=now, dry_run=True)
    schedules.get("purge_job_runs").func(dry)
    assert dry.actions[-1]["count"] == 2 and JobRun.objects.count() == 4
    real = schedules.Run(name="purge_job_runs", period=now)
    schedules.get("purge_job_runs").func(real)
    assert set(JobRun.objects.values_list("pk", flat=True)) == {recent.pk, quiet_last.pk}
    assert real.actions[-1]["count"] == len(old)
