"""A schedule of a declared job (its timing, parameters, on or off) and the log of its runs."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.core import schedules
from lianke.core.errors import FieldCode, JobCode

from . import timing


class Schedule(models.Model):
    """When a declared job (``core.schedules.job``) runs. A job with a default timing has one
    schedule from the code (``source=code``), kept in step with the declaration until an
    administrator changes its timing; administrators add more schedules of a ``configurable``
    job in Settings, each with its own parameters (``source=settings``). A schedule has a cron
    expression (local time, ``TIME_ZONE``), an interval, or neither (run on demand only)."""

    class Source(models.TextChoices):
        CODE = "code", _("Code")
        SETTINGS = "settings", _("Settings")

    job = models.CharField(_("job"), max_length=100)
    label = models.CharField(_("name"), max_length=200, blank=True)
    cron = models.CharField(_("cron expression"), max_length=100, blank=True)
    every = models.DurationField(_("interval"), null=True, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.SETTINGS)
    # An administrator changed the timing of a code schedule: the declaration no longer moves it.
    timing_customised = models.BooleanField(_("timing changed in Settings"), default=False)
    # Periods before this moment are never run: creation, a change of timing, being enabled.
    active_since = models.DateTimeField(_("active since"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["job", "id"]
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        constraints = [
            models.UniqueConstraint(
                fields=["job"], condition=Q(source="code"), name="jobs_one_code_schedule"
            ),
            models.CheckConstraint(
                condition=Q(cron="") | Q(every__isnull=True), name="jobs_cron_or_interval"
            ),
        ]

    def __str__(self):
        return str(self.display_label)

    @property
    def declared(self) -> schedules.Job | None:
        return schedules.declared().get(self.job)

    @property
    def display_label(self):
        if self.label:
            return self.label
        declared = self.declared
        return declared.label if declared is not None else self.job

    @property
    def timing_display(self) -> str:
        if self.cron:
            return self.cron
        if self.every:
            return timing.describe_interval(self.every)
        return ""

    def clean(self):
        errors: dict[str, list[ValidationError]] = {}
        if self.cron and self.every:
            errors.setdefault("every", []).append(
                ValidationError(
                    _("Give a cron expression or an interval, not both."), code=JobCode.CRON_OR_INTERVAL
                )
            )
        if self.cron:
            try:
                timing.validate_cron(self.cron)
            except ValidationError as exc:
                errors.setdefault("cron", []).append(exc)
        if self.every is not None and self.every < dt.timedelta(minutes=1):
            errors.setdefault("every", []).append(
                ValidationError(_("An interval of at least one minute."), code=FieldCode.OUT_OF_RANGE)
            )
        if self.source == self.Source.SETTINGS and not (self.cron or self.every):
            errors.setdefault("cron", []).append(
                ValidationError(_("Give a cron expression or an interval."), code=FieldCode.REQUIRED)
            )
        if self.job not in schedules.declared():
            # a schedule whose job left the code can still be switched off or deleted: only a new
            # one, or one given another job, must name a declared job
            stored = None if self._state.adding else type(self).objects.filter(pk=self.pk).values("job")
            if stored is None or self.job not in stored.values_list("job", flat=True):
                errors.setdefault("job", []).append(
                    ValidationError(_("No such job."), code=FieldCode.INVALID_CHOICE)
                )
        elif self.source == self.Source.SETTINGS and not schedules.get(self.job).configurable:
            errors.setdefault("job", []).append(
                ValidationError(
                    _("This job runs only on its own schedule; it takes no other schedules."),
                    code=JobCode.NOT_CONFIGURABLE,
                )
            )
        if errors:
            raise ValidationError(errors)

    def latest_period(self, now: dt.datetime) -> dt.datetime | None:
        """The latest scheduled time at or before ``now`` (None: on demand only)."""
        return timing.latest(self.cron, self.every, now)

    def next_period(self, now: dt.datetime) -> dt.datetime | None:
        return timing.following(self.cron, self.every, now)


class JobRun(models.Model):
    """One run of a schedule: the period it is for (the scheduled time; a manual run's own
    moment), how it went and what it did. A real run's (schedule, period) is unique: a period
    never runs twice, whichever worker claims it first."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Scheduled")
        CATCH_UP = "catch_up", _("Catch-up")
        MANUAL = "manual", _("Manual")

    schedule = models.ForeignKey(
        Schedule, verbose_name=_("schedule"), on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    period = models.DateTimeField(_("period"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    dry_run = models.BooleanField(_("dry run"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period"], condition=Q(dry_run=False), name="jobs_run_key"
            ),
        ]
        indexes = [
            # A schedule's run log, newest first (keyset paging), and its last run.
            models.Index(fields=["schedule", "-id"], name="jobs_run_log"),
        ]

    def __str__(self):
        return f"{self.schedule_id} @ {self.period:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None

    @property
    def duration_display(self) -> str:
        """``0.7 s``, ``42 s``, ``1:05:09``."""
        taken = self.duration
        if taken is None:
            return ""
        seconds = taken.total_seconds()
        if seconds < 60:
            return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
        whole = int(seconds)
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
