from django.db.models import F
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from lianke.core.pagination import InvalidCursor, SortSpec, paginate


class KeysetPagination(BasePagination):
    """``?cursor=…&page_size=…&ordering=…``: the same keyset paging the list pages use."""

    page_size = 50
    max_page_size = 500
    ordering_fields = ("id", "updated_at", "created_at")

    def paginate_queryset(self, queryset, request, view=None):
        ordering = request.query_params.get("ordering", "-id")
        name = ordering.lstrip("-")
        if name not in self.ordering_fields:
            raise ValidationError(
                {"ordering": [f"Choose one of: {', '.join(self.ordering_fields)} (prefix - to reverse)."]}
            )
        spec = SortSpec(F(name if name != "id" else "pk"), ordering.startswith("-"), False)
        try:
            size = min(int(request.query_params.get("page_size", self.page_size)), self.max_page_size)
        except ValueError:
            raise ValidationError({"page_size": ["Enter a whole number."]}) from None
        if size < 1:
            raise ValidationError({"page_size": ["Enter a number from 1 to 500."]})
        try:
            page = paginate(queryset, spec, request.query_params.get("cursor") or None, size)
        except InvalidCursor:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None
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
