"""Cron expressions and intervals: what parses, which scheduled time a moment belongs to (in
local time), and a bad expression refused with its code, nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from lianke.jobs import services, timing
from lianke.jobs.models import Schedule

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.mark.parametrize(
    "expression", ["0 3 * * *", "*/15 8-18 * * mon-fri", "30 2 1 * *", "@daily", " 0  3 * * * "]
)
def test_cron_expressions_that_parse(expression):
    assert timing.validate_cron(expression) == " ".join(expression.split())


@pytest.mark.parametrize(
    "expression",
    ["", "hello", "* * * *", "61 * * * *", "0 25 * * *", "0 3 * * * *", "0 0 31 2 *", "@reboot"],
)
def test_cron_expressions_that_do_not_parse_are_refused_with_their_code(expression):
    with pytest.raises(ValidationError) as info:
        timing.validate_cron(expression)
    assert info.value.code == "invalid_cron"


def test_the_period_of_a_daily_cron_is_the_latest_3_oclock_in_local_time():
    # given "every day at 3:00" in Shanghai
    cron = "0 3 * * *"
    # then just before 3:00 the period is yesterday's, at 3:00 sharp and after it today's
    assert timing.latest(cron, None, at(2026, 12, 8, 2, 59, 59)) == at(2026, 12, 7, 3, 0)
    assert timing.latest(cron, None, at(2026, 12, 8, 3, 0)) == at(2026, 12, 8, 3, 0)
    assert timing.latest(cron, None, at(2026, 12, 8, 3, 0, 0, 500)) == at(2026, 12, 8, 3, 0)
    assert timing.latest(cron, None, at(2026, 12, 8, 23, 0)) == at(2026, 12, 8, 3, 0)
    # the same moment told in UTC (19:00 the day before) is the same period
    utc = at(2026, 12, 8, 3, 30).astimezone(dt.UTC)
    assert timing.latest(cron, None, utc) == at(2026, 12, 8, 3, 0)
    assert timing.following(cron, None, at(2026, 12, 8, 3, 0)) == at(2026, 12, 9, 3, 0)
    assert timing.previous(cron, None, at(2026, 12, 8, 3, 0)) == at(2026, 12, 7, 3, 0)


def test_cron_is_read_in_the_projects_time_zone_whatever_zone_is_active():
    from django.utils import timezone

    with timezone.override("America/New_York"):
        assert timing.latest("0 3 * * *", None, at(2026, 12, 8, 3, 30)) == at(2026, 12, 8, 3, 0)


def test_interval_periods_are_counted_from_local_midnight_whenever_the_schedule_was_made():
    six_hours = dt.timedelta(hours=6)
    assert timing.latest("", six_hours, at(2026, 12, 8, 5, 59)) == at(2026, 12, 8, 0, 0)
    assert timing.latest("", six_hours, at(2026, 12, 8, 13, 0)) == at(2026, 12, 8, 12, 0)
    assert timing.following("", six_hours, at(2026, 12, 8, 13, 0)) == at(2026, 12, 8, 18, 0)
    assert timing.latest("", None, at(2026, 12, 8, 13, 0)) is None  # on demand only


def test_a_bad_cron_expression_names_the_field_and_saves_nothing(org, declare, calls):
    # given a job administrators may schedule themselves
    declare("remind_payments", calls.append, configurable=True)
    before = Schedule.objects.count()
    # when an administrator gives a cron expression that does not parse
    with pytest.raises(ValidationError) as info:
        services.create_schedule(actor=org.admin, job="remind_payments", cron="every day at 3")
    # then the error names the field, with its code, and nothing is saved
    assert [e.code for e in info.value.error_dict["cron"]] == ["invalid_cron"]
    assert Schedule.objects.count() == before


def test_a_bad_cron_on_an_existing_schedule_changes_nothing(org, declare, calls):
    schedule = declare("tidy", calls.append, cron="0 3 * * *")
    with pytest.raises(ValidationError) as info:
        services.update_schedule(actor=org.admin, schedule=schedule, cron="0 3 * *", enabled=False)
    assert [e.code for e in info.value.error_dict["cron"]] == ["invalid_cron"]
    schedule.refresh_from_db()
    assert (schedule.cron, schedule.enabled, schedule.timing_customised) == ("0 3 * * *", True, False)


def test_a_cron_expression_and_an_interval_together_are_refused(org, declare, calls):
    schedule = declare("tidy", calls.append, cron="0 3 * * *")
    with pytest.raises(ValidationError) as info:
        services.update_schedule(actor=org.admin, schedule=schedule, every=dt.timedelta(hours=1))
    assert [e.code for e in info.value.error_dict["every"]] == ["cron_or_interval"]
