from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from lianke.core.views.objects import record_by_type_or_404
from lianke.org import access, fieldaccess
from lianke.org.choices import Action

from .forms import QuickActivityForm
from .models import Activity
from .services import complete_task, log_activity, timeline


def _render_timeline(request, target, form=None, status=200):
    ct = ContentType.objects.get_for_model(type(target))
    context = {
        "target": target,
        "items": timeline(target, user=request.user),
        "form": form or QuickActivityForm(),
        "content_type_id": ct.pk,
        "can_add": access.has_action(request.user, Activity, Action.CREATE),
        # the activities' fields as the reader may see them (``org.fieldaccess``)
        "activity_fields": fieldaccess.field_access(request.user, Activity),
    }
    return render(request, "activities/timeline.html", context, status=status)


@login_required
def timeline_view(request, content_type_id: int, object_id: int):
    return _render_timeline(
        request, record_by_type_or_404(request.user, content_type_id, object_id, followed_up=True)
    )


@login_required
@require_POST
def add_activity(request, content_type_id: int, object_id: int):
    target = record_by_type_or_404(request.user, content_type_id, object_id, followed_up=True)
    if not access.has_action(request.user, Activity, Action.CREATE):
        raise PermissionDenied
    form = QuickActivityForm(request.POST)
    if form.is_valid():
        activity = form.save(commit=False)
        try:
            log_activity(actor=request.user, target=target, activity=activity)
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            return _render_timeline(request, target)
    return _render_timeline(request, target, form=form)


@login_required
@require_POST
def toggle_task(request, pk: int):
    task = get_object_or_404(Activity.objects.restrict(request.user, Action.EDIT), pk=pk)
    try:
        task = complete_task(actor=request.user, task=task, done=request.POST.get("done") == "1")
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    return render(request, "activities/partials/task_row.html", {"task": task})
