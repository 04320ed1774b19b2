"""Custom-field kinds: one class per type, found through the registry by the stored type."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianke.core.fieldtypes import FieldKind, kinds, register, unregister
from lianke.core.models import CustomField, FieldType, clean_custom_data

ACCOUNT = "customers.account"


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language (see conftest)."""


def test_every_stored_type_has_a_kind():
    assert set(FieldType.values) <= set(kinds)
    assert all(kinds[key].key == key for key in kinds)


class UpperKind(FieldKind):
    """A throwaway kind: upper-cases text, refuses digits, shows itself in brackets."""

    key = "test_upper"

    def clean(self, field, value, *, old=None):
        if any(ch.isdigit() for ch in str(value)):
            raise field._error(_("%(field)s: enter text."))
        return str(value).upper()

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.SlugField(**common)

    def display(self, field, value, *, labels=None):
        return f"[{value}]"

    def form_initial(self, field, value):
        return value.lower()


@pytest.fixture
def upper_kind():
    register(UpperKind())
    yield
    unregister(UpperKind.key)
    assert UpperKind.key not in kinds


def test_a_kind_registered_in_one_place_drives_validation_display_and_the_form_field(upper_kind):
    field = CustomField(object_type=ACCOUNT, name="code", label="Code", type=UpperKind.key)
    data = clean_custom_data({"code": field}, {"code": "abc"}, existing={"other": 1})
    assert data == {"other": 1, "code": "ABC"}
    assert field.display("ABC") == "[ABC]"
    assert field.form_initial("ABC") == "abc"
    form_field = field.to_form_field(initial="abc")
    assert isinstance(form_field, forms.SlugField)
    assert (form_field.label, form_field.initial) == ("Code", "abc")
    with pytest.raises(ValidationError) as exc:
        clean_custom_data({"code": field}, {"code": "a1"})
    assert exc.value.message_dict == {"cf_code": ["Code: enter text."]}


def test_an_unknown_type_is_a_clear_error_not_a_crash():
    field = CustomField(object_type=ACCOUNT, name="code", label="Code", type="no_such_kind")
    with pytest.raises(ValidationError) as exc:
        clean_custom_data({"code": field}, {"code": "x"})
    assert exc.value.message_dict == {"cf_code": ["Code: unsupported field type."]}
    assert field.display("x") == "x"


def test_a_kind_needs_a_key():
    with pytest.raises(ValueError):
        register(FieldKind())


# ---------------------------------------------------------------------------------- lists, export, API
class CodeKind(UpperKind):
    """A throwaway kind owning every list concern: a "starts with" filter, sorting by length,
    an export cell in angle brackets, imports that drop dashes, the API in lower case."""

    key = "test_code"
    label = "Code (test)"
    api_schema = {"type": "string", "pattern": "^[A-Z]*$"}  # noqa: RUF012

    def filters(self, field, method):
        import django_filters

        return {"__starts": django_filters.CharFilter(label=field.display_label, method=method("starts"))}

    def filter(self, field, queryset, lookup, value):
        assert lookup == "starts"
        return queryset.filter(**{f"custom_data__{field.name}__startswith": value.upper()})

    def sort_expression(self, field):
        from django.db.models.fields.json import KT
        from django.db.models.functions import Length

        return Length(KT(f"custom_data__{field.name}"))

    def export(self, field, value, *, labels=None):
        return f"<{value}>"

    def parse_import(self, field, text):
        return text.replace("-", "")

    def api_value(self, field, value):
        return value.lower()


@pytest.fixture
def code_kind(db):
    register(CodeKind())
    yield CustomField.objects.create(object_type=ACCOUNT, name="code", label="Code", type=CodeKind.key)
    unregister(CodeKind.key)


@pytest.fixture
def coded(org, code_kind):
    from lianke.customers.models import Account

    return {
        code: Account.objects.create(name=f"客户{code}", owner=org.admin, custom_data={"code": code})
        for code in ("ABCD", "AB", "XABC", "ABC")
    }


def test_the_type_choices_come_from_the_registry(code_kind):
    choices = dict(CustomField._meta.get_field("type").choices)
    assert choices[CodeKind.key] == "Code (test)"
    assert choices["region"] == "Region (province / city / district)"
    code_kind.full_clean()  # a registered kind is a valid type without any migration


