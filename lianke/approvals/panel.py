"""The approval panel of a record's page (``core.ui.panels``): for a type with an active flow,
"Submit for approval" to whoever may edit the record, and while an approval is open a banner
naming it (the record is locked) with a link to its page. Costs nothing on a type without
flows (the types with flows are kept per configuration token) and two indexed queries on one
with flows."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string

from lianke.core.ui import panels
from lianke.org import access
from lianke.org.choices import Action

from . import lock, services
from .models import ApprovalFlow, Status


def approval_panel(request, object_type, record) -> str:
    key = record._meta.label_lower
    types = lock.types_with_flows()  # types that have (or had) a flow, kept per request
    if types is not None and key not in types:
        return ""
    # An open approval shows its banner even after its flow was switched off: the lock holds.
    approval = services.open_approval(record)
    # "Submit for approval" submits to an active flow of no purpose (a purpose's flow — customer
    # registration — is submitted to by its own service).
    can_submit = (
        approval is None
        and ApprovalFlow.objects.filter(object_type=key, is_active=True, purpose="").exists()
        and access.can(request.user, record, Action.EDIT)
    )
    if approval is None and not can_submit:
        return ""
    return render_to_string(
        "approvals/partials/record_panel.html",
        {
            "approval": approval,
            "pending": approval is not None and approval.status == Status.PENDING,
            # a flow that locks nothing (a transfer request): the owner keeps working the record
            "locks": approval is not None
            and lock.ALL_FIELDS not in (approval.version.settings.get("editable_fields") or []),
            "can_submit": can_submit,
            "content_type_id": ContentType.objects.get_for_model(type(record)).pk,
            "record": record,
        },
        request=request,
    )


def register() -> None:
    panels.register("approvals", approval_panel)
