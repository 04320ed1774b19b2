"""Customer registration (客户报备) and transfer requests, the first uses of the approval engine.

- ``register_account``: a rep's new account, checked against every existing one first
  (``core.search.duplicates``: a hidden match is told only as "exists, owned in department X"),
  is created owned by him in the *pending registration* state and submitted to the flow of
  purpose ``customers.registration``. Approved, it becomes registered (his customer); rejected,
  it is marked rejected with the reason. Two reps cannot both claim one company: the second
  meets the first's pending account in the duplicate check.
- ``request_transfer``: a rep who found that a company is already someone's customer asks for
  it by what he knows (name, credit code, phone), with a reason; the flow of purpose
  ``customers.transfer_request`` (its approver: the owner's superior) decides, and an approval
  transfers the account to him (``services.transfer_records`` as a workflow). Such a flow locks
  nothing (editable fields ``"*"``): the owner keeps working the account meanwhile.

The purposes are declared in ``CustomersConfig.ready``; the flows are configured in Settings
(and in the demo data)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianke.approvals import lock, purposes
from lianke.approvals import services as approvals
from lianke.approvals.models import Approval, ApprovalEvent, EventAction
from lianke.approvals.services import ApprovalRefused
from lianke.core.errors import ApprovalCode, FieldCode
from lianke.core.records import services
from lianke.core.search import duplicates
from lianke.core.search.duplicates import find_duplicates, identity_values, lock_identity

from .choices import Registration
from .models import Account

REGISTRATION = "customers.registration"
TRANSFER_REQUEST = "customers.transfer_request"


# The account's field a duplicate's reason names (the refusal is told on it).
REASON_FIELDS = {
    duplicates.SAME_CREDIT_CODE: "credit_code",
    duplicates.SAME_NAME: "name",
    duplicates.SAME_PHONE: "phone",
    duplicates.SAME_EMAIL: "email",
}


def _identity(values: dict) -> dict:
    return {
        "name": values.get("name") or None,
        "credit_code": values.get("credit_code") or None,
        "phones": [values["phone"]] if values.get("phone") else [],
        "emails": [values["email"]] if values.get("email") else [],
    }


@transaction.atomic
def register_account(*, actor, values: dict, comment: str = "") -> tuple[Account, Approval]:
    """Create the account ``values`` describe, owned by ``actor``, pending registration, and
    submit it. An existing account with the same credit code, name, phone or e-mail refuses it
    (``unique`` on the field that matched — ``credit_code``, ``name``, ``phone``, ``email`` —
    saying only what the actor may know of it)."""
    account = Account(**values, owner=actor)
    lock_identity(**identity_values(account))  # (``create_record`` takes it for the form and the API)
    return _register(actor, account, comment)


def _register(actor, account: Account, comment: str = "", then=None) -> tuple[Account, Approval]:
    """``account`` (built, not saved) checked, created pending registration and submitted. The
    caller holds the company's identity lock (``lock_identity``): of two reps registering it at
    the same moment, the second meets the first's pending account in the check."""
    candidates = find_duplicates(actor, types=["customers.account"], **identity_values(account))
    if candidates:
        found = candidates[0]
        message = found.message or _("“%(name)s” is already a customer.") % {"name": found.record}
        field = next((REASON_FIELDS[r] for r in found.reasons if r in REASON_FIELDS), "name")
        raise ValidationError({field: ValidationError(message, code=FieldCode.UNIQUE)})
    account.registration = Registration.PENDING
    account.registration_note = ""
    account = services.save_record(actor=actor, instance=account)
    if then is not None:  # the caller's own writes (a form's files), before the approval locks it
        account = then(account)
    approval = approvals.submit(actor=actor, record=account, purpose=REGISTRATION, comment=comment)
    account.registration_approval = approval.pk  # the API's answer names it (``approval``)
    return account, approval


def registration_applies(actor, account: Account) -> bool:
    """Whether a new ``account`` by ``actor`` goes through registration: an active flow of
    purpose ``customers.registration`` applies to it (its trigger and condition). Administrators
    (superusers) are the approvers of last resort: their accounts are registered at once."""
    if getattr(actor, "is_superuser", False):
        return False
    types = lock.types_with_flows()  # no query where accounts have no flow (kept per request)
    if types is not None and Account._meta.label_lower not in types:
        return False
    try:
        approvals.choose_flow(account, REGISTRATION)
    except ValidationError:
        return False
    return True


