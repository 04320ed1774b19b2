"""The flow editor's services (Settings › Approval flows): ``save_flow`` checks and writes a
flow with its steps in one transaction — the change in configuration history (old → new, the
steps included) and the flow frozen into a new version — and ``test_run`` tells which flow a
record would go through and whom each step resolves to, writing nothing.

Refusals are ``ValidationError``\\ s naming the field with a stable code: a flow without a step
(``no_approver``), a step whose approver kind misses its setting (``required``), an unknown
field or operator in a condition (``unknown_field`` / ``invalid_choice``), an unknown object
type (``invalid_choice``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianke.core.errors import ApprovalCode, FieldCode
from lianke.core.models import ObjectChange
from lianke.core.records import audit
from lianke.org.models import User
from lianke.org.users import is_administrator

from . import flowtypes, purposes, versions
from .conditions import clean_condition, field_exists, matches
from .models import ApprovalFlow, ApprovalStep, ApproverKind
from .resolve import resolve

FLOW_FIELDS = (
    "name",
    "position",
    "is_active",
    "purpose",
    "trigger",
    "condition",
    "editable_fields",
    "exposed_fields",
    "on_approve",
    "on_reject",
    "fallback_approver",
    "allow_self_approval",
    "amount_field",
    "amount_tolerance",
)
STEP_FIELDS = (
    "name",
    "approver_kind",
    "role",
    "levels",
    "user_ids",
    "user_field",
    "mode",
    "condition",
    "time_limit_hours",
)


def _administrator(actor) -> None:
    if not is_administrator(actor):
        raise PermissionDenied(_("Only administrators may change approval flows."))


def model_of(object_type: str):
    ot = flowtypes.get(object_type)
    if ot is None:
        raise ValidationError(
            {"object_type": ValidationError(_("Choose an object type."), code=FieldCode.INVALID_CHOICE)}
        )
    return ot.model


def _fields(model, names, name: str, *, everything: bool = False) -> list[str]:
    """``names`` if each is a field of the type (``"*"`` too where ``everything``)."""
    names = [str(n) for n in names or []]
    unknown = [n for n in names if not (everything and n == "*") and not field_exists(model, n)]
    if unknown:
        raise ValidationError(
            {
                name: ValidationError(
                    _("“%(field)s” is not a field of this type.") % {"field": unknown[0]},
                    code=FieldCode.UNKNOWN_FIELD,
                )
            }
        )
    return names


def _moves(model, moves, name: str) -> dict:
    moves = dict(moves or {})
    _fields(model, list(moves), name)
    return moves


def clean_step(model, step: dict, index: int) -> dict:
    """One step's settings as stored; a missing approver setting names the step."""
    step = {k: step.get(k) for k in STEP_FIELDS}
    name = f"steps.{index}"
    kind = step.get("approver_kind")
    if kind not in ApproverKind.values:
        raise ValidationError(
            {
                name: ValidationError(
                    _("Step %(n)s: choose who approves.") % {"n": index + 1}, code=FieldCode.REQUIRED
                )
            }
        )
    step["name"] = (step.get("name") or "").strip() or _("Step %(n)s") % {"n": index + 1}
    missing = (
        (kind == ApproverKind.ROLE and not step.get("role"))
        or (kind == ApproverKind.USERS and not step.get("user_ids"))
        or (kind == ApproverKind.USER_FIELD and not step.get("user_field"))
    )
    if missing:
        raise ValidationError(
            {
                name: ValidationError(
                    _("Step %(n)s (%(step)s): %(kind)s needs its setting (a role, users or a user field).")
                    % {"n": index + 1, "step": step["name"], "kind": ApproverKind(kind).label},
                    code=FieldCode.REQUIRED,
                )
            }
        )
    if kind == ApproverKind.USER_FIELD:
        _fields(model, [step["user_field"]], name)
    step["user_ids"] = [int(i) for i in step.get("user_ids") or []]
    step["levels"] = max(int(step.get("levels") or 1), 1)
    step["mode"] = step.get("mode") or "any"
    step["condition"] = clean_condition(model, step.get("condition"), name=name)
    return step


