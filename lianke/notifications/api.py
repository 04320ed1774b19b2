"""The notifications API — each user's own notifications only, whatever the ids sent:

- ``GET /api/notifications/?unread=1`` — newest first, keyset pages (``cursor``, ``page_size``);
- ``POST /api/notifications/read/`` with ``{"ids": [...]}`` or ``{"all": true}`` — another user's
  ids change nothing and are not told apart from ids that do not exist;
- ``GET /api/notifications/count/`` → ``{"unread": n, "more": false}`` (the bell: one indexed
  count, which stops at ``service.COUNT_CAP`` — 1,000 —: ``more`` says there are more).
"""

from __future__ import annotations

from django.db.models import F
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from lianke.core.api.pagination import KeysetPagination
from lianke.core.errors import NotificationCode
from lianke.core.pagination import SortSpec

from . import render, service
from .models import Notification

NEWEST_FIRST = SortSpec(F("created_at"), descending=True, nullable=False)
MAX_IDS = 1000


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="The declared type's key (`record.assigned`…).")
    label = serializers.CharField(help_text="The type's name, in the reader's language.")
    title = serializers.CharField(help_text="What happened, in the reader's language.")
    actor = serializers.CharField(help_text="Who caused it (empty: the system).")
    record = serializers.CharField(
        help_text="The record's name (`Restricted record` if the reader may not open it)."
    )
    record_type = serializers.CharField()
    url = serializers.CharField(help_text="The page to open (the record's), or empty.")
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()


class NotificationPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = NotificationSerializer(many=True)


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=MAX_IDS,
        help_text="Notifications to mark read (one's own; others are ignored).",
    )
    all = serializers.BooleanField(required=False, default=False, help_text="Mark every notification read.")

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("ids"):
            raise serializers.ValidationError(
                {"ids": [_("Name the notifications to mark read, or send “all”: true.")]},
                code=NotificationCode.NOTHING_TO_MARK,
            )
        return attrs


COUNT = inline_serializer(
    "NotificationCount",
    {
        "unread": serializers.IntegerField(help_text="Unread notifications, counted up to 1,000."),
        "more": serializers.BooleanField(help_text="More than `unread` are unread."),
    },
)


def own(user):
    return Notification.objects.filter(recipient_id=user.pk, in_app=True).select_related("actor")


class NotificationList(APIView):
    @extend_schema(
        operation_id="notifications_list",
        tags=["notifications"],
        parameters=[
            OpenApiParameter("unread", bool, description="`1`: only the unread ones."),
            OpenApiParameter(
                "cursor",
                str,
                description="Where the page starts: copy it from the previous page's next link.",
            ),
            OpenApiParameter(
                "page_size", int, description="Notifications per page (default 50, at most 500)."
            ),
        ],
        responses=NotificationPageSerializer,
    )
    def get(self, request):
        """The caller's notifications, newest first."""
        queryset = own(request.user)
        if request.query_params.get("unread") in ("1", "true", "yes"):
            queryset = queryset.filter(read_at__isnull=True)
        pager = KeysetPagination()
        rows = pager.page(queryset, request, NEWEST_FIRST)
        items = render.render(request.user, rows)
        return pager.get_paginated_response(NotificationSerializer(items, many=True).data)


class NotificationRead(APIView):
    @extend_schema(
        operation_id="notifications_read",
        tags=["notifications"],
        request=MarkReadSerializer,
        responses=inline_serializer(
            "NotificationsMarked",
            {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()},
        ),
    )
    def post(self, request):
        """Mark the caller's notifications read: ``ids`` or ``all``."""
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        marked = service.mark_read(
            request.user, ids=body.validated_data.get("ids"), everything=body.validated_data["all"]
        )
        return Response({"marked": marked, "unread": service.unread_count(request.user)})


class NotificationCount(APIView):
    @extend_schema(operation_id="notifications_count", tags=["notifications"], responses=COUNT)
    def get(self, request):
        """How many of the caller's notifications are unread (up to 1,000; ``more`` beyond)."""
        count, more = service.unread(request.user)
        return Response({"unread": count, "more": more})


app_name = "notifications-api"
urlpatterns = [
    path("", NotificationList.as_view(), name="list"),
    path("read/", NotificationRead.as_view(), name="read"),
    path("count/", NotificationCount.as_view(), name="count"),
]
