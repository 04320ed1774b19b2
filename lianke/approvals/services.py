"""Every action on an approval: ``submit``, ``approve``, ``reject``, ``return_``, ``resubmit``,
``withdraw``, ``comment``, ``delegate``, ``add_approver`` (加签), ``cc`` (抄送), ``urge`` (催办),
``set_out_of_office``, ``end_out_of_office`` — each one transaction with an explicit actor, under a row lock on the
approval (``select_for_update`` on PostgreSQL; SQLite's IMMEDIATE transactions serialise the
writers), writing the log (``ApprovalEvent``), an entry in the record's history (the
``approval`` pseudo-field) and the notifications, in that transaction.

Refusals: a ``ValidationError`` with a code for bad input (a missing reason, an inactive
delegate, no flow, no approver, a delegation cycle); an ``ApprovalRefused`` (a DRF
``APIException``: the API answers ``{"detail", "code"}`` with its status) for what the caller
may not do now — ``not_an_approver`` / ``not_the_submitter`` / ``self_approval`` (403),
``already_decided`` / ``approval_open`` / ``not_open`` (409), ``rate_limited`` (429).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException

from lianke.core.errors import ApprovalCode, FieldCode, RecordCode
from lianke.core.models import ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.core.records import audit
from lianke.core.records import services as records
from lianke.core.text.keys import as_key
from lianke.notifications.service import notify
from lianke.org import access
from lianke.org.choices import Action
from lianke.org.models import User

from . import purposes, versions
from .conditions import matches, value_of
from .models import (
    OPEN_STATUSES,
    Approval,
    ApprovalCopy,
    ApprovalEvent,
    ApprovalFlow,
    ApprovalTask,
    EventAction,
    Mode,
    OutOfOffice,
    Status,
    TaskStatus,
    Trigger,
)
from .resolve import resolve

E = EventAction
# A lifecycle move's value that stands for the decision's comment (a rejection's reason).
COMMENT = "$comment"


class ApprovalRefused(APIException):
    """What the caller may not do to this approval now; ``code`` is stable, ``status_code``
    the HTTP answer."""

    def __init__(self, message, code: str, status: int):
        super().__init__(str(message), code)
        self.code = code
        self.status_code = status


def urge_interval() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "LIANKE_APPROVAL_URGE_MINUTES", 60))


# ---------------------------------------------------------------------------------- reading
def content_type_of(record) -> ContentType:
    return ContentType.objects.get_for_model(type(record))


def record_of(approval: Approval, *, lock: bool = False):
    """The approval's record (any state; ``None`` once purged)."""
    model = approval.content_type.model_class()
    if model is None:
        return None
    manager = getattr(model, "all_objects", model._default_manager)
    rows = manager.select_for_update() if lock else manager
    return rows.filter(pk=approval.object_id).first()


def pending_approval(record) -> Approval | None:
    """The record's approval waiting for approvers, if any (one index probe)."""
    return (
        Approval.objects.filter(
            content_type=content_type_of(record), object_id=record.pk, status=Status.PENDING
        )
        .select_related("version")
        .first()
    )


def pending_approvals(model, ids) -> dict[int, Approval]:
    """``{record id: its pending approval}`` for the records ``ids`` of ``model``: one query
    per 1,000 records (a batch's lock check)."""
    ids = sorted(ids)
    found: dict[int, Approval] = {}
    for start in range(0, len(ids), 1000):
        for approval in Approval.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=ids[start : start + 1000],
            status=Status.PENDING,
        ).select_related("version"):
            found[approval.object_id] = approval
    return found


def open_approval(record) -> Approval | None:
    return (
        Approval.objects.filter(
            content_type=content_type_of(record), object_id=record.pk, status__in=OPEN_STATUSES
        )
        .select_related("version")
        .first()
    )


def approval_url(approval: Approval) -> str:
    """Where a notification leads: the approval's page if the inbox is installed, else the
    record's page."""
    try:
        return reverse("approvals:detail", kwargs={"pk": approval.pk})
    except NoReverseMatch:
        model = approval.content_type.model_class()
        ot = registry.get_for_model(model, None) if model is not None else None
        try:
            return ot.record_url(approval.object_id) if ot is not None else ""
        except NoReverseMatch:
            return ""


def choose_flow(record, purpose: str = "") -> ApprovalFlow:
    """The first active flow of the record's type (and purpose) whose trigger matches, in the
    flows' order; none: ``no_flow``."""
    key = record._meta.label_lower
    for flow in ApprovalFlow.objects.filter(object_type=key, is_active=True, purpose=purpose).order_by(
        "position", "id"
    ):
        if flow.trigger == Trigger.ON_SUBMIT or matches(record, flow.condition):
            return flow
    raise ValidationError(
        _("No approval flow applies to “%(record)s”.") % {"record": record}, code=ApprovalCode.NO_FLOW
    )


