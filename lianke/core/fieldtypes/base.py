"""The ``FieldKind`` base class, the registry of kinds by stored type, and value helpers."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

MAX_DIGITS = 18
TRUE_WORDS = {"1", "true", "yes", "y", "on", "是", "真"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "否", "假"}


def plain_number(number) -> str:
    """``100000.0000`` → ``100000`` (``normalize()`` alone would give ``1E+5``)."""
    return format(Decimal(number).normalize(), "f")


def utc_iso(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC with a four-digit year (``strftime("%Y")`` drops the
    leading zeros of years before 1000, which would neither parse nor sort as text)."""
    utc = value.astimezone(dt.UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


class SortKeyText(KeyTextTransform):
    """A custom value's text (``KT("custom_data__<name>")``) as lists sort by it and indexes are
    built on it: on SQLite with its JSON path written into the statement. SQLite uses an
    expression index only for an expression written exactly as the index's, and Django binds
    the path as a parameter, which never equals the literal the index was built with: the list
    sorted by an indexed custom field read and sorted every row instead (2.3 s at a million
    accounts). The path comes from ``json.dumps`` (ASCII only); quotes and ``%`` are escaped."""

    def as_sqlite(self, compiler, connection):
        lhs, params, key_transforms = self.preprocess_lhs(compiler, connection)
        sql, bound = self._process_as_sqlite(lhs, params, connection, key_transforms)
        if params:  # an expression with parameters of its own: as Django writes it
            return sql, bound
        path = self._get_json_path(connection, key_transforms)
        literal = "'" + path.replace("'", "''").replace("%", "%%") + "'"
        return sql % ((literal,) * len(bound)), ()


class FieldKind:
    """What one custom-field type does with values. Subclass, set ``key`` and register it.

    ``field`` is the ``CustomField`` definition (its options, limits and ``_error`` helper).
    ``clean`` receives a value that is already known to be non-empty, not too deep and free of
    NUL characters, and returns the stored form or raises ``ValidationError`` naming the field.

    Every other concern has a default, so the smallest kind is ``key``, ``label``, ``clean`` and
    ``form_field``: it is shown as text, sorted as text, exported as its display, not filtered
    and not searched.
    """

    key: str = ""
    label: Any = ""  # what the administrator chooses from (the stored type's choices)
    # Included in the record search when marked searchable (a text ``icontains``).
    searched_as_text: bool = False
    # Whether an expression index can serve sorting by it (``core.cfindexes``).
    indexable: bool = True
    # Grouping: a number (sorted numerically), a range (``from``/``to`` filters).
    is_number: bool = False
    is_range: bool = False
    # Masked like a phone number or e-mail address for readers who may not see it in full.
    is_contact: bool = False
    # Its definition lists options (``CustomField.options``, checked when it is defined).
    has_options: bool = False
    # Its value is computed by the write pipeline (a formula, a roll-up), never set by anybody:
    # field permissions guard its inputs, not it.
    computed: bool = False
    # Its form field takes an upload, stored by the view after the record (``core.records.attachments``).
    is_upload: bool = False
    has_record_rules: bool = False  # set by ``register``: it overrides ``clean_record``
    # The write pipeline's events (``core.events`` names) the kind hears, through ``on_event``:
    # a value kept in step with other records' writes (a roll-up over its children).
    subscribes: tuple[str, ...] = ()
    # The value's shape in the API schema (OpenAPI) of ``custom_fields``.
    api_schema: dict = {"type": "string"}  # noqa: RUF012 - read only

    def clean(self, field, value, *, old=None):
        raise NotImplementedError

    def form_field(self, field, common: dict, *, initial=None, user=None):
        """The Django form field; ``common`` holds label, required, help text and initial. The
        form's value is passed through ``clean`` afterwards, so validation stays in one place."""
        raise NotImplementedError

    def display(self, field, value, *, labels=None) -> str:
        """Human text for a stored, non-empty value. ``labels`` maps ids to names."""
        return str(value)

    def form_initial(self, field, value):
        """A stored, non-empty value → what the form field shows."""
        return value

    # ------------------------------------------------------------------ definition and record
    def check_definition(self, field, siblings: dict) -> dict:
        """Errors of the definition itself beyond the common ones, ``{form field: message}``;
        ``siblings`` are the object type's other definitions by name."""
        return {}

    def clean_record(self, field, data: dict, definitions: dict, changed: set, *, record=None) -> None:
        """Rules over the whole record, once its values are merged (``data``, changed in place):
        a value that depends on another field checked, a computed value set. ``changed`` names
        the fields this write sets; ``record`` is the record being written when the write path
        has it (its standard fields). Raises ``ValidationError`` naming the field."""

    def inputs(self, field) -> list[str]:
        """The fields of the same record its value is computed from, by name (a custom field's
        or a standard field's): a reader who may not read one of them in full may not see this
        one either (``org.fieldaccess``)."""
        return []

    def foreign_inputs(self, field) -> list[tuple[str, str]]:
        """Fields of *other* object types its value is computed from, ``(type key, field
        name)`` (a roll-up's child field): hidden from whoever may not read them in full."""
        return []

    def bind_form(self, field, form) -> None:
        """Adjust this field in a built record form (``core.ui.forms.BusinessForm``): e.g. narrow
        its choices to what another field's value allows."""

    def on_event(self, event) -> None:
        """A write of the pipeline (``core.events.Event``) named in ``subscribes``, heard inside
        its transaction (``dispatch``, a durable subscriber): keep what depends on it in step.
        Raising rolls the write back."""

    # ------------------------------------------------------------------ related names
    def related_model(self, field):
        """The model whose records a stored id names (users, a lookup's target), if any: lists
        and history fetch their names once per page (``labels``)."""
        return None

    def labels(self, field, ids) -> dict:
        """``{id: name}`` for the stored ``ids`` (through the related model's scoped manager)."""
        return {}

    def link(self, field, value, *, labels=None) -> str | None:
        """Where a shown value leads when tapped (a record, a ``tel:`` or ``mailto:``)."""
        return None

    # ------------------------------------------------------------------ lists
    def sort_expression(self, field):
        """The expression a list is sorted (and an index built) by: the stored text."""
        # A plain text expression: comparisons on the bare key transform would treat the value
        # as JSON (SQLite's json.loads of "2024-01-15" fails) instead of comparing the text.
        return Cast(SortKeyText(field.name, "custom_data"), models.TextField())

    def filters(self, field, method) -> dict:
        """The list filters, ``{suffix: django_filters.Filter}`` (``""`` names ``cf_<name>``
        itself, ``"__gte"`` gives ``cf_<name>__gte``); ``method(lookup)`` makes a filter
        method that calls ``filter`` with that lookup. None by default."""
        return {}

    def filter(self, field, queryset, lookup: str, value):
        """``queryset`` narrowed by one of this kind's ``filters`` (``value`` is not empty)."""
        raise ValueError(lookup)

    # ------------------------------------------------------------------ export and import
    def export(self, field, value, *, labels=None) -> str:
        """The text of an export cell for a stored, non-empty value: what the page shows."""
        return self.display(field, value, labels=labels)

    def parse_import(self, field, text: str):
        """A spreadsheet cell's text → the input ``clean`` receives. ``clean`` already accepts
        text, so most kinds pass it on; a kind whose JSON input is structured splits it here."""
        return text

    # ------------------------------------------------------------------ API
    def api_value(self, field, value):
        """A stored, non-empty value as the API returns it (the stored form by default)."""
        return value


kinds: dict[str, FieldKind] = {}


def register(kind: FieldKind) -> FieldKind:
    """Register ``kind`` under its ``key`` (a stored ``CustomField.type`` value)."""
    if not kind.key:
        raise ValueError("A field kind needs a key.")
    # Only kinds with record rules are asked for each record written (the batch path's cost).
    kind.has_record_rules = type(kind).clean_record is not FieldKind.clean_record
    kinds[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    kinds.pop(key, None)


def dispatch(event) -> None:
    """The field types' one subscriber to the write pipeline (subscribed durably, inside the
    write transaction, by ``CoreConfig.ready``): each registered kind that declares the event's
    name in ``subscribes`` hears it (``on_event``)."""
    for kind in list(kinds.values()):
        if event.name in kind.subscribes:
            kind.on_event(event)
