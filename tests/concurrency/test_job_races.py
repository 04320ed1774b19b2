"""Scheduled jobs with several workers: workers that come by at the same moment (real threads,
each on its own connection) run a due period once — one run recorded, the job called once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from lianke.core import schedules
from lianke.jobs import runner
from lianke.jobs.models import JobRun, Schedule

from ..live import race


@pytest.fixture
def slow_job(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    calls = []
    lock = threading.Lock()

    def tidy(run):
        with lock:
            calls.append(run.period)
        time.sleep(0.3)  # long enough for the other workers to arrive while it runs

    schedules.job("race_tidy", tidy, label="race", cron="* * * * *")
    yield calls
    schedules._jobs.pop("race_tidy", None)


def worker(call):
    def run():
        try:
            return call()
        finally:
            connection.close()

    return run


@pytest.mark.django_db(transaction=True)
def test_four_workers_at_the_same_moment_run_a_period_once(slow_job):
    runner.sync_declared()
    schedule = Schedule.objects.get(job="race_tidy")
    Schedule.objects.filter(pk=schedule.pk).update(active_since=schedule.active_since.replace(year=2020))
    # when four workers run what is due at the same moment
    results = race([worker(runner.run_due) for _ in range(4)])
    # then one of them ran the period; the others left it
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(slow_job) == 1
    assert JobRun.objects.filter(schedule__job="race_tidy").count() == 1
    assert JobRun.objects.get(schedule__job="race_tidy").status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_two_manual_runs_at_once_make_one_run(slow_job):
    runner.sync_declared()
    schedule = Schedule.objects.get(job="race_tidy")
    results = race([worker(lambda: runner.run_now(schedule)) for _ in range(2)])
    runs = [r for r in results if isinstance(r, JobRun)]
    refused = [r for r in results if not isinstance(r, JobRun)]
    assert len(runs) == 1 and len(refused) == 1, results
    assert getattr(refused[0], "code", None) == "already_running"
    assert len(slow_job) == 1
