"""A lead's statuses, configured by administrators (*Settings › Lead statuses*).

The table ``LeadStatusOption`` holds them: the five system statuses (``choices.LeadStatus``:
their meaning is used in code — the conversion reaches *converted*, *unqualified* asks why) and
the statuses an administrator adds, each of an open system category (a "nurturing" status works
like *contacted*). ``Lead.status`` stores the code; everything that shows or checks a status
reads this module:

- :func:`choices` is the status field's ``choices`` (a callable: the form, the filters, the API
  schema and its validation, the list's labels all read the table);
- :func:`all_statuses` is the table as read under the current configuration token
  (``core.configcache``: once per process and change, the table is watched);
- :class:`LeadStatusPath` is the lead's lifecycle (``core.records.stages``): the active
  statuses in their order, the transitions each status declares, *converted* reached only by
  the conversion, and a move into a deactivated status refused (``transition_guarded``).

The services at the end change the table: one transaction, every row locked in id order, the
config kind asked (administrators), the whole checked, each changed row in configuration history
(``audit.config_snapshot``), and a page's fingerprint of the table (:func:`state`) compared so
that a save over someone else's change is refused (``version_conflict``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lianke.core import configcache
from lianke.core.errors import FieldCode, RecordCode, SettingsCode
from lianke.core.records.stages import ChoicePath, State, StateKind

from .choices import LEAD_TRANSITIONS, LeadStatus

#: The system statuses an administrator may deactivate (the others carry the code's meanings).
OPTIONAL = frozenset({LeadStatus.CONTACTED.value})
#: The categories a status of one's own may have: the open ones.
OPEN_CATEGORIES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
KINDS = {LeadStatus.CONVERTED.value: StateKind.WON, LeadStatus.UNQUALIFIED.value: StateKind.LOST}
#: Codes the settings pages' addresses use.
RESERVED = frozenset({"add", "order"})
CODE = re.compile(r"^[a-z][a-z0-9_]{1,19}$")

#: The five as the migration stores them (Chinese name, English name).
DEFAULT_NAMES = {
    LeadStatus.NEW.value: ("新建", "New"),
    LeadStatus.CONTACTED.value: ("已联系", "Contacted"),
    LeadStatus.QUALIFIED.value: ("有效", "Qualified"),
    LeadStatus.UNQUALIFIED.value: ("无效", "Unqualified"),
    LeadStatus.CONVERTED.value: ("已转换", "Converted"),
}


@dataclass(frozen=True)
class Status:
    code: str
    category: str
    name: str
    name_en: str
    order: int
    is_active: bool
    next_codes: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name

    @property
    def is_system(self) -> bool:
        return self.code == self.category

    @property
    def kind(self) -> str:
        return KINDS.get(self.category, StateKind.OPEN)


def defaults() -> list[Status]:
    """The five system statuses as shipped (and as the migration stores them)."""
    return [
        Status(
            code,
            code,
            DEFAULT_NAMES[code][0],
            DEFAULT_NAMES[code][1],
            (i + 1) * 10,
            True,
            tuple(sorted(str(v) for v in LEAD_TRANSITIONS[LeadStatus(code)])),
        )
        for i, code in enumerate(LeadStatus.values)
    ]


_table_ready = False


def _load() -> list[Status]:
    """The stored statuses in order; a system status missing from the table (a database emptied
    by a test, or not migrated yet) is its default."""
    global _table_ready
    from .models import LeadStatusOption

    def read():
        return [
            Status(r.code, r.category, r.name, r.name_en, r.order, r.is_active, tuple(r.next_codes or ()))
            for r in LeadStatusOption.objects.order_by("order", "pk")
        ]

    if _table_ready:
        stored = read()
    else:  # before the migration (the system checks read the choices): the defaults
        try:
            with transaction.atomic():
                stored = read()
        except DatabaseError:
            return defaults()
        _table_ready = True
    codes = {s.code for s in stored}
    return stored + [s for s in defaults() if s.code not in codes]


def all_statuses() -> list[Status]:
    """Every status, active or not, in order (kept per configuration token)."""
    return configcache.cached(("marketing.lead_statuses",), _load)


def get(code: str) -> Status | None:
    return next((s for s in all_statuses() if s.code == code), None)


def choices() -> list[tuple[str, str]]:
    """``Lead.status``'s choices: every status (a lead may sit in a deactivated one), in order."""
    return [(s.code, s.label) for s in all_statuses()]


