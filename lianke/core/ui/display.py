"""Turning stored values into what a person reads: choices, money, dates, links (a record, a
``tel:`` number, a ``mailto:`` address), custom fields.
Labels for user/lookup custom fields are fetched in one query per page, never per row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import models
from django.utils import dateformat, formats, timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from lianke.org import access, fieldaccess

from .. import context
from ..fields import PhoneField
from ..fieldtypes import kinds
from ..html import esc
from ..objecttypes.registry import registry
from ..text.phones import mailto_url


class Cell:
    __slots__ = ("css", "text", "url")

    def __init__(self, text="", url=None, css=""):
        self.text, self.url, self.css = text, url, css

    def __str__(self):
        return self.text

    def html(self) -> str:
        """The cell as a table shows it: its text, a link where it leads somewhere."""
        if self.url:
            css = f' class="{esc(self.css)}"' if self.css else ""
            return mark_safe(f'<a{css} href="{esc(self.url)}">{esc(self.text)}</a>')  # noqa: S308 -- parts escaped
        return mark_safe(esc(self.text))  # noqa: S308 -- escaped


def format_value(value, field: models.Field | None = None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value)
        return f"{local.year:04d}-{local:%m-%d %H:%M}"  # %Y drops the zeros of years < 1000
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if field is not None and getattr(field, "money", False):
            return f"¥{value:,.2f}"
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def _configured(field: models.Field) -> bool:
    """Whether a field's choices come from a callable (configuration an administrator edits,
    a lead's statuses): read at each use, never kept for the process."""
    return isinstance(field.choices, CallableChoiceIterator)


def choice_labels(field: models.Field) -> dict:
    """``{stored value: label}`` of a field with choices, built once per field (Django's
    ``get_FOO_display`` rebuilds the mapping on every call: 300 times for a list page). The
    labels are lazy translations, read in the language of each request. Choices given by a
    callable are read again each time (their loader keeps them per configuration token)."""
    if _configured(field):
        return dict(field.flatchoices)
    return _static_choice_labels(field)


@cache
def _static_choice_labels(field: models.Field) -> dict:
    return dict(field.flatchoices)


def choice_texts(field: models.Field, language: str | None) -> dict:
    """``choice_labels`` read in ``language`` (a list page shows a label per row and column)."""
    if _configured(field):
        return {value: str(label) for value, label in field.flatchoices}
    return _static_choice_texts(field, language)


@cache
def _static_choice_texts(field: models.Field, language: str | None) -> dict:
    return {value: str(label) for value, label in _static_choice_labels(field).items()}


def field_cell(obj, name: str, object_type, fields: fieldaccess.FieldAccess | None = None) -> Cell:
    """One field of ``obj`` as the reader may see it (``org.fieldaccess``): a hidden field is
    empty, a masked one masked and never a link (a masked number is no number to call).
    ``fields`` is the reader's field access, when read outside the request (a streamed export)."""
    return cell_maker(object_type, name, fields)(obj)


def cell_maker(object_type, name: str, fields: fieldaccess.FieldAccess | None = None):
    """``field_cell`` of one field as a function of the record, with what depends only on the
    field and the reader decided once: a list page asks it for every row."""
    fields = fields or fieldaccess.current(object_type.model)
    field = object_type.field(name)
    attname = field.attname
    if fields.restricted and not fields.readable(name):
        return lambda obj: Cell(str(fields.mask(name, getattr(obj, attname)) or ""))
    if field.choices:
        texts = choice_texts(field, get_language())
        return lambda obj: Cell(_choice_text(texts, getattr(obj, attname)))
    if isinstance(field, models.ForeignKey):
        return lambda obj: _related_cell(getattr(obj, name))
    return lambda obj: _value_cell(getattr(obj, name), field)


def _choice_text(texts: dict, value) -> str:
    text = texts.get(value)
    if text is not None:
        return text
    return "" if value is None else str(value)


def _related_cell(related) -> Cell:
    if related is None:
        return Cell("")
    rt = registry.get_for_model(type(related), None)
    if rt is None:
        return Cell(str(related))
    if not can_read(related):
        # A linked record the reader may not open: not even its name.
        return Cell(str(RESTRICTED))
    return Cell(str(related), rt.record_url(related.pk))


