"""Generic views every registered object type gets: list, detail, create/edit, delete,
transfer, bulk actions, history, recycle bin and collaborators. They are declarations over
the registry; a business app adds only what is special to it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View

from lianke.org import access, fieldaccess
from lianke.org import audit as security_audit
from lianke.org.choices import Action, AuditKind, CollaboratorAccess
from lianke.org.models import Collaborator
from lianke.org.paths import department_path

from .. import configcache
from ..errors import FieldCode, PermissionCode
from ..fieldtypes.people import COLLABORATOR, PeopleField, PeopleSelect, Purpose
from ..models import Attachment, RecentRecord, SavedView
from ..pagination import InvalidCursor, SortSpec, capped_count, paginate
from ..records import audit, services
from ..records.attachments import store_field_files
from ..records.stages import path_context
from ..ui import exports, history, panels
from ..ui.display import Cell, cell_maker, custom_cell, custom_labels, field_cell, list_row, prime_readable
from ..ui.filtersets import filter_field_html, filterset_for
from ..ui.forms import bulk_edit_fields, clean_bulk_value, form_for
from ..ui.liststate import PAGE_SIZES, ListState

# A list counts its records exactly as far as a bulk action reaches ("select all N matching");
# beyond that it says "more than 1,000". Counting on to 10,000 read ten times the rows for a
# number nobody could act on: a manager's accounts filtered by a custom field read 190,000 rows
# to count 10,000 (73 ms at a million accounts on PostgreSQL), 20,000 to count 1,000 (8 ms).
COUNT_CAP = 1000
# Rendered filter forms kept per process (one per user, type, language and chosen filters; 10–40
# KB each): the most recent 500 — the list pages a sales floor opens in a morning — in ~15 MB.
FILTER_FORMS_KEPT = 500


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def htmx_redirect(request, url: str) -> HttpResponse:
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def local_url_or(request, url: str, fallback: str) -> str:
    """``url`` if it is a page of this site (a ``next`` parameter, say), else ``fallback``:
    a redirect never leads to another site."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


def record_or_404(user, model, pk, action: str = Action.VIEW):
    """The record ``pk`` if ``user`` may do ``action`` on it (reading follows the type's kind,
    e.g. an activity readable through its account); otherwise 404 — its existence not revealed."""
    if action == Action.VIEW:
        obj = access.readable_record(user, model, pk)
        if obj is None:
            raise Http404
        return obj
    return get_object_or_404(model.objects.restrict(user, action), pk=pk)


def record_by_type_or_404(
    user, content_type_id: int, pk, action: str = Action.VIEW, *, followed_up: bool = False
):
    """The record a URL names by content type and id (a timeline's or an attachment's record),
    if its model is a registered object type (with a timeline, when ``followed_up``: a follow-up
    is logged only on records that are followed up) and ``user`` may do ``action`` on it
    (:func:`record_or_404`); otherwise 404, whichever part was wrong."""
    from ..objecttypes.registry import registry

    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404 from None
    object_type = registry.get_for_model(model, None) if model is not None else None
    if object_type is None or (followed_up and not object_type.timeline):
        raise Http404
    return record_or_404(user, model, pk, action)


class ObjectTypeView(LoginRequiredMixin, View):
    """Base: resolves the object type and checks the function permission for ``action``."""

    object_type = None
    action = Action.VIEW
    template_name = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.has_action(
            request.user, self.object_type.model, self.action
        ):
            raise PermissionDenied(_("You do not have permission to do this."))
        return super().dispatch(request, *args, **kwargs)

    @property
    def model(self):
        return self.object_type.model

    def get_object(self, action: str = Action.VIEW):
        """The record, if the user may do ``action`` on it; otherwise 404 (never reveal it)."""
        return record_or_404(self.request.user, self.model, self.kwargs["pk"], action)

    def base_context(self, **extra):
        ot = self.object_type
        user = self.request.user
        return {
            "object_type": ot,
            "perms_for": {a: access.has_action(user, ot.model, a) for a, _label in ot.actions},
            # "Back to the list" returns to the list as the user left it (filters, sort, tab).
            "list_url": ListState.remembered(ot, self.request.session).url(),
            **extra,
        }


