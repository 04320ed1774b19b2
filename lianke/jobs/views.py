"""Settings › Scheduled jobs, for administrators (the schedule's config kind, ``org.access``):
the schedules with their next and last run, on/off, timing, "run now" and "dry run", and each
schedule's run log (newest first, keyset pages). Changes go through ``services`` (history);
a run started here is claimed at once and run by the job worker."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianke.core.pagination import InvalidCursor, SortSpec, paginate
from lianke.org import access
from lianke.org.choices import Action
from lianke.org.views import administrators_only

from . import runner, services
from .forms import ScheduleForm
from .models import JobRun, Schedule

logger = logging.getLogger(__name__)
PAGE = 50


#: Signed in, and the schedules' kind lets the user see them (administrators).
schedules_page = administrators_only(of=Schedule)


def _visible(user, action: str = Action.VIEW):
    q = access.scope_q(user, Schedule, action)
    return Schedule.objects.filter(q) if q is not None else Schedule.objects.none()


def _get(user, pk: int, action: str = Action.VIEW) -> Schedule:
    schedule = _visible(user, action).filter(pk=pk).first()
    if schedule is None:
        raise Http404
    return schedule


@schedules_page
def schedule_list(request):
    runner.sync_declared()
    schedules = list(_visible(request.user))
    last = runner.last_runs(s.pk for s in schedules)
    now = timezone.now()
    for s in schedules:
        s.last_run = last.get(s.pk)
        s.next_run = s.next_period(now) if s.enabled and s.declared is not None else None
    configurable = any(s.declared and s.declared.configurable for s in schedules)
    return render(
        request,
        "jobs/schedule_list.html",
        {
            "schedules": schedules,
            "configurable": configurable,
            "time_zone": timezone.get_default_timezone_name(),
        },
    )


@schedules_page
def schedule_detail(request, pk: int):
    schedule = _get(request.user, pk)
    runs = JobRun.objects.filter(schedule=schedule).select_related("actor")
    try:
        page = paginate(
            runs, SortSpec(F("id"), descending=True, nullable=False), request.GET.get("cursor"), PAGE
        )
    except InvalidCursor:
        return HttpResponseBadRequest(_("This page link is not valid."))
    now = timezone.now()
    schedule.next_run = schedule.next_period(now) if schedule.enabled else None
    return render(request, "jobs/schedule_detail.html", {"schedule": schedule, "page": page})


@schedules_page
def run_row(request, pk: int):
    """One run's row (htmx: a running run's row asks again until it is finished)."""
    run = JobRun.objects.select_related("actor", "schedule").filter(pk=pk).first()
    if run is None or not _visible(request.user).filter(pk=run.schedule_id).exists():
        raise Http404
    return render(request, "jobs/_run.html", {"run": run})


@schedules_page
def schedule_edit(request, pk: int | None = None):
    schedule = _get(request.user, pk, Action.EDIT) if pk else None
    if schedule is None and not access.has_action(request.user, Schedule, Action.CREATE):
        raise PermissionDenied
    form = ScheduleForm(request.POST or None, schedule=schedule)
    if request.method == "POST" and form.is_valid():
        try:
            if schedule is None:
                schedule = services.create_schedule(
                    actor=request.user, job=form.cleaned_data["job"], **form.changes()
                )
            else:
                services.update_schedule(actor=request.user, schedule=schedule, **form.changes())
        except ValidationError as exc:
            form.add_model_errors(exc)
        else:
            messages.success(request, _("Schedule saved."))
            return redirect("jobs:list")
    status = 400 if request.method == "POST" else 200
    return render(request, "jobs/schedule_form.html", {"form": form, "schedule": schedule}, status=status)


@schedules_page
@require_POST
def schedule_toggle(request, pk: int):
    schedule = _get(request.user, pk, Action.EDIT)
    services.update_schedule(actor=request.user, schedule=schedule, enabled=not schedule.enabled)
    if schedule.enabled:
        messages.success(request, _("“%(job)s” will no longer run.") % {"job": schedule.display_label})
    else:
        messages.success(request, _("“%(job)s” will run on its schedule.") % {"job": schedule.display_label})
    return redirect("jobs:list")


@schedules_page
@require_POST
def schedule_delete(request, pk: int):
    schedule = _get(request.user, pk, Action.DELETE)
    try:
        services.delete_schedule(actor=request.user, schedule=schedule)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Schedule deleted."))
    return redirect("jobs:list")


@schedules_page
@require_POST
def schedule_run(request, pk: int):
    """Run now (``dry_run=1``: a dry run): the run is claimed here and run by the job worker."""
    schedule = _get(request.user, pk, Action.EDIT)
    dry_run = request.POST.get("dry_run") == "1"
    try:
        run = runner.start_now(schedule, actor=request.user, dry_run=dry_run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("jobs:list")
    from .tasks import execute_run

    try:
        execute_run.enqueue(run.pk)
    except Exception:
        logger.exception("could not enqueue run %s", run.pk)
    if dry_run:
        messages.success(request, _("Dry run started: it changes nothing and lists what it would do."))
    else:
        messages.success(request, _("Run started."))
    return redirect("jobs:detail", pk=schedule.pk)
