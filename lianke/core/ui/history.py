"""History as people read it: ``ObjectChange`` rows turned into entries for the history tab and
the timeline (one module for both).

It owns three decisions:

- **What is listed.** A field people cannot edit (``editable=False``: ``is_deleted``, the deletion
  bookkeeping, ``created_by``, derived values such as an opportunity's win probability and
  close time, a task's done time, an activity's link to its record) and ``department`` (it
  follows the owner) are bookkeeping: never listed; the change that caused them is. A new record
  lists only what was set (not empty, not the field's default). Delete, restore and purge are
  events ("moved to the recycle bin"), not field diffs; so are attachments and collaborators
  (the ``attachment`` / ``collaborators`` pseudo-fields their services store), and so is each
  step of an approval (the ``approval`` pseudo-field of ``lianke.approvals``: its action's
  English label, translated when read, the flow and the comment).
- **How values read.** Exactly as on the detail page (``display.format_value`` and the custom
  field's ``display``): yes/no in the reader's language, choices and options by label, dates,
  money. Related records are named through their default (scope-restricted) managers, fetched
  once per related model for the whole page: a record the reader cannot open stays ``#id``.
- **What the timeline says.** A short headline per change: the event, the new owner of a
  transfer, or the first fields of an update with old → new values.

The changes come in already chosen (``audit.history_for``); whoever narrows them further (for
example by the children's access) does it there, before they reach :func:`entries`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianke.org import fieldaccess
from lianke.org.choices import CollaboratorAccess

from ..context import SOURCE_LABELS
from ..fieldtypes import kinds
from ..models import ObjectChange
from ..models.customfields import definitions_for
from ..objecttypes.registry import registry
from .display import format_value

A = ObjectChange.ActionChoices
FOLLOWS_OWNER = {"department"}
TIMELINE_FIELDS = 3  # an update on the timeline names at most this many fields
TIMELINE_VALUE_CHARS = 40


class FieldChange(NamedTuple):
    """One listed field: its label and its old and new values as text ("" when empty)."""

    label: str
    old: str
    new: str


@dataclass
class Entry:
    """One change as a person reads it."""

    change: ObjectChange
    type: str  # the changed record's object type ("Contact"), for children's changes
    source: str  # web, API, command line…
    badge: str  # "Created", "Updated", "Attachment"…
    is_new: bool = False  # a creation: ``diff`` lists the values set (no old values)
    is_child: bool = False  # about another record than the one whose history is shown
    events: list[str] = field(default_factory=list)  # sentences shown instead of a diff
    diff: list[FieldChange] = field(default_factory=list)
    new_owner: str = ""
    icon: str = "pencil-square"  # a Bootstrap icon name
    withheld: bool = False  # fields were left out: hidden from the reader (``org.fieldaccess``)

    @property
    def headline(self) -> str:
        """What the timeline says after the actor's name."""
        if self.events:
            return "; ".join(self.events)
        if self.change.action == A.TRANSFER and self.new_owner:
            return _("transferred to %(user)s") % {"user": self.new_owner}
        if self.diff and not self.is_new:
            parts = [
                _("%(field)s: %(old)s → %(new)s")
                % {"field": f.label, "old": _short(f.old), "new": _short(f.new)}
                for f in self.diff[:TIMELINE_FIELDS]
            ]
            more = len(self.diff) - TIMELINE_FIELDS
            if more > 0:
                parts.append(
                    ngettext("and %(count)d more field", "and %(count)d more fields", more) % {"count": more}
                )
            return "; ".join(parts)
        if self.is_new:
            return _("created")
        return _("updated")


def _short(text: str) -> str:
    return Truncator(text).chars(TIMELINE_VALUE_CHARS) if text else "—"


def entries(changes: Sequence[ObjectChange], *, target: models.Model | None = None) -> list[Entry]:
    """Readable entries for ``changes`` (newest first, as given). ``target`` is the record whose
    history is shown: changes of other records (its contacts…) are marked ``is_child``."""
    reader = _Reader(changes)
    target_key = (ContentType.objects.get_for_model(type(target)).pk, target.pk) if target else None
    result = []
    for change in changes:
        entry = reader.entry(change)
        if entry.withheld and not entry.diff and not entry.events:
            continue  # it changed only fields the reader may not see: not even that it did
        entry.is_child = target_key is not None and (change.content_type_id, change.object_id) != target_key
        result.append(entry)
    return result