# ---------------------------------------------------------------------------------- list
class ObjectListView(ObjectTypeView):
    """The list of an object type. Its whole state is in the URL (see ``core.ui.liststate``): an
    htmx request swaps the results (with the tabs, toolbar and bulk bar that depend on the
    state) and pushes the URL; the filter form's hidden state follows out of band."""

    template_name = "core/object_list.html"

    def sort_spec(self, sort: str) -> tuple[SortSpec, str]:
        # An unknown sort key falls back to the default order (a page never fails on it).
        return self.object_type.sort_spec(sort) or self.object_type.sort_spec(None)

    def columns(
        self, definitions, state: ListState, *, everything: bool = False
    ) -> list[tuple[str, str, bool]]:
        """``[(key, label, sortable)]`` for the chosen columns (or the declared defaults); with
        ``everything``, every available column (the "all fields" export)."""
        ot = self.object_type
        available = self.available_columns(definitions)
        if everything:
            chosen = list(available)
        else:
            chosen = [c for c in state.columns if c in available] or list(ot.list_columns)
        fields = fieldaccess.field_access(self.request.user, ot.model)
        sortable = {
            c
            for c in self.object_type.sortable_fields | {d.filter_name for d in definitions}
            if fields.readable(c)
        }
        return [(c, available[c], c in sortable) for c in chosen if c in available]

    def available_columns(self, definitions) -> dict[str, str]:
        """Every column the user may show (hidden fields are no column, in the chooser, the
        table or an export)."""
        ot = self.object_type
        fields = fieldaccess.field_access(self.request.user, ot.model)
        cols = {}
        for name in (*ot.list_columns, *ot.detail_fields, "owner", "department", "created_at", "updated_at"):
            if name not in cols and ot._has_field(name) and fields.visible(name):
                cols[name] = capfirst(ot.field(name).verbose_name)
        for d in definitions:
            if fields.visible(d.filter_name):
                cols[d.filter_name] = d.display_label
        return cols

    def filtered(self, state: ListState, action: str = Action.VIEW):
        """The user's records after the list's filters, and the sort — shared by the page, the
        export and "all matching" bulk actions. ``action`` narrows to that action's scope."""
        ot = self.object_type
        definitions = ot.custom_fields()
        queryset = ot.list_queryset(self.model.objects.all())
        if action != Action.VIEW:
            queryset = queryset.restrict(self.request.user, action)
        filterset = filterset_for(ot)(state.params or None, queryset=queryset, request=self.request)
        queryset = queryset.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        spec, sort = self.sort_spec(state.sort)
        return definitions, filterset, queryset, spec, sort

    def get(self, request, *args, **kwargs):
        ot = self.object_type
        state = ListState(ot, request.GET)
        definitions, filterset, queryset, spec, sort = self.filtered(state)
        columns = self.columns(definitions, state)
        # Chosen relation columns are fetched with the rows (one query, not one per row).
        if related := [c for c, _l, _s in columns if ot._is_fk(c)]:
            queryset = queryset.select_related(*related)
        try:
            page = paginate(queryset, spec, request.GET.get("after") or None, state.per_page)
        except InvalidCursor:
            page = paginate(queryset, spec, None, state.per_page)
        by_name = {d.filter_name: d for d in definitions}
        card_defs = [by_name[c] for c in ot.card_fields if c in by_name]
        labels = custom_labels([by_name[c] for c, _l, _s in columns if c in by_name] + card_defs, page.rows)
        prime_readable(page.rows, [c for c, _l, _s in columns] + list(ot.card_fields), ot)
        fields = fieldaccess.current(ot.model)
        makers = {
            key: (
                partial(custom_cell, definition=by_name[key], labels=labels, fields=fields)
                if key in by_name
                else cell_maker(ot, key, fields)
            )
            for key in {
                *(c for c, _l, _s in columns),
                *ot.card_fields,
                *([ot.card_phone] if ot.card_phone else []),
            }
        }
        rows = [list_row(ot, obj, columns, makers) for obj in page.rows]
        count, more = capped_count(queryset, cap=COUNT_CAP)
        state.remember(request.session)
        next_query = state.with_(after=page.next_cursor) if page.next_cursor else None
        views = self.saved_views(state)
        # The htmx response swaps the results (with the count of filters used), not the form.
        fragment = is_htmx(request) and request.headers.get("HX-Target") == "object-list"
        context = self.base_context(
            state=state,
            filterset=filterset,
            headers=self.headers(columns, state, sort),
            export_urls={
                f"{cols}_{fmt}": state.export_url(fmt, cols)
                for cols in ("visible", "all")
                for fmt in ("xlsx", "csv")
            },
            **self.filter_sidebar(filterset, definitions, html=not fragment),
            rows=rows,
            columns=columns,
            sort=sort,
            sort_options=self.sort_options(columns, state.sort),
            page=page,
            count=count,
            count_more=more,
            next_query=next_query,
            available_columns=self.available_columns(definitions),
            chosen_columns=[c for c, _l, _s in columns],
            tabs=self.tabs(state),
            saved_views=views,
            my_views=[v for v in views if v["mine"]],
            share_targets=saved_view_share_choices(request.user),
            new_owner_field=partial(transfer_owner_field, request.user, ot),
            bulk_fields=bulk_edit_fields(ot, definitions),
            page_sizes=PAGE_SIZES,
            bulk_max=BulkActionView.MAX,
        )
        if fragment:
            context["oob"] = True
            response = render(request, self.template_name + "#results", context)
            # The address bar shows the canonical URL of the state, not every empty form field.
            response["HX-Push-Url"] = state.url(after=request.GET.get("after"))
            return response
        return render(request, self.template_name, context)

    def filter_sidebar(self, filterset, definitions, *, html: bool) -> dict:
        """:func:`split_filters`, kept across requests per user, type, language and the filters
        chosen until configuration changes — when rendering the form read nothing but watched
        configuration (fields and their rules, choices, custom fields, people): not when it
        shows a chosen record's name (``configcache.cached(if_watched=True)``). A list opened
        from the menu, paged, sorted or filtered again renders its filter form once."""
        ot = self.object_type
        if not html:
            return (
                split_filters(ot, filterset, definitions, html=False)
                if filterset.is_bound
                else {"filters_used": 0}
            )
        chosen = (
            tuple(sorted((k, tuple(v)) for k, v in filterset.data.lists())) if filterset.is_bound else None
        )
        key = ("list_filters", ot.key, self.request.user.pk, get_language(), chosen)
        return configcache.cached(
            key, lambda: split_filters(ot, filterset, definitions), limit=FILTER_FORMS_KEPT, if_watched=True
        )

    def headers(self, columns, state: ListState, sort: str) -> list[dict]:
        """Column headers; a sortable one links to the list sorted by it (again: reversed)."""
        headers = []
        for key, label, sortable in columns:
            direction = "asc" if sort == key else "desc" if sort == f"-{key}" else None
            url = state.url(sort=f"-{key}" if direction == "asc" else key) if sortable else None
            headers.append({"key": key, "label": label, "url": url, "direction": direction})
        return headers

    def sort_options(self, columns, sort: str) -> list[tuple[str, str]]:
        """For the phone's sort menu: each sortable column ascending and descending."""
        options = []
        for key, label, sortable in columns:
            if sortable:
                options += [(key, f"{label} ↑"), (f"-{key}", f"{label} ↓")]
        if sort and sort not in dict(options):  # sorted by a column that is not shown
            options.insert(0, (sort, sort))
        return options

    def tabs(self, state: ListState) -> list[dict]:
        """ "All I can see / mine / my team": the tab is a filter in the URL like any other."""
        if not self.object_type.is_owned:
            return []
        tabs = [("", _("All I can see")), ("mine", _("Mine"))]
        if len(access.team_user_ids(self.request.user)) > 1:
            tabs.append(("team", _("My team")))
        return [
            {"key": key, "label": label, "url": state.url(scope=key or None), "active": state.scope == key}
            for key, label in tabs
        ]

    def saved_views(self, state: ListState) -> list[dict]:
        user, key = self.request.user, self.object_type.key

        def load() -> list[SavedView]:
            through_roles, through_departments = (
                SavedView.shared_roles.through,
                SavedView.shared_departments.through,
            )
            return list(
                SavedView.objects.visible_to(user, key)
                .annotate(
                    shared=models.Exists(through_roles.objects.filter(savedview=models.OuterRef("pk")))
                    | models.Exists(through_departments.objects.filter(savedview=models.OuterRef("pk")))
                )
                .order_by("name")
            )

        # Saved views and their shares are watched like the access configuration: kept across
        # requests until one is saved, shared or deleted.
        views = configcache.cached(("saved_views", user.pk, user.department_id, key), load)
        return [
            {
                "view": v,
                "url": self.object_type.url_list + ("?" + v.query if v.query else ""),
                "active": state.same_as(v.query),
                "mine": v.user_id == user.pk,
                "shared": v.shared,
            }
            for v in views
        ]


