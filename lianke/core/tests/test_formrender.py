"""The form renderer writes the plain widgets out in Python: byte for byte what Django's templates
give, for any value and attribute (hostile text included), and on every list and form page."""

from __future__ import annotations

import re
from pathlib import Path

import django.forms
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from lianke.core.formrender import Renderer
from lianke.core.objecttypes.registry import registry

TEMPLATES = DjangoTemplates()
FAST = Renderer()

text = st.text(alphabet=st.sampled_from(list("ab张伟<>&\"' =1")), max_size=8)
value = st.one_of(st.none(), text, st.integers(-5, 5), st.booleans(), text.map(mark_safe))
attr_value = st.one_of(text, st.booleans(), st.integers(0, 3), text.map(mark_safe))
attrs = st.dictionaries(
    st.sampled_from(["class", "id", "placeholder", "data-x", "required", "min"]), attr_value
)
choices = st.lists(
    st.tuples(st.one_of(text, st.integers(0, 9)), st.one_of(text, text.map(mark_safe))), max_size=4
)
grouped = st.lists(st.tuples(text, choices), max_size=2)

SINGLE = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.CheckboxInput,
]
CHOICES = [
    forms.Select,
    forms.SelectMultiple,
    forms.CheckboxSelectMultiple,
    forms.RadioSelect,
    forms.NullBooleanSelect,
]


def both(widget, name, data, extra):
    return (
        widget.render(name, data, attrs=extra, renderer=TEMPLATES),
        widget.render(name, data, attrs=extra, renderer=FAST),
    )


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SINGLE), text, value, attrs, attrs)
def test_inputs_render_as_django_templates_do(widget_class, name, data, base, extra):
    widget = widget_class(attrs=base)
    expected, fast = both(widget, name, data, extra)
    assert fast == expected


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CHOICES), text, st.one_of(choices, grouped), st.lists(text, max_size=2), attrs)
def test_choice_widgets_and_their_options_render_as_django_templates_do(
    widget_class, name, options, picked, extra
):
    widget = widget_class() if widget_class is forms.NullBooleanSelect else widget_class(choices=options)
    data = picked if widget.allow_multiple_selected else (picked or [None])[0]
    expected, fast = both(widget, name, data, extra)
    assert fast == expected


@pytest.mark.parametrize("wrap_label", [False, True])
def test_an_option_tag_renders_as_django_templates_do(wrap_label):
    class F(forms.Form):
        pick = forms.MultipleChoiceField(
            choices=[("a", "<b>A</b>"), ("b", mark_safe("<i>B</i>")), (3, "三")],
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        )

    fast = [c.tag(wrap_label) for c in F(data={"pick": ["a", "3"]}, renderer=FAST)["pick"]]
    expected = [c.tag(wrap_label) for c in F(data={"pick": ["a", "3"]}, renderer=TEMPLATES)["pick"]]
    assert fast == expected
    assert 'value="a"' in fast[0] and "checked" in fast[0]


def test_an_overridden_widget_template_goes_through_the_templates(tmp_path, settings):
    (tmp_path / "django" / "forms" / "widgets").mkdir(parents=True)
    (tmp_path / "django" / "forms" / "widgets" / "input.html").write_text("<custom {{ widget.name }}>")

    class Overriding(Renderer):
        @property
        def engine(self):
            dirs = [tmp_path, Path(django.forms.__file__).parent / "templates"]
            return self.backend({"APP_DIRS": True, "DIRS": dirs, "NAME": "overriding", "OPTIONS": {}})

    overriding = Overriding()
    assert forms.TextInput().render("q", "x", renderer=overriding) == "<custom q>"
    assert forms.Select(choices=[("a", "A")]).render("s", "a", renderer=overriding) == TEMPLATES.render(
        "django/forms/widgets/select.html", forms.Select(choices=[("a", "A")]).get_context("s", "a", None)
    )


# What differs per request whatever renders it: the CSRF token, the script nonce, "now" (a new
# activity's time).
PER_REQUEST = re.compile(
    r'((?:name="csrfmiddlewaretoken" value=|nonce=|"X-CSRFToken": )")[^"]+"|\d{4}-\d\d-\d\d[ T][\d:.]+'
)


@pytest.mark.django_db
def test_every_list_and_form_page_is_the_same_through_either_renderer(org, client_for, settings):
    client = client_for(org.admin)
    pages = [url for ot in registry for url in (ot.url_list, ot.url_list + "new/")]

    def render_all(renderer: str) -> list[str]:
        settings.FORM_RENDERER = renderer
        get_default_renderer.cache_clear()
        try:
            return [
                PER_REQUEST.sub(lambda m: (m.group(1) or "") + "…", client.get(url).content.decode())
                for url in pages
            ]
        finally:
            get_default_renderer.cache_clear()

    fast = render_all("lianke.core.formrender.Renderer")
    expected = render_all("django.forms.renderers.DjangoTemplates")
    for url, a, b in zip(pages, fast, expected, strict=True):
        assert a.splitlines() == b.splitlines(), url


# The filter sidebar's field as a template wrote it before ``filter_field_html`` (kept here as
# the reference the Python must match byte for byte).
FILTER_FIELD_TEMPLATE = """<div class="mb-2">
  {% if field.field.widget.input_type == "checkbox" and field.field.widget.allow_multiple_selected %}
  <fieldset><legend class="form-label mb-0 small fs-6">{{ field.label }}</legend>
    <div class="filter-checks border rounded bg-body px-2 py-1">{% for choice in field %}<div class="form-check small">{{ choice.tag }}<label class="form-check-label" for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label></div>{% endfor %}</div>
  </fieldset>
  {% else %}
  <label class="form-label mb-0 small" for="{{ field.id_for_label }}">{{ field.label }}</label>
  {{ field }}
  {% endif %}
  {% for e in field.errors %}<div class="text-danger small">{{ e }}</div>{% endfor %}
</div>
"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "",
        "level=a&level=key&industry=steel&province=<b>&created_at__gte=not-a-date&search=<i>x</i>"
        "&parent=x&name=%22%3E%3Cscript%3E&cf_annual_tonnage__gte=1e999",
    ],
)
def test_every_filter_field_is_written_as_its_former_template_wrote_it(org, query):
    from django.http import QueryDict
    from django.template import engines
    from django.test import RequestFactory

    from lianke.core.context import acting_as
    from lianke.core.ui.filtersets import filter_field_html, filterset_for

    template = engines["django"].from_string(FILTER_FIELD_TEMPLATE)
    request = RequestFactory().get("/")
    request.user = org.admin
    seen = {"checks": 0, "errors": 0, "ticked": 0}
    with acting_as(org.admin):
        for ot in registry:
            filterset = filterset_for(ot)(
                QueryDict(query) if query else None, queryset=ot.model.objects.all(), request=request
            )
            for bound in filterset.form:
                html = filter_field_html(bound)
                assert html == template.render({"field": bound}), (ot.key, bound.name)
                seen["checks"] += "filter-checks" in html
                seen["errors"] += "text-danger" in html
                seen["ticked"] += " checked" in html
    assert seen["checks"] > 5  # check lists, inputs and (bound) errors and ticks were all compared
    if query:
        assert seen["errors"] and seen["ticked"]