def create_account(actor, account: Account, *, then=None) -> services.Created | None:
    """``AccountObject.create_service``: a new account from the "New account" form or
    ``POST /api/customers/accounts/`` is registered (pending, submitted) when a registration
    flow applies; ``None`` (created as any record) when none does."""
    if not account.owner_id:
        account.owner = actor
    if not registration_applies(actor, account):
        return None
    account, _approval = _register(actor, account, then=then)
    return services.Created(
        account, _("Submitted for registration approval: it becomes your customer once approved.")
    )


def _reason(approval: Approval) -> str:
    last = (
        ApprovalEvent.objects.filter(approval=approval, action=EventAction.FINISHED).order_by("-id").first()
    )
    return (last.comment if last else "")[:255]


def _registered(approval, record, actor) -> None:
    services.save_as_workflow(
        record=record, values={"registration": Registration.REGISTERED, "registration_note": ""}, actor=actor
    )


def _rejected(approval, record, actor) -> None:
    services.save_as_workflow(
        record=record,
        values={"registration": Registration.REJECTED, "registration_note": _reason(approval)},
        actor=actor,
    )


@transaction.atomic
def request_transfer(
    *, actor, reason: str, name: str = "", credit_code: str = "", phone: str = ""
) -> Approval:
    """Ask for the existing account that ``name`` / ``credit_code`` / ``phone`` identify (as
    the duplicate check found it) to be transferred to ``actor``. A reason is required; no
    match, or one that is already the actor's, is refused naming the field."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Say why you ask for this customer."), code=FieldCode.REQUIRED)}
        )
    candidates = find_duplicates(
        None,
        types=["customers.account"],
        **_identity({"name": name, "credit_code": credit_code, "phone": phone}),
    )
    record = next((c.record for c in candidates if c.record is not None and c.record.owner_id), None)
    if record is None:
        raise ValidationError(
            {"name": ValidationError(_("No customer matches."), code=FieldCode.DOES_NOT_EXIST)}
        )
    if record.owner_id == actor.pk:
        raise ValidationError(
            {"name": ValidationError(_("This customer is already yours."), code=FieldCode.INVALID)}
        )
    try:
        approval = approvals.submit(
            actor=actor, record=record, purpose=TRANSFER_REQUEST, data={"reason": reason}, comment=reason
        )
    except ApprovalRefused as exc:
        # The engine's message names the record: the requester is told only that one waits.
        message = _("This customer is under approval already; ask again once it is decided.")
        raise ValidationError({"name": ValidationError(message, code=exc.code)}) from None
    except ValidationError as exc:
        codes = (
            {getattr(e, "code", None) for e in exc.error_list} if not hasattr(exc, "error_dict") else set()
        )
        if ApprovalCode.NO_FLOW in codes:
            message = _("Transfer requests are not set up; ask an administrator.")
            raise ValidationError({"name": ValidationError(message, code=ApprovalCode.NO_FLOW)}) from None
        raise
    # The request is named by what the requester typed, not by the customer's record: he sees
    # his request in his inbox and learns no more than the duplicate check told him.
    approval.object_repr = (name or credit_code or phone)[:200]
    Approval.objects.filter(pk=approval.pk).update(object_repr=approval.object_repr)
    return approval


def _transfer(approval, record, actor) -> None:
    services.transfer_records(actor=actor, records=[record], new_owner=approval.submitter, workflow=True)


def declare() -> None:
    purposes.declare(
        REGISTRATION,
        label=gettext_lazy("Customer registration"),
        object_type="customers.account",
        on_approved=_registered,
        on_rejected=_rejected,
    )
    purposes.declare(
        TRANSFER_REQUEST,
        label=gettext_lazy("Customer transfer request"),
        object_type="customers.account",
        on_approved=_transfer,
        needs_edit=False,
    )


def registration_panel(request, object_type, record) -> str:
    """The record page's banner (``core.ui.panels``) of an account pending registration, or
    rejected with the reason; nothing for a registered one."""
    if not isinstance(record, Account) or record.registration == Registration.REGISTERED:
        return ""
    return render_to_string("customers/partials/registration_panel.html", {"record": record}, request=request)