def exposed_snapshot(record, fields: Iterable[str]) -> dict:
    """The exposed fields' values as people read them (``{name: {"label", "value"}}``)."""
    from lianke.core.ui import display

    snapshot = {}
    ot = registry.get_for_model(type(record), None)
    for name in fields:
        value = value_of(record, name)
        label = name
        if name.startswith("cf_"):
            definition = next((d for d in ot.custom_fields() if d.name == name[3:]), None) if ot else None
            label = str(definition.label) if definition is not None else name[3:]
            text = definition.display(value) if definition is not None else value
        else:
            try:
                field = record._meta.get_field(name)
            except FieldDoesNotExist:  # a field removed since the flow was saved
                continue
            label = str(getattr(field, "verbose_name", name))
            if getattr(field, "many_to_one", False):
                related = field.related_model._base_manager.filter(pk=value).first() if value else None
                text = str(related) if related is not None else ""
            elif getattr(field, "choices", None):
                text = str(dict(field.flatchoices).get(value, value))
            else:
                text = display.format_value(value, field)
        snapshot[name] = {"label": label, "value": _plain(text)}
    return snapshot


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


# ---------------------------------------------------------------------------------- writing helpers
def _locked(approval: Approval | int) -> Approval:
    pk = approval.pk if isinstance(approval, Approval) else int(approval)
    try:
        return Approval.objects.select_for_update().select_related("version", "content_type").get(pk=pk)
    except Approval.DoesNotExist:
        raise ApprovalRefused(_("No such approval."), RecordCode.NOT_FOUND, 404) from None


def _log(approval: Approval, action: str, actor, comment: str = "", **data) -> ApprovalEvent:
    return ApprovalEvent.objects.create(
        approval=approval,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        step=approval.step,
        comment=comment or "",
        data=data,
    )


def _history(record, approval: Approval, action: str, actor, comment: str = "") -> None:
    """The record's history tells each step of its approvals (the ``approval`` pseudo-field)."""
    if record is None:
        return
    after = {
        "approval": {
            "id": approval.pk,
            "action": action,
            "label": _untranslated(E(action).label),
            "flow": approval.version.settings.get("name", ""),
            "comment": comment[:500],
        }
    }
    audit.record(ObjectChange.ActionChoices.UPDATE, record, {}, after, actor=actor)


def _untranslated(label) -> str:
    """A label's message id: history translates it when read, in the reader's language."""
    with translation.override(None):
        return str(label)


def _settings(approval: Approval) -> dict:
    return approval.version.settings


def _params(approval: Approval, **more) -> dict:
    return {"name": approval.object_repr, "flow": _settings(approval).get("name", ""), **more}


def _notify(users, kind: str, approval: Approval, actor, record=None, **more) -> None:
    notify(
        users,
        kind,
        record=record,
        actor=actor,
        url=approval_url(approval),
        approval=approval.pk,
        **_params(approval, **more),
    )


def _pending_tasks(approval: Approval):
    return approval.tasks.filter(step=approval.step, status=TaskStatus.PENDING)


def _task_of(approval: Approval, actor) -> ApprovalTask:
    """The actor's pending task in the current step. Otherwise ``already_decided`` (409) when he
    took part already or the approval is over for him, else ``not_an_approver`` (403)."""
    if approval.status == Status.PENDING:
        task = _pending_tasks(approval).filter(approver=actor).order_by("id").select_for_update().first()
        if task is not None:
            return task
    took_part = approval.tasks.filter(approver=actor).exists()
    if took_part or (approval.status != Status.PENDING and approval.submitter_id == actor.pk):
        raise ApprovalRefused(
            _("This approval was decided already (%(status)s).") % {"status": approval.get_status_display()}
            if approval.status != Status.PENDING
            else _("Your part in this step is decided already."),
            ApprovalCode.ALREADY_DECIDED,
            409,
        )
    raise ApprovalRefused(
        _("You are not an approver of the current step of this approval."), ApprovalCode.NOT_AN_APPROVER, 403
    )


def _due(step: dict, now) -> dt.datetime | None:
    hours = step.get("time_limit_hours")
    return now + dt.timedelta(hours=int(hours)) if hours else None


