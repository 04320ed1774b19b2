"""Form fields and widgets shared by every business form."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models.customfields import FieldType
from .regions import PROVINCES


class PhoneInput(forms.TextInput):
    """A phone number: ``type=tel`` and ``inputmode=tel`` bring up the dial pad on a phone."""

    input_type = "tel"

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "tel", "autocomplete": "tel", **(attrs or {})})


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
    t = definition.type
    common = {
        "label": definition.display_label,
        "required": definition.required,
        "help_text": definition.help_text,
        "initial": initial,
    }
    if t == FieldType.TEXT:
        return forms.CharField(max_length=definition.max_length or 255, **common)
    if t == FieldType.LONGTEXT:
        return forms.CharField(
            max_length=definition.max_length or 10000, widget=forms.Textarea(attrs={"rows": 3}), **common
        )
    if t == FieldType.PHONE:
        return forms.CharField(max_length=40, widget=PhoneInput, **common)
    if t == FieldType.EMAIL:
        return forms.EmailField(max_length=254, widget=EmailInput, **common)
    if t == FieldType.URL:
        return forms.URLField(max_length=500, assume_scheme="https", **common)
    if t == FieldType.INTEGER:
        return forms.IntegerField(widget=number_input(decimal=False), **common)
    if t in (FieldType.DECIMAL, FieldType.MONEY, FieldType.PERCENT):
        places = 2 if t == FieldType.MONEY else definition.decimal_places
        return forms.DecimalField(
            max_digits=18, decimal_places=places, widget=number_input(decimal=True), **common
        )
    if t == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if t == FieldType.DATETIME:
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), **common
        )
    if t == FieldType.BOOLEAN:
        return forms.ChoiceField(choices=BOOLEAN_CHOICES, **common)
    if t == FieldType.SELECT:
        include = [initial] if initial else []
        return forms.ChoiceField(choices=[("", "---------"), *definition.option_choices(include)], **common)
    if t == FieldType.MULTISELECT:
        return forms.MultipleChoiceField(
            choices=definition.option_choices(initial or []), widget=forms.CheckboxSelectMultiple, **common
        )
    if t == FieldType.USER:
        # A data field, not an assignment: anybody active, grouped and searchable.
        from .people import PeopleField, Purpose

        return PeopleField(Purpose(), user, **common)
    if t == FieldType.LOOKUP:
        from .registry import registry

        target = registry.get(definition.target_object_type)
        return forms.ModelChoiceField(
            queryset=target.model._default_manager.all(), widget=LookupSelect(target.key), **common
        )
    if t == FieldType.REGION:
        return RegionField(**common)
    raise ValueError(t)
