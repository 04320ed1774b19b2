"""Background jobs of the core (Django's tasks framework; database backend by default)."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from . import audit
from .context import Source, system_context
from .models import ObjectChange
from .registry import registry


def purge_recycle_bin(*, days: int | None = None, batch: int = 1000) -> int:
    """Delete for good what has been in the recycle bin longer than the retention period.

    Idempotent: safe to run twice or from two workers (rows are gone or already skipped).
    Each purge leaves a ``purge`` entry in the history with the last snapshot of the record.
    """
    days = settings.LIANKE_RECYCLE_BIN_DAYS if days is None else days
    cutoff = timezone.now() - dt.timedelta(days=days)
    purged = 0
    with system_context(source=Source.JOB):
        for ot in registry:
            model = ot.model
            while True:
                with transaction.atomic():
                    rows = list(
                        model.all_objects.select_for_update(skip_locked=True)
                        .filter(is_deleted=True, deleted_at__lt=cutoff)
                        .order_by("pk")[:batch]
                    )
                    if not rows:
                        break
                    audit.record_many(
                        (ObjectChange.ActionChoices.PURGE, r, audit.snapshot(r), None) for r in rows
                    )
                    model.all_objects.filter(pk__in=[r.pk for r in rows]).delete()
                    purged += len(rows)
    return purged


@task()
def purge_recycle_bin_task() -> int:
    return purge_recycle_bin()