def _value_cell(value, field) -> Cell:
    return Cell(format_value(value, field), value_url(field, value))


RESTRICTED = gettext_lazy("Restricted record")


def _readable_cache() -> dict | None:
    """Per request: ``{(model, pk): readable?}`` for the current reader; ``None`` when no
    reader restricts (system work, e.g. a job's export reads as the system)."""
    ctx = context.current()
    if ctx is None or ctx.system or ctx.user is None:
        return None
    return ctx.cache.setdefault("readable_records", {})


def _reader():
    """Who reads, where ``_readable_cache`` found a reader."""
    ctx = context.current()
    assert ctx is not None
    return ctx.user


def prime_readable(objects, names, object_type) -> None:
    """Learn in one query per related type whether the reader may open the records the
    relations ``names`` of ``objects`` point at (a list page, an export batch, related lists)."""
    cache = _readable_cache()
    if cache is None:
        return
    user = _reader()
    wanted: dict[type[Any], set] = {}
    for name in names:
        if not object_type._has_field(name):  # a custom field column
            continue
        field = object_type.field(name)
        if (
            not isinstance(field, models.ForeignKey)
            or registry.get_for_model(field.related_model, None) is None
        ):
            continue
        ids = {getattr(o, field.attname) for o in objects} - {None}
        wanted.setdefault(field.related_model, set()).update(
            i for i in ids if (field.related_model, i) not in cache
        )
    for model, ids in wanted.items():
        if not ids:
            continue
        readable = set(
            access.restrict(model.all_objects.filter(pk__in=ids), user).values_list("pk", flat=True)
        )
        through = bool(getattr(access.policy_for(model), "through", ()))
        for pk in ids:
            if pk in readable:
                cache[model, pk] = True
            else:  # a kind may still open it through a parent (rare: checked one by one)
                cache[model, pk] = through and access.readable_record(user, model, pk) is not None


def can_read(record) -> bool:
    cache = _readable_cache()
    if cache is None:
        return True
    key = (type(record), record.pk)
    if key not in cache:
        cache[key] = access.readable_record(_reader(), type(record), record.pk) is not None
    return cache[key]


def value_url(field: models.Field, value) -> str | None:
    """Where a value leads when tapped: a phone number dials, an e-mail address writes."""
    if not value:
        return None
    if isinstance(field, PhoneField):
        return field.display_url(value)
    if isinstance(field, models.EmailField):
        return mailto_url(value)
    return None


def custom_labels(definitions, objects) -> dict[str, dict]:
    """``{field name: {id: label}}`` for the custom fields whose kind names related records
    (users, lookups), over ``objects``: one query per field and page. A stored list of ids
    (several users) contributes each of its ids."""
    labels: dict[str, dict] = {}
    for d in definitions:
        kind = kinds.get(d.type)
        if kind is None or kind.related_model(d) is None:
            continue
        ids: set = set()
        for o in objects:
            value = (o.custom_data or {}).get(d.name)
            if isinstance(value, list):
                ids.update(v for v in value if isinstance(v, int))
            elif value is not None:
                ids.add(value)
        if ids:
            labels[d.name] = kind.labels(d, ids)
    return labels


