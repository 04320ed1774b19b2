"""The outbox's background job (Django's tasks framework)."""

from django.tasks import task

from lianke.core.context import Source, system_context


@task()
def deliver_outbox() -> int:
    from .delivery import deliver_due

    with system_context(source=Source.JOB):
        return deliver_due(limit=500)


@task()
def purge_outbox() -> int:
    from .delivery import purge

    with system_context(source=Source.JOB):
        return purge()
