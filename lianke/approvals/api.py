"""The approvals API: ``GET /api/approvals/?box=pending|submitted|decided|copied``,
``GET /api/approvals/<id>/``, ``POST /api/approvals/<id>/{approve,reject,return,withdraw,
delegate,comment,resubmit,urge,cc,add-approver}/``, the caller's out-of-office delegation
(``GET``/``PUT``/``DELETE /api/approvals/out-of-office/``) and the record action ``POST
/api/<app>/<plural>/<id>/submit/`` (added to every generated viewset through
``core.api.records.register_endpoints``). Views parse and render; the services decide.

Visibility: the approvals of records the caller may read, plus those he is part of (submitter,
approver, copied). An approver who may not read the record sees the flow's exposed fields
(``fields``) and the record's name, never a link into it (``record_url`` empty)."""

from __future__ import annotations

from django.db.models import F
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from lianke.core.api.pagination import KeysetPagination
from lianke.core.api.serializers import RFC3339DateTimeField
from lianke.core.objecttypes.registry import registry
from lianke.core.pagination import SortSpec
from lianke.org import access
from lianke.org.choices import Action

from . import services
from .models import Approval, ApprovalTask, OutOfOffice, Status, TaskStatus


def _person(user) -> dict | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


class ApprovalSerializer(serializers.ModelSerializer):
    """An approval as a list row: what it is about (the exposed fields), where it stands."""

    flow = serializers.SerializerMethodField()
    object_type = serializers.SerializerMethodField()
    submitter = serializers.SerializerMethodField()
    step_name = serializers.SerializerMethodField()
    fields = serializers.JSONField(source="exposed", read_only=True)
    readable = serializers.SerializerMethodField()
    record_url = serializers.SerializerMethodField()
    # ``null`` for a record the reader may not open.
    object_id = serializers.IntegerField(read_only=True, allow_null=True)
    submitted_at = RFC3339DateTimeField(read_only=True)
    decided_at = RFC3339DateTimeField(read_only=True)

    class Meta:
        model = Approval
        fields = [
            "id",
            "flow",
            "object_type",
            "object_id",
            "object_repr",
            "submitter",
            "status",
            "step",
            "step_name",
            "submitted_at",
            "decided_at",
            "fields",
            "readable",
            "record_url",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not data["readable"]:
            # A record the reader may not open is not pointed at, and its exposed fields are for
            # its approvers (a transfer request's submitter learns no more of the customer than
            # the duplicate check told him).
            data["object_id"] = None
            if instance.pk not in self.context.get("deciding", set()):
                data["fields"] = {}
        return data

    def get_flow(self, obj) -> str:
        return obj.version.settings.get("name", "")

    def get_object_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    def get_submitter(self, obj) -> dict | None:
        return _person(obj.submitter)

    def get_step_name(self, obj) -> str:
        step = obj.current_step()
        return step.get("name", "") if step and obj.status == Status.PENDING else ""

    def get_readable(self, obj) -> bool:
        return obj.pk in self.context.get("readable", set())

    def get_record_url(self, obj) -> str:
        if not self.get_readable(obj):
            return ""
        model = obj.content_type.model_class()
        ot = registry.get_for_model(model, None) if model is not None else None
        return ot.record_url(obj.object_id) if ot is not None else ""


class TaskSerializer(serializers.ModelSerializer):
    approver = serializers.SerializerMethodField()
    delegated_from = serializers.SerializerMethodField()
    added_by = serializers.SerializerMethodField()
    decided_at = RFC3339DateTimeField(read_only=True)
    due_at = RFC3339DateTimeField(read_only=True)

    class Meta:
        model = ApprovalTask
        fields = [
            "id",
            "step",
            "step_name",
            "approver",
            "status",
            "due_at",
            "decided_at",
            "comment",
            "delegated_from",
            "delegation_note",
            "added_by",
        ]

    def get_approver(self, obj) -> dict | None:
        return _person(obj.approver)

    def get_delegated_from(self, obj) -> dict | None:
        return _person(obj.delegated_from)

    def get_added_by(self, obj) -> dict | None:
        return _person(obj.added_by)


class ApprovalDetailSerializer(ApprovalSerializer):
    """One approval: its tasks, log and copies, and what the caller may do now."""

    tasks = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    copies = serializers.SerializerMethodField()
    my_task = serializers.SerializerMethodField()

    class Meta(ApprovalSerializer.Meta):
        fields = [*ApprovalSerializer.Meta.fields, "tasks", "events", "copies", "my_task"]

    def get_tasks(self, obj) -> list[dict]:
        tasks = obj.tasks.select_related("approver", "delegated_from", "added_by").order_by("step", "id")
        return TaskSerializer(tasks, many=True).data

    def get_events(self, obj) -> list[dict]:
        return [
            {
                "action": event.action,
                "label": str(event.get_action_display()),
                "actor": _person(event.actor),
                "step": event.step,
                "comment": event.comment,
                "at": RFC3339DateTimeField().to_representation(event.at),
                "data": event.data,
            }
            for event in obj.events.select_related("actor").order_by("at", "id")
        ]

    def get_copies(self, obj) -> list[dict]:
        return [_person(c.user) for c in obj.copies.select_related("user").order_by("at", "id")]

    def get_my_task(self, obj) -> int | None:
        user = self.context["request"].user
        task = obj.tasks.filter(approver=user, step=obj.step, status=TaskStatus.PENDING).first()
        return task.pk if task is not None and obj.status == Status.PENDING else None


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DelegateSerializer(serializers.Serializer):
    to = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class UserSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class UsersSerializer(serializers.Serializer):
    users = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=50)