@pytest.mark.django_db
def test_a_kind_owns_its_filters_on_the_list_page_and_the_api(org, coded, client_for, api_for):
    want = {coded["ABCD"].pk, coded["AB"].pk, coded["ABC"].pk}
    page = client_for(org.admin).get("/customers/account/?cf_code__starts=ab")
    api = api_for(org.admin).get("/api/customers/accounts/?cf_code__starts=ab")
    assert {obj.pk for obj, _cells, _card in page.context["rows"]} == want
    assert {row["id"] for row in api.json()["results"]} == want


@pytest.mark.django_db
def test_a_kind_owns_its_sort_expression(org, coded, client_for, api_for):
    page = client_for(org.admin).get("/customers/account/?sort=cf_code")
    api = api_for(org.admin).get("/api/customers/accounts/?ordering=cf_code")
    by_length = [coded[c].pk for c in ("AB", "ABC", "ABCD", "XABC")]  # ties by id
    assert [obj.pk for obj, _cells, _card in page.context["rows"]] == by_length
    assert [row["id"] for row in api.json()["results"]] == by_length


@pytest.mark.django_db
def test_a_kind_owns_its_export_cell_and_its_api_value(org, coded, client_for, api_for):
    response = client_for(org.admin).get(
        "/customers/account/export/", {"format": "csv", "cols": ["name", "cf_code"], "sort": "cf_code"}
    )
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1:] == ["客户AB,<AB>", "客户ABC,<ABC>", "客户ABCD,<ABCD>", "客户XABC,<XABC>"]
    row = api_for(org.admin).get(f"/api/customers/accounts/{coded['AB'].pk}/").json()
    assert row["custom_fields"] == {"code": "ab"}


@pytest.mark.django_db
def test_a_kind_owns_its_import_parsing_and_its_api_schema(org, code_kind, api_for):
    assert code_kind.import_value("ab-cd") == "ABCD"
    with pytest.raises(ValidationError):
        code_kind.import_value("ab-1")
    schema = api_for(org.admin).get("/api/schema/", {"format": "json"}).json()
    account = schema["components"]["schemas"]["Account"]["properties"]["custom_fields"]
    assert {"type": "string", "pattern": "^[A-Z]*$"} in account["additionalProperties"]["anyOf"]


class StampKind(UpperKind):
    """A throwaway kind that needs the write pipeline: it hears creates and transfers, inside
    the write's transaction, declared on the kind alone (no subscriber wired elsewhere)."""

    key = "test_stamp"
    heard: list = []  # noqa: RUF012 - the test's record of what it heard

    @property
    def subscribes(self):
        from lianke.core.records import events

        return (events.CREATED, events.TRANSFERRED)

    def on_event(self, event):
        from django.db import connection

        self.heard.append((event.name, event.object_type, list(event.ids), connection.in_atomic_block))


@pytest.fixture
def stamp_kind():
    StampKind.heard = []
    register(StampKind())
    yield StampKind
    unregister(StampKind.key)


def test_a_kind_declares_the_write_events_it_hears_in_its_own_class(org, stamp_kind):
    from lianke.core.objecttypes.registry import registry
    from lianke.core.records import services

    model = registry.get(ACCOUNT).model
    created = services.save_record(actor=org.admin, instance=model(name="甲公司", owner=org.rep_js))
    created.name = "乙公司"
    services.save_record(actor=org.admin, instance=created)  # a change: not declared, not heard
    assert stamp_kind.heard == [("created", ACCOUNT, [created.pk], True)]


def test_the_rollup_kind_owns_its_subscriber():
    """The roll-up kind's module holds what keeps it in step; the write pipeline reaches it only
    through the field types' one subscriber."""
    from lianke.core.fieldtypes import dispatch
    from lianke.core.records import events, rollups

    rollup_kind = kinds["rollup"]
    assert type(rollup_kind).__module__ == rollups.__name__
    assert {"created", "updated", "deleted", "restored", "transferred"} <= set(rollup_kind.subscribes)
    assert type(rollup_kind).on_event is not FieldKind.on_event
    handlers = [s.handler for s in events._subscriptions]
    assert dispatch in handlers
    assert not [h for h in handlers if getattr(h, "__module__", "") == rollups.__name__]
