"""Form fields and widgets shared by every business form."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..fields import PhoneInput
from ..text.regions import PROVINCES


def phone_filter_input():
    # A filter holds a part of someone else's number: no autofill of the user's own.
    return PhoneInput(attrs={"autocomplete": "off"})


def email_filter_input():
    # The e-mail keyboard, but no ``type=email``: a part of an address is a valid filter.
    return forms.TextInput(attrs={"inputmode": "email"})


class EmailInput(forms.EmailInput):
    """An e-mail address, with the e-mail keyboard (``@`` and ``.`` at hand) on a phone."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "email", **(attrs or {})})


def number_input(*, decimal: bool, attrs=None) -> forms.NumberInput:
    """A number input whose phone keyboard is the number pad: digits only for whole numbers
    (``inputmode=numeric``), with the decimal separator for decimals, money and percentages."""
    return forms.NumberInput(attrs={"inputmode": "decimal" if decimal else "numeric", **(attrs or {})})


class LookupSelect(forms.Select):
    """A select for relations to large tables (a million accounts): it renders only the chosen
    option and a search box that asks the server (through the data-scope filter) for matches."""

    template_name = "core/widgets/lookup_select.html"

    def __init__(self, object_type: str, attrs=None):
        super().__init__(attrs)
        self.object_type = object_type

    def optgroups(self, name, value, attrs=None):
        # Only the selected values: never iterate the whole queryset.
        selected = [str(v) for v in value if v not in (None, "")]
        groups = []
        if not self.is_required or not selected:
            groups.append((None, [self.create_option(name, "", "---------", not selected, 0)], 0))
        if selected:
            queryset = self.choices.queryset.filter(pk__in=selected)
            for index, obj in enumerate(queryset, start=1):
                groups.append((None, [self.create_option(name, str(obj.pk), str(obj), True, index)], index))
        return groups

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["lookup_url"] = reverse("core:lookup", kwargs={"object_type": self.object_type})
        return context


class RegionWidget(forms.MultiWidget):
    template_name = "core/widgets/region.html"

    def __init__(self, attrs=None):
        widgets = [
            forms.Select(choices=[("", _("Province"))] + [(k, k) for k, _label in PROVINCES]),
            forms.TextInput(attrs={"placeholder": _("City"), "maxlength": 50}),
            forms.TextInput(attrs={"placeholder": _("District / county"), "maxlength": 50}),
        ]
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, dict):
            return [value.get("province", ""), value.get("city", ""), value.get("district", "")]
        return value or ["", "", ""]


class RegionField(forms.MultiValueField):
    widget = RegionWidget

    def __init__(self, **kwargs):
        fields = [forms.CharField(required=False, max_length=50) for _i in range(3)]
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return None
        return dict(zip(("province", "city", "district"), data_list, strict=False))


BOOLEAN_CHOICES = [("", "---------"), ("true", _("Yes")), ("false", _("No"))]


def custom_form_field(definition, *, initial=None, user=None) -> forms.Field:
    """The Django form field for one custom field definition. The form's values are passed
    through ``CustomField.clean_value`` afterwards, so validation lives in one place."""
    from .base import kinds

    common = {
        "label": definition.display_label,
        "required": definition.required,
        "help_text": definition.help_text,
        "initial": initial,
    }
    kind = kinds.get(definition.type)
    if kind is None:
        raise ValueError(definition.type)
    return kind.form_field(definition, common, initial=initial, user=user)
