"""The approvals' pages: the inbox (``/approvals/?box=pending|submitted|decided|copied``), an
approval's page with the actions the user may take, its printable sheet, and "Submit for
approval" from a record's page. Thin: each view parses, calls ``approvals.services`` and
renders; a refusal (``ApprovalRefused``, a coded ``ValidationError``, ``PermissionDenied``) is
shown as its translated message with its stable code, the approval unchanged.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianke.core.errors import ApprovalCode
from lianke.core.objecttypes.registry import registry
from lianke.core.pagination import InvalidCursor, SortSpec, paginate
from lianke.core.text.keys import as_key
from lianke.notifications import rows as notification_rows
from lianke.notifications import service as notices
from lianke.notifications.models import Notification
from lianke.org import access
from lianke.org.choices import Action
from lianke.org.models import Department, User

from . import notification_actions, services
from .forms import OutOfOfficeForm, active_users
from .models import Approval, ApprovalCopy, ApprovalTask, Status, TaskStatus
from .services import ApprovalRefused

BOXES = ("pending", "submitted", "decided", "copied")
PAGE = 25
TAB_LABELS = (
    ("pending", gettext_lazy("Pending my approval")),
    ("submitted", gettext_lazy("Submitted by me")),
    ("decided", gettext_lazy("Decided by me")),
    ("copied", gettext_lazy("Copied to me")),
)
NEWEST_FIRST = SortSpec(F("submitted_at"), descending=True, nullable=False)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# ---------------------------------------------------------------------------------- reading
def type_label(approval: Approval) -> str:
    model = approval.content_type.model_class()
    ot = registry.get_for_model(model, None) if model is not None else None
    return str(ot.label) if ot is not None else approval.content_type.name


def step_name(approval: Approval) -> str:
    step = approval.current_step() if approval.status == Status.PENDING else None
    return (step or {}).get("name", "")


def my_pending_ids(user, approvals) -> set[int]:
    """Which of ``approvals`` wait for ``user``'s decision now (one query for the page)."""
    ids = [a.pk for a in approvals if a.status == Status.PENDING]
    if not ids:
        return set()
    return set(
        ApprovalTask.objects.filter(
            approval_id__in=ids, approver=user, status=TaskStatus.PENDING
        ).values_list("approval_id", flat=True)
    )


def delegated_to_me(user, approvals) -> dict[int, User]:
    """``{approval id: whose task it was}`` for ``user``'s pending tasks among ``approvals``
    that came to him by delegation (handed on, or an approver out of office): one query."""
    ids = [a.pk for a in approvals if a.status == Status.PENDING]
    if not ids:
        return {}
    return {
        task.approval_id: task.delegated_from
        for task in ApprovalTask.objects.filter(
            approval_id__in=ids, approver=user, status=TaskStatus.PENDING, delegated_from__isnull=False
        ).select_related("delegated_from")
        if task.delegated_from is not None
    }


def box_counts(user) -> dict[str, int]:
    """The tabs' counts, each one range of an index leading with the user: pending exactly (the
    navigation's count), the others capped at 100 (shown as 99+; they only grow)."""
    decided = (
        ApprovalTask.objects.filter(
            approver=user,
            decided_at__isnull=False,
            status__in=[TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.DELEGATED],
        )
        .values("approval_id")
        .distinct()
    )
    return {
        "pending": services.pending_count(user),
        "submitted": Approval.objects.filter(submitter=user).order_by()[:100].count(),
        "decided": decided.order_by()[:100].count(),
        "copied": ApprovalCopy.objects.filter(user=user).order_by()[:100].count(),
    }


