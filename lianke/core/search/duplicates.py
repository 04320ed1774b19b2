"""The duplicate check: :func:`find_duplicates` — the candidates among every object type that
declares an ``Identity`` (``core.text.identity``) in its registration, each with its reasons,
seen through the access layer: a record the asker may not open is reported only as existing in a
department or pool (and the question is logged on ``lianke.identity``). The keys it compares
(company key, credit code, phone digits, e-mail) are ``core.text.identity``'s."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from lianke.org import access
from lianke.org.choices import Action

from ..objecttypes.registry import ObjectType, registry
from ..text.identity import Identity, company_key, credit_code_key, email_key
from ..text.phones import phone_digits

logger = logging.getLogger("lianke.identity")


SAME_CREDIT_CODE, SAME_NAME, SAME_PHONE, SAME_EMAIL = (
    "same_credit_code",
    "same_name",
    "same_phone",
    "same_email",
)
REASONS = (SAME_CREDIT_CODE, SAME_NAME, SAME_PHONE, SAME_EMAIL)  # strongest first
# A phone shorter than this (a service number such as 95588) identifies nobody.
MIN_PHONE_DIGITS = 7


@dataclass
class Candidate:
    """A record that may be the same company or person, and why (``reasons``: codes of
    :data:`REASONS`). ``record`` is set when the asker may open it; otherwise it is ``None`` and
    only ``department`` (the owner's department) or ``pool`` (an ownerless record's pool) is
    told — never the record's id or name."""

    object_type: ObjectType
    reasons: tuple[str, ...]
    record: models.Model | None = None
    department: str = ""
    pool: str = ""
    _order: tuple = field(default=(), repr=False, compare=False)

    @property
    def hidden(self) -> bool:
        return self.record is None

    @property
    def message(self) -> str:
        """What the asker reads about a hidden candidate ("" for a visible one)."""
        if not self.hidden:
            return ""
        kind = self.object_type.opts.verbose_name
        if self.pool:
            return str(_("A matching %(type)s exists in pool %(pool)s.") % {"type": kind, "pool": self.pool})
        if self.department:
            return str(
                _("A matching %(type)s exists, owned in department %(department)s.")
                % {"type": kind, "department": self.department}
            )
        return str(_("A matching %(type)s exists, owned by someone else.") % {"type": kind})


def _keys(values: Iterable[str | None], key) -> list[str]:
    return list(dict.fromkeys(k for k in (key(v) for v in values) if k))


def find_duplicates(
    user,
    *,
    name: str | None = None,
    credit_code: str | None = None,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    types: Iterable[str] | None = None,
    exclude: models.Model | Iterable[models.Model] | None = None,
) -> list[Candidate]:
    """The records of every type declaring an :class:`Identity` (or of ``types``, keys such as
    ``"customers.account"``) that share the credit code, the company key of ``name``, one of
    ``phones`` (digits, at least :data:`MIN_PHONE_DIGITS`) or one of ``emails`` — not in the
    recycle bin, not ``exclude`` (the record being edited). One indexed query per type (an OR of
    equalities, at most ``Identity.limit`` rows) that also tells, through ``org.access.scope_q``
    (view), which rows ``user`` may open; ``user=None`` is the system, who may open all.

    Candidates come by type (registry order), then strongest reason first. A hidden one is
    logged (who asked, type, record id, reasons). Callers: account creation warnings, lead
    conversion, customer registration, the blacklist and imports (later issues)."""
    code = credit_code_key(credit_code)
    name_key = company_key(name)
    digit_keys = [d for d in _keys(phones, _phone_key) if len(d) >= MIN_PHONE_DIGITS]
    mail_keys = [m for m in _keys(emails, email_key) if "@" in m]
    wanted = set(types) if types is not None else None
    excluded: dict[type, set[Any]] = {}
    if exclude is not None:
        for obj in [exclude] if isinstance(exclude, models.Model) else exclude:
            excluded.setdefault(type(obj)._meta.concrete_model or type(obj), set()).add(obj.pk)

    found: list[Candidate] = []
    for position, object_type in enumerate(registry):
        identity: Identity | None = object_type.identity
        if identity is None or (wanted is not None and object_type.key not in wanted):
            continue
        model = object_type.model
        conditions = models.Q()
        if code and identity.credit_code:
            # The terms of a partial unique index's condition (live, not blank) let SQLite use it.
            conditions |= models.Q(**{identity.credit_code: code, "is_deleted": False}) & ~models.Q(
                **{identity.credit_code: ""}
            )
        if name_key and identity.name_key:
            conditions |= models.Q(**{identity.name_key: name_key})
        for column in identity.phones if digit_keys else ():
            conditions |= models.Q(**{f"{column}__in": digit_keys})
        for column in identity.emails if mail_keys else ():
            conditions |= models.Q(**{f"_identity_{column}__in": mail_keys})
        if not conditions:
            continue
        rows = model.all_objects.alias(**{f"_identity_{c}": Lower(c) for c in identity.emails})
        rows = rows.filter(conditions, is_deleted=False).exclude(pk__in=excluded.get(model, ()))
        q = access.scope_q(user, model, Action.VIEW) if user is not None else models.Q()
        if q is None:
            visible: Any = models.Value(False)
        elif not q:
            visible = models.Value(True)
        else:
            visible = models.Case(models.When(q, then=models.Value(True)), default=models.Value(False))
        holders = [f for f in ("department", "pool") if object_type._has_field(f)]
        rows = rows.annotate(_visible=models.ExpressionWrapper(visible, output_field=models.BooleanField()))
        for obj in rows.select_related(*holders).order_by()[: identity.limit]:
            reasons = _reasons(obj, identity, code, name_key, digit_keys, mail_keys)
            found.append(_candidate(user, object_type, obj, reasons, position))
    return sorted(found, key=lambda c: c._order)


