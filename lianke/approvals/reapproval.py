"""Re-approval: an approved record whose amount (the flow's ``amount_field``) later moves
beyond the flow's tolerance (percent of the approved amount) goes through approval again — a
durable subscriber of the records' updates, so it happens in the transaction of the change,
whatever its path. The new approval is submitted in the original submitter's name."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType

from lianke.core.records.events import Event
from lianke.org.models import User

from .conditions import value_of
from .models import OPEN_STATUSES, Approval, Status

logger = logging.getLogger(__name__)


def beyond(approved: Decimal | None, amount, tolerance_percent) -> bool:
    """Does ``amount`` differ from ``approved`` by more than the tolerance?"""
    if approved is None:
        return False
    try:
        now = Decimal(str(amount)) if amount not in (None, "") else Decimal(0)
        tolerance = Decimal(str(tolerance_percent or 0))
    except InvalidOperation:
        return True
    return abs(now - approved) > abs(approved) * tolerance / 100


def on_updated(event: Event) -> None:
    """For each updated record with an approved approval on an amount: submit again when the
    amount moved too far (and no approval is open)."""
    if not event.changed:
        return
    from django.apps import apps

    model = apps.get_model(event.object_type)
    ct = ContentType.objects.get_for_model(model)
    latest: dict[int, Approval] = {}
    for approval in (
        Approval.objects.filter(content_type=ct, object_id__in=event.ids, approved_amount__isnull=False)
        .select_related("version")
        .order_by("object_id", "-decided_at", "-id")
    ):
        latest.setdefault(approval.object_id, approval)
    if not latest:
        return
    from . import services

    manager = getattr(model, "all_objects", model._default_manager)
    for pk, approval in latest.items():
        settings = approval.version.settings
        field = settings.get("amount_field") or ""
        if approval.status != Status.APPROVED or not field:
            continue
        changed_name = f"cf.{field[3:]}" if field.startswith("cf_") else field
        if changed_name not in event.changed:
            continue
        record = manager.filter(pk=pk).first()
        if record is None or not beyond(
            approval.approved_amount, value_of(record, field), settings.get("amount_tolerance")
        ):
            continue
        if Approval.objects.filter(content_type=ct, object_id=pk, status__in=OPEN_STATUSES).exists():
            continue
        submitter = User.objects.get(pk=approval.submitter_id)
        services.submit_again(record=record, submitter=submitter, previous=approval, actor_id=event.actor_id)
