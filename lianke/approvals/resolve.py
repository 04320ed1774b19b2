"""Who approves a step: the step's approver kind read on the submitter and the record, then
each person made someone who can act — away (out of office) → his delegate; deactivated or
left → his superior, up the chain; nobody at all → the flow's fallback approver, then the
administrators (superusers) — so an approval never waits on nobody. Only when even those are
missing is the step refused (code ``no_approver``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from lianke.org.models import Department, User

from .conditions import value_of
from .models import ApproverKind, OutOfOffice

# A superior chain is never longer than this (a loop in old data stops here).
MAX_CHAIN = 50


@dataclass
class Resolved:
    """The step's approvers, and the replacements made on the way (for the log)."""

    users: list[User]
    replaced: list[dict[str, Any]] = field(default_factory=list)


def superior_chain(user: User | None, levels: int) -> User | None:
    """The superior ``levels`` up from ``user`` (``None`` when the chain is shorter)."""
    seen: set[int] = set()
    current = user
    for _level in range(levels):
        if current is None or current.pk in seen:
            return None
        seen.add(current.pk)
        current = current.superior
    return current


def department_head(department_id: int | None, *, exclude: int | None = None) -> User | None:
    """The manager of the department, or of the nearest one above it that has one (other than
    ``exclude``: a department's head submitting goes to the head above him)."""
    seen: set[int] = set()
    while department_id is not None and department_id not in seen and len(seen) < MAX_CHAIN:
        seen.add(department_id)
        department = Department.objects.filter(pk=department_id).select_related("manager").first()
        if department is None:
            return None
        if department.manager is not None and department.manager_id != exclude:
            return department.manager
        department_id = department.parent_id
    return None


def raw_approvers(step: dict, *, submitter: User, record) -> list[User]:
    """The people the step names, before anybody is replaced."""
    kind = step.get("approver_kind")
    levels = max(int(step.get("levels") or 1), 1)
    people: list[User | None] = []
    if kind == ApproverKind.ROLE and step.get("role"):
        people = list(
            User.objects.filter(roles__pk=step["role"], roles__is_active=True, is_active=True).order_by("pk")
        )
    elif kind == ApproverKind.SUPERIOR:
        people = [superior_chain(submitter, levels)]
    elif kind == ApproverKind.SUBMITTER_DEPARTMENT_HEAD:
        people = [department_head(submitter.department_id, exclude=submitter.pk)]
    elif kind == ApproverKind.RECORD_DEPARTMENT_HEAD:
        department_id = getattr(record, "department_id", None)
        people = [department_head(department_id, exclude=getattr(record, "owner_id", None))]
    elif kind == ApproverKind.OWNER_SUPERIOR:
        owner_id = getattr(record, "owner_id", None)
        owner = User.objects.filter(pk=owner_id).first() if owner_id else None
        people = [superior_chain(owner, levels)]
    elif kind == ApproverKind.USERS:
        ids = [int(i) for i in step.get("user_ids") or [] if str(i).isdigit()]
        by_id = User.objects.in_bulk(ids)
        people = [by_id.get(i) for i in ids]
    elif kind == ApproverKind.USER_FIELD and step.get("user_field"):
        value = value_of(record, step["user_field"])
        ids = value if isinstance(value, list) else [value]
        by_id = User.objects.in_bulk([int(i) for i in ids if str(i).isdigit()])
        people = list(by_id.values())
    unique: dict[int, User] = {}
    for person in people:
        if person is not None:
            unique.setdefault(person.pk, person)
    return list(unique.values())


def away_delegate(user: User, now=None) -> User | None:
    """Whom ``user``'s tasks go to while he is out of office (following a delegate who is away
    himself, never round in a circle): ``None`` when he is in."""
    now = now or timezone.now()
    seen = {user.pk}
    current, delegate = user, None
    for _step in range(MAX_CHAIN):
        away = (
            OutOfOffice.objects.filter(user=current, starts_at__lte=now, ends_at__gt=now)
            .select_related("delegate")
            .order_by("-starts_at")
            .first()
        )
        if away is None or away.delegate_id in seen or not away.delegate.is_active:
            break
        seen.add(away.delegate_id)
        current = delegate = away.delegate
    return delegate


def active_stand_in(user: User) -> User | None:
    """``user`` if active, else the first active superior up his chain."""
    seen: set[int] = set()
    current: User | None = user
    while current is not None and current.pk not in seen and len(seen) < MAX_CHAIN:
        if current.is_active:
            return current
        seen.add(current.pk)
        current = current.superior
    return None


def administrators() -> list[User]:
    return list(User.objects.filter(is_active=True, is_superuser=True).order_by("pk"))


def resolve(step: dict, *, settings: dict, submitter: User, record) -> Resolved:
    """The step's approvers as they will get tasks (see the module docstring). Empty only when
    nobody at all can approve: the caller refuses with ``no_approver``."""
    result = Resolved([])
    chosen: dict[int, User] = {}
    self_allowed = bool(settings.get("allow_self_approval"))
    for person in raw_approvers(step, submitter=submitter, record=record):
        stand_in = active_stand_in(person)
        reason = "inactive" if stand_in is not person else ""
        if stand_in is not None and stand_in.pk == submitter.pk and not self_allowed:
            stand_in, reason = superior_chain(submitter, 1), "self"
            stand_in = active_stand_in(stand_in) if stand_in is not None else None
        if stand_in is not None:
            delegate = away_delegate(stand_in)
            if delegate is not None and (self_allowed or delegate.pk != submitter.pk):
                result.replaced.append({"from": stand_in.pk, "to": delegate.pk, "reason": "away"})
                stand_in = delegate
        if reason and stand_in is not None:
            result.replaced.append({"from": person.pk, "to": stand_in.pk, "reason": reason})
        if stand_in is not None:
            chosen.setdefault(stand_in.pk, stand_in)
    if not chosen:
        fallback_id = settings.get("fallback_approver")
        fallback = User.objects.filter(pk=fallback_id, is_active=True).first() if fallback_id else None
        people = [fallback] if fallback is not None else administrators()
        if not self_allowed:
            people = [p for p in people if p.pk != submitter.pk] or people
        for person in people:
            chosen.setdefault(person.pk, person)
            result.replaced.append({"from": None, "to": person.pk, "reason": "fallback"})
    result.users = list(chosen.values())
    return result