def _phone_key(text: str | None) -> str:
    return phone_digits(text)


def _reasons(obj, identity: Identity, code, name_key, digit_keys, mail_keys) -> tuple[str, ...]:
    reasons = []
    if code and identity.credit_code and credit_code_key(getattr(obj, identity.credit_code)) == code:
        reasons.append(SAME_CREDIT_CODE)
    if name_key and identity.name_key and getattr(obj, identity.name_key) == name_key:
        reasons.append(SAME_NAME)
    if any(getattr(obj, c) in digit_keys for c in identity.phones):
        reasons.append(SAME_PHONE)
    if any(email_key(getattr(obj, c)) in mail_keys for c in identity.emails):
        reasons.append(SAME_EMAIL)
    return tuple(reasons)


def _candidate(user, object_type: ObjectType, obj, reasons: tuple[str, ...], position: int) -> Candidate:
    order = (position, min((REASONS.index(r) for r in reasons), default=len(REASONS)), obj.pk)
    if obj._visible:
        return Candidate(object_type, reasons, record=obj, _order=order)
    owner_id = getattr(obj, "owner_id", None)
    pool = getattr(obj, "pool", None) if owner_id is None else None
    department = getattr(obj, "department", None)
    logger.info(
        "duplicate check by user %s: %s #%s exists out of their reach (%s)",
        getattr(user, "pk", None),
        object_type.key,
        obj.pk,
        ", ".join(reasons),
    )
    return Candidate(
        object_type,
        reasons,
        department=str(department.name) if department is not None and pool is None else "",
        pool=str(pool.name) if pool is not None else "",
        _order=(*order[:2], 0),  # no id leaks through the order either
    )


def identity_values(instance: models.Model) -> dict[str, Any]:
    """What ``instance`` (of a type declaring an ``Identity``) is recognised by, as
    :func:`find_duplicates` takes it: the source values of its key columns (``name``,
    ``credit_code``, ``phones``, ``emails``). Empty for a type with no identity."""
    object_type = registry.get_for_model(type(instance), None)
    identity: Identity | None = getattr(object_type, "identity", None)
    if identity is None:
        return {}

    def source(column: str) -> str:
        field = instance._meta.get_field(column)
        return str(getattr(instance, getattr(field, "source", None) or column, "") or "")

    return {
        "name": source(identity.name_key) if identity.name_key else None,
        "credit_code": source(identity.credit_code) if identity.credit_code else None,
        "phones": [p for p in (source(c) for c in identity.phones) if p],
        "emails": [e for e in (source(c) for c in identity.emails) if e],
    }


def lock_identity(
    *,
    name: str | None = None,
    credit_code: str | None = None,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
) -> None:
    """Serialize, until the transaction ends, every writer that checks for and creates a record
    with one of these keys (company key, credit code, phone digits, e-mail): two people creating
    one company at the same moment then meet in :func:`find_duplicates` one after the other,
    instead of both finding nothing. Call it inside the write's transaction, before the check.
    PostgreSQL: a transaction-scoped advisory lock per key, taken in a fixed order (no
    deadlock); SQLite: nothing to do — an IMMEDIATE transaction already holds the database's
    write lock from its start."""
    if connection.vendor != "postgresql":
        return
    keys = [
        *(f"c:{k}" for k in [credit_code_key(credit_code)] if k),
        *(f"n:{k}" for k in [company_key(name)] if k),
        *(f"p:{k}" for k in _keys(phones, _phone_key) if len(k) >= MIN_PHONE_DIGITS),
        *(f"e:{k}" for k in _keys(emails, email_key) if "@" in k),
    ]
    numbers = sorted({_lock_number(k) for k in keys})
    if not numbers:
        return
    with connection.cursor() as cursor:  # one round trip; the calls run left to right
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(numbers)), numbers)


def _lock_number(key: str) -> int:
    """A key as a signed 64-bit advisory lock number (``identity:`` names the lock space)."""
    digest = hashlib.blake2b(f"identity:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