def is_bookkeeping(model_field: models.Field) -> bool:
    """Fields never listed: not editable by people, or following another field."""
    return not model_field.editable or model_field.name in FOLLOWS_OWNER


class _Reader:
    """Formats the changes of one page; related names are fetched once per related model."""

    def __init__(self, changes: Sequence[ObjectChange]):
        self.changes = changes
        self.custom: dict[str, dict] = {}  # object type key → {name: definition}
        self.names: dict[type[models.Model], dict] = {}
        wanted: dict[type[models.Model], set] = {}
        for change in changes:
            model = change.content_type.model_class()
            for key, value in self._values(change):
                related = self._related_model(model, key)
                if related is None or value is None:
                    continue
                if isinstance(value, list):  # several users
                    wanted.setdefault(related, set()).update(v for v in value if isinstance(v, int))
                else:
                    wanted.setdefault(related, set()).add(value)
        for related, ids in wanted.items():
            self.names[related] = _names(related, ids)

    # -------------------------------------------------------------- collecting ids
    @staticmethod
    def _values(change: ObjectChange) -> Iterable[tuple[str, object]]:
        for data in (change.prechange_data, change.postchange_data):
            yield from (data or {}).items()

    def definitions(self, model) -> dict:
        ot = registry.get_for_model(model, None) if model else None
        if ot is None:
            return {}
        if ot.key not in self.custom:
            self.custom[ot.key] = {d.name: d for d in definitions_for(ot.key, active_only=False)}
        return self.custom[ot.key]

    def _related_model(self, model, key: str):
        """The model whose names a stored id under ``key`` needs, if any."""
        if key.startswith("cf."):
            definition = self.definitions(model).get(key[3:])
            if definition is None:
                return None
            kind = kinds.get(definition.type)
            return kind.related_model(definition) if kind is not None else None
        model_field = _model_field(model, key)
        if model_field is None or not model_field.is_relation or is_bookkeeping(model_field):
            return None
        return model_field.related_model

    # -------------------------------------------------------------- one entry
    def entry(self, change: ObjectChange) -> Entry:
        model = change.content_type.model_class()
        ot = registry.get_for_model(model, None) if model else None
        entry = Entry(
            change=change,
            type=str(ot.label if ot else change.content_type.name),
            source=str(SOURCE_LABELS.get(change.source, change.source)),
            badge=str(change.get_action_display()),
        )
        before, after = change.prechange_data or {}, change.postchange_data or {}
        if change.action == A.DELETE:
            entry.events.append(_("moved to the recycle bin"))
            entry.icon = "trash"
        elif change.action == A.RESTORE:
            entry.events.append(_("restored from the recycle bin"))
            entry.icon = "arrow-counterclockwise"
        elif change.action == A.PURGE:
            entry.events.append(_("deleted permanently"))
            entry.icon = "x-octagon"
        elif change.action == A.CREATE:
            entry.is_new, entry.icon = True, "plus-circle"
            entry.diff = [
                FieldChange(*read)
                for key, value in after.items()
                if (read := self.read(model, key, None, value, only_if_set=True)) is not None
                and read is not WITHHELD
            ]
        elif "attachment" in before or "attachment" in after:
            entry.badge, entry.icon = str(_("Attachment")), "paperclip"
            entry.events.extend(_attachment_events(before.get("attachment"), after.get("attachment")))
        elif isinstance(after.get("approval"), dict):
            entry.badge, entry.icon = str(_("Approval")), "patch-check"
            entry.events.append(_approval_event(after["approval"]))
        elif "collaborators" in before or "collaborators" in after:
            entry.badge, entry.icon = str(_("Collaborators")), "people"
            entry.events.extend(_collaborator_events(before.get("collaborators"), after.get("collaborators")))
        else:
            reads = [self.read(model, key, old, new) for key, old, new in change.diff()]
            entry.withheld = any(read is WITHHELD for read in reads)
            entry.diff = [FieldChange(*read) for read in reads if read is not None and read is not WITHHELD]
            if change.action == A.TRANSFER and after.get("owner") is not None:
                entry.icon = "arrow-left-right"
                entry.new_owner = self.names.get(get_user_model(), {}).get(after["owner"], "")
        return entry

    def read(self, model, key: str, old, new, *, only_if_set: bool = False):
        """``(label, old text, new text)`` for a listed field, ``None`` for bookkeeping (or, with
        ``only_if_set``, for a value that is empty or the field's default), ``WITHHELD`` for a
        field hidden from the reader; a masked field's values are masked."""
        fields = fieldaccess.current(model) if model is not None else fieldaccess.UNRESTRICTED
        if fields.restricted and not fields.readable(key):
            if not fields.visible(key):
                return WITHHELD
            read = self._read(model, key, old, new, only_if_set=only_if_set)
            return (
                read if read is None else (read[0], fields.mask(key, old) or "", fields.mask(key, new) or "")
            )
        return self._read(model, key, old, new, only_if_set=only_if_set)

    def _read(self, model, key: str, old, new, *, only_if_set: bool = False):
        if key.startswith("cf."):
            definition = self.definitions(model).get(key[3:])
            if definition is None:  # a field deleted since: its name and raw values
                return (key[3:], _plain(old), _plain(new)) if not (only_if_set and _unset(new)) else None
            if only_if_set and (_unset(new) or new == definition.default):
                return None
            related = self._related_model(model, key)
            labels = self.names.get(related) if related is not None else None
            return (
                definition.display_label,
                definition.display(old, labels=labels),
                definition.display(new, labels=labels),
            )
        model_field = _model_field(model, key)
        if model_field is None:  # a field removed since
            return (key, _plain(old), _plain(new)) if not (only_if_set and _unset(new)) else None
        if is_bookkeeping(model_field):
            return None
        if only_if_set and (_unset(new) or _python(model_field, new) == _default(model_field)):
            return None
        return (
            str(capfirst(model_field.verbose_name)),
            self.text(model_field, old),
            self.text(model_field, new),
        )

    def text(self, model_field: models.Field, value) -> str:
        """A stored value as the detail page shows it."""
        if _unset(value):
            return ""
        if model_field.is_relation and model_field.related_model is not None:
            return self.names.get(model_field.related_model, {}).get(value, f"#{value}")
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        return format_value(_python(model_field, value), model_field)


