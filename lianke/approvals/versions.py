"""Flow versions: a flow frozen as JSON when it is saved (its settings and steps), so a running
approval keeps the rules it started with."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from .models import ApprovalFlow, FlowVersion

# The flow's settings a version keeps (the steps are kept beside them).
SETTINGS = (
    "name",
    "purpose",
    "editable_fields",
    "exposed_fields",
    "on_approve",
    "on_reject",
    "fallback_approver",
    "allow_self_approval",
    "amount_field",
    "amount_tolerance",
)


def frozen(flow: ApprovalFlow) -> tuple[dict, list[dict]]:
    settings = {name: getattr(flow, name) for name in SETTINGS}
    settings["fallback_approver"] = flow.fallback_approver_id
    settings["amount_tolerance"] = format(flow.amount_tolerance or 0, "f")
    steps = [step.frozen() for step in flow.steps.order_by("position", "id")]
    return settings, steps


@transaction.atomic
def freeze(flow: ApprovalFlow, *, actor=None) -> FlowVersion:
    """The flow's current version: a new one when its settings or steps changed since the last
    (a save that changed nothing adds none)."""
    flow = ApprovalFlow.objects.select_for_update().get(pk=flow.pk)
    settings, steps = frozen(flow)
    latest = FlowVersion.objects.filter(flow=flow).order_by("-number").first()
    if latest is not None and latest.settings == settings and latest.steps == steps:
        return latest
    number = (FlowVersion.objects.filter(flow=flow).aggregate(n=Max("number"))["n"] or 0) + 1
    return FlowVersion.objects.create(
        flow=flow, number=number, settings=settings, steps=steps, created_by=actor
    )


def current(flow: ApprovalFlow) -> FlowVersion:
    """The version a new approval of ``flow`` runs on (frozen now if the flow has none yet or
    was changed outside the settings pages)."""
    return freeze(flow)
