"""The approval engine's tables.

Configuration (a settings kind, every change in history): ``ApprovalFlow`` — one flow of an
object type, with its trigger, condition, lock exceptions, exposed fields, lifecycle moves,
fallback approver and re-approval rule — and its ``ApprovalStep`` rows. Saving a flow freezes
it into a ``FlowVersion``: a running approval keeps the version it started with.

Running: ``Approval`` (one record's request; at most one open per record), its
``ApprovalTask`` rows (one per approver of a step), the log ``ApprovalEvent``, the copies
``ApprovalCopy`` (抄送) and the users' ``OutOfOffice`` delegations.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


# ---------------------------------------------------------------------------------- choices
class Trigger(models.TextChoices):
    ON_SUBMIT = "on_submit", _("When submitted")
    CONDITION = "condition", _("When submitted and the condition holds")


class Op(models.TextChoices):
    EQ = "eq", "="
    NE = "ne", "≠"
    GT = "gt", ">"
    GTE = "gte", "≥"
    LT = "lt", "<"
    LTE = "lte", "≤"
    IN = "in", _("is one of")


class ApproverKind(models.TextChoices):
    ROLE = "role", _("Holders of a role")
    SUPERIOR = "superior", _("The submitter's superior (n levels up)")
    SUBMITTER_DEPARTMENT_HEAD = "submitter_department_head", _("Head of the submitter's department")
    RECORD_DEPARTMENT_HEAD = "record_department_head", _("Head of the record's department")
    USERS = "users", _("Named users")
    USER_FIELD = "user_field", _("A user field of the record")
    OWNER_SUPERIOR = "owner_superior", _("The record owner's superior (n levels up)")


class Mode(models.TextChoices):
    ANY = "any", _("Any one approves")
    ALL = "all", _("All must approve")


class Status(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval status", "Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned for changes")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# An approval still open: waiting for approvers, or back with the submitter for changes.
OPEN_STATUSES = (Status.PENDING, Status.RETURNED)


class TaskStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval status", "Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DELEGATED = "delegated", _("Delegated")
    SKIPPED = "skipped", _("Skipped")
    CANCELLED = "cancelled", _("Cancelled")


class EventAction(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned for changes")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    COMMENTED = "commented", _("Commented")
    DELEGATED = "delegated", _("Delegated")
    APPROVER_ADDED = "approver_added", _("Approver added")
    COPIED = "copied", _("Copied to")
    URGED = "urged", _("Urged")
    ESCALATED = "escalated", _("Escalated")
    STEP_STARTED = "step_started", _("Step started")
    STEP_SKIPPED = "step_skipped", _("Step skipped")
    STEP_APPROVED = "step_approved", _("Step approved")
    FALLBACK = "fallback", _("Approver replaced")
    FINISHED = "finished", _("Finished")


# ---------------------------------------------------------------------------------- configuration
class ApprovalFlow(models.Model):
    """One approval flow of an object type. The type's active flows are tried in ``position``
    order when a record is submitted; the first whose trigger matches applies."""

    object_type = models.CharField(_("object type"), max_length=100)  # "customers.account"
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # A declared use of the engine that this flow serves ("" for a plain record approval;
    # "customers.registration", "customers.transfer_request"): its handler acts on the outcome.
    purpose = models.CharField(_("purpose"), max_length=64, blank=True)
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.ON_SUBMIT
    )
    # [{"field": "amount" | "cf_<name>", "op": Op, "value": …}], all must hold.
    condition = models.JSONField(_("condition"), default=list, blank=True)
    # Fields (model names, custom fields as "cf_<name>") that stay editable while pending;
    # "*": the flow locks nothing.
    editable_fields = models.JSONField(_("editable while pending"), default=list, blank=True)
    # What an approver who may not read the record sees of it.
    exposed_fields = models.JSONField(_("fields shown to approvers"), default=list, blank=True)
    # Lifecycle moves when the approval ends: {"field": value}; the value "$comment" stands for
    # the decision's comment (a rejection's reason into the record's reason field).
    on_approve = models.JSONField(_("when approved, set"), default=dict, blank=True)
    on_reject = models.JSONField(_("when rejected, set"), default=dict, blank=True)
    fallback_approver = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("fallback approver"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    allow_self_approval = models.BooleanField(_("submitter may approve"), default=False)
    # Re-approval: an approved record whose amount moves beyond the tolerance (percent) is
    # submitted again.
    amount_field = models.CharField(_("amount field"), max_length=100, blank=True)
    amount_tolerance = models.DecimalField(_("tolerance (%)"), max_digits=6, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["object_type", "position", "id"]
        verbose_name = _("approval flow")
        verbose_name_plural = _("approval flows")
        indexes = [models.Index(fields=["object_type", "is_active", "position"], name="approval_flow_type")]

    def __str__(self):
        return self.name

    def clean(self):
        """The flow's settings name fields of its type (a coded error on each setting that
        names one it does not have)."""
        from lianke.core.errors import CustomFieldCode, FieldCode

        from . import flowtypes
        from .conditions import clean_condition, field_exists

        ot = flowtypes.get(self.object_type)
        if ot is None:
            raise ValidationError(
                {
                    "object_type": ValidationError(
                        _("Not a registered object type."), code=CustomFieldCode.UNKNOWN_TYPE
                    )
                }
            )
        self.condition = clean_condition(ot.model, self.condition)
        errors = {}
        for name in ("editable_fields", "exposed_fields"):
            value = getattr(self, name) or []
            unknown = [
                f for f in value if not isinstance(f, str) or (f != "*" and not field_exists(ot.model, f))
            ]
            if not isinstance(value, list) or unknown:
                errors[name] = ValidationError(
                    _("Not fields of this type: %(fields)s")
                    % {"fields": ", ".join(map(str, unknown)) or value},
                    code=FieldCode.UNKNOWN_FIELD,
                )
        for name in ("on_approve", "on_reject"):
            value = getattr(self, name) or {}
            unknown = (
                [f for f in value if not field_exists(ot.model, f)] if isinstance(value, dict) else [value]
            )
            if unknown:
                errors[name] = ValidationError(
                    _("Not fields of this type: %(fields)s") % {"fields": ", ".join(map(str, unknown))},
                    code=FieldCode.UNKNOWN_FIELD,
                )
        if self.amount_field and not field_exists(ot.model, self.amount_field):
            errors["amount_field"] = ValidationError(
                _("Not a field of this type."), code=FieldCode.UNKNOWN_FIELD
            )
        if errors:
            raise ValidationError(errors)


class ApprovalStep(models.Model):
    """A step of a flow: who approves (``approver_kind`` and its setting), whether any one or
    all of them must, an optional condition (the step is skipped unless it holds) and a time
    limit after which it escalates to the approver's superior."""

    flow = models.ForeignKey(
        ApprovalFlow, verbose_name=_("flow"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=100)
    approver_kind = models.CharField(_("approvers"), max_length=32, choices=ApproverKind.choices)
    role = models.ForeignKey(
        "org.Role", verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    levels = models.PositiveSmallIntegerField(_("levels up"), default=1)
    user_ids = models.JSONField(_("users"), default=list, blank=True)  # ApproverKind.USERS
    user_field = models.CharField(_("user field"), max_length=100, blank=True)  # ApproverKind.USER_FIELD
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.ANY)
    condition = models.JSONField(_("condition"), default=list, blank=True)
    time_limit_hours = models.PositiveIntegerField(_("time limit (hours)"), null=True, blank=True)

    class Meta:
        ordering = ["flow", "position", "id"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")

    def __str__(self):
        return self.name

    def clean(self):
        """A step names its approvers: the role, the users or the user field its kind needs
        (code ``no_approver``), and a valid condition."""
        from lianke.core.errors import ApprovalCode

        from .conditions import clean_condition

        missing = {
            ApproverKind.ROLE: ("role", not self.role_id),
            ApproverKind.USERS: ("user_ids", not self.user_ids),
            ApproverKind.USER_FIELD: ("user_field", not self.user_field),
        }.get(self.approver_kind)
        if missing and missing[1]:
            raise ValidationError(
                {
                    missing[0]: ValidationError(
                        _("Choose who approves this step."), code=ApprovalCode.NO_APPROVER
                    )
                }
            )
        if self.user_ids and (
            not isinstance(self.user_ids, list) or not all(str(i).isdigit() for i in self.user_ids)
        ):
            raise ValidationError(
                {"user_ids": ValidationError(_("A list of user ids."), code=ApprovalCode.NO_APPROVER)}
            )
        if self.flow_id:
            from lianke.core.objecttypes.registry import registry

            ot = next((t for t in registry if t.key == self.flow.object_type), None)
            if ot is not None:
                self.condition = clean_condition(ot.model, self.condition)

    def frozen(self) -> dict:
        """The step as a version keeps it."""
        return {
            "name": self.name,
            "approver_kind": self.approver_kind,
            "role": self.role_id,
            "levels": self.levels,
            "user_ids": list(self.user_ids or []),
            "user_field": self.user_field,
            "mode": self.mode,
            "condition": list(self.condition or []),
            "time_limit_hours": self.time_limit_hours,
        }


class FlowVersion(models.Model):
    """A flow as it was saved: its settings and steps frozen as JSON. An approval runs on the
    version it started with, whatever is changed later."""

    flow = models.ForeignKey(
        ApprovalFlow,
        verbose_name=_("flow"),
        on_delete=models.CASCADE,
        related_name="versions",
        db_index=False,
    )
    number = models.PositiveIntegerField(_("version"))
    settings = models.JSONField(_("settings"), default=dict)
    steps = models.JSONField(_("steps"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["flow", "-number"]
        verbose_name = _("flow version")
        verbose_name_plural = _("flow versions")
        constraints = [models.UniqueConstraint(fields=["flow", "number"], name="approval_version_unique")]

    def __str__(self):
        return f"{self.flow} v{self.number}"


# ---------------------------------------------------------------------------------- running
class Approval(models.Model):
    """One record's approval request, from submission to its end."""

    flow = models.ForeignKey(ApprovalFlow, verbose_name=_("flow"), on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        FlowVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="approvals"
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.CASCADE, db_index=False
    )
    object_id = models.BigIntegerField(_("object ID"))
    object_repr = models.CharField(_("record"), max_length=200)
    submitter = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the inbox index leads with it
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    step = models.PositiveSmallIntegerField(_("current step"), default=0)  # index into version.steps
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The flow's exposed fields as they were when submitted: what an approver who may not read
    # the record sees.
    exposed = models.JSONField(_("exposed fields"), default=dict, blank=True)
    # The amount field's value when approved (re-approval compares with it).
    approved_amount = models.DecimalField(
        _("approved amount"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    # What the request asks for beyond the record (a transfer request's new owner…).
    data = models.JSONField(_("request"), default=dict, blank=True)
    last_urged_at = models.DateTimeField(_("last urged at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        indexes = [
            # A record's approvals (the lock asks for its pending one: one index probe).
            models.Index(fields=["content_type", "object_id", "status"], name="approval_record"),
            # "Submitted by me", newest first.
            models.Index(fields=["submitter", "-submitted_at", "-id"], name="approval_submitter"),
        ]
        constraints = [
            # At most one open approval per record.
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status__in=["pending", "returned"]),
                name="approval_one_open",
            )
        ]

    def __str__(self):
        return f"{self.version.flow.name if self.version_id else ''}: {self.object_repr}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def current_step(self) -> dict | None:
        steps = self.version.steps
        return steps[self.step] if 0 <= self.step < len(steps) else None


class ApprovalTask(models.Model):
    """One approver's part in one step of an approval."""

    approval = models.ForeignKey(
        Approval, verbose_name=_("approval"), on_delete=models.CASCADE, related_name="tasks"
    )
    step = models.PositiveSmallIntegerField(_("step"))
    step_name = models.CharField(_("step name"), max_length=100, blank=True)
    approver = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        related_name="approval_tasks",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)  # the step's time limit
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_from = models.ForeignKey(
        "self",
        verbose_name=_("escalated from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    delegated_from = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("delegated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delegation_note = models.TextField(_("delegation note"), blank=True)
    added_by = models.ForeignKey(  # 加签
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["approval", "step", "id"]
        verbose_name = _("approval task")
        verbose_name_plural = _("approval tasks")
        indexes = [
            # "Pending my approval" and its count.
            models.Index(
                fields=["approver", "-created_at"],
                condition=Q(status="pending"),
                name="approval_task_pending",
            ),
            # "Decided by me".
            models.Index(
                fields=["approver", "-decided_at"],
                condition=Q(decided_at__isnull=False),
                name="approval_task_decided",
            ),
            # The escalation job: pending tasks past their time limit.
            models.Index(
                fields=["due_at"],
                condition=Q(status="pending", due_at__isnull=False, escalated_at__isnull=True),
                name="approval_task_due",
            ),
        ]

    def __str__(self):
        return f"{self.approval_id}/{self.step} → {self.approver_id}"


class ApprovalEvent(models.Model):
    """The approval's log: who did what, when, with which comment."""

    approval = models.ForeignKey(
        Approval, verbose_name=_("approval"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=20, choices=EventAction.choices)
    actor = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    step = models.PositiveSmallIntegerField(_("step"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["approval", "at", "id"]
        verbose_name = _("approval event")
        verbose_name_plural = _("approval events")

    def __str__(self):
        return f"{self.approval_id} {self.action}"


class ApprovalCopy(models.Model):
    """Someone copied in on an approval for information (抄送)."""

    approval = models.ForeignKey(
        Approval, verbose_name=_("approval"), on_delete=models.CASCADE, related_name="copies", db_index=False
    )
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    added_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["approval", "at", "id"]
        verbose_name = _("copy")
        verbose_name_plural = _("copies")
        constraints = [models.UniqueConstraint(fields=["approval", "user"], name="approval_copy_unique")]
        indexes = [models.Index(fields=["user", "-at"], name="approval_copy_user")]

    def __str__(self):
        return f"{self.approval_id} → {self.user_id}"


class OutOfOffice(models.Model):
    """A user away from ``starts_at`` to ``ends_at``: his approval tasks go to ``delegate``."""

    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    delegate = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("delegate"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["user", "-starts_at"]
        verbose_name = _("out of office")
        verbose_name_plural = _("out of office")
        indexes = [models.Index(fields=["user", "ends_at"], name="approval_ooo_user")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="approval_ooo_order"),
            models.CheckConstraint(condition=~Q(user=models.F("delegate")), name="approval_ooo_not_self"),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.delegate_id}"


class ExportRequest(models.Model):
    """A request to export a list above ``LIANKE_EXPORT_APPROVAL_ROWS`` rows: the record an
    approval of the ``approvals.export`` purpose runs on. Approved, it lets its requester run
    that exact list query once before ``expires_at`` (``approvals.exports``); the export still
    applies his data scope, so an approval never widens what he may read."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        USED = "used", _("Used")

    owner = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the grant index leads with it
    )
    object_type = models.CharField(_("object type"), max_length=100)
    query = models.TextField(_("filter"), blank=True)
    rows = models.PositiveIntegerField(_("rows"))
    reason = models.TextField(_("reason"))
    state = models.CharField(_("status"), max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    objects = models.Manager()
    all_objects = models.Manager()  # the approval engine reads records through it

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export request")
        verbose_name_plural = _("export requests")
        indexes = [
            # The export asks for the requester's approved request of the type (one probe).
            models.Index(fields=["owner", "object_type", "state"], name="export_request_grant")
        ]

    def __str__(self):
        return f"{self.owner}: {self.object_type} × {self.rows}"
