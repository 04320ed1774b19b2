"""The console's pages: thin — read what the page shows, parse the form, call a service, render.
Who may open a page is the settings object's config kind (``org.access``), asked here for the
page and again by the service for the write. A drag on a desktop posts with
``Accept: application/json`` and gets ``{"ok": true}`` or ``{"code", "message"}`` (400/403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianke.core.errors import FieldCode, PermissionCode
from lianke.core.fieldtypes import people
from lianke.core.models import CustomField
from lianke.core.objecttypes.registry import registry
from lianke.core.search import textsearch
from lianke.core.text.keys import as_key
from lianke.org.choices import FieldMode, Scope
from lianke.org.fieldaccess import configurable_fields
from lianke.org.models import Department, Role, User
from lianke.org.paths import department_paths
from lianke.org.views import administrators_only

from . import forms, pages, services


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _messages_of(exc: ValidationError) -> list[tuple[str, str]]:
    """``(code, message)`` of every error in ``exc``."""
    items = exc.error_dict.items() if hasattr(exc, "error_dict") else [(None, exc.error_list)]
    return [(e.code or FieldCode.INVALID, m) for _field, errors in items for e in errors for m in e]


def _refused(request, exc: Exception, back: str):
    """A refused action without a form: JSON for a drag, else a message and back to the page."""
    if isinstance(exc, PermissionDenied):
        code, message, status = PermissionCode.PERMISSION_DENIED, str(exc) or _("Not allowed."), 403
    else:
        assert isinstance(exc, ValidationError)
        code, message = _messages_of(exc)[0]
        status = 400
    if _wants_json(request):
        return JsonResponse({"code": str(code), "message": str(message)}, status=status)
    if status == 403:
        raise exc
    messages.error(request, message)
    return redirect(back)


def _done(request, message: str, back: str):
    if _wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, message)
    return redirect(back)


def _form_errors(form, exc: ValidationError) -> None:
    """A service's refusal shown on the form: on the field it names where the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, ValidationError(errors))
    else:
        form.add_error(None, exc)


def _state(request) -> str | None:
    """The fingerprint the form was opened with (``services.state_of``), posted back."""
    return request.POST.get("state") or None


def _opened_state(request, obj, related: tuple[str, ...] = ()) -> str:
    """The fingerprint a form page carries: the stored record's when it is opened, the one posted
    when a refused save is shown again (a save after a conflict needs a reload)."""
    if obj is None:
        return ""
    return (_state(request) if request.method == "POST" else None) or services.state_of(obj, related)


def _set_active(request, change, name, back: str):
    """Deactivate or activate again (``active`` posted) through ``change(active)``."""
    active = request.POST.get("active") in ("1", "true", "on")
    try:
        change(active)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc, back)
    message = _("“%(name)s” is active again.") if active else _("“%(name)s” deactivated.")
    return _done(request, message % {"name": name}, back)


# ------------------------------------------------------------------------------------------ home
@login_required
def home(request):
    groups = pages.entries_for(request.user)
    if not groups:
        raise PermissionDenied
    return render(request, "console/home.html", {"groups": groups})


# ----------------------------------------------------------------------------------- departments
def _department_nodes():
    """The department tree as nested nodes (one query for the departments, one for the counts)."""
    departments = list(
        Department.objects.select_related("manager").annotate(
            member_count=Count("members", filter=Q(members__is_active=True))
        )
    )
    children: dict[int | None, list] = {}
    for d in departments:
        children.setdefault(d.parent_id, []).append(d)
    known = {d.pk for d in departments}

    def build(parent_id):
        return [{"department": d, "children": build(d.pk)} for d in children.get(parent_id, [])]

    roots = [d for d in departments if d.parent_id not in known]
    return [{"department": d, "children": build(d.pk)} for d in roots]


@administrators_only(of=Department)
def departments(request):
    return render(request, "console/departments.html", {"nodes": _department_nodes()})


