from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from lianke.core.errors import FieldCode, RequestCode
from lianke.core.pagination import InvalidCursor, paginate
from lianke.org import fieldaccess


class KeysetPagination(BasePagination):
    """``?cursor=…&page_size=…&ordering=…``: the same keyset paging the list pages use."""

    page_size = 50
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        # The same sort keys as the list page: fields, ``cf_<name>``, ``-`` to reverse. Without
        # one, the list page's order too (the type's ``default_ordering``, most recently changed
        # first for most): the data scopes' indexes serve it, whereas ``-id`` walked the primary
        # key past every record a rep may not see (after an import of 350,000 of another
        # department's accounts, 352,000 rows for his 51).
        ot = view.object_type
        ordering = request.query_params.get("ordering") or self.default_ordering(ot)
        if not ot.may_sort_by(ordering.lstrip("-")):
            raise ValidationError(
                {"code": fieldaccess.NOT_READABLE_CODE, "ordering": [_("You may not sort by this field.")]},
                code=fieldaccess.NOT_READABLE_CODE,
            )
        found = ot.sort_spec(ordering)
        if found is None:
            raise ValidationError(
                {
                    "ordering": [
                        _("Choose one of: %(fields)s (prefix - to reverse).")
                        % {"fields": ", ".join(ot.sort_keys())}
                    ]
                },
                code=FieldCode.INVALID_CHOICE,
            )
        spec, _key = found
        return self.page(queryset, request, spec)

    @staticmethod
    def default_ordering(ot) -> str:
        first = ot.default_ordering[0]
        return first if ot.may_sort_by(first.lstrip("-")) else "-id"

    def page(self, queryset, request, spec):
        """One page of ``queryset`` in ``spec``'s order (``?cursor=…&page_size=…``); for lists
        that are not a type's records too (a record's history)."""
        try:
            size = min(int(request.query_params.get("page_size", self.page_size)), self.max_page_size)
        except ValueError:
            raise ValidationError(
                {"page_size": [_("Enter a whole number.")]}, code=FieldCode.INVALID
            ) from None
        if size < 1:
            raise ValidationError(
                {"page_size": [_("Enter a number from 1 to %(max)d.") % {"max": self.max_page_size}]},
                code=FieldCode.OUT_OF_RANGE,
            )
        try:
            page = paginate(queryset, spec, request.query_params.get("cursor") or None, size)
        except InvalidCursor:
            raise ValidationError(
                {"cursor": [_("Invalid cursor.")]}, code=RequestCode.INVALID_CURSOR
            ) from None
        self.next_url = (
            replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
            if page.next_cursor
            else None
        )
        return page.rows

    def get_paginated_response(self, data):
        return Response({"next": self.next_url, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {"next": {"type": "string", "nullable": True, "format": "uri"}, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        """Document ``cursor``, ``page_size`` and ``ordering`` in the OpenAPI schema."""
        default = view.object_type.default_ordering[0]
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Where the page starts: copy it from the previous page's next link.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Records per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": "ordering",
                "in": "query",
                "required": False,
                "description": (
                    "Sort key: a sortable field or cf_<name>; prefix - for descending "
                    f"(default {default}, the list page's order)."
                ),
                "schema": {"type": "string"},
            },
        ]
