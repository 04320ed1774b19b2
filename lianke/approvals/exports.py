"""Approval of large exports: an export of more than ``LIANKE_EXPORT_APPROVAL_ROWS`` rows is
refused by the list's export (``core.ui.exports``); this module is the way to ask.

The refusal page links to ``approvals:export_request`` with a signed token naming the user, the
object type, the list's canonical query string and the row count (so none can be altered). The
user gives a reason; an ``ExportRequest`` is created and submitted to the engine under the
purpose ``approvals.export``, by the first active flow of ``approvals.exportrequest`` — a default
one (the requester's superior; the engine falls back to the flow's fallback approver, then the
administrators) is created, with history, when the type has none. Approvers see who asks for
which list and how many rows (the approval's exposed fields). Approved, the request lets its
requester run that exact query once within ``LIANKE_EXPORT_APPROVAL_HOURS``: the export asks
``use_grant``, which consumes the request in one conditional update (two parallel downloads get
one file). The export still applies his data scope, so an approval never widens what he may
read. The data-protection audit records the request, the decision and the approved export.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianke.core.errors import FieldCode
from lianke.core.models import ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.core.records import audit
from lianke.core.ui import exports as core_exports
from lianke.org import audit as security_audit
from lianke.org.choices import AuditKind

from . import flowtypes, purposes, services
from .models import ApprovalFlow, ApprovalStep, ApproverKind, ExportRequest

PURPOSE = "approvals.export"
OBJECT_TYPE = "approvals.exportrequest"
SALT = "lianke.approvals.export-request"
TOKEN_MAX_AGE = 3600  # the refusal page's link is good for an hour


def valid_for() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "LIANKE_EXPORT_APPROVAL_HOURS", 24))


# ---------------------------------------------------------------------------------- hooks
def request_url(user, object_type, query: str, count: int) -> str | None:
    """The refusal page's "Request approval" link (``core.ui.exports.register_export_approval``)."""
    token = signing.dumps({"u": user.pk, "t": object_type.key, "q": query, "n": count}, salt=SALT)
    return f"{reverse('approvals:export_request')}?{urlencode({'t': token})}"


def use_grant(user, object_type, query: str) -> int | None:
    """Consume ``user``'s approved, unexpired request for exactly this list query: its id, or
    ``None``. One conditional update, so a request is used once even by parallel exports."""
    if user is None or not user.is_authenticated:
        return None
    now = timezone.now()
    candidates = ExportRequest.objects.filter(
        owner=user,
        object_type=object_type.key,
        state=ExportRequest.State.APPROVED,
        query=query,
        expires_at__gt=now,
    ).order_by("expires_at", "id")
    for pk in candidates.values_list("pk", flat=True)[:5]:
        if ExportRequest.objects.filter(pk=pk, state=ExportRequest.State.APPROVED).update(
            state=ExportRequest.State.USED, used_at=now
        ):
            return pk
    return None


def _decided(approval, record, actor, *, approved: bool) -> None:
    if record is None:
        return
    now = timezone.now()
    record.state = ExportRequest.State.APPROVED if approved else ExportRequest.State.REJECTED
    record.decided_at = now
    record.expires_at = now + valid_for() if approved else None
    record.save(update_fields=["state", "decided_at", "expires_at"])
    security_audit.record(
        AuditKind.EXPORT_DECIDED,
        actor=actor,
        object_type=record.object_type,
        summary=f"{record.owner}: {record.object_type} × {record.rows} → {record.state}",
        data={
            "request": record.pk,
            "approval": approval.pk,
            "requester": record.owner_id,
            "rows": record.rows,
            "query": record.query,
            "decision": record.state,
        },
    )


def on_approved(approval, record, actor) -> None:
    _decided(approval, record, actor, approved=True)


def on_rejected(approval, record, actor) -> None:
    _decided(approval, record, actor, approved=False)


