"""People pickers: which users a picker offers, and how.

A :class:`Purpose` names what a user is chosen for — the owner of a new record, a changed owner
or assignee, the new owner of a transfer (all three ``org.access.assignable_users`` for that
object type and action), a collaborator on one record, or anybody (a user custom field, a
filter). The same purpose gives the form field's queryset, the server search the widget asks
(``core:user_picker``) and the refusal message, so a picker never offers someone the save
would refuse, and the save refuses whoever a forged request sends.

Options are grouped by department path ("江苏公司 / 销售一部") and show name and username;
search matches both (``SEARCH_FIELDS``) and, for a text of letters, the pinyin of the name
("zw" finds 张伟; ``core.text.pinyin``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lianke.org import access
from lianke.org.choices import Action
from lianke.org.paths import department_paths
from lianke.org.users import active_users

from .. import configcache
from ..html import esc
from ..search.textsearch import pinyin_q as pinyin_search_q
from ..text.keys import as_key

SEARCH_FIELDS = ("name", "username")
LIMIT = 50  # options shown at once; typing narrows them down
ASSIGNING = (Action.CREATE, Action.EDIT, Action.TRANSFER)
COLLABORATOR = "collaborator"
ANY = "any"
OUT_OF_SCOPE = _("%(field)s: %(user)s is outside your data scope; choose someone within it.")
NOT_ACTIVE = _("%(field)s: choose an active user.")
NOT_A_COLLABORATOR = _("%(field)s: %(user)s owns this record.")
MORE_PEOPLE = _("More people: type to narrow the list")
NOBODY = _("Nobody found")
SELECTED, CHECKED = mark_safe(" selected"), mark_safe(" checked")
_PURPOSE_RE = re.compile(r"^(?P<type>[a-z_]+\.[a-z_]+)\.(?P<action>[a-z_]+)$")


# What a person's label and group need of a user: pickers read up to 50 of them per page.
LABEL_FIELDS = ("name", "first_name", "last_name", "username", "department_id")


def user_label(user) -> str:
    """The label "张伟 (zhang.wei)": the name people know, the username that tells namesakes apart."""
    name = str(user)
    return name if name == user.username else f"{name} ({user.username})"


@dataclass(frozen=True)
class Purpose:
    """What a user is being chosen for. ``object_type`` + ``action`` (create / edit / transfer)
    for assignments, ``action=COLLABORATOR`` with ``record`` for sharing one record, or
    ``ANY``. ``keep`` is a current value that stays valid on edit although the actor could
    not choose it today (a task a manager assigned, edited by its owner)."""

    action: str = ANY
    object_type: str | None = None
    record: int | None = None
    keep: int | None = None

    @classmethod
    def parse(cls, text: str, record: str | None = None) -> Purpose:
        """From the URL form (``any``, ``customers.account.create``); ``ValueError`` if bad."""
        if text == ANY:
            return cls()
        match = _PURPOSE_RE.match(text)
        if match is None:
            raise ValueError(text)
        action = match["action"]
        if action not in (*ASSIGNING, COLLABORATOR):
            raise ValueError(text)
        record_id = None
        if action == COLLABORATOR:
            digits = record or ""
            if not digits.isdigit():
                raise ValueError(text)
            record_id = int(digits)
        return cls(action=action, object_type=match["type"], record=record_id)

    @property
    def key(self) -> str:
        return ANY if self.action == ANY else f"{self.object_type}.{self.action}"

    def url(self) -> str:
        url = reverse("core:user_picker", kwargs={"purpose": self.key})
        return url + (f"?record={self.record}" if self.record is not None else "")

    def _object_type(self):
        from ..objecttypes.registry import registry

        if self.object_type not in registry:
            raise Http404
        return registry.get(self.object_type)

    def users(self, actor):
        """The active users ``actor`` may choose for this purpose (a queryset)."""
        users = active_users()
        if self.action == ANY:
            return users
        ot = self._object_type()
        if self.action == COLLABORATOR:
            record = ot.model.objects.restrict(actor, Action.EDIT).filter(pk=self.record).first()
            if record is None:
                return users.none()
            return users.exclude(pk=record.owner_id)
        allowed = access.assignable_users(actor, ot.model, self.action)
        if self.keep is not None:
            allowed = users.filter(Q(pk__in=allowed.values("pk")) | Q(pk=self.keep))
        return allowed

    def offered(self, actor):
        """The users a picker lists: ``users``, less those already sharing the record for a
        collaborator (posting one of them again just changes their access)."""
        users = self.users(actor)
        if self.action != COLLABORATOR:
            return users
        from django.contrib.contenttypes.models import ContentType

        from lianke.org.models import Collaborator

        sharing = Collaborator.objects.filter(
            content_type=ContentType.objects.get_for_model(self._object_type().model), object_id=self.record
        ).values("user_id")
        return users.exclude(pk__in=sharing)

    def check_access(self, actor) -> None:
        """For the search endpoint: 404 for an unknown object type or a record the actor may
        not edit, 403 without the function permission. Anybody signed in may look for anybody."""
        if self.action == ANY:
            return
        ot = self._object_type()
        if self.action == COLLABORATOR:
            if not ot.model.objects.restrict(actor, Action.EDIT).filter(pk=self.record).exists():
                raise Http404
        elif not access.has_action(actor, ot.model, self.action):
            raise PermissionDenied

    def refusal(self, label, user) -> ValidationError:
        """The field error for choosing ``user`` (an instance or ``None`` if not an active user)."""
        if user is None or not user.is_active:
            return ValidationError(NOT_ACTIVE, code="invalid_choice", params={"field": label})
        message = NOT_A_COLLABORATOR if self.action == COLLABORATOR else OUT_OF_SCOPE
        return ValidationError(
            message, code="out_of_scope", params={"field": label, "user": user_label(user)}
        )


def refuse_unless_assignable(actor, model, action: str, label, user_id) -> None:
    """Raise the field error unless ``user_id`` is one of ``assignable_users`` (the services'
    check before a write; the post-write re-check stays as the last line of defence)."""
    if access.may_assign(actor, model, action, user_id):
        return
    user = get_user_model().objects.filter(pk=user_id).first()
    raise Purpose(action=action).refusal(label, user)


# ---------------------------------------------------------------------------------- options
@dataclass
class PeopleOptions:
    """What a picker shows: ``groups`` of ``(department path, [(pk, label, chosen)])`` in tree
    order, ``more`` if the search should be narrowed, ``blank`` for the empty choice."""

    groups: list[tuple[str, list[tuple[int, str, bool]]]]
    more: bool
    blank: bool
    chosen: bool

    # Written out in Python (up to 50 people per picker, three pickers on a list page): a
    # template spent six nodes per person.
    def options_html(self) -> str:
        """The ``<option>``s of a select, grouped by department."""
        parts = []
        if self.blank:
            parts.append(f'<option value=""{"" if self.chosen else SELECTED}>---------</option>')
        for group, people in self.groups:
            options = "".join(
                f'<option value="{esc(pk)}"{SELECTED if c else ""}>{esc(label)}</option>'
                for pk, label, c in people
            )
            parts.append(f'<optgroup label="{esc(group)}">{options}</optgroup>')
        if self.more:
            parts.append(f'<option value="" disabled>{esc(MORE_PEOPLE)}</option>')
        elif not self.groups:
            parts.append(f'<option value="" disabled>{esc(NOBODY)}</option>')
        return mark_safe("".join(parts))  # noqa: S308 -- every part escaped

    def checks_html(self, name: str, element_id: str) -> str:
        """Checkboxes named ``name`` (ids ``<element_id>_<user id>``), grouped by department."""
        parts = []
        name, element_id = esc(name), esc(element_id)
        for group, people in self.groups:
            parts.append(f'<div class="people-group small text-muted fw-semibold">{esc(group)}</div>')
            for pk, label, c in people:
                value = esc(pk)
                parts.append(
                    f'<div class="form-check"><input class="form-check-input" type="checkbox" name="{name}"'
                    f' value="{value}" id="{element_id}_{value}"{CHECKED if c else ""}><label'
                    f' class="form-check-label" for="{element_id}_{value}">{esc(label)}</label></div>'
                )
        if self.more:
            parts.append(f'<div class="small text-muted">{esc(MORE_PEOPLE)}</div>')
        elif not self.groups:
            parts.append(f'<div class="small text-muted">{esc(NOBODY)}</div>')
        return mark_safe("".join(parts))  # noqa: S308 -- every part escaped


def search_q(text: str) -> Q:
    q = Q()
    for name in SEARCH_FIELDS:
        q |= Q(**{f"{name}__icontains": text})
    pinyin_q = pinyin_search_q(get_user_model(), ("name",), text)
    return q | pinyin_q if pinyin_q is not None else q


def people_options(
    queryset, *, text: str = "", selected=(), limit: int = LIMIT, required=False
) -> PeopleOptions:
    """The first ``limit`` users of ``queryset`` matching ``text`` plus the chosen ones (kept
    whatever the search), grouped by department path. Two queries and one for the paths.

    What a picker opens with (no search, nobody chosen) is kept across requests
    (``core.configcache``) under the query that selects its people: it reads the users' label
    and placing columns and the departments, all watched. A list page's owner filter and its
    transfer picker no longer query and group the same 50 people on every request."""
    text = text.replace("\x00", "").strip()[:100]
    chosen_ids = {pk for v in selected if (pk := as_key(v))}  # a posted "²" or 25 digits: nobody
    if not text and not chosen_ids:
        sql, params = queryset.query.sql_with_params()
        key = ("people_options", sql, repr(params), limit, required, get_language())
        return configcache.cached(key, lambda: _people_options(queryset, "", set(), limit, required))
    return _people_options(queryset, text, chosen_ids, limit, required)


def _people_options(queryset, text: str, chosen_ids: set[int], limit: int, required) -> PeopleOptions:
    matches = queryset.filter(search_q(text)) if text else queryset
    rows = list(matches.order_by("name", "username").only(*LABEL_FIELDS)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    missing = chosen_ids - {u.pk for u in rows}
    if missing:
        rows += list(queryset.filter(pk__in=missing).only(*LABEL_FIELDS))
    paths = department_paths()
    order = {pk: index for index, pk in enumerate(paths)}
    rows.sort(key=lambda u: (order.get(u.department_id, len(order)), u.name or u.username, u.username))
    groups: list[tuple[str, list[tuple[int, str, bool]]]] = []
    for user in rows:
        label = paths.get(user.department_id) or str(_("No department"))
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append((user.pk, user_label(user), user.pk in chosen_ids))
    chosen = any(c for _label, people in groups for _pk, _name, c in people)
    if required and text and not chosen and len(rows) == 1:
        # The one person a required field's search found: chosen, no second tap to open the list.
        (label, [(pk, name, _c)]) = groups[0]
        groups, chosen = [(label, [(pk, name, True)])], True
    return PeopleOptions(groups=groups, more=more, blank=not (required and chosen), chosen=chosen)


# ---------------------------------------------------------------------------------- widgets
class PeopleSelect(forms.Select):
    """A select of people grouped by department path, with a search box that asks the server
    (``core:user_picker`` for the field's purpose). With a single possible choice for a
    required field it shows that person, fixed, instead of a picker."""

    template_name = "core/widgets/people_select.html"
    checks = False  # the filter variant: checkboxes, several people
    offered = None  # the users to list, if fewer than the field accepts (``Purpose.offered``)

    def __init__(self, purpose: Purpose | None = None, attrs=None, *, lazy: bool = False):
        super().__init__(attrs)
        self.purpose = purpose or Purpose()
        # A picker the page hides until asked for (the list's bulk transfer): its options come
        # from the server the first time it is shown, not with every page.
        self.lazy = lazy

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        queryset = self.offered if self.offered is not None else self.choices.queryset
        selected = [v for v in widget["value"] if v not in (None, "")]
        widget["fixed"] = None
        widget["checks"] = self.checks
        widget["lazy"] = self.lazy and not self.checks and not selected
        # The options tell whether there is anybody to choose, even when they come later (lazy).
        options = people_options(queryset, selected=selected, required=self.is_required)
        people = [(pk, label) for _group, group in options.groups for pk, label, _chosen in group]
        several = len(people) > 1 or options.more
        if self.is_required and len(people) == 1 and not several and not self.checks:
            widget["fixed"] = people[0]
            widget["lazy"] = False
            return context
        widget["searchable"] = several
        widget["small"] = "-sm" in widget["attrs"].get("class", "")
        if widget["lazy"]:
            widget["people_html"] = ""
        else:
            widget["people"] = options
            widget["people_html"] = (
                options.checks_html(name, widget["attrs"].get("id", name))
                if self.checks
                else options.options_html()
            )
        url = self.purpose.url()
        extra = {"required": "1"} if self.is_required else {}
        if self.checks:
            extra.update(mode="checks", name=name, id=widget["attrs"].get("id", name))
        if extra:
            from urllib.parse import urlencode

            url += ("&" if "?" in url else "?") + urlencode(extra)
        widget["people_url"] = url
        return context

    def optgroups(self, name, value, attrs=None):
        return []  # rendered from ``people`` (never iterate the whole queryset)


class PeopleChecks(PeopleSelect):
    """Several people (a list filter): checkboxes grouped by department, with the same search."""

    checks = True
    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False  # unchecked boxes are absent from the data


class PeopleField(forms.ModelChoiceField):
    """Choose one person for ``purpose`` as ``actor``: the queryset is the purpose's users, so
    the form (and its inline validation) refuses anybody else with a message naming the
    field, before anything is saved."""

    def __init__(self, purpose: Purpose, actor, *, small=False, **kwargs):
        self.purpose = purpose
        css = "form-select form-select-sm" if small else "form-select"
        kwargs.setdefault("widget", PeopleSelect(purpose, attrs={"class": css}))
        super().__init__(queryset=purpose.users(actor), **kwargs)
        if purpose.action == COLLABORATOR:
            self.widget.offered = purpose.offered(actor)
        if self.label:
            self.widget.attrs.setdefault("aria-label", self.label)

    def label_from_instance(self, obj):
        return user_label(obj)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as exc:
            if exc.code != "invalid_choice":
                raise
            user = None
            if str(value).isdigit():
                user = get_user_model().objects.filter(pk=int(value)).first()
            raise self.purpose.refusal(self.label, user) from exc