def _start(approval: Approval, record, index: int, actor, *, told: bool = False) -> None:
    """Open step ``index`` (skipping steps whose condition does not hold), giving its approvers
    their tasks; past the last step the approval is approved."""
    steps = approval.version.steps
    now = timezone.now()
    while index < len(steps):
        step = steps[index]
        approval.step = index
        if step.get("condition") and not matches(record, step["condition"]):
            _log(approval, E.STEP_SKIPPED, None, step=step.get("name", ""))
            index += 1
            continue
        resolved = resolve(step, settings=_settings(approval), submitter=approval.submitter, record=record)
        if not resolved.users:
            raise ValidationError(
                _("Nobody can approve the step “%(step)s”: no approver, fallback approver or administrator.")
                % {"step": step.get("name", index + 1)},
                code=ApprovalCode.NO_APPROVER,
            )
        approval.save(update_fields=["step", "updated_at"])
        for replacement in resolved.replaced:
            _log(approval, E.FALLBACK, None, **replacement)
        # An approver out of office: his delegate's task says whose it is.
        away_from = {r["to"]: r["from"] for r in resolved.replaced if r["reason"] == "away"}
        ApprovalTask.objects.bulk_create(
            [
                ApprovalTask(
                    approval=approval,
                    step=index,
                    step_name=step.get("name", "")[:100],
                    approver=user,
                    created_at=now,
                    due_at=_due(step, now),
                    delegated_from_id=away_from.get(user.pk),
                )
                for user in resolved.users
            ]
        )
        _log(
            approval,
            E.STEP_STARTED,
            None,
            approvers=[u.pk for u in resolved.users],
            name=step.get("name", ""),
        )
        _notify(resolved.users, "approval.waiting", approval, actor, record, step=step.get("name", ""))
        return
    _finish(approval, record, Status.APPROVED, actor, told=told)


def _cancel_pending(approval: Approval, now) -> None:
    approval.tasks.filter(status=TaskStatus.PENDING).update(status=TaskStatus.CANCELLED, decided_at=now)


def _finish(approval: Approval, record, status: str, actor, comment: str = "", *, told: bool = False) -> None:
    """The approval ends ``status`` (approved / rejected): remaining tasks cancelled, the
    approved amount kept, the flow's lifecycle moves applied through the write pipeline, the
    purpose's handler run, the submitter and the copied people told."""
    now = timezone.now()
    _cancel_pending(approval, now)
    approval.status, approval.decided_at = status, now
    flow = _settings(approval)
    if status == Status.APPROVED and flow.get("amount_field") and record is not None:
        amount = value_of(record, flow["amount_field"])
        try:
            approval.approved_amount = Decimal(str(amount)) if amount not in (None, "") else None
        except ArithmeticError:
            approval.approved_amount = None
    approval.save(update_fields=["status", "decided_at", "approved_amount", "updated_at"])
    _log(approval, E.FINISHED, actor, comment, status=status)
    if not told:  # the decision that ended it is in the record's history already
        _history(record, approval, status, actor, comment)
    moves = {
        name: (comment if value == COMMENT else value)
        for name, value in (
            flow.get("on_approve" if status == Status.APPROVED else "on_reject") or {}
        ).items()
    }
    if moves and record is not None:
        record = records.save_as_workflow(record=record, values=moves, actor=actor)
    purpose = purposes.get(flow.get("purpose", ""))
    handler = (
        None if purpose is None else purpose.on_approved if status == Status.APPROVED else purpose.on_rejected
    )
    if handler is not None:
        handler(approval, record, actor)
    copied = list(approval.copies.values_list("user_id", flat=True))
    _notify(
        [approval.submitter_id, *copied],
        "approval.decided",
        approval,
        actor,
        record,
        status=str(approval.get_status_display()),
    )


# ---------------------------------------------------------------------------------- actions
@transaction.atomic
def submit(*, actor, record, purpose: str = "", data: dict | None = None, comment: str = "") -> Approval:
    """Submit ``record`` for approval by the first active flow of its type (and ``purpose``)
    whose trigger matches: ``no_flow`` when none does, ``approval_open`` (409) when the record
    has an open approval, a 403 without the record's edit permission (unless the purpose
    checks for itself). The record is locked from now on (``lock``)."""
    model = type(record)
    declared = purposes.get(purpose)
    record = records.locked(model, record.pk)
    needs = Action.EDIT if declared is None or declared.needs_edit else Action.VIEW
    if getattr(record, "is_deleted", False) or (
        needs == Action.EDIT and not access.can(actor, record, Action.EDIT)
    ):
        raise PermissionDenied(_("You do not have permission to submit “%(record)s”.") % {"record": record})
    if open_approval(record) is not None:
        raise ApprovalRefused(
            _("“%(record)s” is already under approval.") % {"record": record}, ApprovalCode.APPROVAL_OPEN, 409
        )
    return _open(record, submitter=actor, actor=actor, purpose=purpose, data=data, comment=comment)


