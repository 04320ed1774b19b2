"""Custom-field types as classes: one ``FieldKind`` per stored ``CustomField.type`` value.

This package owns everything a type means for a value: turning any accepted input (form value,
JSON, import text) into the stored form (``clean``, ``parse_import``), the human text and link
(``display``, ``link``), the form field and its value (``form_field``, ``form_initial``,
``bind_form``), the names of stored ids (``related_model``, ``labels``), the list filters and
sort expression (``filters``, ``filter``, ``sort_expression``), the export cell (``export``), the
API value and schema (``api_value``, ``api_schema``), record rules (``clean_record``: dependent
options, formulas, a file of the record), flags (searched as text, indexable, number, range,
contact, computed, upload) and the write pipeline's events it hears (``subscribes``,
``on_event``: a roll-up kept in step with its children, ``core.records.rollups``). The call sites ask
``kinds[definition.type]`` instead of switching on the type. The kinds are stateless; each
method receives the field definition.

``formfields`` holds the form fields and widgets the kinds (and the business forms) build;
``people`` the user pickers (the user kinds' fields, the assignment checks); ``formula`` the
formula parser.

May import: Django, ``lianke.org``, and core's lower layers — search (the pickers' pinyin
search), object types (a lookup's target type), fields, pagination, text, context, errors. Never
models (the file kind finds ``Attachment`` in the app registry; a definition's siblings come
through its object type), records, ui, api or views.
"""

from . import builtin  # noqa: F401  (registers the built-in kinds)
from .base import FieldKind, dispatch, kinds, register, unregister

__all__ = ["FieldKind", "dispatch", "kinds", "register", "unregister"]
