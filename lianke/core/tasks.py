"""Background jobs of the core: the recycle bin's purge, a scheduled job (``core.schedules``,
declared in ``CoreConfig.ready``; the ``jobs`` app runs it)."""

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from lianke.org.kinds import Child

from .context import Source, system_context
from .models import ObjectChange
from .objecttypes.registry import registry
from .records import audit
from .schedules import Run

logger = logging.getLogger(__name__)


def purge_recycle_bin(
    *,
    days: int | None = None,
    batch: int = 1000,
    dry_run: bool = False,
    report: Callable[..., None] | None = None,
) -> int:
    """Delete for good what has been in the recycle bin longer than the retention period, with
    everything that hangs on it (``_purge``): its child records, collaborators, attachments
    and, once the deletion has committed, the attachments' files. The count of records.

    Idempotent: safe to run twice or from two workers (rows are gone or already skipped).
    Each purge leaves a ``purge`` entry in the history with the last snapshot of the record.
    A record something live still points at (a contact restored on its own, whose account
    stayed in the bin) is left in the bin: it is purged once nothing needs it.

    ``report(message, **data)`` hears each record purged (the scheduled job's ``Run.did``). A
    dry run (``dry_run``) changes and locks nothing: it reports each record in the bin past the
    retention period — what a real run would purge, its children and files going with it — and
    counts those records.
    """
    days = settings.LIANKE_RECYCLE_BIN_DAYS if days is None else days
    cutoff = timezone.now() - dt.timedelta(days=days)
    purged = 0
    with system_context(source=Source.JOB):
        for ot in registry:
            model = ot.model
            kept: set[int] = set()  # a real run: records still needed; a dry run: listed
            after = 0
            while True:
                with transaction.atomic():
                    due = model.all_objects.filter(is_deleted=True, deleted_at__lt=cutoff)
                    if dry_run:  # read in key order, nothing locked
                        rows = list(due.filter(pk__gt=after).order_by("pk")[:batch])
                    else:
                        rows = list(
                            due.select_for_update(skip_locked=True)
                            .exclude(pk__in=kept)
                            .order_by("pk")[:batch]
                        )
                    if not rows:
                        break
                    if dry_run:
                        after = rows[-1].pk
                        purged += len(rows)
                        _report(report, ot, rows, _("Would purge %(type)s “%(name)s” (#%(id)s)"))
                        continue
                    try:
                        with transaction.atomic():
                            purged += _purge(model, rows)
                        _report(report, ot, rows, _("Purged %(type)s “%(name)s” (#%(id)s)"))
                    except ProtectedError:
                        for row in rows:  # one by one: purge what can go, keep what is needed
                            try:
                                with transaction.atomic():
                                    purged += _purge(model, [row])
                                _report(report, ot, [row], _("Purged %(type)s “%(name)s” (#%(id)s)"))
                            except ProtectedError:
                                logger.info(
                                    "%s #%s stays in the recycle bin: still referenced", ot.key, row.pk
                                )
                                kept.add(row.pk)
    return purged


def _report(report: Callable[..., None] | None, ot, rows: list, message: str) -> None:
    if report is None:
        return
    for row in rows:
        name = str(row)
        report(
            message % {"type": ot.label, "name": name, "id": row.pk},
            type=ot.key,
            id=row.pk,
            name=name,
            deleted_at=row.deleted_at.isoformat() if row.deleted_at else None,
        )


def purge_job(run: Run) -> None:
    """The scheduled job ``purge_recycle_bin`` (core declares it daily at 3:00): its parameter
    ``days`` overrides the retention period."""
    days = run.params.get("days")
    count = purge_recycle_bin(
        days=int(days) if days is not None else None, dry_run=run.dry_run, report=run.did
    )
    message = _("%(count)s records would be purged.") if run.dry_run else _("%(count)s records purged.")
    run.did(message % {"count": count}, count=count)


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