@login_required
def inbox(request):
    user = request.user
    name = request.GET.get("box", "pending")
    if name not in BOXES:
        name = "pending"
    rows = services.box(user, name).select_related("submitter", "version", "content_type")
    try:
        page = paginate(rows, NEWEST_FIRST, request.GET.get("after") or None, PAGE)
    except InvalidCursor:
        return redirect(f"{reverse('approvals:inbox')}?box={name}")
    waiting = my_pending_ids(user, page.rows)
    handed = delegated_to_me(user, page.rows) if name == "pending" else {}
    counts = box_counts(user)
    items = [
        {
            "approval": a,
            "type": type_label(a),
            "step": step_name(a),
            "mine": a.pk in waiting,
            "delegated_from": handed.get(a.pk),
        }
        for a in page.rows
    ]
    context = {
        "away": services.current_out_of_office(user),
        "now": timezone.now(),
        "box": name,
        "items": items,
        "next_cursor": page.next_cursor,
        "has_previous": page.has_previous,
        "tabs": [(key, label, counts[key]) for key, label in TAB_LABELS],
    }
    if _is_htmx(request) and request.GET.get("after"):
        return render(request, "approvals/partials/inbox_rows.html", context)
    return render(request, "approvals/inbox.html", context)


def visible_or_404(user, pk: int) -> Approval:
    approval = (
        services.visible_to(user).filter(pk=pk).select_related("submitter", "version", "content_type").first()
    )
    if approval is None:
        raise Http404
    return approval


def may_read_record(user, approval: Approval):
    """The record if ``user`` may read it (else ``None``: he sees only the exposed fields)."""
    record = services.record_of(approval)
    if record is None or getattr(record, "is_deleted", False):
        return None
    return record if access.can(user, record, Action.VIEW) else None


def steps_of(approval: Approval) -> list[dict]:
    """Each step of the version with its approvers' tasks (one query)."""
    tasks: dict[int, list[ApprovalTask]] = {}
    for task in approval.tasks.select_related("approver", "delegated_from", "added_by").order_by(
        "step", "created_at", "id"
    ):
        tasks.setdefault(task.step, []).append(task)
    return [
        {
            "index": i,
            "name": step.get("name", ""),
            "mode": step.get("mode", "any"),
            "current": approval.status == Status.PENDING and i == approval.step,
            "tasks": tasks.get(i, []),
        }
        for i, step in enumerate(approval.version.steps)
    ]


def actions_for(user, approval: Approval, *, mine: bool) -> set[str]:
    """What ``user`` may do to the approval now (the services check again)."""
    allowed = {"comment"}
    submitter = approval.submitter_id == user.pk
    if mine:
        allowed |= {"approve", "reject", "return", "delegate", "add_approver", "cc"}
    if submitter:
        allowed.add("cc")
        if approval.status == Status.PENDING:
            allowed |= {"withdraw", "urge"}
        elif approval.status == Status.RETURNED:
            allowed |= {"resubmit", "withdraw"}
    return allowed


def company_name() -> str:
    """The sheet's heading: ``LIANKE_COMPANY_NAME``, else the top department's name."""
    name = getattr(settings, "LIANKE_COMPANY_NAME", "")
    if name:
        return name
    top = Department.objects.filter(parent__isnull=True).order_by("sort_order", "pk").first()
    return top.name if top is not None else ""


def detail_context(user, approval: Approval) -> dict:
    mine = bool(my_pending_ids(user, [approval]))
    record = may_read_record(user, approval)
    model = approval.content_type.model_class()
    ot = registry.get_for_model(model, None) if model is not None else None
    events = list(approval.events.select_related("actor").order_by("at", "id"))
    people_ids = {
        i
        for e in events
        for i in (e.data.get("to"), e.data.get("user"), *(e.data.get("users") or []))
        if isinstance(i, int)
    }
    people = User.objects.in_bulk(people_ids) if people_ids else {}
    for e in events:
        e.people = [
            people[i]
            for i in (e.data.get("to"), e.data.get("user"), *(e.data.get("users") or []))
            if isinstance(i, int) and i in people
        ]
    return {
        "approval": approval,
        "type": type_label(approval),
        "record": record,
        "record_url": ot.record_url(record.pk) if record is not None and ot is not None else "",
        "exposed": list((approval.exposed or {}).values())
        if record is not None or services.deciding_ids(user, [approval])
        else [],
        "steps": steps_of(approval),
        "events": events,
        "copies": list(approval.copies.select_related("user")),
        "actions": actions_for(user, approval, mine=mine),
        "mine": mine,
        "users": active_users().exclude(pk=user.pk)
        if mine or approval.submitter_id == user.pk
        else User.objects.none(),
    }


@login_required
def detail(request, pk: int):
    approval = visible_or_404(request.user, pk)
    return render(request, "approvals/detail.html", detail_context(request.user, approval))


