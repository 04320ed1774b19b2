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
