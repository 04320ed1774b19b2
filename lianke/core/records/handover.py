"""Handover of a leaving user (离职交接): everything of his goes to a colleague, nothing lost.

``handover(actor, from_user, to_user, dry_run=…)`` previews or moves, per part:

- the records he owns, of every owned or pooled type of the registry, given away with
  ``services.transfer_in_bulk`` — a transfer like any other: permission checks, the related
  records that go along (an account's contacts and opportunities), history, events, audit;
  types whose transfer takes others along go first;
- his open work in the types' assignment fields (a task's assignee, ``ObjectType.
  assignment_fields``; open: a state of the type's lifecycle that is not closed), reassigned
  with ``services.edit_in_bulk``;
- the records shared with him (his collaborator entries): the colleague gets the same access
  (unless he owns the record now), through ``services.share_record``;
- his shared saved views (his private ones stay his);
- whatever other parts register with :func:`register_handover` (the approval engine: pending
  approvals where he is the approver).

Why in core: the work is the write pipeline's (transfers, bulk edits, shares) over the object
registry, which core owns; ``org`` knows people, not records. Core reaches every type through
the registry and names no business app.

Volume and failure: each part moves in batches (:data:`BATCH` records, each batch in the bulk
services' own chunks and transactions), so a leaving rep's hundred thousand follow-ups never hold
the database; a part that fails stops there and the others go on; running it again moves what
is left (each part moves only what is still his). What moved is counted as the preview minus
what is left, so a dry run's counts are exactly what a run moves. With ``deactivate`` the user
is deactivated at the end, only when nothing is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from lianke.org import audit as security_audit
from lianke.org.choices import AuditKind, CollaboratorAccess
from lianke.org.users import is_administrator

from ..errors import HandoverCode
from ..models import ObjectChange, SavedView
from ..objecttypes.registry import ObjectType, registry
from . import audit, services
from .stages import StateKind

# Records per batch of one part (each batch is then written in the bulk services' chunks).
BATCH = 2000
# Names a preview shows per part.
SAMPLE = 5


@dataclass(frozen=True)
class HandoverPart:
    """One kind of thing a leaving user hands over. ``preview(from_user)`` answers ``(count,
    sample names)`` of what is still his; ``move(actor, from_user, to_user)`` moves it — all of
    it, or raises — and may be called again after a failure (it moves only what is left)."""

    key: str
    label: StrOrPromise
    preview: Callable[[models.Model], tuple[int, list[str]]]
    move: Callable[[models.Model, models.Model, models.Model], object]
    order: int = 100


_registered: dict[str, HandoverPart] = {}


def register_handover(
    key: str,
    label: StrOrPromise,
    *,
    preview: Callable[[models.Model], tuple[int, list[str]]],
    move: Callable[[models.Model, models.Model, models.Model], object],
    order: int = 100,
) -> HandoverPart:
    """Add a part to every handover (e.g. the approval engine: ``"approvals"``, "Pending
    approvals", the pending steps where the user is an approver). Parts run by ``order`` after
    the built-in ones (records, open work, shared records, saved views: orders 10–40)."""
    part = HandoverPart(key=key, label=label, preview=preview, move=move, order=order)
    _registered[key] = part
    return part


@dataclass
class HandoverItem:
    """One line of a handover's preview or report."""

    key: str
    label: str
    count: int
    sample: list[str]
    moved: int = 0
    left: int = 0
    error: str = ""


@dataclass
class HandoverReport:
    from_user: models.Model
    to_user: models.Model
    dry_run: bool
    items: list[HandoverItem] = field(default_factory=list)
    deactivated: bool = False

    @property
    def total(self) -> int:
        return sum(item.count for item in self.items)

    @property
    def moved(self) -> int:
        return sum(item.moved for item in self.items)

    @property
    def left(self) -> int:
        return sum(item.left for item in self.items)

    @property
    def complete(self) -> bool:
        return not self.dry_run and not self.left and not any(item.error for item in self.items)


# ---------------------------------------------------------------------------------- built-in parts
def _sample(queryset) -> list[str]:
    return [str(obj) for obj in queryset.order_by("pk")[:SAMPLE]]


def _owned_types() -> list[ObjectType]:
    """Owned and pooled types, those that take others along in a transfer first (an account
    before its contacts: they go with it, as in a transfer of the account)."""
    types = [ot for ot in registry if ot.is_owned]
    return sorted(types, key=lambda ot: (not ot.transfer_related, ot.key))


def _owned(ot: ObjectType, user) -> models.QuerySet:
    return ot.model.all_objects.filter(owner_id=user.pk, is_deleted=False)  # type: ignore[attr-defined]


def _in_batches(queryset: models.QuerySet, apply: Callable[[list], object]) -> None:
    """``apply`` to what ``queryset`` still matches, ``BATCH`` records at a time, until nothing
    matches; a batch that changes nothing stops (never a loop)."""
    seen_last: list[int] | None = None
    while True:
        batch = list(queryset.order_by("pk")[:BATCH])
        if not batch:
            return
        ids = [obj.pk for obj in batch]
        if ids == seen_last:
            raise ValidationError(
                _("Some records could not be moved; nothing changed in the last batch."),
                code=HandoverCode.STUCK,
            )
        seen_last = ids
        result = apply(batch)
        error = getattr(result, "error", None)
        if error is not None:
            raise error


def _records_part(ot: ObjectType) -> HandoverPart:
    def preview(user):
        queryset = _owned(ot, user)
        return queryset.count(), _sample(queryset)

    def move(actor, from_user, to_user):
        _in_batches(
            _owned(ot, from_user),
            lambda batch: services.transfer_in_bulk(
                actor=actor, records=batch, new_owner=to_user, with_related=True
            ),
        )

    return HandoverPart(key=f"records:{ot.key}", label=ot.label_plural, preview=preview, move=move, order=10)


def _open_q(ot: ObjectType) -> Q:
    """The records of ``ot`` that are open work: in a state of its lifecycle that is not closed
    (a task not done); every record where the type has no lifecycle."""
    path = ot.stage_path
    if path is None:
        return Q()
    q = Q()
    for state in path.states(None):
        if state.kind == StateKind.OPEN:
            q |= path.state_q(state)
    return Q(**path.condition) & q


def _assigned(ot: ObjectType, name: str, user) -> models.QuerySet:
    attname = ot.model._meta.get_field(name).attname  # type: ignore[union-attr]
    return ot.model.all_objects.filter(_open_q(ot), is_deleted=False, **{attname: user.pk})  # type: ignore[attr-defined]


def _assignment_part(ot: ObjectType, name: str) -> HandoverPart:
    def preview(user):
        queryset = _assigned(ot, name, user)
        return queryset.count(), _sample(queryset)

    def move(actor, from_user, to_user):
        _in_batches(
            _assigned(ot, name, from_user),
            lambda batch: services.edit_in_bulk(actor=actor, records=batch, field=name, value=to_user),
        )

    verbose = ot.model._meta.get_field(name).verbose_name  # type: ignore[union-attr]
    label = _("%(type)s (open, %(field)s)") % {"type": ot.label_plural, "field": verbose}
    return HandoverPart(key=f"assigned:{ot.key}:{name}", label=label, preview=preview, move=move, order=20)


def _collaborations(user) -> list:
    """His collaborator entries on live records of registered owned types, by record."""
    from lianke.org.models import Collaborator

    rows = []
    for ot in registry:
        if not ot.is_owned:
            continue
        ct = ContentType.objects.get_for_model(ot.model)
        live = ot.model.all_objects.filter(is_deleted=False).values("pk")  # type: ignore[attr-defined]
        rows.append(Collaborator.objects.filter(user=user, content_type=ct, object_id__in=live))
    return rows


def _preview_collaborations(user):
    querysets = _collaborations(user)
    count = sum(queryset.count() for queryset in querysets)
    sample = []
    for queryset in querysets:
        for row in queryset.select_related("content_type").order_by("pk")[: SAMPLE - len(sample)]:
            sample.append(str(row.content_type.model_class().all_objects.get(pk=row.object_id)))
    return count, sample


def _move_collaborations(actor, from_user, to_user):
    from lianke.org.models import Collaborator

    for queryset in _collaborations(from_user):
        for row in list(queryset.select_related("content_type").order_by("pk")):
            model = row.content_type.model_class()
            with transaction.atomic():
                record = model.all_objects.get(pk=row.object_id)
                theirs = Collaborator.objects.filter(
                    content_type=row.content_type, object_id=row.object_id, user=to_user
                ).first()
                wider = row.access == CollaboratorAccess.WRITE and (
                    theirs is not None and theirs.access != CollaboratorAccess.WRITE
                )
                if record.owner_id != to_user.pk and (theirs is None or wider):
                    services.share_record(actor=actor, record=record, user=to_user, access_level=row.access)
                services.share_record(
                    actor=actor, record=record, user=from_user, access_level=row.access, remove=True
                )


def _shared_views(user) -> models.QuerySet:
    through_roles, through_departments = SavedView.shared_roles.through, SavedView.shared_departments.through
    return SavedView.objects.filter(user=user).filter(
        Q(pk__in=through_roles.objects.values("savedview"))
        | Q(pk__in=through_departments.objects.values("savedview"))
    )


def _preview_views(user):
    queryset = _shared_views(user)
    return queryset.count(), _sample(queryset)


def _move_views(actor, from_user, to_user):
    for view in list(_shared_views(from_user).order_by("pk")):
        with transaction.atomic():
            before = audit.config_snapshot(view)
            taken = SavedView.objects.filter(user=to_user, object_type=view.object_type, name=view.name)
            if taken.exists():
                # The colleague has a view of that name: this one keeps its author's name beside it.
                view.name = f"{view.name} ({from_user})"[:100]
            view.user = to_user
            view.save(update_fields=["user", "name"])
            audit.record(
                ObjectChange.ActionChoices.UPDATE, view, before, audit.config_snapshot(view), actor=actor
            )


def parts() -> list[HandoverPart]:
    """Every part of a handover, in the order they run."""
    built_in = [_records_part(ot) for ot in _owned_types()]
    built_in += [_assignment_part(ot, name) for ot in registry for name in ot.assignment_fields]
    built_in += [
        HandoverPart(
            "collaborations",
            gettext_lazy("Records shared with him"),
            _preview_collaborations,
            _move_collaborations,
            order=30,
        ),
        HandoverPart(
            "saved_views", gettext_lazy("Shared saved views"), _preview_views, _move_views, order=40
        ),
    ]
    return sorted([*built_in, *_registered.values()], key=lambda part: part.order)


# ---------------------------------------------------------------------------------- the service
def check(actor, from_user, to_user) -> None:
    """Who may hand over, and to whom: an administrator; an active colleague, not the leaving
    user himself. A ``ValidationError`` naming ``to_user`` (coded) or ``PermissionDenied``."""
    if not is_administrator(actor):
        raise PermissionDenied(_("Only administrators may hand over a user's work."))
    if to_user.pk == from_user.pk:
        raise ValidationError(
            {
                "to_user": ValidationError(
                    _("Choose a colleague: %(user)s cannot hand over to himself.") % {"user": from_user},
                    code=HandoverCode.SAME_USER,
                )
            }
        )
    if not to_user.is_active:
        raise ValidationError(
            {
                "to_user": ValidationError(
                    _("%(user)s is not an active user: choose someone who can take the work over.")
                    % {"user": to_user},
                    code=HandoverCode.RECEIVER_INACTIVE,
                )
            }
        )


def preview(from_user) -> list[HandoverItem]:
    items = []
    for part in parts():
        count, sample = part.preview(from_user)
        items.append(
            HandoverItem(key=part.key, label=str(part.label), count=count, sample=sample, left=count)
        )
    return items


def handover(actor, from_user, to_user, *, dry_run: bool = False, deactivate: bool = False) -> HandoverReport:
    """Preview (``dry_run``) or move everything of ``from_user`` to ``to_user`` (see the module
    docstring). Outside any transaction: each part commits as it goes, and a second run moves
    what a failed one left. The report says per part what there was, what moved and what is
    left (with the reason it stopped)."""
    check(actor, from_user, to_user)
    report = HandoverReport(from_user=from_user, to_user=to_user, dry_run=dry_run)
    report.items = preview(from_user)
    if dry_run:
        return report
    by_key = {part.key: part for part in parts()}
    for item in report.items:
        part = by_key[item.key]
        if item.count:
            try:
                part.move(actor, from_user, to_user)
            except (ValidationError, PermissionDenied) as exc:
                messages = getattr(exc, "messages", None) or [str(exc)]
                item.error = " ".join(str(m) for m in messages)
    for item in report.items:
        if item.count or item.error:
            item.left = by_key[item.key].preview(from_user)[0]
            item.moved = max(item.count - item.left, 0)
    if deactivate and report.complete and from_user.is_active:
        _deactivate(actor, from_user)
        report.deactivated = True
    security_audit.record(
        AuditKind.HANDOVER,
        actor=actor,
        summary=f"{from_user.get_username()} → {to_user.get_username()}: {report.moved}",
        data={
            "from": from_user.pk,
            "to": to_user.pk,
            "moved": {item.key: item.moved for item in report.items if item.moved},
            "left": {item.key: item.left for item in report.items if item.left},
            "errors": {item.key: item.error for item in report.items if item.error},
            "deactivated": report.deactivated,
        },
    )
    return report


def _deactivate(actor, user) -> None:
    with transaction.atomic():
        user = type(user).objects.select_for_update().get(pk=user.pk)
        before = audit.config_snapshot(user)
        user.is_active = False
        user.save(update_fields=["is_active"])  # revokes his API tokens (``User.save``)
        audit.record(
            ObjectChange.ActionChoices.UPDATE, user, before, audit.config_snapshot(user), actor=actor
        )
