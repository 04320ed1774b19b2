"""``lianke jobs list`` — the schedules, their timing, next and last run; ``lianke jobs run NAME
[--dry-run]`` — run a job now (recorded as a manual run; a dry run changes nothing and prints
what it would do)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lianke.jobs import runner
from lianke.jobs.models import JobRun, Schedule


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


class Command(BaseCommand):
    help = "List the scheduled jobs, or run one now."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="the schedules: timing, on or off, next run, last run and its status")
        run = actions.add_parser("run", help="run a job now (a manual run, recorded)")
        run.add_argument("name", help="a job's name, or a schedule's number (from `jobs list`)")
        run.add_argument("--dry-run", action="store_true", help="print what it would do; change nothing")

    def handle(self, *args, action, **options):
        if action == "list":
            self.list()
        else:
            self.run(options["name"], dry_run=options["dry_run"])

    def list(self) -> None:
        runner.sync_declared()
        schedules = list(Schedule.objects.all())
        last = runner.last_runs(s.pk for s in schedules)
        now = timezone.now()
        rows = [("ID", "JOB", "SCHEDULE", "ENABLED", "NEXT RUN", "LAST RUN", "STATUS")]
        for s in schedules:
            run = last.get(s.pk)
            status = "-"
            if run is not None:
                status = run.status + (" (dry run)" if run.dry_run else "")
            rows.append(
                (
                    str(s.pk),
                    s.job
                    if s.source == Schedule.Source.CODE
                    else f"{s.job} ({s.label})"
                    if s.label
                    else s.job,
                    s.timing_display or "on demand",
                    "yes" if s.enabled else "no",
                    _when(s.next_period(now)) if s.enabled else "-",
                    _when(run.started_at) if run else "-",
                    status,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )

    def run(self, name: str, *, dry_run: bool) -> None:
        try:
            schedule = runner.find(name)
            run = runner.run_now(schedule, dry_run=dry_run)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for action in run.actions:
            self.stdout.write(f"  {action.get('message', '')}")
        if run.status == JobRun.Status.FAILED:
            self.stderr.write(run.error)
            raise CommandError(f"{schedule.job} failed (run {run.pk}).")
        if dry_run:
            self.stdout.write(f"Dry run of {schedule.job} (run {run.pk}): nothing was changed.")
        else:
            self.stdout.write(f"{schedule.job} succeeded (run {run.pk}).")
