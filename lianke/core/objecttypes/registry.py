"""The object registry: every business object is declared once, here's where.

An app's ``objects.py`` subclasses :class:`ObjectType` and registers it. The declaration is data
read by the layers above, each of which builds its own classes from it and caches them on its side:
the FilterSet (``core.ui.filtersets.filterset_for``, shared by the list page and the API), the form
(``core.ui.forms.form_for``), the serializer and the API viewset (``core.api``), the URLs
(``core.urls``), the search (``core.search.textsearch.search``). It imports none of them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.text import capfirst

from lianke.org import access as org_access
from lianke.org.choices import Action
from lianke.org.kinds import AccessPolicy, Child, Owned

from ..fields import CompanyKeyField, PhoneDigitsField, PhoneField
from ..pagination import SortSpec

if TYPE_CHECKING:
    from ..records.stages import StagePath
    from ..text.identity import Identity

DEFAULT_ACTIONS = (
    Action.VIEW,
    Action.CREATE,
    Action.EDIT,
    Action.DELETE,
    Action.EXPORT,
    Action.IMPORT,
    Action.TRANSFER,
)


# ``record_url``'s stand-in id, long enough to appear nowhere else in a path.
_PLACEHOLDER_PK = 918273645546372819


@dataclass(frozen=True)
class Related:
    """A related list on the detail page: records of ``object_type`` whose ``field`` points here."""

    object_type: str
    field: str
    columns: tuple[str, ...] = ()
    limit: int = 10

    @property
    def type(self) -> ObjectType:
        return registry.get(self.object_type)


class ObjectType:
    model: type[models.Model]
    # The record kind: how its records are reached (``org.kinds``: Owned, Pooled, Child,
    # Catalog, Config). Owned by default.
    access: AccessPolicy | None = None
    icon: str = "circle"
    nav_order: int = 100
    in_nav: bool = True  # listed in the navigation (a child type is reached from its parent)
    in_global_search: bool = True  # searched from the top bar (off for a type reached from a parent)
    title_field: str = "name"
    search_fields: tuple[str, ...] = ("name",)
    list_columns: tuple[str, ...] = ()
    filter_fields: tuple[str, ...] = ()
    sections: tuple[tuple[str, tuple[str, ...]], ...] = ()
    related: tuple[Related, ...] = ()
    transfer_related: tuple[str, ...] = ()
    # User fields that hand work to someone (a task's assignee): like the owner, only the
    # users the actor may assign to (``org.access.assignable_users``) are accepted.
    assignment_fields: tuple[str, ...] = ()
    delete_cascade: tuple[str, ...] = ()
    parent_field: str | None = None
    extra_actions: tuple[tuple[str, str], ...] = ()
    list_select_related: tuple[str, ...] = ()
    # A phone shows a list as cards: the title, these few fields (model or ``cf_`` custom
    # fields), a call button for ``card_phone``, the last follow-up and the owner.
    card_fields: tuple[str, ...] = ()
    card_phone: str | None = None
    # Foreign keys to registered objects use the search widget; small ones a plain select.
    default_ordering: tuple[str, ...] = ("-updated_at", "-id")
    # The record's lifecycle (a ``core.records.stages.StagePath``): enforced on every write; the path on
    # its page, one-tap moves, a board (``board/``) of records by state.
    stage_path: StagePath | None = None
    # Its records are followed up: activities are logged on them, and the record page shows the
    # timeline (those follow-ups with the record's changes) and a "Follow up" button. Off for
    # records nobody follows up on their own (an activity itself, a catalogue entry, a child).
    timeline: bool = True
    # Declared by the one type whose records make up the timelines (activities): the URL name of
    # the timeline fragment, taking the record's ``content_type_id`` and ``object_id``. Core
    # finds it through the registry (``registry.timeline_type()``) and names no app.
    timeline_url_name: str | None = None
    has_attachments: bool = True
    # What the standard roles (``org.defaults``) may do with it: ``{role key: (actions, scope)}``,
    # usually a grant set of ``org.defaults`` (``SELLING``, ``CATALOG``) with the type's own
    # exceptions; ``{}`` if only administrators (and roles they edit) reach it. A child type
    # takes its parent's grants and declares none. ``core.checks`` reports a type that forgets
    # it (``None``), a child that declares it, and a grant of an unknown role or action.
    default_grants: Mapping[str, tuple[Any, Any]] | None = None
    # The API path's last part (``/api/<app>/<plural>/``): ``model_name + "s"`` unless declared
    # where English needs another plural ("opportunities").
    api_plural: str = ""
    # Test data: the dotted path of this type's factory-boy factory, declared in its own app
    # (``lianke.customers.factories.AccountFactory``). Resolved only when asked for
    # (``factory_class()``), so the core imports no app and production never loads factory-boy;
    # the permission matrices build every type's records with it.
    factory: str | None = None
    # How its records are recognised as the same company or person (``core.text.identity``): the
    # columns ``find_duplicates`` compares — company key, credit code, phone digits, e-mails.
    identity: Identity | None = None
    # How a new record is created from the generic "New" form and the API's POST: ``None``, the
    # write pipeline (``services.save_record``); else the dotted path of a function
    # ``(actor, instance, *, then) -> services.Created | None``, declared in the type's app, that
    # creates it its own way when it applies (an account under a registration flow: pending and
    # submitted for approval; ``then(record)``, the caller's own writes such as a form's files,
    # right after the record is written) and answers ``None`` when it does not. Resolved when asked
    # (``creator()``): the core imports no app. ``services.create_record`` calls it.
    create_service: str | None = None
    # Where someone whose new record was refused as a duplicate may ask for the existing one:
    # ``(URL name, label)`` of a page taking the typed identity (name, credit code, phone,
    # e-mail) in its query string; the generic form links it next to a ``unique`` refusal.
    duplicate_request: tuple[str, Any] | None = None

    # Optional overrides (rarely needed: the generated ones follow the declaration).
    filterset_base: type | None = None
    form_base: type | None = None
    serializer_base: type | None = None
    # The base class of the generated API viewset (``core.api.views.build_viewset``); ``None``:
    # ``BusinessViewSet``. A replacement should subclass it, to keep its scoping and checks.
    viewset_base: type | None = None
    # Views replacing the generated page of an action (``core.urls.ROUTES``: ``list``,
    # ``create``, ``detail``, ``edit``, ``board`` …), e.g. ``{"detail": MyDetailView}``; each
    # is built with ``as_view(object_type=…)``, so it should subclass the view it replaces.
    views: Mapping[str, type] = MappingProxyType({})

    def extra_urls(self) -> list:
        """More URL patterns of this type, mounted in its app's namespace next to the generated
        ones (``/<app>/…``); none by default."""
        return []

    def __init__(self):
        self.opts = self.model._meta
        self.access = copy.copy(type(self).access) if type(self).access is not None else Owned()
        if isinstance(self.access, Child) and self.parent_field is None:
            # A child's changes are its parent's history.
            self.parent_field = self.access.parent_field
        if self.stage_path is not None:
            self.stage_path.bind(self.model)
        if self.identity is not None:
            _check_identity(self.identity, self.model)
        self.api_plural = type(self).api_plural or f"{self.opts.model_name}s"

    def factory_class(self) -> Any:
        """The factory-boy factory declared in ``factory``; a clear error if there is none."""
        if not self.factory:
            raise LookupError(
                f"{self.key} has no test factory: declare one in its app's factories.py and name it"
                f" in the object type ({type(self).__name__}.factory = 'lianke.<app>.factories.<Name>')"
            )
        from django.utils.module_loading import import_string

        return import_string(self.factory)

    def creator(self) -> Callable[..., Any] | None:
        """The function declared in ``create_service``, or ``None``."""
        if not self.create_service:
            return None
        from django.utils.module_loading import import_string

        return import_string(self.create_service)

    @property
    def timeline_source(self) -> ObjectType | None:
        """The type whose records make up this record's timeline (see ``timeline``), if it has
        one and such a type is registered."""
        return registry.timeline_type() if self.timeline else None

    @property
    def kind(self) -> str:
        return self.access.kind if self.access else Owned.kind

    @property
    def is_owned(self) -> bool:
        """Records of this type have an owner (owned and pooled kinds): they are transferred,
        shared with collaborators, filtered by "mine / my team"."""
        return self._has_field("owner")

    # ------------------------------------------------------------------ names
    @property
    def key(self) -> str:
        return self.opts.label_lower

    @property
    def app_label(self) -> str:
        return self.opts.app_label

    @property
    def model_name(self) -> str:
        return self.opts.model_name

    @property
    def label(self) -> str:
        return capfirst(self.opts.verbose_name)

    @property
    def label_plural(self) -> str:
        return capfirst(self.opts.verbose_name_plural)

    @property
    def actions(self) -> tuple[tuple[str, Any], ...]:
        """The actions a role may grant on this type (transfer only where records have owners)."""
        labels = dict(Action.choices)
        base = [a for a in DEFAULT_ACTIONS if self.is_owned or a != Action.TRANSFER]
        return tuple((a, labels[a]) for a in base) + tuple(self.extra_actions)

    def url_name(self, action: str) -> str:
        return f"{self.app_label}:{self.model_name}_{action}"

    def url(self, action: str, **kwargs) -> str:
        if kwargs:
            return reverse(self.url_name(action), kwargs=kwargs)
        key = (action, get_script_prefix(), get_urlconf())  # a page names its list URL ten times
        if key not in self._urls:
            self._urls[key] = reverse(self.url_name(action))
        return self._urls[key]

    def record_url(self, pk, action: str = "detail") -> str:
        """``url(action, pk=pk)`` without resolving the pattern again: reversed once per action
        and script prefix with a placeholder id, then filled in (a list page links 100 rows)."""
        key = (action, get_script_prefix(), get_urlconf())
        if key not in self._record_urls:
            pieces = self.url(action, pk=_PLACEHOLDER_PK).split(str(_PLACEHOLDER_PK))
            # The placeholder's digits elsewhere in the path too: resolved every time instead.
            self._record_urls[key] = (pieces[0], pieces[1]) if len(pieces) == 2 else None
        parts = self._record_urls[key]
        return f"{parts[0]}{pk}{parts[1]}" if parts is not None else self.url(action, pk=pk)

    @cached_property
    def _record_urls(self) -> dict[tuple, tuple[str, str] | None]:
        return {}

    @cached_property
    def _urls(self) -> dict[tuple, str]:
        return {}

    @property
    def url_list(self) -> str:
        return self.url("list")

    def api_url_name(self, action: str = "list") -> str:
        return f"api:{self.app_label}-{self.model_name}-{action}"

    def title(self, obj) -> str:
        return str(getattr(obj, self.title_field, "") or obj)

    # ------------------------------------------------------------------ fields
    def field(self, name: str) -> models.Field:
        return self.opts.get_field(name)

    @cached_property
    def form_fields(self) -> tuple[str, ...]:
        names = [f for _label, fields in self.sections for f in fields]
        return tuple(n for n in names if getattr(self.field(n), "editable", False) and n not in ("owner",))

    @cached_property
    def detail_fields(self) -> tuple[str, ...]:
        return tuple(f for _label, fields in self.sections for f in fields)

    def is_lookup_relation(self, field: models.Field) -> bool:
        """True for relations to registered (potentially huge) business objects."""
        return bool(
            field.is_relation and field.related_model and registry.get_for_model(field.related_model, None)
        )

    @cached_property
    def phone_and_email_fields(self) -> tuple[str, ...]:
        """Fields shown as ``tel:`` / ``mailto:`` links, in the order the record shows them."""
        kinds = (PhoneField, models.EmailField)
        return tuple(n for n in self.detail_fields if isinstance(self.field(n), kinds))

    # ------------------------------------------------------------------ sorting
    @cached_property
    def sortable_fields(self) -> frozenset[str]:
        """Columns a list (page, export or API) may be sorted by: plain stored values."""
        names = {"id", "created_at", "updated_at", *self.list_columns, *self.detail_fields}
        unsortable = (models.ForeignKey, models.TextField, models.JSONField)
        return frozenset(n for n in names if not isinstance(self.field(n), unsortable))

    def sort_keys(self) -> list[str]:
        keys = sorted(self.sortable_fields) + [d.filter_name for d in self.custom_fields()]
        return [k for k in keys if self.may_sort_by(k)]

    def may_sort_by(self, name: str) -> bool:
        """Whether the current reader may sort by ``name``: only by a value they may read in
        full (sorting by a hidden number would tell its order)."""
        from lianke.org import fieldaccess

        return fieldaccess.current(self.model).readable(name)

    def sort_spec(self, sort: str | None):
        """``(SortSpec, key)`` for ``name``/``-name``/``cf_<name>``; ``None`` if unknown. Used by
        the list page, the export and the API alike."""
        sort = sort or self.default_ordering[0]
        descending = sort.startswith("-")
        name = sort.lstrip("-")
        if not self.may_sort_by(name):
            return None
        for d in self.custom_fields():
            if d.filter_name == name:
                return SortSpec(d.sort_expression(), descending, True), sort
        if name in self.sortable_fields:
            field = self.field(name)
            return SortSpec(models.F(field.attname), descending, field.null), sort
        return None

    def custom_fields(self, active_only: bool = True):
        """The type's custom field definitions (``CustomField``), read through the source the
        models install (:attr:`Registry.custom_field_source`)."""
        source = registry.custom_field_source
        if source is None:
            raise ImproperlyConfigured("custom fields are read before core's models are loaded")
        return source(self.key, active_only=active_only)

    def list_queryset(self, queryset):
        related = [c for c in (*self.list_columns, *self.card_fields) if self._is_fk(c)]
        holders = [
            name for name in ("owner", "pool") if self._has_field(name)
        ]  # a pooled card shows its pool
        fetch = [*holders, *dict.fromkeys([*related, *self.list_select_related])]
        return queryset.select_related(*fetch) if fetch else queryset

    def card(self, obj, cell) -> dict:
        """What a phone card shows of ``obj``; ``cell(obj, name)`` renders one field (the list
        page passes its own, which has the page's custom-field labels)."""
        last = getattr(obj, "last_activity_at", None) if self._has_field("last_activity_at") else None
        return {
            "title": self.title(obj),
            "fields": [c for c in (cell(obj, name) for name in self.card_fields) if c.text],
            "phone": cell(obj, self.card_phone) if self.card_phone else None,
            "last_activity_at": last,
            "has_last_activity": self._has_field("last_activity_at"),
        }

    def _has_field(self, name: str) -> bool:
        try:
            self.field(name)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist
            return False
        return True

    def _is_fk(self, name: str) -> bool:
        try:
            field = self.field(name)
        except Exception:  # noqa: BLE001 - custom field or property
            return False
        return isinstance(field, models.ForeignKey)


class Registry:
    def __init__(self):
        self._types: dict[str, ObjectType] = {}
        self._by_model: dict[type, ObjectType] = {}
        # ``definitions_for(key, active_only=…)`` of ``core.models.customfields``, installed when
        # the models load: the models sit above the declarations (a ``CustomField`` knows its
        # type), so the declarations reach the definitions through this hook, not an import.
        self.custom_field_source: Callable[..., list] | None = None

    def register(self, cls: type[ObjectType]) -> type[ObjectType]:
        instance = cls()
        self._types[instance.key] = instance
        self._by_model[cls.model] = instance
        assert instance.access is not None
        org_access.register_policy(cls.model, instance.access)
        return cls

    def get(self, key: str) -> ObjectType:
        return self._types[key]

    def get_for_model(self, model, default=KeyError):
        model = getattr(model, "_meta", None) and model._meta.concrete_model or model
        if model in self._by_model:
            return self._by_model[model]
        if default is KeyError:
            raise KeyError(model)
        return default

    def __contains__(self, key) -> bool:
        return key in self._types

    def keys(self):
        return self._types.keys()

    def __iter__(self):
        return iter(sorted(self._types.values(), key=lambda t: (t.nav_order, t.key)))

    def choices(self):
        return [(t.key, t.label) for t in self]

    def timeline_type(self) -> ObjectType | None:
        """The registered type that declares ``timeline_url_name`` (activities), or ``None``."""
        return next((t for t in self._types.values() if t.timeline_url_name), None)


def _check_identity(identity: Identity, model: type[models.Model]) -> None:
    """Refuse an ``Identity`` declaration that names the wrong kind of column (at registration)."""

    def kind(name, cls, what):
        if not isinstance(model._meta.get_field(name), cls):
            raise ImproperlyConfigured(f"{model._meta.label}.{name} is not {what} (Identity)")

    if identity.name_key:
        kind(identity.name_key, CompanyKeyField, "a CompanyKeyField")
    for name in identity.phones:
        kind(name, PhoneDigitsField, "a PhoneDigitsField")
    for name in (*identity.emails, *([identity.credit_code] if identity.credit_code else [])):
        kind(name, models.CharField, "a text field")


registry = Registry()
register = registry.register