@transaction.atomic
def save_flow(
    *, actor, flow: ApprovalFlow | None, object_type: str, values: dict, steps: list[dict]
) -> ApprovalFlow:
    """Create (``flow=None``) or change a flow and replace its steps, as ``actor`` (an
    administrator). History records the flow's settings and steps old → new; a changed flow
    gets a new version (running approvals keep theirs)."""
    _administrator(actor)
    model = model_of(object_type)
    if not steps:
        raise ValidationError(
            {
                "steps": ValidationError(
                    _("A flow needs at least one step with approvers."), code=ApprovalCode.NO_APPROVER
                )
            }
        )
    cleaned_steps = [clean_step(model, step, i) for i, step in enumerate(steps)]
    values = {k: v for k, v in values.items() if k in FLOW_FIELDS}
    if "purpose" in values:
        values["purpose"] = values["purpose"] or ""
        if values["purpose"] and values["purpose"] not in {p.key for p in purposes.for_type(object_type)}:
            raise ValidationError(
                {
                    "purpose": ValidationError(
                        _("Not a use of approvals for this object type."), code=FieldCode.INVALID_CHOICE
                    )
                }
            )
    values["condition"] = clean_condition(model, values.get("condition"))
    values["editable_fields"] = _fields(
        model, values.get("editable_fields"), "editable_fields", everything=True
    )
    values["exposed_fields"] = _fields(model, values.get("exposed_fields"), "exposed_fields")
    values["on_approve"] = _moves(model, values.get("on_approve"), "on_approve")
    values["on_reject"] = _moves(model, values.get("on_reject"), "on_reject")
    if values.get("amount_field"):
        _fields(model, [values["amount_field"]], "amount_field")
    if flow is None:
        stored = ApprovalFlow(object_type=object_type)
        before = None
    else:
        stored = ApprovalFlow.objects.select_for_update().get(pk=flow.pk)
        before = audit.config_snapshot(stored, ("steps",))
        stored.object_type = object_type
    for name, value in values.items():
        setattr(stored, name, value)
    stored.full_clean(exclude=["fallback_approver"])
    stored.save()
    stored.steps.all().delete()
    ApprovalStep.objects.bulk_create(
        [ApprovalStep(flow=stored, position=i, **step) for i, step in enumerate(cleaned_steps)]
    )
    after = audit.config_snapshot(stored, ("steps",))
    audit.record(
        ObjectChange.ActionChoices.CREATE if before is None else ObjectChange.ActionChoices.UPDATE,
        stored,
        before,
        after,
        actor=actor,
    )
    versions.freeze(stored, actor=actor)
    return stored


@transaction.atomic
def set_active(*, actor, flow: ApprovalFlow, active: bool) -> ApprovalFlow:
    """Switch a flow on or off (in history; running approvals go on)."""
    _administrator(actor)
    stored = ApprovalFlow.objects.select_for_update().get(pk=flow.pk)
    before = audit.config_snapshot(stored, ("steps",))
    stored.is_active = active
    stored.save(update_fields=["is_active", "updated_at"])
    audit.record(
        ObjectChange.ActionChoices.UPDATE,
        stored,
        before,
        audit.config_snapshot(stored, ("steps",)),
        actor=actor,
    )
    return stored


# ---------------------------------------------------------------------------------- test run
@dataclass
class StepRun:
    name: str
    mode: str
    applies: bool
    approvers: list[User] = field(default_factory=list)
    replaced: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""


@dataclass
class FlowRun:
    flow: ApprovalFlow
    matches: bool
    steps: list[StepRun] = field(default_factory=list)


def test_run(*, actor, object_type: str, record, submitter: User, purpose: str = "") -> list[FlowRun]:
    """The type's active flows (of ``purpose``: "" for a plain record approval) in order, whether each one's trigger matches ``record``, and for
    the first that does (the one a submission would take) whom each step resolves to when
    ``submitter`` submits — out-of-office delegates and stand-ins included. Writes nothing
    (run in a transaction rolled back, whatever resolution touches)."""
    _administrator(actor)
    model_of(object_type)
    runs: list[FlowRun] = []
    with transaction.atomic():
        chosen = False
        for flow in ApprovalFlow.objects.filter(
            object_type=object_type, is_active=True, purpose=purpose
        ).order_by("position", "id"):
            hit = not chosen and (flow.trigger == "on_submit" or matches(record, flow.condition))
            run = FlowRun(flow=flow, matches=hit)
            if hit:
                chosen = True
                settings, steps = versions.frozen(flow)
                for step in steps:
                    applies = not step.get("condition") or matches(record, step["condition"])
                    step_run = StepRun(
                        name=step.get("name", ""), mode=step.get("mode", "any"), applies=applies
                    )
                    if applies:
                        resolved = resolve(step, settings=settings, submitter=submitter, record=record)
                        step_run.approvers, step_run.replaced = resolved.users, resolved.replaced
                        if not resolved.users:
                            step_run.problem = _("Nobody can approve this step.")
                    run.steps.append(step_run)
            runs.append(run)
        transaction.set_rollback(True)
    return runs
