"""The lock: while a record's approval is pending, every write of it — edit, delete, transfer,
restore; through a form, the API, bulk edit, the batch path, imports and jobs, all of which run
the before-write rules of ``core.records.events`` — is refused with ``record_locked`` and a
message naming the approval, except a change of only the fields the flow's version declares
editable. The rule costs nothing for a type that has no flow (the types with flows are kept per
configuration token) and one indexed query for one that has — for a batch (bulk edit, an
import's updates) one query for all its rows (``events.current_batch``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lianke.core import configcache, context
from lianke.core.errors import ApprovalCode
from lianke.core.records import audit, events

from .models import ApprovalFlow

# In a flow's editable fields: nothing is locked (the record's owner keeps working it while
# someone else's request about it waits, as with a transfer request).
ALL_FIELDS = "*"


def _load_types() -> frozenset[str]:
    return frozenset(ApprovalFlow.objects.values_list("object_type", flat=True).distinct())


def types_with_flows() -> frozenset[str] | None:
    """The object types that have (or had: flows are never deleted under approvals) a flow,
    kept per configuration token within requests; ``None`` elsewhere (a job or command asks
    for the pending approval directly: one indexed query either way)."""
    ctx = context.current()
    if ctx is not None and ctx.request is not None:
        return configcache.cached(("approval_flow_types",), _load_types)
    return None


def changed_fields(before: dict | None, record) -> set[str]:
    """What the write changes, as flows name fields (custom fields ``cf_<name>``)."""
    after = audit.snapshot(record)
    before = before or {}
    keys = {k for k in {*before, *after} if k != "version" and before.get(k) != after.get(k)}
    return {f"cf_{k[3:]}" if k.startswith("cf.") else k for k in keys}


def check(actor, record, action: str, before: dict | None) -> None:
    """The before-write rule (every type, every action but create)."""
    if action == events.CREATE or record.pk is None:
        return
    types = types_with_flows()
    if types is not None and record._meta.label_lower not in types:
        return
    from .services import pending_approval, pending_approvals

    batch = events.current_batch(record)
    if batch is not None:
        if check not in batch.memo:
            batch.memo[check] = pending_approvals(type(record), batch.ids)
        approval = batch.memo[check].get(record.pk)
    else:
        approval = pending_approval(record)
    if approval is None:
        return
    editable = set(approval.version.settings.get("editable_fields") or [])
    if ALL_FIELDS in editable:  # a flow that does not lock (a transfer request)
        return
    if action == events.EDIT:
        changed = changed_fields(before, record)
        if not changed or changed <= editable:
            return
    raise ValidationError(
        _("“%(record)s” is under approval (%(flow)s, #%(id)s) and cannot be changed until it is decided.")
        % {"record": record, "flow": approval.version.settings.get("name", ""), "id": approval.pk},
        code=ApprovalCode.RECORD_LOCKED,
    )