WITHHELD = ("", "", "")  # a field the reader may not see: neither listed nor its values


def _model_field(model, key: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _python(model_field: models.Field, value):
    """A stored (JSON) value back as the field's Python value (dates, decimals…)."""
    try:
        return model_field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return value


def _default(model_field: models.Field):
    return _python(model_field, model_field.get_default()) if model_field.has_default() else None


def _unset(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _plain(value) -> str:
    if _unset(value):
        return ""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _names(model, ids) -> dict:
    """``{id: name}`` through the model's default manager: for business records that is the
    reader's scope, so a record they cannot open is left out (and shows as ``#id``)."""
    ot = registry.get_for_model(model, None)
    rows = model._default_manager.filter(pk__in=[i for i in ids if isinstance(i, int)])
    return {row.pk: (ot.title(row) if ot else str(row)) for row in rows}


# ------------------------------------------------------------------ pseudo-fields
def _attachment_events(old, new) -> list[str]:
    if new and not old:
        return [_("uploaded %(name)s") % {"name": new}]
    if old and not new:
        return [_("deleted the file %(name)s") % {"name": old}]
    return []


def _collaborator(text: str) -> tuple[str, str]:
    """``"李娜 (read)"`` → ``("李娜", "Read only")``. Older entries stored the access level's
    label in the writer's language instead of its key: it is shown as stored."""
    name, _sep, level = str(text).rpartition(" (")
    level = level.removesuffix(")")
    if not name:
        return str(text), ""
    if level in CollaboratorAccess.values:
        level = str(CollaboratorAccess(level).label)
    return name, level


def _collaborator_events(old, new) -> list[str]:
    before = dict(_collaborator(t) for t in (old or []))
    after = dict(_collaborator(t) for t in (new or []))
    events = []
    for name, level in after.items():
        if name not in before:
            events.append(_("added %(user)s as collaborator (%(access)s)") % {"user": name, "access": level})
        elif before[name] != level:
            events.append(_("changed the access of %(user)s to %(access)s") % {"user": name, "access": level})
    events.extend(
        _("removed %(user)s from the collaborators") % {"user": name} for name in before if name not in after
    )
    return events


def _approval_event(data: dict) -> str:
    """One step of an approval as the history tells it: "Approved (Credit check): fine"."""
    text = _("%(action)s (%(flow)s)") % {
        "action": _(data.get("label") or data.get("action", "")),
        "flow": data.get("flow", ""),
    }
    return f"{text}: {data['comment']}" if data.get("comment") else text