def readable_ids(user, approvals) -> set[int]:
    """The approvals among ``approvals`` whose record ``user`` may read: one query per type."""
    by_type: dict[int, list[Approval]] = {}
    for approval in approvals:
        by_type.setdefault(approval.content_type_id, []).append(approval)
    readable: set[int] = set()
    for rows in by_type.values():
        model = rows[0].content_type.model_class()
        if model is None or registry.get_for_model(model, None) is None:
            continue
        scope = access.scope_q(user, model, Action.VIEW)
        if scope is None:
            continue
        manager = getattr(model, "all_objects", model._default_manager)
        found = set(manager.filter(scope, pk__in=[a.object_id for a in rows]).values_list("pk", flat=True))
        readable |= {a.pk for a in rows if a.object_id in found}
    return readable


class _ApprovalPages(KeysetPagination):
    """The schema of the inbox's pages: ``{"next", "results"}`` (its parameters are declared on
    the list itself)."""

    def get_schema_operation_parameters(self, view):
        return []


class ApprovalViewSet(viewsets.GenericViewSet):
    """The inbox and the actions. Every refusal is ``{"detail", "code"}`` (403
    ``not_an_approver``, 409 ``already_decided``, 429 ``rate_limited``…) or a 400 naming the
    field with its code."""

    permission_classes = [IsAuthenticated]
    # The list pages itself (``KeysetPagination.page``, newest first); the class documents it.
    pagination_class = _ApprovalPages
    serializer_class = ApprovalSerializer
    lookup_value_regex = "[0-9]+"
    queryset = Approval.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Approval.objects.none()
        return services.visible_to(self.request.user).select_related("version", "content_type", "submitter")

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _render(self, approval, serializer=ApprovalDetailSerializer, code=status.HTTP_200_OK):
        approval = get_object_or_404(
            Approval.objects.select_related("version", "content_type", "submitter"), pk=approval.pk
        )
        context = {
            "request": self.request,
            "readable": readable_ids(self.request.user, [approval]),
            "deciding": services.deciding_ids(self.request.user, [approval]),
        }
        return Response(serializer(approval, context=context).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("box", enum=["pending", "submitted", "decided", "copied"], required=False),
            OpenApiParameter("status", enum=list(Status.values), required=False),
            OpenApiParameter(
                "cursor", str, required=False, description="From the previous page's next link."
            ),
            OpenApiParameter(
                "page_size", int, required=False, description="Rows per page (default 50, at most 500)."
            ),
        ],
        responses=ApprovalSerializer(many=True),
    )
    def list(self, request):
        """Approvals the caller may see, newest first; ``box`` narrows to his inbox's boxes
        (pending my approval / submitted by me / decided by me / copied to me)."""
        box = request.query_params.get("box")
        queryset = self.get_queryset()
        if box:
            queryset = queryset.filter(pk__in=services.box(request.user, box).values("pk"))
        if request.query_params.get("status") in Status.values:
            queryset = queryset.filter(status=request.query_params["status"])
        pager = KeysetPagination()
        rows = pager.page(queryset, request, SortSpec(F("submitted_at"), descending=True, nullable=False))
        context = {
            "request": request,
            "readable": readable_ids(request.user, rows),
            "deciding": services.deciding_ids(request.user, rows),
        }
        return pager.get_paginated_response(ApprovalSerializer(rows, many=True, context=context).data)

    @extend_schema(responses=ApprovalDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._render(self.get_object())

    def _comment(self, request) -> str:
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data["comment"]

    @extend_schema(request=CommentSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._render(
            services.approve(actor=request.user, approval=self.get_object(), comment=self._comment(request))
        )

    @extend_schema(request=CommentSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject: ``comment`` (the reason) is required."""
        return self._render(
            services.reject(actor=request.user, approval=self.get_object(), comment=self._comment(request))
        )

    @extend_schema(request=CommentSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        return self._render(
            services.return_(actor=request.user, approval=self.get_object(), comment=self._comment(request))
        )

    @extend_schema(request=CommentSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        return self._render(
            services.resubmit(actor=request.user, approval=self.get_object(), comment=self._comment(request))
        )

    @extend_schema(request=CommentSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._render(
            services.withdraw(actor=request.user, approval=self.get_object(), comment=self._comment(request))
        )

    @extend_schema(request=CommentSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        return self._render(
            services.comment(actor=request.user, approval=self.get_object(), comment=self._comment(request))
        )

    @extend_schema(request=DelegateSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"])
    def delegate(self, request, pk=None):
        """Hand my pending task to ``to`` (a user id) with a ``note``."""
        body = DelegateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = self.get_object()
        services.delegate(
            actor=request.user,
            approval=approval,
            to=body.validated_data["to"],
            note=body.validated_data["note"],
        )
        return self._render(approval)

    @extend_schema(request=UserSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"], url_path="add-approver")
    def add_approver(self, request, pk=None):
        """加签: add ``user`` to the current step."""
        body = UserSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = self.get_object()
        services.add_approver(
            actor=request.user,
            approval=approval,
            user=body.validated_data["user"],
            comment=body.validated_data["comment"],
        )
        return self._render(approval)

    @extend_schema(request=UsersSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"])
    def cc(self, request, pk=None):
        """抄送: copy ``users`` in for information."""
        body = UsersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = self.get_object()
        services.cc(actor=request.user, approval=approval, users=body.validated_data["users"])
        return self._render(approval)

    @extend_schema(request=None, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"])
    def urge(self, request, pk=None):
        """催办: remind the current approvers (at most once an hour)."""
        return self._render(services.urge(actor=request.user, approval=self.get_object()))

    @extend_schema(responses=inline_serializer("ApprovalCount", {"pending": serializers.IntegerField()}))
    @action(detail=False, methods=["get"])
    def count(self, request):
        """The navigation's count: ``{"pending": n}``."""
        return Response({"pending": services.pending_count(request.user)})


class SubmitEndpoint:
    """``POST <app>/<plural>/<id>/submit/`` on every type: submit the record for approval by
    its type's first matching flow (400 ``no_flow`` when none applies)."""

    @extend_schema(request=CommentSerializer, responses={201: ApprovalDetailSerializer})
    @action(detail=True, methods=["post"], required_action=Action.EDIT)
    def submit(self, request, pk=None):
        record = self.get_object()
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = services.submit(actor=request.user, record=record, comment=body.validated_data["comment"])
        approval = Approval.objects.select_related("version", "content_type", "submitter").get(pk=approval.pk)
        context = {
            "request": request,
            "readable": readable_ids(request.user, [approval]),
            "deciding": services.deciding_ids(request.user, [approval]),
        }
        return Response(
            ApprovalDetailSerializer(approval, context=context).data, status=status.HTTP_201_CREATED
        )


def submit_endpoint(object_type) -> type | None:
    """The factory registered with ``core.api.records.register_endpoints``: every type but
    children (a child is approved with its parent)."""
    return None if object_type.parent_field else SubmitEndpoint


# ---------------------------------------------------------------------------------- out of office
class OutOfOfficeSerializer(serializers.ModelSerializer):
    """The caller's out-of-office delegation: in force (``active``) or still to come."""

    delegate = serializers.SerializerMethodField()
    starts_at = RFC3339DateTimeField(read_only=True)
    ends_at = RFC3339DateTimeField(read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = OutOfOffice
        fields = ["id", "delegate", "starts_at", "ends_at", "note", "active"]

    def get_delegate(self, obj) -> dict | None:
        return _person(obj.delegate)

    def get_active(self, obj) -> bool:
        from django.utils import timezone

        return obj.starts_at <= timezone.now() < obj.ends_at


class OutOfOfficeInput(serializers.Serializer):
    delegate = serializers.IntegerField(help_text="The user who gets the caller's approval tasks.")
    starts_at = serializers.DateTimeField(required=False, help_text="From (default: now).")
    ends_at = serializers.DateTimeField(help_text="Until (required, after the start, in the future).")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class OutOfOfficeView(APIView):
    """The caller's out-of-office delegation: while he is away his approval tasks go to
    ``delegate``. ``PUT`` sets or changes it (400 naming the field: ``delegation_cycle`` for
    himself or a circle, ``invalid_choice`` for an inactive user, ``out_of_range`` for an end
    before the start or in the past); ``DELETE`` ends it now. Every change is in history."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OutOfOfficeSerializer, 204: None})
    def get(self, request):
        """The delegation in force or to come; 204 when there is none."""
        away = services.current_out_of_office(request.user)
        if away is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(OutOfOfficeSerializer(away).data)

    @extend_schema(request=OutOfOfficeInput, responses=OutOfOfficeSerializer)
    def put(self, request):
        from django.utils import timezone

        body = OutOfOfficeInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        away = services.set_out_of_office(
            actor=request.user,
            user=request.user,
            delegate=data["delegate"],
            starts_at=data.get("starts_at") or timezone.now(),
            ends_at=data["ends_at"],
            note=data["note"],
        )
        return Response(
            OutOfOfficeSerializer(OutOfOffice.objects.select_related("delegate").get(pk=away.pk)).data
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """End the delegation now (one still to come is removed)."""
        services.end_out_of_office(actor=request.user, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