@login_required
def sheet(request, pk: int):
    approval = visible_or_404(request.user, pk)
    context = detail_context(request.user, approval)
    context["company"] = company_name()
    return render(request, "approvals/sheet.html", context)


# ---------------------------------------------------------------------------------- acting
def _users(request, name: str) -> list[str]:
    return [v for v in request.POST.getlist(name) if v]


def _with_comment(service):
    """An action whose only input is the comment (or reason) typed with it."""
    return lambda r, u, a: service(actor=u, approval=a, comment=r.POST.get("comment", ""))


ACTIONS = {
    "approve": (
        _with_comment(services.approve),
        gettext_lazy("Approved."),
    ),
    "reject": (
        _with_comment(services.reject),
        gettext_lazy("Rejected."),
    ),
    "return": (
        _with_comment(services.return_),
        gettext_lazy("Returned to the submitter for changes."),
    ),
    "withdraw": (
        _with_comment(services.withdraw),
        gettext_lazy("Withdrawn."),
    ),
    "resubmit": (
        _with_comment(services.resubmit),
        gettext_lazy("Submitted again."),
    ),
    "comment": (
        _with_comment(services.comment),
        gettext_lazy("Comment added."),
    ),
    "delegate": (
        lambda r, u, a: services.delegate(
            actor=u, approval=a, to=r.POST.get("to", ""), note=r.POST.get("comment", "")
        ),
        gettext_lazy("Handed on."),
    ),
    "add_approver": (
        lambda r, u, a: services.add_approver(
            actor=u, approval=a, user=r.POST.get("user", ""), comment=r.POST.get("comment", "")
        ),
        gettext_lazy("Approver added."),
    ),
    "cc": (
        lambda r, u, a: services.cc(actor=u, approval=a, users=_users(r, "users")),
        gettext_lazy("Copied."),
    ),
    "urge": (
        lambda r, u, a: services.urge(actor=u, approval=a),
        gettext_lazy("The approvers were reminded."),
    ),
}


def refusal(exc: Exception) -> tuple[list[tuple[str, str]], int]:
    """A refusal as ``[(message, code)]`` and the HTTP status to answer with."""
    if isinstance(exc, ApprovalRefused):
        return [(str(exc.detail), exc.code)], exc.status_code
    if isinstance(exc, PermissionDenied):
        return [(str(exc) or _("You do not have permission to do this."), "permission_denied")], 403
    assert isinstance(exc, ValidationError)
    if hasattr(exc, "error_dict"):
        errors = [(m, e.code or "invalid") for es in exc.error_dict.values() for e in es for m in e.messages]
    else:
        errors = [(m, e.code or "invalid") for e in exc.error_list for m in e.messages]
    return errors, 400


@login_required
@require_POST
def act(request, pk: int, action: str):
    """One action on the approval. From the inbox (htmx, ``from=list``) the answer is the row
    again; from a notification (htmx, ``from=notification`` with its id) the notification's
    row, read now; elsewhere a redirect to the approval's page with the outcome as a message."""
    if action not in ACTIONS:
        raise Http404
    user = request.user
    approval = visible_or_404(user, pk)
    from_notification = request.POST.get("from") == "notification"
    notification = (
        _own_notification(user, request.POST.get("notification", "")) if from_notification else None
    )
    call, done = ACTIONS[action]
    errors: list[tuple[str, str]] = []
    status = 200
    try:
        call(request, user, approval.pk)
    except (ApprovalRefused, ValidationError, PermissionDenied) as exc:
        errors, status = refusal(exc)
    if notification is not None:
        _read_when_done(user, notification, errors)
        if _is_htmx(request):
            return _notification_answer(request, notification, pk, errors, status, done)
    if _is_htmx(request) and request.POST.get("from") == "list":
        approval = visible_or_404(user, pk)
        item = {
            "approval": approval,
            "type": type_label(approval),
            "step": step_name(approval),
            "mine": bool(my_pending_ids(user, [approval])),
            "delegated_from": delegated_to_me(user, [approval]).get(approval.pk),
            "errors": errors,
            "done": "" if errors else done,
        }
        response = render(
            request, "approvals/partials/inbox_row.html", {"item": item, "box": request.POST.get("box", "")}
        )
        # htmx swaps only 2xx answers: the refusal travels in the row (and its code in a header).
        if errors:
            response["X-Refusal-Code"] = errors[0][1]
            response["X-Refusal-Status"] = str(status)
        return response
    if errors:  # the page again, the refusal on top with its code and status
        context = detail_context(user, visible_or_404(user, pk))
        context["errors"] = errors
        return render(request, "approvals/detail.html", context, status=status)
    messages.success(request, done)
    return redirect(reverse("approvals:detail", kwargs={"pk": pk}))


