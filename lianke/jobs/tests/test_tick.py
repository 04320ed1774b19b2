"""The worker's 30-second tick enqueues one run of the due schedules, and no second one while
the first waits to be picked up; nothing when nothing is due."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from lianke.jobs import runner
from lianke.jobs.models import Schedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_tick(monkeypatch):
    monkeypatch.setattr(runner, "_last_enqueued", None)


def test_nothing_due_enqueues_nothing(declare):
    declare("tidy", lambda run: None, cron="0 3 * * *")  # made now: its first period is to come
    Schedule.objects.exclude(job="tidy").update(enabled=False)
    assert runner.enqueue_if_due() is False
    assert not DBTaskResult.objects.exists()


def test_a_due_schedule_is_enqueued_once_while_the_job_waits(declare):
    schedule = declare("tidy", lambda run: None, cron="* * * * *")
    Schedule.objects.filter(pk=schedule.pk).update(active_since=schedule.active_since.replace(year=2020))
    assert runner.enqueue_if_due() is True
    assert runner.enqueue_if_due() is False  # the first one has not been picked up yet
    assert DBTaskResult.objects.count() == 1
    # once the worker ran it (the period is taken), nothing more is due
    runner.run_due()
    assert runner.enqueue_if_due() is False
