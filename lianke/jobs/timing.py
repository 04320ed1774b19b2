"""When a schedule falls due: cron expressions (five fields, in the project's ``TIME_ZONE``, read
by croniter) and intervals (counted from a fixed local Monday midnight, so "every 6 hours" runs
at 0:00, 6:00, 12:00 and 18:00 and "every 7 days" on Mondays, whenever the schedule was made).
"""

from __future__ import annotations

import datetime as dt

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lianke.core.errors import JobCode

MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def _anchor() -> dt.datetime:
    return dt.datetime(2000, 1, 3, tzinfo=timezone.get_default_timezone())


def validate_cron(expression: str) -> str:
    """``expression`` tidied (spaces), or a ``ValidationError`` coded ``invalid_cron``."""
    text = " ".join(expression.split())
    fields = text.split(" ")
    valid = (len(fields) == 5 or (len(fields) == 1 and text.lower() in MACROS)) and croniter.is_valid(text)
    if valid:
        try:  # "0 0 31 2 *" parses but never comes
            croniter(text, timezone.localtime()).get_next(dt.datetime)
        except (CroniterBadDateError, CroniterError):
            valid = False
    if not valid:
        raise ValidationError(
            _(
                "“%(value)s” is not a cron expression: five fields (minute hour day-of-month month"
                " day-of-week), e.g. “0 3 * * *” for every day at 3:00."
            ),
            code=JobCode.INVALID_CRON,
            params={"value": expression},
        )
    return text


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment, timezone.get_default_timezone())


def latest(cron: str, every: dt.timedelta | None, now: dt.datetime) -> dt.datetime | None:
    """The latest scheduled time at or before ``now`` (seconds precision); None: no timing."""
    if cron:
        try:
            # croniter's "previous" is strictly before its start: start a second after now.
            start = _local(now).replace(microsecond=0) + dt.timedelta(seconds=1)
            return croniter(cron, start).get_prev(dt.datetime)
        except (CroniterBadCronError, CroniterBadDateError, CroniterError):
            return None
    if every:
        anchor = _anchor()
        return _local(anchor + every * ((now - anchor) // every))
    return None


def following(cron: str, every: dt.timedelta | None, now: dt.datetime) -> dt.datetime | None:
    """The first scheduled time after ``now``; None: no timing."""
    if cron:
        try:
            return croniter(cron, _local(now).replace(microsecond=0)).get_next(dt.datetime)
        except (CroniterBadCronError, CroniterBadDateError, CroniterError):
            return None
    if every:
        anchor = _anchor()
        return _local(anchor + every * ((now - anchor) // every + 1))
    return None


def previous(cron: str, every: dt.timedelta | None, period: dt.datetime) -> dt.datetime | None:
    """The scheduled time before ``period`` (itself a scheduled time)."""
    return latest(cron, every, period - dt.timedelta(seconds=1))


def describe_interval(every: dt.timedelta) -> str:
    seconds = int(every.total_seconds())
    if seconds % 86400 == 0:
        n = seconds // 86400
        return ngettext("every %(n)s day", "every %(n)s days", n) % {"n": n}
    if seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("every %(n)s hour", "every %(n)s hours", n) % {"n": n}
    n = max(seconds // 60, 1)
    return ngettext("every %(n)s minute", "every %(n)s minutes", n) % {"n": n}
