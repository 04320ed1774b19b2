"""Background jobs of the core (Django's tasks framework; database backend by default)."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.tasks import task
from django.utils import timezone

from lianke.org.kinds import Child

from .context import Source, system_context
from .models import ObjectChange
from .objecttypes.registry import registry
from .records import audit

logger = logging.getLogger(__name__)


def purge_recycle_bin(*, days: int | None = None, batch: int = 1000) -> int:
    """Delete for good what has been in the recycle bin longer than the retention period, with
    everything that hangs on it (``_purge``): its child records, collaborators, attachments
    and, once the deletion has committed, the attachments' files.

    Idempotent: safe to run twice or from two workers (rows are gone or already skipped).
    Each purge leaves a ``purge`` entry in the history with the last snapshot of the record.
    A record something live still points at (a contact restored on its own, whose account
    stayed in the bin) is left in the bin: it is purged once nothing needs it.
    """
    days = settings.LIANKE_RECYCLE_BIN_DAYS if days is None else days
    cutoff = timezone.now() - dt.timedelta(days=days)
    purged = 0
    with system_context(source=Source.JOB):
        for ot in registry:
            model = ot.model
            kept: set[int] = set()
            while True:
                with transaction.atomic():
                    rows = list(
                        model.all_objects.select_for_update(skip_locked=True)
                        .filter(is_deleted=True, deleted_at__lt=cutoff)
                        .exclude(pk__in=kept)
                        .order_by("pk")[:batch]
                    )
                    if not rows:
                        break
                    try:
                        with transaction.atomic():
                            purged += _purge(model, rows)
                    except ProtectedError:
                        for row in rows:  # one by one: purge what can go, keep what is needed
                            try:
                                with transaction.atomic():
                                    purged += _purge(model, [row])
                            except ProtectedError:
                                logger.info(
                                    "%s #%s stays in the recycle bin: still referenced", ot.key, row.pk
                                )
                                kept.add(row.pk)
    return purged


def _dependants(model, pks: list[int]):
    """What goes with these records when they are purged: the records deleted together with
    them (``delete_cascade``, still in the bin) and the rows of child types (``Child`` kinds:
    an opportunity's competitors)."""
    ot = registry.get_for_model(model)
    for accessor in ot.delete_cascade:
        relation = model._meta.get_field(accessor)
        yield relation.related_model.all_objects.filter(
            **{f"{relation.field.name}__in": pks}, is_deleted=True
        )
    for child in registry:
        if isinstance(child.access, Child) and child.access.parent_model is model:
            yield child.model.all_objects.filter(**{f"{child.access.parent_field}__in": pks})


def _purge(model, rows: list) -> int:
    """Delete ``rows`` (locked) with their dependants, collaborators and attachments; the files
    leave the storage after the commit (a rolled-back purge keeps them). The count of records."""
    from django.contrib.contenttypes.models import ContentType

    from lianke.org.models import Collaborator

    from .models import Attachment

    pks = [r.pk for r in rows]
    count = len(rows)
    for dependants in _dependants(model, pks):
        children = list(dependants.select_for_update().order_by("pk"))
        if children:
            count += _purge(type(children[0]), children)
    audit.record_many((ObjectChange.ActionChoices.PURGE, r, audit.snapshot(r), None) for r in rows)
    ct = ContentType.objects.get_for_model(model)
    attachments = Attachment.objects.filter(content_type=ct, object_id__in=pks)
    files = [(a.file.storage, a.file.name) for a in attachments if a.file.name]
    attachments.delete()
    Collaborator.objects.filter(content_type=ct, object_id__in=pks).delete()
    model.all_objects.filter(pk__in=pks).delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
    return count


@task()
def purge_recycle_bin_task() -> int:
    return purge_recycle_bin()