class ListRow(tuple):
    """One record of a list page, ``(record, cells, card)``, written out as its table row and as
    its phone card. A page shows 50 or 100 of them: they are built in Python, as the admin
    builds its result rows, instead of through a dozen template nodes per cell and card
    (``test_lists`` holds the markup to the former template's)."""

    __slots__ = ()

    def __new__(cls, obj, cells: list[Cell], card: dict):
        return super().__new__(cls, (obj, cells, card))

    @property
    def obj(self):
        return self[0]

    @property
    def cells(self) -> list[Cell]:
        return self[1]

    @property
    def card(self) -> dict:
        return self[2]

    def _select(self) -> str:
        return f'<input type="checkbox" class="form-check-input row-select" value="{esc(self.obj.pk)}" aria-label="{esc(_("Select"))}">'

    # Both written with f-strings over escaped parts: 50 or 100 rows, each twice, per page.
    def tr(self) -> str:
        cells = "".join(f"<td>{cell.html()}</td>" for cell in self.cells)
        return mark_safe(f'<tr><td class="select-col">{self._select()}</td>{cells}</tr>')  # noqa: S308 -- parts escaped

    def card_li(self) -> str:
        card, obj = self.card, self.obj
        fields = " · ".join(esc(c.text) for c in card["fields"])
        activity = (
            f'<span class="card-last-activity"><i class="bi bi-clock-history"></i> {esc(card["activity_text"])}</span>'
            if card["has_last_activity"]
            else ""
        )
        owner = getattr(obj, "owner", None)
        holder = (
            f'<i class="bi bi-person"></i> {esc(owner)}'
            if owner
            else f'<i class="bi bi-inbox"></i> {esc(getattr(obj, "pool", None) or "")}'
        )
        call = (
            f'<a class="btn btn-outline-success btn-call" href="{esc(card["phone"].url)}" aria-label="{esc(card["call_label"])}">'
            '<i class="bi bi-telephone"></i></a>'
            if card.get("call_label")
            else ""
        )
        return mark_safe(  # noqa: S308 -- parts escaped
            f'<li class="card object-card mb-2" data-pk="{esc(obj.pk)}"><div class="card-body d-flex align-items-center gap-2 p-2">'
            f'<label class="card-select">{self._select()}</label><div class="flex-grow-1 min-w-0">'
            f'<a class="card-title d-block fw-semibold text-break stretched-link mb-0" href="{esc(card["url"])}">{esc(card["title"] or "—")}</a>'
            + (f'<div class="small text-muted text-break">{fields}</div>' if fields else "")
            + f'<div class="small text-muted d-flex flex-wrap column-gap-2">{activity}<span>{holder}</span></div></div>{call}</div></li>'
        )


def list_row(object_type, obj, columns, makers) -> ListRow:
    """A record's row of a list page: ``makers`` give each column's cell (``cell_maker`` or
    ``custom_cell``); the first cell links to the record, the card has what the phone shows."""
    cells: dict[str, Cell] = {}  # a field on the table and on the card: rendered once

    def cell(record, key):
        if key not in cells:
            cells[key] = makers[key](record)
        return cells[key]

    url = object_type.record_url(obj.pk)
    row = [cell(obj, key) for key, _label, _sortable in columns]
    if row:
        row[0] = Cell(row[0].text or "—", url, "fw-semibold")
    card = object_type.card(obj, cell)
    card["url"] = url
    if card["has_last_activity"]:
        at = card["last_activity_at"]
        card["activity_text"] = (
            _("followed up %(day)s") % {"day": dateformat.format(timezone.localtime(at), "Y-m-d")}
            if at
            else _("no follow-up yet")
        )
    if card["phone"] is not None and card["phone"].url:
        card["call_label"] = _("Call %(number)s") % {"number": card["phone"].text}
    return ListRow(obj, row, card)


def custom_cell(obj, definition, labels, fields: fieldaccess.FieldAccess | None = None) -> Cell:
    value = (obj.custom_data or {}).get(definition.name)
    fields = fields or fieldaccess.current(definition.object_type)
    if fields.restricted and not fields.readable(definition.filter_name):
        return Cell(str(fields.mask(definition.filter_name, value) or ""))
    kind = kinds.get(definition.type)
    if kind is None or value is None or value == [] or value == "":
        return Cell(definition.display(value))
    names = labels.get(definition.name)
    return Cell(definition.display(value, labels=names), kind.link(definition, value, labels=names))


def custom_export(obj, definition, labels, fields: fieldaccess.FieldAccess | None = None) -> str:
    """An export cell's text: the kind's ``export`` (what the page shows, by default)."""
    value = (obj.custom_data or {}).get(definition.name)
    fields = fields or fieldaccess.current(definition.object_type)
    if fields.restricted and not fields.readable(definition.filter_name):
        return str(fields.mask(definition.filter_name, value) or "")
    kind = kinds.get(definition.type)
    if kind is None or value is None or value == [] or value == "":
        return definition.display(value)
    return kind.export(definition, value, labels=labels.get(definition.name))