def active_choices(current: str | None = None) -> list[tuple[str, str]]:
    """What a form offers: the active statuses, and the one the lead is in."""
    return [(s.code, s.label) for s in all_statuses() if s.is_active or s.code == current]


def _not_deactivated(record, state: State) -> str | None:
    """A guard of the lifecycle: no lead is moved into a deactivated status."""
    status = get(state.value)
    if status is not None and not status.is_active:
        return _("“%(status)s” is no longer used: choose another status.") % {"status": status.label}
    return None


class LeadStatusPath(ChoicePath):
    """The lead's lifecycle over the configured statuses (see the module docstring)."""

    def __init__(self, field: str, **options):
        options.setdefault("guards", (_not_deactivated,))
        super().__init__(field, **options)

    def states(self, obj) -> list[State]:
        current = getattr(obj, self.field, None) if obj is not None else None
        listed = [State(s.code, s.label, s.kind) for s in all_statuses() if s.is_active or s.code == current]
        rank: dict[str, int] = {StateKind.OPEN: 0, StateKind.WON: 1, StateKind.LOST: 2}
        return sorted(listed, key=lambda s: rank.get(s.kind, 0))

    def transitions_from(self, value: str, obj) -> set[str]:
        status = get(value)
        if status is None:
            return set()
        active = {s.code for s in all_statuses() if s.is_active}
        return set(status.next_codes) & active


# ------------------------------------------------------------------------------------ changes
def _fingerprint(rows) -> str:
    from lianke.console.services import _fingerprint as fingerprint
    from lianke.core.records import audit

    return fingerprint({"statuses": [audit.config_snapshot(r) for r in rows]})


def state() -> str:
    """The fingerprint of the whole table, as a page carries it."""
    from .models import LeadStatusOption

    return _fingerprint(LeadStatusOption.objects.order_by("pk"))


def _locked_rows(actor, expected_state: str | None) -> dict:
    """Every row locked in id order (a missing system status stored first), the actor's right
    checked and the page's fingerprint compared: ``{code: row}``."""
    from lianke.org import access
    from lianke.org.choices import Action

    from .models import LeadStatusOption

    if not access.has_action(actor, LeadStatusOption, Action.EDIT):
        raise PermissionDenied(_("Only administrators may change these settings."))
    rows = list(LeadStatusOption.objects.select_for_update().order_by("pk"))
    if expected_state and _fingerprint(rows) != expected_state:
        raise ValidationError(
            _("Someone changed the statuses since you opened this page. Reload it, then make your change."),
            code=RecordCode.VERSION_CONFLICT,
        )
    stored = {r.code for r in rows}
    for status in defaults():
        if status.code not in stored:
            rows.append(
                LeadStatusOption.objects.create(
                    code=status.code,
                    category=status.category,
                    name=status.name,
                    name_en=status.name_en,
                    order=status.order,
                    next_codes=list(status.next_codes),
                )
            )
    return {r.code: r for r in rows}


def _record(actor, changed) -> None:
    from lianke.core.models import ObjectChange
    from lianke.core.records import audit

    for row, before in changed:
        action = ObjectChange.ActionChoices.CREATE if before is None else ObjectChange.ActionChoices.UPDATE
        audit.record(action, row, before, audit.config_snapshot(row), actor=actor)


