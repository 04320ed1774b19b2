"""The approval engine's part of a leaving user's handover (离职交接).

What moves: the pending tasks of the current step of pending approvals where the leaving user is
the approver. Each goes to the receiver through the engine's own :func:`services.delegate`, so the
approval's log, the record's history and the receiver's "waiting for your approval" notification
are those of any delegation (the note names the handover and who ran it).

What stays: the approvals the leaving user submitted stay his. They are requests on records; the
records themselves move in the handover's record parts, and a pending approval keeps its
submitter so that its history stays true (who asked, when). The approvers decide as usual.

A task the receiver cannot take (he is already an approver of that step, or he submitted the
request and the flow forbids approving one's own) is left with the leaving user and reported as
left; the engine's fallback for a departed approver (superior, flow fallback, administrators)
takes it over once he is deactivated.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianke.core.records.handover import SAMPLE, register_handover

from .models import ApprovalTask, Status, TaskStatus


def pending_tasks(user) -> QuerySet[ApprovalTask]:
    """The user's pending tasks in the current step of pending approvals."""
    return ApprovalTask.objects.filter(
        approver_id=user.pk,
        status=TaskStatus.PENDING,
        approval__status=Status.PENDING,
        step=F("approval__step"),
    )


def preview(user) -> tuple[int, list[str]]:
    queryset = pending_tasks(user)
    sample = [
        str(task.approval)
        for task in queryset.select_related("approval__version__flow").order_by("pk")[:SAMPLE]
    ]
    return queryset.count(), sample


def move(actor, from_user, to_user) -> int:
    """Delegate each of ``from_user``'s pending tasks to ``to_user``; answers how many moved.
    A task the engine refuses to hand to him stays (see the module docstring)."""
    from . import services

    note = _("Handover of %(from)s to %(to)s by %(actor)s") % {
        "from": from_user,
        "to": to_user,
        "actor": actor,
    }
    moved = 0
    for approval_id in list(pending_tasks(from_user).order_by("pk").values_list("approval_id", flat=True)):
        try:
            services.delegate(actor=from_user, approval=approval_id, to=to_user, note=note)
        except (ValidationError, services.ApprovalRefused):
            continue
        moved += 1
    return moved


def register() -> None:
    register_handover(
        "approvals",
        gettext_lazy("Pending approvals where he is the approver"),
        preview=preview,
        move=move,
        order=50,
    )
