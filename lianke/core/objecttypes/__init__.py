"""Object types: how each business object is declared once (``registry``: ``ObjectType``,
``Related``, the ``registry`` of registered types) — its model, record kind (``org.kinds``),
fields, sections, search fields, lifecycle, identity columns, default grants, API name.

A declaration is data. The layers above build their own classes from it and cache them on their
side (forms, filtersets, serializers, viewsets, URLs, the search); the registry builds none.

May import: Django, ``lianke.org`` (access policies, actions), and core's lower layers —
``core.fields`` and ``core.pagination`` (``text``, ``context``, ``errors`` below them). Never
search, field kinds, models, records, ui, api or views: a type's custom field definitions come
through ``Registry.custom_field_source``, which ``core.models.customfields`` installs.
"""