def _open(record, *, submitter, actor, purpose: str, data: dict | None, comment: str) -> Approval:
    flow = choose_flow(record, purpose)
    version = versions.current(flow)
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                flow=flow,
                version=version,
                content_type=content_type_of(record),
                object_id=record.pk,
                object_repr=str(record)[:200],
                submitter=submitter,
                exposed=exposed_snapshot(record, version.settings.get("exposed_fields") or []),
                data=data or {},
            )
    except IntegrityError:  # a parallel submit won
        raise ApprovalRefused(
            _("“%(record)s” is already under approval.") % {"record": record}, ApprovalCode.APPROVAL_OPEN, 409
        ) from None
    approval.version = version
    _log(approval, E.SUBMITTED, actor, comment)
    _history(record, approval, E.SUBMITTED, actor, comment)
    _start(approval, record, 0, actor)
    return approval


def submit_again(*, record, submitter, previous: Approval, actor_id=None) -> Approval | None:
    """Re-approval (``reapproval``): ``record`` goes through approval again in ``submitter``'s
    name, by the flows of ``previous``'s purpose; ``None`` when no flow applies any more (the
    amount fell below every flow's condition)."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        with transaction.atomic():
            return _open(
                record,
                submitter=submitter,
                actor=actor,
                purpose=previous.version.settings.get("purpose", ""),
                data={**previous.data, "reapproval_of": previous.pk},
                comment="",
            )
    except ValidationError as exc:
        if getattr(exc, "code", None) == ApprovalCode.NO_FLOW:
            return None
        raise


@transaction.atomic
def approve(*, actor, approval: Approval | int, comment: str = "") -> Approval:
    """Approve the actor's task. Under "any" the step is decided; under "all" when nobody is
    left. The next step opens, or the approval is approved."""
    approval = _locked(approval)
    task = _task_of(approval, actor)
    if (
        actor.pk == approval.submitter_id
        and not _settings(approval).get("allow_self_approval")
        and not actor.is_superuser
    ):
        raise ApprovalRefused(
            _("This flow does not let you approve your own request."), ApprovalCode.SELF_APPROVAL, 403
        )
    now = timezone.now()
    task.status, task.decided_at, task.comment = TaskStatus.APPROVED, now, comment or ""
    task.save(update_fields=["status", "decided_at", "comment"])
    record = record_of(approval, lock=True)
    _log(approval, E.APPROVED, actor, comment)
    _history(record, approval, E.APPROVED, actor, comment)
    # An escalated task and the one it came from are one approver's part: deciding one closes both.
    ApprovalTask.objects.filter(
        Q(pk=task.escalated_from_id) | Q(escalated_from=task), status=TaskStatus.PENDING
    ).update(status=TaskStatus.CANCELLED, decided_at=now)
    step = approval.current_step() or {}
    if step.get("mode", Mode.ANY) == Mode.ANY or not _pending_tasks(approval).exists():
        _pending_tasks(approval).update(status=TaskStatus.CANCELLED, decided_at=now)
        _log(approval, E.STEP_APPROVED, actor)
        _start(approval, record, approval.step + 1, actor, told=True)
    return approval


def _required(comment: str, what) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ValidationError(what, code=FieldCode.REQUIRED)})
    return comment


@transaction.atomic
def reject(*, actor, approval: Approval | int, comment: str) -> Approval:
    """Reject: a reason is required (``required`` on ``comment``); the approval is rejected
    (under "all" one rejection is enough)."""
    comment = _required(comment, _("Give a reason for the rejection."))
    approval = _locked(approval)
    task = _task_of(approval, actor)
    now = timezone.now()
    task.status, task.decided_at, task.comment = TaskStatus.REJECTED, now, comment
    task.save(update_fields=["status", "decided_at", "comment"])
    record = record_of(approval, lock=True)
    _log(approval, E.REJECTED, actor, comment)
    _finish(approval, record, Status.REJECTED, actor, comment)  # its history entry tells the rejection
    return approval


@transaction.atomic
def return_(*, actor, approval: Approval | int, comment: str = "") -> Approval:
    """Send the request back to the submitter for changes: the record is unlocked until he
    resubmits (or withdraws)."""
    approval = _locked(approval)
    task = _task_of(approval, actor)
    now = timezone.now()
    task.comment = comment or ""
    task.save(update_fields=["comment"])
    _cancel_pending(approval, now)
    approval.status = Status.RETURNED
    approval.save(update_fields=["status", "updated_at"])
    record = record_of(approval)
    _log(approval, E.RETURNED, actor, comment)
    _history(record, approval, E.RETURNED, actor, comment)
    _notify([approval.submitter_id], "approval.returned", approval, actor, record, comment=comment or "")
    return approval


def _submitter_only(approval: Approval, actor) -> None:
    if approval.submitter_id != actor.pk:
        raise ApprovalRefused(_("Only the submitter may do this."), ApprovalCode.NOT_THE_SUBMITTER, 403)


@transaction.atomic
def resubmit(*, actor, approval: Approval | int, comment: str = "") -> Approval:
    """The submitter sends a returned request again: it starts over at the first step, on the
    version it started with."""
    approval = _locked(approval)
    _submitter_only(approval, actor)
    if approval.status != Status.RETURNED:
        raise ApprovalRefused(
            _("Only a request returned for changes can be resubmitted."), ApprovalCode.NOT_OPEN, 409
        )
    record = record_of(approval, lock=True)
    if record is None or getattr(record, "is_deleted", False):
        raise ApprovalRefused(_("The record no longer exists."), ApprovalCode.NOT_OPEN, 409)
    approval.status = Status.PENDING
    approval.object_repr = str(record)[:200]
    approval.exposed = exposed_snapshot(record, _settings(approval).get("exposed_fields") or [])
    approval.save(update_fields=["status", "object_repr", "exposed", "updated_at"])
    _log(approval, E.RESUBMITTED, actor, comment)
    _history(record, approval, E.RESUBMITTED, actor, comment)
    _start(approval, record, 0, actor)
    return approval


@transaction.atomic
def withdraw(*, actor, approval: Approval | int, comment: str = "") -> Approval:
    """The submitter takes his request back while it is open."""
    approval = _locked(approval)
    _submitter_only(approval, actor)
    if approval.status not in OPEN_STATUSES:
        raise ApprovalRefused(
            _("This approval was decided already (%(status)s).") % {"status": approval.get_status_display()},
            ApprovalCode.ALREADY_DECIDED,
            409,
        )
    waiting = list(_pending_tasks(approval).values_list("approver_id", flat=True))
    now = timezone.now()
    _cancel_pending(approval, now)
    approval.status, approval.decided_at = Status.WITHDRAWN, now
    approval.save(update_fields=["status", "decided_at", "updated_at"])
    record = record_of(approval)
    _log(approval, E.WITHDRAWN, actor, comment)
    _history(record, approval, E.WITHDRAWN, actor, comment)
    _notify(waiting, "approval.withdrawn", approval, actor, record)
    return approval


def may_see(user, approval: Approval) -> bool:
    """The submitter, anyone with a task or a copy, and whoever may read the record."""
    return visible_to(user).filter(pk=approval.pk).exists()


@transaction.atomic
def comment(*, actor, approval: Approval | int, comment: str) -> Approval:
    """A comment on the approval, by anybody who may see it; the submitter and the current
    approvers are told."""
    text = _required(comment, _("Write a comment."))
    approval = _locked(approval)
    if not may_see(actor, approval):
        raise ApprovalRefused(_("You may not see this approval."), ApprovalCode.NOT_AN_APPROVER, 403)
    _log(approval, E.COMMENTED, actor, text)
    record = record_of(approval)
    _history(record, approval, E.COMMENTED, actor, text)
    waiting = list(_pending_tasks(approval).values_list("approver_id", flat=True))
    _notify(
        [approval.submitter_id, *waiting], "approval.commented", approval, actor, record, comment=text[:200]
    )
    return approval


def _active_user(user, name: str) -> User:
    pk = as_key(getattr(user, "pk", user))
    found = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if found is None:
        raise ValidationError(
            {name: ValidationError(_("Choose an active user."), code=FieldCode.INVALID_CHOICE)}
        )
    return found


@transaction.atomic
def delegate(*, actor, approval: Approval | int, to, note: str = "") -> ApprovalTask:
    """Hand the actor's pending task to ``to`` with a note. Handing it to oneself, or to
    someone who handed it on before in this step, is a cycle (``delegation_cycle``)."""
    approval = _locked(approval)
    task = _task_of(approval, actor)
    target = _active_user(to, "to")
    handed = set(
        approval.tasks.filter(step=approval.step, status=TaskStatus.DELEGATED).values_list(
            "approver_id", flat=True
        )
    )
    if target.pk == actor.pk or target.pk in handed:
        raise ValidationError(
            {
                "to": ValidationError(
                    _("%(user)s handed this task on already: the delegation would go round in a circle.")
                    % {"user": target}
                    if target.pk != actor.pk
                    else _("You cannot delegate a task to yourself."),
                    code=ApprovalCode.DELEGATION_CYCLE,
                )
            }
        )
    if _pending_tasks(approval).filter(approver=target).exists():
        raise ValidationError(
            {
                "to": ValidationError(
                    _("%(user)s is already an approver of this step.") % {"user": target},
                    code=FieldCode.INVALID_CHOICE,
                )
            }
        )
    if target.pk == approval.submitter_id and not _settings(approval).get("allow_self_approval"):
        raise ApprovalRefused(
            _("This flow does not let the submitter approve his own request."),
            ApprovalCode.SELF_APPROVAL,
            403,
        )
    now = timezone.now()
    task.status, task.decided_at, task.delegation_note = TaskStatus.DELEGATED, now, note or ""
    task.save(update_fields=["status", "decided_at", "delegation_note"])
    new = ApprovalTask.objects.create(
        approval=approval,
        step=task.step,
        step_name=task.step_name,
        approver=target,
        created_at=now,
        due_at=task.due_at,
        delegated_from=actor,
        delegation_note=note or "",
        added_by=task.added_by,
    )
    record = record_of(approval)
    _log(approval, E.DELEGATED, actor, note, to=target.pk)
    _history(record, approval, E.DELEGATED, actor, note)
    _notify([target], "approval.waiting", approval, actor, record, step=task.step_name)
    return new


@transaction.atomic
def add_approver(*, actor, approval: Approval | int, user, comment: str = "") -> ApprovalTask:
    """加签: an approver of the current step adds someone to it (under "all" he must approve
    too; under "any" his decision counts like the others')."""
    approval = _locked(approval)
    task = _task_of(approval, actor)
    target = _active_user(user, "user")
    if _pending_tasks(approval).filter(approver=target).exists():
        raise ValidationError(
            {
                "user": ValidationError(
                    _("%(user)s is already an approver of this step.") % {"user": target},
                    code=FieldCode.INVALID_CHOICE,
                )
            }
        )
    if target.pk == approval.submitter_id and not _settings(approval).get("allow_self_approval"):
        raise ApprovalRefused(
            _("This flow does not let the submitter approve his own request."),
            ApprovalCode.SELF_APPROVAL,
            403,
        )
    new = ApprovalTask.objects.create(
        approval=approval,
        step=task.step,
        step_name=task.step_name,
        approver=target,
        due_at=task.due_at,
        added_by=actor,
    )
    record = record_of(approval)
    _log(approval, E.APPROVER_ADDED, actor, comment, user=target.pk)
    _history(record, approval, E.APPROVER_ADDED, actor, comment)
    _notify([target], "approval.waiting", approval, actor, record, step=task.step_name)
    return new


@transaction.atomic
def cc(*, actor, approval: Approval | int, users: Iterable) -> list[ApprovalCopy]:
    """抄送: the submitter or an approver copies people in for information; they may then see
    the approval (the exposed fields) and are told of its outcome."""
    approval = _locked(approval)
    if approval.submitter_id != actor.pk and not approval.tasks.filter(approver=actor).exists():
        raise ApprovalRefused(
            _("Only the submitter and the approvers may copy people in."), ApprovalCode.NOT_AN_APPROVER, 403
        )
    people = [_active_user(u, "users") for u in users]
    if not people:
        raise ValidationError(
            {"users": ValidationError(_("Choose at least one person."), code=FieldCode.REQUIRED)}
        )
    existing = set(approval.copies.values_list("user_id", flat=True))
    added = [
        ApprovalCopy.objects.create(approval=approval, user=person, added_by=actor)
        for person in {p.pk: p for p in people}.values()
        if person.pk not in existing
    ]
    if added:
        record = record_of(approval)
        _log(approval, E.COPIED, actor, users=[c.user_id for c in added])
        _notify([c.user_id for c in added], "approval.cc", approval, actor, record)
    return added


@transaction.atomic
def urge(*, actor, approval: Approval | int) -> Approval:
    """催办: the submitter reminds the current approvers — at most once per
    ``LIANKE_APPROVAL_URGE_MINUTES`` (60) per approval (``rate_limited``, 429)."""
    approval = _locked(approval)
    _submitter_only(approval, actor)
    if approval.status != Status.PENDING:
        raise ApprovalRefused(
            _("Only a pending approval can be urged."),
            ApprovalCode.ALREADY_DECIDED if approval.status not in OPEN_STATUSES else ApprovalCode.NOT_OPEN,
            409,
        )
    now = timezone.now()
    if approval.last_urged_at is not None and now - approval.last_urged_at < urge_interval():
        minutes = int((urge_interval() - (now - approval.last_urged_at)).total_seconds() // 60) + 1
        raise ApprovalRefused(
            _("The approvers were reminded a short while ago; try again in %(minutes)s minutes.")
            % {"minutes": minutes},
            ApprovalCode.RATE_LIMITED,
            429,
        )
    approval.last_urged_at = now
    approval.save(update_fields=["last_urged_at", "updated_at"])
    waiting = list(_pending_tasks(approval).values_list("approver_id", flat=True))
    _log(approval, E.URGED, actor, approvers=waiting)
    _notify(waiting, "approval.urged", approval, actor, record_of(approval))
    return approval


# ---------------------------------------------------------------------------------- out of office
def current_out_of_office(user, now=None) -> OutOfOffice | None:
    """``user``'s delegation in force now or still to come (the earliest), ``None`` when he has
    none: what his profile shows and changes."""
    now = now or timezone.now()
    return (
        OutOfOffice.objects.filter(user_id=getattr(user, "pk", user), ends_at__gt=now)
        .select_related("delegate")
        .order_by("starts_at", "pk")
        .first()
    )


def _lock_users(*users) -> None:
    """Serialise the changes of these users' delegations (two saves at once: one after the
    other; A → B and B → A at once: the second sees the first and is a circle), in key order."""
    ids = sorted({u.pk for u in users})
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def set_out_of_office(*, actor, user, delegate, starts_at, ends_at, note: str = "") -> OutOfOffice:
    """An out-of-office delegation of ``user`` (himself, or an administrator for him): his
    tasks from ``starts_at`` to ``ends_at`` go to ``delegate``; a delegate who hands his own
    back to ``user`` in that time is a cycle (``delegation_cycle``). The user's delegation in
    force or to come (``current_out_of_office``) is changed, else one is added; either way the
    change goes into history (old → new), under a lock on the user and the delegate."""
    if actor.pk != getattr(user, "pk", user) and not actor.is_superuser:
        raise PermissionDenied(_("You may set only your own out-of-office delegation."))
    user = _active_user(user, "user")
    target = _active_user(delegate, "delegate")
    _lock_users(user, target)
    now = timezone.now()
    if ends_at <= starts_at:
        raise ValidationError(
            {"ends_at": ValidationError(_("The end must come after the start."), code=FieldCode.OUT_OF_RANGE)}
        )
    if ends_at <= now:
        raise ValidationError(
            {"ends_at": ValidationError(_("The end must be in the future."), code=FieldCode.OUT_OF_RANGE)}
        )
    if target.pk == user.pk:
        raise ValidationError(
            {
                "delegate": ValidationError(
                    _("You cannot delegate to yourself."), code=ApprovalCode.DELEGATION_CYCLE
                )
            }
        )
    # Follow the delegate's own delegations in that time: reaching the user is a circle.
    seen, current = {user.pk}, target.pk
    while True:
        nxt = (
            OutOfOffice.objects.filter(user_id=current, starts_at__lt=ends_at, ends_at__gt=starts_at)
            .values_list("delegate_id", flat=True)
            .first()
        )
        if nxt is None:
            break
        if nxt in seen:
            raise ValidationError(
                {
                    "delegate": ValidationError(
                        _(
                            "%(user)s is away then and hands his tasks back: the delegation would go round in a circle."
                        )
                        % {"user": target},
                        code=ApprovalCode.DELEGATION_CYCLE,
                    )
                }
            )
        seen.add(current)
        current = nxt
    note = (note or "")[: OutOfOffice._meta.get_field("note").max_length]
    away = current_out_of_office(user, now)
    if away is None:
        away = OutOfOffice.objects.create(
            user=user, delegate=target, starts_at=starts_at, ends_at=ends_at, note=note
        )
        audit.record(ObjectChange.ActionChoices.CREATE, away, None, audit.config_snapshot(away), actor=actor)
        return away
    before = audit.config_snapshot(away)
    away.delegate, away.starts_at, away.ends_at, away.note = target, starts_at, ends_at, note
    away.save(update_fields=["delegate", "starts_at", "ends_at", "note"])
    audit.record(ObjectChange.ActionChoices.UPDATE, away, before, audit.config_snapshot(away), actor=actor)
    return away


@transaction.atomic
def end_out_of_office(*, actor, user) -> OutOfOffice | None:
    """End ``user``'s delegation now (he is back early): one in force ends now, one still to
    come is removed; recorded in history. ``None`` when he had none (nothing changes)."""
    if actor.pk != getattr(user, "pk", user) and not actor.is_superuser:
        raise PermissionDenied(_("You may set only your own out-of-office delegation."))
    user = User.objects.get(pk=getattr(user, "pk", user))
    _lock_users(user)
    now = timezone.now()
    away = current_out_of_office(user, now)
    if away is None:
        return None
    before = audit.config_snapshot(away)
    if away.starts_at < now:
        away.ends_at = now
        away.save(update_fields=["ends_at"])
        audit.record(
            ObjectChange.ActionChoices.UPDATE, away, before, audit.config_snapshot(away), actor=actor
        )
    else:
        pk = away.pk
        away.delete()
        away.pk = pk  # the history entry names the removed delegation
        audit.record(ObjectChange.ActionChoices.DELETE, away, before, None, actor=actor)
    return away


# ---------------------------------------------------------------------------------- visibility
def readable_records_q(user) -> Q:
    """Approvals of records ``user`` may read: per type that has approvals, the type's scope."""
    q = Q(pk__in=[])
    keys = set(ApprovalFlow.objects.values_list("object_type", flat=True).distinct())
    for key in sorted(keys):
        ot = registry.get(key) if key in {t.key for t in registry} else None
        if ot is None:
            continue
        model = ot.model
        ct = ContentType.objects.get_for_model(model)
        scope = access.scope_q(user, model, Action.VIEW)
        if scope is None:
            continue
        manager = getattr(model, "all_objects", model._default_manager)
        q |= Q(content_type=ct, object_id__in=manager.filter(scope).values("pk"))
    return q


def involved_q(user) -> Q:
    """Approvals where ``user`` is the submitter, an approver (any task) or copied in."""
    return (
        Q(submitter=user)
        | Q(Exists(ApprovalTask.objects.filter(approval=OuterRef("pk"), approver=user)))
        | Q(Exists(ApprovalCopy.objects.filter(approval=OuterRef("pk"), user=user)))
    )


def deciding_ids(user, approvals) -> set[int]:
    """The approvals among ``approvals`` that ``user`` decides or is copied in on: those whose
    exposed fields he sees even without reading the record (the flow exposes them to its
    approvers — not to a submitter who may not read it, as a transfer request's). Two queries."""
    ids = [a.pk for a in approvals]
    if not ids or user is None:
        return set()
    tasks = ApprovalTask.objects.filter(approval_id__in=ids, approver=user).values_list(
        "approval_id", flat=True
    )
    copies = ApprovalCopy.objects.filter(approval_id__in=ids, user=user).values_list("approval_id", flat=True)
    return set(tasks) | set(copies)


def visible_to(user) -> models.QuerySet[Approval]:
    """What ``user`` may see: approvals of records he may read, plus those he is part of."""
    if user is None or not user.is_active:
        return Approval.objects.none()
    if user.is_superuser:
        return Approval.objects.all()
    return Approval.objects.filter(involved_q(user) | readable_records_q(user))


def box(user, name: str) -> models.QuerySet[Approval]:
    """The inbox's boxes: ``pending`` (待我审批: a pending task of mine in a pending approval),
    ``submitted`` (我发起的), ``decided`` (我已处理: tasks I decided), ``copied`` (抄送我的)."""
    if name == "pending":
        mine = ApprovalTask.objects.filter(approval=OuterRef("pk"), approver=user, status=TaskStatus.PENDING)
        return Approval.objects.filter(Exists(mine), status=Status.PENDING)
    if name == "submitted":
        return Approval.objects.filter(submitter=user)
    if name == "decided":
        mine = ApprovalTask.objects.filter(
            approval=OuterRef("pk"),
            approver=user,
            status__in=[TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.DELEGATED],
        )
        return Approval.objects.filter(Exists(mine))
    if name == "copied":
        return Approval.objects.filter(
            Exists(ApprovalCopy.objects.filter(approval=OuterRef("pk"), user=user))
        )
    raise ValidationError(
        {
            "box": ValidationError(
                _("Choose pending, submitted, decided or copied."), code=FieldCode.INVALID_CHOICE
            )
        }
    )


def pending_count(user) -> int:
    """The navigation's count of "pending my approval": one index range."""
    return ApprovalTask.objects.filter(approver=user, status=TaskStatus.PENDING).count()