def save_status(
    *,
    actor,
    code: str | None = None,
    new_code: str = "",
    category: str = "",
    name: str,
    name_en: str = "",
    is_active: bool = True,
    next_codes: Iterable[str] = (),
    previous_codes: Iterable[str] | None = None,
    expected_state: str | None = None,
):
    """Change the status ``code`` (or, without it, add ``new_code`` of ``category``): its names,
    whether it is used, the statuses a lead may move to from it (``next_codes``) and, if given,
    those a lead may come to it from (``previous_codes``: their own lists change). Refused with
    a coded error naming the field, nothing written: an empty or repeated name (``required``,
    ``unique``), a code that is not lower-case letters, digits and underscores or is taken,
    a category that is not an open system status, deactivating a system status the code relies
    on (``system_status``), a transition to an unknown status (``invalid_choice``) or out of
    *converted* (its own workflow ends there)."""
    from lianke.core.records import audit

    from .models import LeadStatusOption

    next_codes = list(dict.fromkeys(str(c) for c in next_codes))
    previous = None if previous_codes is None else list(dict.fromkeys(str(c) for c in previous_codes))
    with transaction.atomic():
        rows = _locked_rows(actor, expected_state)
        errors: dict[str, list[ValidationError]] = {}

        def refuse(field: str, message: str, error_code: str) -> None:
            errors.setdefault(field, []).append(ValidationError(message, code=error_code))

        if code is None:
            row, before = None, None
            if not CODE.match(new_code or ""):
                refuse(
                    "new_code",
                    _("A code is 2 to 20 lower-case letters, digits or underscores, starting with a letter."),
                    FieldCode.INVALID,
                )
            elif new_code in rows or new_code in RESERVED:
                refuse("new_code", _("Another status has this code."), FieldCode.UNIQUE)
            if category not in OPEN_CATEGORIES:
                refuse("category", _("Choose one of the open system statuses."), FieldCode.INVALID_CHOICE)
            own_code = new_code
        else:
            if code not in rows:
                raise ValidationError(_("No such status."), code=RecordCode.NOT_FOUND)
            row = rows[code]
            before = audit.config_snapshot(row)
            own_code = code
            if not is_active and row.is_system and code not in OPTIONAL:
                refuse(
                    "is_active",
                    _("“%(status)s” is used by the system and stays active.") % {"status": row},
                    SettingsCode.SYSTEM_STATUS,
                )
        name, name_en = (name or "").strip(), (name_en or "").strip()
        if not name:
            refuse("name", _("Give the status a name."), FieldCode.REQUIRED)
        taken = {
            n.casefold()
            for other in rows.values()
            if other.code != own_code
            for n in (other.name, other.name_en)
            if n
        }
        for field, value in (("name", name), ("name_en", name_en)):
            if value and value.casefold() in taken:
                refuse(field, _("Another status has this name."), FieldCode.UNIQUE)
        known = set(rows) | {own_code}
        for field, listed in (("next_codes", next_codes), ("previous_codes", previous or [])):
            unknown = [c for c in listed if c not in known or c == own_code]
            if unknown:
                refuse(
                    field,
                    _("Not a status a lead can move between: %(codes)s.") % {"codes": ", ".join(unknown)},
                    FieldCode.INVALID_CHOICE,
                )
        category_of = category if code is None else rows[code].category
        if category_of == LeadStatus.CONVERTED and next_codes:
            refuse("next_codes", _("A converted lead stays converted."), FieldCode.INVALID_CHOICE)
        if previous and LeadStatus.CONVERTED.value in previous:
            refuse("previous_codes", _("A converted lead stays converted."), FieldCode.INVALID_CHOICE)
        if errors:
            raise ValidationError(errors)

        if row is None:
            last = max((r.order for r in rows.values()), default=0)
            row = LeadStatusOption(code=new_code, category=category, order=last + 10)
        row.name, row.name_en, row.is_active, row.next_codes = name, name_en, is_active, next_codes
        row.full_clean()
        row.save()
        changed = [(row, before)]
        if previous is not None:
            for other in rows.values():
                if other.code == own_code:
                    continue
                has = own_code in (other.next_codes or [])
                wants = other.code in previous
                if has != wants:
                    snap = audit.config_snapshot(other)
                    other.next_codes = (
                        [*other.next_codes, own_code]
                        if wants
                        else [c for c in other.next_codes if c != own_code]
                    )
                    other.save(update_fields=["next_codes"])
                    changed.append((other, snap))
        _record(actor, changed)
        return row


def reorder_statuses(*, actor, codes: list[str], expected_state: str | None = None) -> None:
    """Put the statuses in the order of ``codes`` (every status, each once: a list made before
    someone added one is refused with ``version_conflict``); each moved one is history."""
    from lianke.core.records import ordering

    with transaction.atomic():
        rows = _locked_rows(actor, expected_state)
        changed = ordering.place(
            rows,
            codes,
            stale=_("The statuses changed since you opened this page. Reload it and order them again."),
        )
        for row, _before in changed:
            row.save(update_fields=["order"])
        _record(actor, changed)


def move_status(*, actor, code: str, step: int) -> None:
    """One place up (``-1``) or down (``+1``): the phone's buttons."""
    from lianke.core.records import ordering

    codes = ordering.moved(
        [s.code for s in _load()],
        code,
        step,
        missing=_("No such status."),
        at_end=_("The status is already at that end."),
    )
    reorder_statuses(actor=actor, codes=codes)
