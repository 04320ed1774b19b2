from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "lianke.jobs"
    label = "jobs"
    verbose_name = _("Scheduled jobs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from lianke.console import pages
        from lianke.core import periodic, schedules
        from lianke.org import access
        from lianke.org.kinds import Config

        from . import retention, runner
        from .models import Schedule

        # A schedule is configuration: administrators only, whatever page or command.
        access.register_policy(Schedule, Config())
        # The declared jobs' own schedules follow the code after every migrate (and at the
        # runner's start, for declarations added without a migration).
        post_migrate.connect(runner.sync_after_migrate, sender=self, dispatch_uid="lianke.jobs.sync")
        # The run log keeps LIANKE_JOBS_KEEP_DAYS of runs (and each schedule's last one).
        schedules.job(
            "purge_job_runs",
            retention.purge_runs,
            label=_("Tidy the job run log"),
            description=_("Deletes the runs of scheduled jobs older than the retention period."),
            cron="30 3 * * *",
        )
        # Every 30 s: enqueue a run of what has fallen due (the worker runs it).
        periodic.every(30, runner.enqueue_if_due)
        pages.register(
            "jobs",
            title=_("Scheduled jobs"),
            group=pages.WORKFLOW,
            url_name="jobs:list",
            icon="clock-history",
            order=30,
        )