def register() -> None:
    purposes.declare(
        PURPOSE,
        label=gettext_lazy("Large export"),
        on_approved=on_approved,
        on_rejected=on_rejected,
        needs_edit=False,  # the requester asks for himself; the view checks who he is
        object_type=OBJECT_TYPE,
    )
    flowtypes.declare(
        ExportRequest,
        label=gettext_lazy("Large export"),
        label_plural=gettext_lazy("Large exports"),
        icon="download",
    )
    core_exports.register_export_approval(request_url)
    core_exports.register_export_grant(use_grant)


# ---------------------------------------------------------------------------------- request
def default_flow() -> None:
    """Create the default flow when the type has none (the requester's superior), with history."""
    if ApprovalFlow.objects.filter(object_type=OBJECT_TYPE, purpose=PURPOSE).exists():
        return
    flow = ApprovalFlow.objects.create(object_type=OBJECT_TYPE, purpose=PURPOSE, name=_("Large export"))
    ApprovalStep.objects.create(
        flow=flow, position=0, name=_("Superior"), approver_kind=ApproverKind.SUPERIOR, levels=1
    )
    audit.record(
        ObjectChange.ActionChoices.CREATE, flow, None, audit.config_snapshot(flow, ("steps",)), actor=None
    )


def _exposed(request: ExportRequest, type_label: str) -> dict:
    values = {
        "requester": (_("Requested by"), request.owner.get_full_name() or request.owner.get_username()),
        "list": (_("List"), type_label),
        "rows": (_("Rows"), f"{request.rows:,}"),
        "query": (_("Filter"), request.query or _("(none)")),
        "reason": (_("Reason"), request.reason),
    }
    return {name: {"label": str(label), "value": str(value)} for name, (label, value) in values.items()}


@transaction.atomic
def create_request(*, actor, object_type: str, query: str, rows: int, reason: str) -> ExportRequest:
    """Record ``actor``'s request and submit it for approval (``reason`` required)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Say why you need this export."), code=FieldCode.REQUIRED)}
        )
    ot = registry.get(object_type)
    default_flow()
    request = ExportRequest.objects.create(
        owner=actor, object_type=object_type, query=query, rows=rows, reason=reason[:2000]
    )
    approval = services.submit(actor=actor, record=request, purpose=PURPOSE, comment=reason)
    approval.exposed = _exposed(request, str(ot.label_plural))
    approval.data = {"export_url": ot.url("export") + (f"?{query}" if query else "")}
    approval.object_repr = _("Export of %(rows)s %(name)s") % {"rows": f"{rows:,}", "name": ot.label_plural}
    approval.save(update_fields=["exposed", "data", "object_repr", "updated_at"])
    security_audit.record(
        AuditKind.EXPORT_REQUESTED,
        actor=actor,
        object_type=object_type,
        summary=f"{ot.label_plural}: {rows}",
        data={"request": request.pk, "approval": approval.pk, "rows": rows, "query": query},
    )
    request.approval = approval  # type: ignore[attr-defined]
    return request


@login_required
def request_export(request):
    """The form behind the refusal page's "Request approval": the list, its rows, a reason."""
    try:
        asked = signing.loads(request.GET.get("t", ""), salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    if asked.get("u") != request.user.pk or asked.get("t") not in registry:
        raise Http404
    ot = registry.get(asked["t"])
    errors: dict = {}
    if request.method == "POST":
        try:
            made = create_request(
                actor=request.user,
                object_type=ot.key,
                query=asked["q"],
                rows=int(asked["n"]),
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            return redirect("approvals:detail", pk=made.approval.pk)  # type: ignore[attr-defined]
    context = {
        "object_type": ot,
        "rows": int(asked["n"]),
        "query": asked["q"],
        "reason": request.POST.get("reason", ""),
        "errors": errors,
        "back_url": ot.url_list + (f"?{asked['q']}" if asked["q"] else ""),
    }
    return render(request, "approvals/export_request.html", context, status=400 if errors else 200)
