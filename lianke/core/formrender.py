"""The form renderer (``settings.FORM_RENDERER``): Django's own widget templates, with the plain
ones — ``<input>``, an option of a check list, ``<select>`` with its ``<option>``s — written out in
Python instead of through three nested template includes each.

A list page renders about 150 of them (the filter form's check lists: every industry, province and
stage) and they took a third of its time. The output is byte for byte what Django's templates give
(``core/tests/test_formrender.py`` renders every widget both ways). Any other widget goes through the
templates as before, and so do these if an app overrides one of their templates.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from .html import esc

WIDGETS = "django/forms/widgets/"
# Templates that are exactly ``{% include "django/forms/widgets/input.html" %}``.
INPUTS = frozenset(
    WIDGETS + f"{name}.html"
    for name in (
        "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time",
        "checkbox", "search", "tel", "color",
    )
)  # fmt: skip
OPTIONS = frozenset(WIDGETS + f"{name}_option.html" for name in ("input", "checkbox", "radio"))
SELECT = WIDGETS + "select.html"
SELECT_OPTION = WIDGETS + "select_option.html"
ATTRS = WIDGETS + "attrs.html"


def _text(value) -> str:
    """What ``{{ value }}`` prints: localized, escaped unless safe."""
    return esc(localize(template_localtime(value)))


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {esc(name)}" if value is True else f' {esc(name)}="{_str(value)}"')
    return "".join(out)


def _str(value) -> str:
    """``{{ value|stringformat:'s' }}``: escaped unless the value is safe."""
    return esc(value if hasattr(value, "__html__") else f"{value}")


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_str(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _option(widget: dict) -> str:
    if not widget.get("wrap_label"):
        return _input(widget)
    target = widget["attrs"].get("id")
    label_for = f' for="{_text(target)}"' if target else ""
    # input.html ends with a line break, kept where it is included
    return f"<label{label_for}>{_input(widget)}\n {_text(widget['label'])}</label>"


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != SELECT_OPTION:
                return None
            parts.append(
                f'\n  <option value="{_str(option["value"])}"{_attrs(option["attrs"])}>{_text(option["label"])}</option>\n'
            )  # select_option.html ends with a line break
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class Renderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if self._plain(template_name):
            widget = context["widget"]
            if template_name in INPUTS:
                return mark_safe(_input(widget))  # noqa: S308 -- every part escaped above
            if template_name in OPTIONS:
                return mark_safe(_option(widget))  # noqa: S308
            if (html := _select(widget)) is not None:
                return mark_safe(html)  # noqa: S308
        return super().render(template_name, context, request)

    def _plain(self, template_name: str) -> bool:
        """Whether ``template_name`` is written out here: one of the plain widgets' templates,
        with Django's own files behind it and its includes (no app overrides one)."""
        if template_name not in INPUTS and template_name not in OPTIONS and template_name != SELECT:
            return False
        if "_own" not in self.__dict__:
            self._own = all(
                self._django_file(name) for name in (*INPUTS, *OPTIONS, SELECT, SELECT_OPTION, ATTRS)
            )
        return self._own

    def _django_file(self, template_name: str) -> bool:
        try:
            origin = self.get_template(template_name).template.origin.name
        except TemplateDoesNotExist:
            return False
        return origin.replace("\\", "/").endswith("django/forms/templates/" + template_name)
