"""The REST API (``/api/``): the serializers (``serializer_for``), viewsets (``build_viewset``),
per-record and bulk endpoints, keyset pagination, error documents and the OpenAPI schema.

May import: Django REST framework, ``lianke.org`` and every core layer below it (ui, records,
models, field kinds, search, object types …). Only ``core.urls`` imports it.
"""
