"""Jobs declared for the tests (removed again after each test) and their schedules."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import pytest

from lianke.core import schedules

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    """A moment in local (Shanghai) time."""
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def declare(settings):
    """``declare(name, func, cron=…|every=…, configurable=…)``: a job for this test only, with
    its code schedule made as the runner's start makes it."""
    settings.TIME_ZONE = "Asia/Shanghai"
    added: list[str] = []

    def declare(name: str, func: Callable[[schedules.Run], object], **options):
        options.setdefault("label", name)
        schedules.job(name, func, **options)
        added.append(name)
        from lianke.jobs import runner
        from lianke.jobs.models import Schedule

        runner.sync_declared()
        return Schedule.objects.get(job=name, source="code")

    yield declare
    for name in added:
        schedules._jobs.pop(name, None)


@pytest.fixture
def calls():
    """What the test jobs were called with, in order."""
    return []