class ObjectExportView(ObjectListView):
    """``export/?<the list's query>&format=xlsx|csv&columns=visible|all``: the list as the user
    sees it (filters, tab, sort; the visible columns or every field incl. custom fields), within
    the user's *export* scope."""

    action = Action.EXPORT
    MAX_ROWS = 100_000

    def get(self, request, *args, **kwargs):
        ot = self.object_type
        state = ListState(ot, request.GET)
        for key in ("format", "columns"):
            state.params.pop(key, None)
        definitions, _filterset, queryset, spec, _sort = self.filtered(state, Action.EXPORT)
        everything = request.GET.get("columns") == "all"
        columns = [(key, label) for key, label, _s in self.columns(definitions, state, everything=everything)]
        count, more = capped_count(queryset, cap=self.MAX_ROWS)
        if more:
            messages.error(
                request,
                _("At most %(max)d records can be exported at once; narrow the filter.")
                % {"max": self.MAX_ROWS},
            )
            return HttpResponseRedirect(state.url())
        file_format = "csv" if request.GET.get("format") == "csv" else "xlsx"
        details = {
            "query": state.query,
            "rows": count,
            "format": file_format,
            "columns": "all" if everything else "visible",
        }
        limit = settings.LIANKE_EXPORT_APPROVAL_ROWS
        if limit and count > limit and (granted := exports.use_grant(request.user, ot, state.query)):
            details["approval"] = granted  # an approved request of this list, used now
        elif limit and count > limit:
            # A large export (a leaving rep's customer list) waits for an approval: refused,
            # recorded, and — once the approval engine registers its hook — a request away.
            security_audit.record(
                AuditKind.EXPORT_REFUSED,
                actor=request.user,
                object_type=ot.key,
                summary=f"{ot.label_plural}: {count}",
                data={**details, "limit": limit},
            )
            return render(
                request,
                "core/export_refused.html",
                {
                    "object_type": ot,
                    "count": count,
                    "limit": limit,
                    "code": PermissionCode.EXPORT_NEEDS_APPROVAL,
                    "back_url": state.url(),
                    "approval_url": exports.approval_url(request.user, ot, state.query, count),
                },
                status=403,
            )
        security_audit.record(
            AuditKind.EXPORT,
            actor=request.user,
            object_type=ot.key,
            summary=f"{ot.label_plural}: {count}",
            data=details,
        )
        data = exports.rows(ot, queryset, spec, columns, definitions)
        header = [str(label) for _key, label in columns]  # labels may be lazy translations
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        filename = f"{ot.label_plural}-{stamp}"
        if file_format == "csv":
            response = StreamingHttpResponse(
                exports.to_csv(header, data), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
            return response
        return FileResponse(
            exports.to_xlsx(str(ot.label_plural), header, data),
            as_attachment=True,
            filename=f"{filename}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


def split_filters(ot, filterset, definitions, *, html: bool = True) -> dict:
    """The declared filters (plus search, owner and custom fields) first; the rest folded away;
    how many are used. The "mine / my team" tab is not a form field: the tabs set it. Without
    ``html``, only the count."""
    primary_names = {"search", "owner", *ot.filter_fields} | {d.filter_name for d in definitions}
    primary, more = [], []
    for bound in filterset.form:
        if bound.name == "scope":
            continue
        base = bound.name.split("__")[0]
        (primary if base in primary_names else more).append(bound)
    used = [b for b in primary + more if b.name != "search" and _has_value(filterset, b.name)]
    if not html:
        return {"filters_used": len(used)}
    return {
        "primary_filters": mark_safe("".join(map(filter_field_html, primary))),  # noqa: S308 -- escaped there
        "more_filters": mark_safe("".join(map(filter_field_html, more))),  # noqa: S308
        "more_filters_used": any(b in more for b in used),
        "filters_used": len(used),
    }


def _has_value(filterset, name) -> bool:
    if not filterset.is_bound:
        return False
    return any(v not in ("", None) for v in filterset.data.getlist(name))


def saved_view_share_targets(user) -> dict:
    """Whom ``user`` may share a view with: their own roles and their own department (which
    includes its sub-departments); administrators any role or department."""
    from lianke.org.models import Department, Role

    if user.is_superuser:
        return {"roles": Role.objects.filter(is_active=True), "departments": Department.objects.all()}
    return {
        "roles": user.roles.filter(is_active=True),
        "departments": Department.objects.filter(pk=user.department_id),
    }


@dataclass(frozen=True)
class ShareTarget:
    pk: int
    label: str

    def __str__(self) -> str:
        return self.label


def saved_view_share_choices(user) -> dict[str, list[ShareTarget]]:
    """:func:`saved_view_share_targets` as ids and names for the save-view dialog of every list
    page, kept across requests while the configuration is unchanged."""

    def load():
        targets = saved_view_share_targets(user)
        return {key: [ShareTarget(t.pk, str(t)) for t in rows] for key, rows in targets.items()}

    return configcache.cached(("share_targets", user.pk, user.is_superuser, user.department_id), load)


# ---------------------------------------------------------------------------------- detail
class ObjectDetailView(ObjectTypeView):
    template_name = "core/object_detail.html"

    def get(self, request, *args, **kwargs):
        ot = self.object_type
        obj = self.get_object()
        RecentRecord.touch(request.user, obj)
        return render(request, self.template_name, self.base_context(**detail_context(request, ot, obj)))


def detail_context(request, ot, obj) -> dict:
    user = request.user
    sections = []
    fields = fieldaccess.field_access(user, ot.model)
    prime_readable([obj], ot.detail_fields, ot)
    for label, names in ot.sections:
        shown = [
            (capfirst(ot.field(n).verbose_name), field_cell(obj, n, ot)) for n in names if fields.visible(n)
        ]
        if shown:
            sections.append((label, shown))
    definitions = [d for d in ot.custom_fields() if fields.visible(d.filter_name)]
    labels = custom_labels(definitions, [obj])
    groups: dict[str, list] = {}
    for d in definitions:
        groups.setdefault(d.section or str(gettext_lazy("More information")), []).append(
            (d.display_label, custom_cell(obj, d, labels))
        )
    sections.extend(groups.items())
    sections.append(
        (
            _("System information"),
            [
                *(
                    [
                        (
                            _("Owner"),
                            Cell(
                                str(obj.owner or obj.pool or "") if ot._has_field("pool") else str(obj.owner)
                            ),
                        ),
                        (_("Department"), Cell(department_path(obj.department_id))),
                    ]
                    if ot.is_owned
                    else []
                ),
                (_("Created by"), Cell(str(obj.created_by or ""))),
                (_("Created at"), field_cell(obj, "created_at", ot)),
                (_("Updated at"), field_cell(obj, "updated_at", ot)),
            ],
        )
    )
    related = []
    for rel in ot.related:
        rt = rel.type
        if not access.has_action(user, rt.model, Action.VIEW):
            continue
        children = rt.list_queryset(rt.model.objects.filter(**{rel.field: obj}))
        child_fields = fieldaccess.field_access(user, rt.model)
        cols = [c for c in (rel.columns or rt.list_columns[:4]) if child_fields.visible(c)]
        shown = list(children.order_by(*rt.default_ordering)[: rel.limit])
        prime_readable(shown, cols, rt)
        items = [(child, [field_cell(child, c, rt) for c in cols]) for child in shown]
        count, more = capped_count(children, cap=999)
        related.append(
            {
                "type": rt,
                "field": rel.field,
                "columns": [capfirst(rt.field(c).verbose_name) for c in cols],
                "items": items,
                "count": count,
                "more": more,
                "list_url": rt.url("list") + "?" + urlencode({rel.field: obj.pk}),
                "create_url": rt.url("create") + "?" + urlencode({rel.field: obj.pk}),
                "can_create": access.has_action(user, rt.model, Action.CREATE),
            }
        )
    ct = ContentType.objects.get_for_model(type(obj))
    can_edit = access.can(user, obj, Action.EDIT)
    return {
        "object": obj,
        "title": ot.title(obj),
        "sections": sections,
        "related": related,
        "collaborators": Collaborator.objects.filter(content_type=ct, object_id=obj.pk).select_related(
            "user"
        ),
        "attachments": Attachment.objects.filter(content_type=ct, object_id=obj.pk).select_related(
            "uploaded_by"
        ),
        "can_edit": can_edit,
        "stage_path": path_context(ot, obj, can_edit=can_edit),
        "can_delete": access.can(user, obj, Action.DELETE),
        "can_transfer": access.can(user, obj, Action.TRANSFER),
        "content_type_id": ct.pk,
        "collaborator_field": partial(collaborator_field, user, obj),
        "collaborator_access": CollaboratorAccess.choices,
        "record_panels": panels.render(request, ot, obj),
    }


# ---------------------------------------------------------------------------------- forms
class ObjectEditView(ObjectTypeView):
    template_name = "core/object_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.action = Action.EDIT if "pk" in kwargs else Action.CREATE
        return super().dispatch(request, *args, **kwargs)

    def get_instance(self):
        if "pk" in self.kwargs:
            return self.get_object(Action.EDIT)
        return self.model()

    def initial(self):
        """Prefill from the query string (e.g. ``?account=5`` from the account's page)."""
        ot = self.object_type
        return {k: v for k, v in self.request.GET.items() if k in ot.form_fields}

    def render_form(self, form, instance, status=200, *, version=None, conflict=None):
        ot = self.object_type
        context = self.base_context(form=form, object=instance, is_new=instance._state.adding)
        # The version the form was opened at travels with it: a save from a stale form is
        # refused with what changed since (``conflict``), and the form then carries the new one.
        context["record_version"] = version if version is not None else getattr(instance, "version", None)
        context["changes"] = conflict
        context["duplicate_request"] = duplicate_request(ot, form) if instance._state.adding else None
        context["title"] = (
            _("New %(type)s") % {"type": ot.label} if instance._state.adding else ot.title(instance)
        )
        template = self.template_name + ("#form" if is_htmx(self.request) else "")
        return render(self.request, template, context, status=status)

    def get(self, request, *args, **kwargs):
        instance = self.get_instance()
        form = form_for(self.object_type)(instance=instance, initial=self.initial(), user=request.user)
        return self.render_form(form, instance)

    def post(self, request, *args, **kwargs):
        ot = self.object_type
        instance = self.get_instance()
        version = None if instance._state.adding else _posted_version(request)
        conflict = None
        form = form_for(ot)(request.POST, request.FILES, instance=instance, user=request.user)
        if field := request.GET.get("refresh"):
            # A dependent select's options after its source changed (htmx): never saves.
            if field not in form.depends_on or field not in form.fields:
                return HttpResponse(status=400)
            return render(
                request, "core/partials/select_options.html", {"widget": form.refreshed_options(field)}
            )
        if field := request.GET.get("validate"):
            # Inline validation of one field (htmx, on change): never saves.
            form.is_valid()
            return render(
                request,
                "core/partials/field_errors.html",
                {"errors": form.errors.get(field, []), "field": field},
            )
        if form.is_valid():
            obj = form.save(commit=False)
            told = ""
            try:
                with transaction.atomic():  # the record and the files of its file fields
                    files = partial(_store_files, request.user, form.uploads) if form.uploads else None
                    if obj._state.adding:  # as the type creates new records (``create_service``)
                        created = services.create_record(actor=request.user, instance=obj, then=files)
                        obj, told = created.record, created.message
                    else:
                        obj = services.save_record(actor=request.user, instance=obj, expected_version=version)
                        obj = files(obj) if files is not None else obj
            except services.VersionConflict as exc:
                form.add_error(
                    None, str(exc) + " " + _("Your changes were not saved; check them and save again.")
                )
                conflict, version = history.entries(exc.changes, target=exc.record), exc.current
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You do not have permission to do this."))
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for key, errors in exc.error_dict.items():
                        form.add_error(key if key in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                saved = _("Saved “%(record)s”.") % {"record": ot.title(obj)}
                messages.success(request, f"{saved} {told}" if told else saved)
                return htmx_redirect(request, obj.get_absolute_url())
        status = 200 if is_htmx(request) else (409 if conflict is not None else 400)
        return self.render_form(form, instance, status=status, version=version, conflict=conflict)


def _store_files(actor, uploads: dict, obj):
    return store_field_files(actor=actor, obj=obj, uploads=uploads)


def duplicate_request(ot, form) -> dict | None:
    """The link a new record refused as a duplicate (code ``unique``) offers to ask for the
    existing one (the type's ``duplicate_request``), carrying what was typed of its identity."""
    if ot.duplicate_request is None or not form.is_bound or not form.errors:
        return None
    refused = any(
        getattr(error, "code", None) == FieldCode.UNIQUE
        for errors in form.errors.as_data().values()
        for error in errors
    )
    if not refused:
        return None
    url_name, label = ot.duplicate_request
    typed = {
        name: value
        for name in identity_sources(ot)
        if name in form.fields and (value := (form.data.get(name) or "").strip())
    }
    query = f"?{urlencode(typed)}" if typed else ""
    return {"url": reverse(url_name) + query, "label": label}


def identity_sources(ot) -> list[str]:
    """The fields people type that the type's ``Identity`` keys derive from (a name, a credit
    code, phones, e-mails)."""
    identity = ot.identity
    if identity is None:
        return []
    columns = [identity.name_key, identity.credit_code, *identity.phones, *identity.emails]
    return [getattr(ot.field(c), "source", None) or c for c in columns if c]


def _posted_version(request) -> int | None:
    """The version a form was opened at (``record_version``); none from an older page."""
    try:
        return int(request.POST["record_version"])
    except (KeyError, ValueError):
        return None


# ---------------------------------------------------------------------------------- delete
class ObjectDeleteView(ObjectTypeView):
    action = Action.DELETE
    template_name = "core/object_confirm_delete.html"

    def get(self, request, *args, **kwargs):
        obj = self.get_object(Action.DELETE)
        return render(
            request, self.template_name, self.base_context(object=obj, title=self.object_type.title(obj))
        )

    def post(self, request, *args, **kwargs):
        obj = self.get_object(Action.DELETE)
        try:
            services.delete_records(actor=request.user, records=[obj])
        except PermissionDenied as exc:  # something that goes with it is not the user's to delete
            context = self.base_context(object=obj, title=self.object_type.title(obj), error=str(exc))
            return render(request, self.template_name, context, status=403)
        messages.success(request, _("“%(record)s” was moved to the recycle bin.") % {"record": obj})
        return htmx_redirect(request, ListState.remembered(self.object_type, request.session).url())


# ---------------------------------------------------------------------------------- transfer
class TransferForm(forms.Form):
    """The new owner (only people within the actor's transfer scope) and whether related
    records go along. Used by the record's transfer page and the list's bulk transfer (whose
    form also serves bulk edit and delete: no ``required`` attribute to block those)."""

    use_required_attribute = False

    with_related = forms.BooleanField(
        label=gettext_lazy("Also transfer the related records the current owner owns"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, actor, object_type, small=False, lazy=False, **kwargs):
        super().__init__(*args, **kwargs)
        purpose = Purpose(action=Action.TRANSFER, object_type=object_type.key)
        picker = {"widget": PeopleSelect(purpose, attrs={"class": "form-select form-select-sm"}, lazy=True)}
        self.fields["new_owner"] = PeopleField(
            purpose,
            actor,
            label=gettext_lazy("New owner"),
            small=small,
            error_messages={"required": gettext_lazy("Choose the new owner.")},
            **(picker if lazy else {}),
        )
        self.order_fields(["new_owner", "with_related"])


def transfer_owner_field(user, ot):
    """The list's bulk bar "new owner" picker (built only when the page shows it)."""
    if not access.has_action(user, ot.model, Action.TRANSFER):
        return ""
    return TransferForm(actor=user, object_type=ot, small=True, lazy=True)["new_owner"]


class ObjectTransferView(ObjectTypeView):
    action = Action.TRANSFER
    template_name = "core/object_transfer.html"

    def get(self, request, *args, **kwargs):
        obj = self.get_object(Action.TRANSFER)
        form = TransferForm(actor=request.user, object_type=self.object_type)
        return render(request, self.template_name, self.base_context(object=obj, form=form))

    def post(self, request, *args, **kwargs):
        obj = self.get_object(Action.TRANSFER)
        form = TransferForm(request.POST, actor=request.user, object_type=self.object_type)
        moved = None
        if form.is_valid():
            try:
                moved = services.transfer_records(
                    actor=request.user,
                    records=[obj],
                    new_owner=form.cleaned_data["new_owner"],
                    with_related=form.cleaned_data["with_related"],
                )
            except ValidationError as exc:  # the service's own check (its errors name new_owner)
                form.add_error(None, exc)
        if moved is None:
            return render(request, self.template_name, self.base_context(object=obj, form=form), status=400)
        messages.success(
            request,
            _("Transferred to %(user)s (%(count)d records).")
            % {"user": form.cleaned_data["new_owner"], "count": moved},
        )
        # The record may now be outside the user's reach: go to it only if still visible.
        if access.can(request.user, obj, Action.VIEW):
            return htmx_redirect(request, obj.get_absolute_url())
        return htmx_redirect(request, ListState.remembered(self.object_type, request.session).url())


# ---------------------------------------------------------------------------------- bulk
class BulkActionView(ObjectListView):
    """POST ``bulk_action`` ∈ edit / transfer / delete for the ticked records or for every record
    matching the list's state (``all_matching=1`` with the list's ``query``): the filter is sent,
    never a list of ids. The ticked records come as one field, ``pks`` (comma-separated ids, at
    most ``MAX``; repeated ``pk`` fields are read too), so a large selection never exceeds
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS``. Each record must be within the action's scope, or nothing
    changes."""

    action = Action.VIEW
    MAX = COUNT_CAP

    def ticked_ids(self, request) -> list[int]:
        raw = request.POST.get("pks", "")
        if len(raw) > self.MAX * 21:  # more ids than allowed, whatever they are
            raise ValidationError(self.too_many(), code="too_many")
        parts = [p.strip() for p in raw.split(",") if p.strip()] + request.POST.getlist("pk")
        if any(not (p.isascii() and p.isdigit()) or len(p) > 18 for p in parts):
            raise ValidationError(
                _("The selection is not valid; select the records again."), code="invalid_selection"
            )
        ids = list(dict.fromkeys(int(p) for p in parts))
        if len(ids) > self.MAX:
            raise ValidationError(self.too_many(), code="too_many")
        return ids

    def too_many(self) -> str:
        return _("At most %(max)d records at once; narrow the filter or use “select all matching”.") % {
            "max": self.MAX
        }

    def records(self, request, needed: str) -> list:
        ot = self.object_type
        if request.POST.get("all_matching") == "1":
            state = ListState(ot, request.POST.get("query", ""))
            _d, _f, matching, _spec, _sort = self.filtered(state)
            count, more = capped_count(matching, cap=self.MAX)
            if more:
                raise ValidationError(
                    _("At most %(max)d records at once; narrow the filter.") % {"max": self.MAX},
                    code="too_many",
                )
            records = list(matching.restrict(request.user, needed))
            if len(records) != count:
                raise PermissionDenied(_("Some of the selected records are outside your permissions."))
            return records
        ids = self.ticked_ids(request)
        records = list(self.model.objects.restrict(request.user, needed).filter(pk__in=ids))
        if len(records) != len(ids):
            # Some ids are not the user's to change: refuse the whole batch, change nothing.
            raise PermissionDenied(_("Some of the selected records are outside your permissions."))
        return records

    def get(self, request, *args, **kwargs):
        return HttpResponseRedirect(self.object_type.url("list"))

    def post(self, request, *args, **kwargs):
        ot = self.object_type
        back = local_url_or(
            request, request.POST.get("next", ""), ListState.remembered(ot, request.session).url()
        )
        bulk = request.POST.get("bulk_action")
        needed = {"edit": Action.EDIT, "transfer": Action.TRANSFER, "delete": Action.DELETE}.get(bulk)
        if needed is None:
            messages.error(request, _("Select records and an action."))
            return htmx_redirect(request, back)
        if not access.has_action(request.user, ot.model, needed):
            raise PermissionDenied
        try:
            records = self.records(request, needed)
            if not records:
                raise ValidationError(_("Select records and an action."), code="required")
            if bulk == "delete":
                result = services.delete_in_bulk(actor=request.user, records=records)
                report_bulk(request, result, _("%(count)d records moved to the recycle bin."))
            elif bulk == "transfer":
                form = TransferForm(request.POST, actor=request.user, object_type=ot)
                if not form.is_valid():
                    raise ValidationError(
                        form.errors.get("new_owner") or _("Choose the new owner."), code="required"
                    )
                owner = form.cleaned_data["new_owner"]
                result = services.transfer_in_bulk(
                    actor=request.user,
                    records=records,
                    new_owner=owner,
                    with_related=bool(request.POST.get("with_related")),
                )
                report_bulk(request, result, _("Transferred %(count)d records to %(user)s."), user=owner)
            else:
                field, value, custom = clean_bulk_value(
                    ot, request.POST.get("field", ""), request.POST.get("value")
                )
                result = services.edit_in_bulk(
                    actor=request.user, records=records, field=field, value=value, custom=custom
                )
                report_bulk(request, result, _("Updated %(count)d records."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return htmx_redirect(request, back)


def report_bulk(request, result: services.BulkResult, done: str, **params) -> None:
    """Tell the user what a bulk action did (``done`` % count and ``params``); if it stopped part way,
    also what stopped it and how many records were left unchanged."""
    if result.complete or result.counted:
        messages.success(request, done % {"count": result.counted, **params})
    if not result.complete:
        messages.error(
            request,
            _(
                "Stopped after %(done)d of %(total)d records: %(reason)s"
                " The other %(left)d records were not changed; select them and try again."
            )
            % {"done": result.done, "total": result.total, "reason": result.reason, "left": result.left},
        )


# ---------------------------------------------------------------------------------- history
class ObjectHistoryView(ObjectTypeView):
    template_name = "core/partials/history.html"

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        changes = list(audit.history_for(obj, user=request.user)[:200])
        return render(
            request, self.template_name, {"changes": history.entries(changes, target=obj), "object": obj}
        )


# ---------------------------------------------------------------------------------- recycle bin
class RecycleBinView(ObjectTypeView):
    action = Action.DELETE
    template_name = "core/recycle_bin.html"

    def get(self, request, *args, **kwargs):
        rows = (
            services.deleted_queryset(request.user, self.model)
            .select_related("deleted_by")
            .order_by("-deleted_at", "-pk")[:200]
        )
        return render(request, self.template_name, self.base_context(rows=rows))

    def post(self, request, *args, **kwargs):
        ids = [int(i) for i in request.POST.getlist("pk") if i.isdigit()]
        records = list(services.deleted_queryset(request.user, self.model).filter(pk__in=ids))
        if len(records) != len(ids) or not records:
            raise Http404
        try:
            result = services.restore_in_bulk(actor=request.user, records=records)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            report_bulk(request, result, _("Restored %(count)d records."))
        return htmx_redirect(request, self.object_type.url("recycle_bin"))


# ---------------------------------------------------------------------------------- collaborators
class CollaboratorForm(forms.Form):
    """Share a record: anybody active may be added (a pre-sales engineer from another company
    is what collaborators are for) except its owner; the picker leaves out those already
    sharing it (posting one of them again changes their access)."""

    access = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=CollaboratorAccess.choices,
        error_messages={"required": gettext_lazy("Choose a user and an access level.")},
    )

    def __init__(self, *args, actor, record, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"] = PeopleField(
            Purpose(action=COLLABORATOR, object_type=record.object_type.key, record=record.pk),
            actor,
            label=gettext_lazy("Collaborator"),
            small=True,
            error_messages={"required": gettext_lazy("Choose a user and an access level.")},
        )
        self.fields["access"].widget.attrs.update({"class": "form-select form-select-sm w-auto"})
        self.order_fields(["user", "access"])


def collaborator_field(user, obj):
    """The detail page's "add collaborator" picker (built only when the page shows it)."""
    return CollaboratorForm(actor=user, record=obj)["user"]


class CollaboratorView(ObjectTypeView):
    """Add (POST user, access) or remove (POST remove=<id>) a collaborator; needs edit rights."""

    def post(self, request, *args, **kwargs):
        if not self.object_type.is_owned:
            raise Http404  # a child shares its parent's collaborators; a catalog is shared anyway
        obj = self.get_object(Action.EDIT)
        try:
            if remove := request.POST.get("remove"):
                ct = ContentType.objects.get_for_model(type(obj))
                gone = Collaborator.objects.filter(content_type=ct, object_id=obj.pk, pk=remove).first()
                if gone is not None:
                    services.share_record(
                        actor=request.user, record=obj, user=gone.user, access_level="", remove=True
                    )
            else:
                form = CollaboratorForm(request.POST, actor=request.user, record=obj)
                if not form.is_valid():
                    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
                else:
                    services.share_record(
                        actor=request.user,
                        record=obj,
                        user=form.cleaned_data["user"],
                        access_level=form.cleaned_data["access"],
                    )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return htmx_redirect(request, obj.get_absolute_url() + "#collaborators")
