"""The job worker's tasks (Django's tasks framework): run what is due, run one claimed run."""

from django.tasks import task


@task()
def run_due_jobs() -> int:
    from .runner import run_due

    return len(run_due())


@task()
def execute_run(run_id: int) -> str:
    """Run a run claimed by Settings' "run now" (its record says how it went)."""
    from .models import JobRun
    from .runner import execute

    run = (
        JobRun.objects.select_related("schedule", "actor")
        .filter(pk=run_id, status=JobRun.Status.RUNNING)
        .first()
    )
    if run is None or run.finished_at is not None:
        return "gone"
    return execute(run).status
