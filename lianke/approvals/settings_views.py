"""Settings › Approval flows (administrators only): the flows of each object type in the order
they are tried, a flow's editor (settings and steps) and its test run against a chosen record.
Views parse and render; ``flows`` checks, writes (with history and a new version) and runs.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianke.core.errors import CodedErrorList
from lianke.core.text.keys import as_key
from lianke.org.models import User
from lianke.org.views import administrators_only

from . import flows, flowtypes, purposes
from .forms import FlowForm, StepFormSet, TestRunForm
from .models import ApprovalFlow, ApproverKind, FlowVersion


@administrators_only
def flow_list(request):
    by_type: dict[str, list[ApprovalFlow]] = {}
    for flow in ApprovalFlow.objects.select_related("fallback_approver").prefetch_related("steps"):
        by_type.setdefault(flow.object_type, []).append(flow)
    labels = {key: p.label for key, p in purposes.declared().items()}
    for flow_list in by_type.values():
        for flow in flow_list:
            flow.purpose_label = labels.get(flow.purpose, flow.purpose)
    groups = [{"type": ot, "flows": by_type.get(ot.key, [])} for ot in flowtypes.editable()]
    return render(request, "approvals/settings/flow_list.html", {"groups": groups})


def _initial(flow: ApprovalFlow) -> tuple[dict, list[dict]]:
    initial = {name: getattr(flow, name) for name in flows.FLOW_FIELDS}
    steps = [
        {
            "name": s.name,
            "approver_kind": s.approver_kind,
            "role": s.role_id,
            "levels": s.levels,
            "user_ids": list(s.user_ids or []),
            "user_field": s.user_field,
            "mode": s.mode,
            "condition": s.condition,
            "time_limit_hours": s.time_limit_hours,
        }
        for s in flow.steps.order_by("position", "id")
    ]
    return initial, steps


def _apply_errors(exc: ValidationError, form, formset) -> list:
    """A service's refusal on the form: a field it names, a step (``steps.<n>``), the steps as a
    whole (returned, shown above them), or the whole form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return []
    steps: list = []
    for name, errors in exc.error_dict.items():
        if name == "steps":
            steps.extend(CodedErrorList(errors))
        elif name in form.fields:
            form.add_error(name, errors)
        elif name.startswith("steps.") and name[6:].isdigit():
            index = int(name[6:])
            filled = [f for f in formset.forms if f.cleaned_data and f.cleaned_data.get("approver_kind")]
            target = filled[index] if index < len(filled) else None
            if target is not None:
                target.add_error(None, errors)
            else:
                form.add_error(None, errors)
        else:
            form.add_error(None, errors)
    return steps


@administrators_only
def flow_edit(request, pk: int | None = None):
    flow = get_object_or_404(ApprovalFlow, pk=pk) if pk else None
    object_type = flow.object_type if flow else request.GET.get("type", "")
    ot = flowtypes.get(object_type)
    if ot is None:
        raise Http404
    steps_errors: list = []
    if request.method == "POST":
        form = FlowForm(request.POST, object_type=object_type)
        formset = StepFormSet(
            request.POST, prefix="steps", form_kwargs={"object_type": object_type}, error_class=CodedErrorList
        )
        if form.is_valid() and formset.is_valid():
            try:
                saved = flows.save_flow(
                    actor=request.user,
                    flow=flow,
                    object_type=object_type,
                    values=form.cleaned_data,
                    steps=formset.steps(),
                )
            except ValidationError as exc:
                steps_errors = _apply_errors(exc, form, formset)
            else:
                messages.success(request, _("Approval flow saved."))
                return redirect("approval_flows:edit", pk=saved.pk)
        status = 400
    else:
        initial, steps = _initial(flow) if flow else ({"trigger": "on_submit", "is_active": True}, [])
        form = FlowForm(initial=initial, object_type=object_type)
        formset = StepFormSet(
            initial=steps,
            prefix="steps",
            form_kwargs={"object_type": object_type},
            error_class=CodedErrorList,
        )
        status = 200
    version = FlowVersion.objects.filter(flow=flow).order_by("-number").first() if flow else None
    return render(
        request,
        "approvals/settings/flow_form.html",
        {
            "flow": flow,
            "object_type": ot,
            "form": form,
            "formset": formset,
            "steps_errors": steps_errors,
            "version": version,
            "kinds": ApproverKind.choices,
            "test_form": TestRunForm() if flow else None,
        },
        status=status,
    )


@administrators_only
@require_POST
def flow_toggle(request, pk: int):
    flow = get_object_or_404(ApprovalFlow, pk=pk)
    flows.set_active(actor=request.user, flow=flow, active=not flow.is_active)
    messages.success(
        request, _("Approval flow switched on.") if not flow.is_active else _("Approval flow switched off.")
    )
    return redirect("approval_flows:list")


@administrators_only
def test_run(request):
    """Which flow a chosen record would go through and whom each step resolves to (GET: writes
    nothing)."""
    object_type = request.GET.get("type", "")
    ot = flowtypes.get(object_type)
    if ot is None:
        raise Http404
    form = TestRunForm(request.GET or None)
    flow_id = as_key(request.GET.get("flow", ""))
    runs = None
    record = None
    submitter = None
    error = ""
    if form.is_valid():
        manager = getattr(ot.model, "all_objects", ot.model._default_manager)
        record = manager.filter(pk=form.cleaned_data["record"]).first()
        if record is None or getattr(record, "is_deleted", False):
            error = _("No %(type)s with ID %(id)s.") % {"type": ot.label, "id": form.cleaned_data["record"]}
        else:
            submitter = (
                form.cleaned_data["submitter"]
                or User.objects.filter(pk=getattr(record, "owner_id", None)).first()
                or request.user
            )
            flow = ApprovalFlow.objects.filter(pk=flow_id).first() if flow_id else None
            runs = flows.test_run(
                actor=request.user,
                object_type=object_type,
                record=record,
                submitter=submitter,
                purpose=flow.purpose if flow is not None else "",
            )
    context = {
        "object_type": ot,
        "form": form,
        "runs": runs,
        "record": record,
        "submitter": submitter,
        "error": error,
        "back": flow_id,
        "list_url": reverse("approval_flows:list"),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "approvals/settings/test_run_result.html", context)
    return render(request, "approvals/settings/test_run.html", context)