@administrators_only(of=Department)
def department_edit(request, pk: int | None = None):
    department = get_object_or_404(Department, pk=pk) if pk else None
    initial = {"parent": request.GET.get("parent")} if department is None else None
    form = forms.DepartmentForm(request.POST or None, instance=department, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_department(
                actor=request.user, department=department, expected_state=_state(request), **form.cleaned_data
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Department “%(name)s” saved.") % {"name": saved.name})
            return redirect("console:departments")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/department_form.html",
        {"form": form, "department": department, "state": _opened_state(request, department)},
        status=status,
    )


@administrators_only(of=Department)
def department_move(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    form = forms.MoveDepartmentForm(request.POST or None, initial={"parent": department.parent_id})
    if request.method == "POST":
        if not form.is_valid():
            if _wants_json(request):
                return JsonResponse(
                    {"code": FieldCode.INVALID_CHOICE, "message": _("Choose a department.")}, status=400
                )
        else:
            try:
                services.move_department(
                    actor=request.user, department=department, parent=form.cleaned_data["parent"]
                )
            except (ValidationError, PermissionDenied) as exc:
                if _wants_json(request) or isinstance(exc, PermissionDenied):
                    return _refused(request, exc, "console:departments")
                _form_errors(form, exc)
            else:
                return _done(
                    request,
                    _("Department “%(name)s” moved.") % {"name": department.name},
                    "console:departments",
                )
    status = 400 if request.method == "POST" else 200
    return render(
        request, "console/department_move.html", {"form": form, "department": department}, status=status
    )


@administrators_only(of=Department)
@require_POST
def department_active(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    return _set_active(
        request,
        lambda active: services.set_department_active(
            actor=request.user, department=department, active=active
        ),
        department.name,
        "console:departments",
    )


# ----------------------------------------------------------------------------------------- users
USERS_PER_PAGE = 50


@administrators_only(of=User)
def users(request):
    query = (
        User.objects.select_related("superior").prefetch_related("roles").order_by("-is_active", "username")
    )
    q = textsearch.clean(request.GET.get("q", "")).strip()[:100]
    if q:  # as the people pickers find people, and by mobile and e-mail
        query = query.filter(people.search_q(q) | Q(mobile__icontains=q) | Q(email__icontains=q))
    paths = department_paths()
    department = as_key(request.GET.get("department", ""))
    if department in paths:
        query = query.filter(department_id=department)
    active = request.GET.get("active", "")
    if active in ("1", "0"):
        query = query.filter(is_active=active == "1")
    page = Paginator(query, USERS_PER_PAGE).get_page(request.GET.get("page"))
    for user in page:
        user.department_path = paths.get(user.department_id, "")
    return render(
        request,
        "console/users.html",
        {
            "page": page,
            "q": q,
            "department": str(department) if department in paths else "",
            "active": active,
            "departments": paths.items(),
        },
    )


@administrators_only(of=User)
def user_edit(request, pk: int | None = None):
    user = get_object_or_404(User, pk=pk) if pk else None
    form = forms.UserForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password", "") or None
        try:
            saved = services.save_user(
                actor=request.user, user=user, password=password, expected_state=_state(request), **data
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("User “%(name)s” saved.") % {"name": saved})
            return redirect("console:users")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/user_form.html",
        {
            "form": form,
            "person": user,
            "handover": user is not None,
            "state": _opened_state(request, user),
        },
        status=status,
    )


@administrators_only(of=User)
@require_POST
def user_active(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    return _set_active(
        request,
        lambda active: services.set_user_active(actor=request.user, user=user, active=active),
        str(user),
        "console:users",
    )


# ----------------------------------------------------------------------------------------- roles
@administrators_only(of=Role)
def roles(request):
    rows = Role.objects.annotate(
        holder_count=Count("users", filter=Q(users__is_active=True), distinct=True),
        grant_count=Count("permissions", distinct=True),
    )
    return render(request, "console/roles.html", {"roles": rows})


def _grid(role: Role | None, posted=None):
    """The rows of the role grid: each grantable type, its actions (checked or not) and scope."""
    stored = {p.object_type: p for p in role.permissions.all()} if role else {}
    rows = []
    for ot in services.grantable_types():
        grant = stored.get(ot.key)
        if posted is not None:
            checked = set(posted.getlist(f"grant-{ot.key}-actions"))
            scope = posted.get(f"grant-{ot.key}-scope") or Scope.OWN
        else:
            checked = set(grant.actions) if grant else set()
            scope = grant.scope if grant else Scope.OWN
        rows.append(
            {
                "type": ot,
                "actions": [(action, label, action in checked) for action, label in ot.actions],
                "scope": scope,
            }
        )
    return rows


@administrators_only(of=Role)
def role_edit(request, pk: int | None = None):
    role = get_object_or_404(Role, pk=pk) if pk else None
    form = forms.RoleForm(request.POST or None, instance=role)
    posted = request.POST if request.method == "POST" else None
    grid = _grid(role, posted)
    counts = _rule_counts(role)
    for row in grid:
        row["rules"] = counts.get(row["type"].key, 0)
    errors: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        grants = {row["type"].key: ([a for a, _l, on in row["actions"] if on], row["scope"]) for row in grid}
        try:
            saved = services.save_role(
                actor=request.user,
                role=role,
                grants=grants,
                expected_state=_state(request),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and set(exc.error_dict) & set(form.fields):
                _form_errors(form, exc)
            else:
                errors = _messages_of(exc)
        else:
            messages.success(request, _("Role “%(name)s” saved.") % {"name": saved.name})
            return redirect("console:role_edit", pk=saved.pk)
    holders = role.users.order_by("-is_active", "username") if role else []
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/role_form.html",
        {
            "form": form,
            "role": role,
            "grid": grid,
            "scopes": Scope.choices,
            "holders": holders,
            "grid_errors": errors,
            "state": _opened_state(request, role, services.ROLE_RELATED),
        },
        status=status,
    )


def _rule_counts(role: Role | None) -> dict[str, int]:
    if role is None:
        return {}
    return dict(
        role.field_permissions.values("object_type").annotate(n=Count("pk")).values_list("object_type", "n")
    )


@administrators_only(of=Role)
def role_fields(request, pk: int, object_type: str):
    """One role's field rules on one object type: each field's mode, or no rule."""
    role = get_object_or_404(Role, pk=pk)
    specs = configurable_fields(object_type)
    if specs is None or object_type not in {t.key for t in services.grantable_types()}:
        raise Http404
    stored = dict(role.field_permissions.filter(object_type=object_type).values_list("field", "mode"))
    modes = (
        {name: request.POST.get(f"mode-{name}") or None for name in specs}
        if request.method == "POST"
        else stored
    )
    errors: dict[str, list[tuple[str, str]]] = {}
    refusal: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            services.save_field_rules(
                actor=request.user,
                role=role,
                object_type=object_type,
                modes=modes,
                expected_state=_state(request),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and set(exc.error_dict) <= set(specs):
                errors = {
                    name: [(m, e.code or "") for e in listed for m in e]
                    for name, listed in exc.error_dict.items()
                }
            else:
                refusal = _messages_of(exc)
        else:
            messages.success(request, _("Field access of “%(role)s” saved.") % {"role": role.name})
            return redirect("console:role_fields", pk=role.pk, object_type=object_type)
    rows = [
        {
            "spec": spec,
            "mode": modes.get(name) or "",
            "choices": [
                (value, label)
                for value, label in FieldMode.choices
                if (value != FieldMode.MASKED or spec.maskable)
                and (value == FieldMode.EDITABLE or not spec.required)
            ],
            "errors": errors.get(name, []),
        }
        for name, spec in specs.items()
    ]
    return render(
        request,
        "console/role_fields.html",
        {
            "role": role,
            "type": registry.get(object_type),
            "rows": rows,
            "refusal": refusal,
            "state": _opened_state(request, role, services.ROLE_RELATED),
        },
        status=400 if request.method == "POST" else 200,
    )


# --------------------------------------------------------------------------------- custom fields
def _object_type(key: str):
    if key not in registry:
        raise Http404
    return registry.get(key)


@administrators_only(of=CustomField)
def custom_field_types(request):
    counts = dict(
        CustomField.objects.values_list("object_type").annotate(n=Count("id")).values_list("object_type", "n")
    )
    types = [(ot, counts.get(ot.key, 0)) for ot in registry]
    return render(request, "console/custom_field_types.html", {"types": types})


@administrators_only(of=CustomField)
def custom_fields(request, object_type: str):
    ot = _object_type(object_type)
    fields = list(CustomField.objects.filter(object_type=ot.key).order_by("order", "id"))
    return render(request, "console/custom_fields.html", {"object_type": ot, "fields": fields})


@administrators_only(of=CustomField)
def custom_field_edit(request, object_type: str | None = None, pk: int | None = None):
    field = get_object_or_404(CustomField, pk=pk) if pk else None
    ot = _object_type(field.object_type if field else object_type or "")
    form = forms.CustomFieldForm(request.POST or None, instance=field)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if field is None:
            changes["object_type"] = ot.key
        try:
            saved = services.save_custom_field(
                actor=request.user, field=field, expected_state=_state(request), **changes
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Field “%(name)s” saved.") % {"name": saved.display_label})
            return redirect("console:custom_field_list", object_type=ot.key)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/custom_field_form.html",
        {"form": form, "field": field, "object_type": ot, "state": _opened_state(request, field)},
        status=status,
    )


@administrators_only(of=CustomField)
@require_POST
def custom_field_order(request, object_type: str):
    ot = _object_type(object_type)
    back = redirect("console:custom_field_list", object_type=ot.key).url
    try:
        ids = [int(v) for v in request.POST.getlist("ids")]
    except ValueError:
        return _refused(request, ValidationError(_("Not a field."), code=FieldCode.INVALID), back)
    try:
        services.reorder_custom_fields(actor=request.user, object_type=ot.key, ids=ids)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc, back)
    return _done(request, _("Order saved."), back)


@administrators_only(of=CustomField)
@require_POST
def custom_field_move(request, pk: int):
    field = get_object_or_404(CustomField, pk=pk)
    back = redirect("console:custom_field_list", object_type=field.object_type).url + f"#field-{field.pk}"
    step = -1 if request.POST.get("step") == "up" else 1
    try:
        services.move_custom_field(actor=request.user, field=field, step=step)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc, back)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    return redirect(back)


@administrators_only(of=CustomField)
@require_POST
def custom_field_active(request, pk: int):
    field = get_object_or_404(CustomField, pk=pk)
    back = redirect("console:custom_field_list", object_type=field.object_type).url
    return _set_active(
        request,
        lambda active: services.set_custom_field_active(actor=request.user, field=field, active=active),
        field.display_label,
        back,
    )
