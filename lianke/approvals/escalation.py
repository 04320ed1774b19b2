"""Escalation, the scheduled job ``approvals.escalate`` (every 5 minutes): a pending task past
its step's time limit — or whose approver was deactivated (left) since it was given — escalates
to the approver's active superior (else the flow's fallback approver, else an administrator): a
new task in the same step, a log event, a notification. The task is marked escalated in the same transaction, so running
the job again (or two workers at once) changes nothing more."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lianke.core import context
from lianke.core.schedules import Run

from .models import ApprovalTask, Status, TaskStatus

BATCH = 200


def due_tasks(now=None):
    """Pending tasks past their time limit, or of an approver who left; not escalated yet."""
    now = now or timezone.now()
    return ApprovalTask.objects.filter(
        Q(due_at__lte=now) | Q(approver__is_active=False),
        status=TaskStatus.PENDING,
        escalated_at__isnull=True,
    ).order_by("due_at", "id")


def run(run: Run) -> int:
    """Escalate every overdue task (in a dry run: report them only). Returns the count."""
    now = timezone.now()
    count = 0
    with context.system_context(source=context.Source.JOB):
        ids = list(due_tasks(now).values_list("id", flat=True)[:10_000])
        for task_id in ids:
            if run.dry_run:
                run.did("would escalate approval task", task=task_id)
                count += 1
                continue
            if escalate(task_id, now=now):
                run.did("escalated approval task", task=task_id)
                count += 1
    return count


@transaction.atomic
def escalate(task_id: int, *, now=None) -> bool:
    """Escalate one task if it is still pending, overdue (or its approver left) and not
    escalated (read under the approval's lock). ``False``: nothing to do."""
    from . import services
    from .resolve import active_stand_in, administrators

    now = now or timezone.now()
    task = ApprovalTask.objects.filter(pk=task_id).select_related("approver").first()
    if task is None:
        return False
    approval = services._locked(task.approval_id)
    task = ApprovalTask.objects.select_for_update().select_related("approver").get(pk=task_id)
    if (
        approval.status != Status.PENDING
        or task.status != TaskStatus.PENDING
        or task.escalated_at is not None
        or (task.approver.is_active and (task.due_at is None or task.due_at > now))
    ):
        return False
    boss = task.approver.superior
    superior = active_stand_in(boss) if boss is not None else None
    if superior is None:
        fallback = approval.version.settings.get("fallback_approver")
        from lianke.org.models import User

        superior = User.objects.filter(pk=fallback, is_active=True).first() if fallback else None
        superior = superior or next(iter(administrators()), None)
    task.escalated_at = now
    task.save(update_fields=["escalated_at"])
    record = services.record_of(approval)
    if superior is None or superior.pk == task.approver_id:
        services._log(approval, services.E.ESCALATED, None, task=task.pk, to=None)
        return True
    already = services._pending_tasks(approval).filter(approver=superior).exists()
    if not already:
        ApprovalTask.objects.create(
            approval=approval,
            step=task.step,
            step_name=task.step_name,
            approver=superior,
            created_at=now,
            escalated_from=task,
        )
    services._log(approval, services.E.ESCALATED, None, task=task.pk, to=superior.pk)
    services._notify([superior], "approval.escalated", approval, None, record, approver=str(task.approver))
    services._notify([task.approver_id], "approval.urged", approval, None, record)
    return True
