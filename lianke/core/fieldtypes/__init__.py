"""Custom-field types as classes: one ``FieldKind`` per stored ``CustomField.type`` value.

This package owns what a type means for a value: turning any accepted input (form value, JSON,
import text) into the stored form (``clean``), the human text (``display``), the form field
(``form_field``) and what a form shows for a stored value (``form_initial``). ``CustomField``
and ``core.formfields`` ask ``kinds[self.type]`` instead of switching on the type. The kinds are stateless; each method receives the field definition.

It may import Django, ``lianke.core.phones`` and ``lianke.core.regions``; the object registry only
inside a method (lookups). It never imports a model module or a business app, so the models can
import it. Widgets come from ``lianke.core.formfields`` and people pickers from
``lianke.core.people``, imported inside ``form_field``.
"""

from . import builtin  # noqa: F401  (registers the built-in kinds)
from .base import FieldKind, kinds, register, unregister

__all__ = ["FieldKind", "kinds", "register", "unregister"]
