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
def declare(settings, monkeypatch):
    """``declare(name, func, cron=…|every=…, configurable=…)``: a job for this test only, with
    its code schedule made as the runner's start makes it. Only the jobs of core and of this
    app stay declared while it runs: the other apps' (reminders, escalations, digests) would
    run beside the test's."""
    settings.TIME_ZONE = "Asia/Shanghai"
    own = ("lianke.core.", "lianke.jobs.")
    monkeypatch.setattr(
        schedules, "_jobs", {k: j for k, j in schedules._jobs.items() if j.func.__module__.startswith(own)}
    )

    def declare(name: str, func: Callable[[schedules.Run], object], **options):
        options.setdefault("label", name)
        schedules.job(name, func, **options)
        from lianke.jobs import runner
        from lianke.jobs.models import Schedule

        runner.sync_declared()
        return Schedule.objects.get(job=name, source="code")

    return declare


@pytest.fixture
def calls():
    """What the test jobs were called with, in order."""
    return []
