"""What the approval engine declares at start-up: its notification types, the lock rule, the
re-approval subscriber, the escalation job and the configuration table it watches."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from lianke.core import configcache, schedules
from lianke.core.records import events
from lianke.notifications import types


def register() -> None:
    from lianke.core.api.records import register_endpoints

    from . import escalation, handover, lock, notification_actions, reapproval
    from .api import submit_endpoint
    from .models import ApprovalFlow

    types.declare(
        "approval.waiting",
        label=_("Approval waiting for you"),
        title=_("%(name)s is waiting for your approval (%(flow)s)"),
        channels=(types.IN_APP, types.EMAIL),
        actions=notification_actions.actions,
    )
    types.declare(
        "approval.decided",
        label=_("Approval decided"),
        title=_("%(name)s: %(status)s (%(flow)s)"),
        channels=(types.IN_APP, types.EMAIL),
    )
    types.declare(
        "approval.escalated",
        label=_("Approval escalated to you"),
        title=_("%(name)s waited too long and was escalated to you (%(flow)s)"),
        channels=(types.IN_APP, types.EMAIL),
        actions=notification_actions.actions,
    )
    types.declare(
        "approval.cc", label=_("Copied on an approval"), title=_("You were copied on %(name)s (%(flow)s)")
    )
    types.declare(
        "approval.urged",
        label=_("Approval reminder"),
        title=_("Please decide on %(name)s (%(flow)s)"),
        actions=notification_actions.actions,
    )
    types.declare(
        "approval.returned",
        label=_("Approval returned for changes"),
        title=_("%(name)s was returned to you for changes (%(flow)s)"),
    )
    types.declare(
        "approval.withdrawn", label=_("Approval withdrawn"), title=_("%(name)s was withdrawn (%(flow)s)")
    )
    types.declare(
        "approval.commented", label=_("Comment on an approval"), title=_("New comment on %(name)s (%(flow)s)")
    )
    configcache.watch(ApprovalFlow, columns=("object_type",))
    register_endpoints(submit_endpoint)
    handover.register()
    events.rule(lock.check, actions=(events.EDIT, events.DELETE, events.TRANSFER, events.RESTORE))
    events.subscribe(reapproval.on_updated, events=(events.UPDATED,), durable=True)
    schedules.job(
        "approvals.escalate",
        escalation.run,
        label=_("Escalate overdue approvals"),
        every=dt.timedelta(minutes=5),
        description=_("A pending approval task past its step's time limit goes to the approver's superior."),
    )