def _own_notification(user, raw: str) -> Notification:
    pk = as_key(raw)
    found = Notification.objects.filter(recipient_id=user.pk, pk=pk).first() if pk else None
    if found is None:
        raise Http404
    return found


def _read_when_done(user, notification, errors) -> None:
    """A notification acted on is read once nothing is left to do: decided now, or decided
    already by someone else (``already_decided``)."""
    if not errors or ApprovalCode.ALREADY_DECIDED in {code for _message, code in errors}:
        notices.mark_read(user, ids=[notification.pk])


def _notification_answer(request, notification, pk: int, errors, status: int, done) -> HttpResponse:
    """Deciding from a notification (htmx): its row again (read now when nothing is left to do)
    with the outcome in it and the bell's new count."""
    approval = visible_or_404(request.user, pk)
    actions = notification_actions.render(
        request,
        notification.pk,
        approval,
        mine=bool(my_pending_ids(request.user, [approval])),
        errors=errors,
        done="" if errors else str(done),
    )
    response = HttpResponse(notification_rows.row(request, notification, actions=actions, refresh_bell=True))
    if errors:  # htmx swaps only 2xx answers: the refusal travels in the row
        response["X-Refusal-Code"] = errors[0][1]
        response["X-Refusal-Status"] = str(status)
    return response


@login_required
@require_POST
def submit(request, content_type_id: int, object_id: int):
    """ "Submit for approval" from a record's page (``core.ui.panels`` shows the button)."""
    ct = ContentType.objects.filter(pk=content_type_id).first()
    model = ct.model_class() if ct is not None else None
    ot = registry.get_for_model(model, None) if model is not None else None
    if ot is None:
        raise Http404
    record = model.objects.filter(pk=object_id).first()  # the reader's scope: 404 if hidden
    if record is None:
        raise Http404
    try:
        approval = services.submit(actor=request.user, record=record, comment=request.POST.get("comment", ""))
    except (ApprovalRefused, ValidationError, PermissionDenied) as exc:
        for message, _code in refusal(exc)[0]:
            messages.error(request, message)
        return redirect(ot.record_url(record.pk))
    messages.success(request, _("Submitted for approval."))
    return redirect(reverse("approvals:detail", kwargs={"pk": approval.pk}))


# ---------------------------------------------------------------------------------- out of office
def _local_input(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


@never_cache
@login_required
def out_of_office(request):
    """``/profile/out-of-office/``: while I am away my approval tasks go to a colleague (set,
    change, or end it early). The service validates and records the change in history."""
    user = request.user
    away = services.current_out_of_office(user)
    status = 200
    if request.method == "POST" and request.POST.get("end"):
        services.end_out_of_office(actor=user, user=user)
        messages.success(request, _("Your out-of-office delegation has ended."))
        return redirect("approvals_profile:out_of_office")
    if request.method == "POST":
        form = OutOfOfficeForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.set_out_of_office(
                    actor=user,
                    user=user,
                    delegate=data["delegate"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    note=data["note"],
                )
            except ValidationError as exc:
                for field, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else [(None, exc)]:
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Out-of-office delegation saved."))
                return redirect("approvals_profile:out_of_office")
        status = 400
    else:
        initial = (
            {
                "delegate": away.delegate_id,
                "starts_at": _local_input(away.starts_at),
                "ends_at": _local_input(away.ends_at),
                "note": away.note,
            }
            if away is not None
            else {"starts_at": _local_input(timezone.now())}
        )
        form = OutOfOfficeForm(initial=initial, user=user)
    return render(
        request,
        "approvals/out_of_office.html",
        {"form": form, "away": away, "now": timezone.now()},
        status=status,
    )
