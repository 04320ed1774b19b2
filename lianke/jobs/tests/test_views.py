"""Settings › Scheduled jobs: administrators only (pages and every POST, the database compared
before and after a refusal); turning a schedule off and on, changing its timing (validated,
recorded in history as configuration), run now and dry run, the run log in keyset pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianke.core.models import ObjectChange
from lianke.jobs.models import JobRun, Schedule
from lianke.jobs.tasks import execute_run

pytestmark = pytest.mark.django_db


def state():
    return (
        list(Schedule.objects.order_by("pk").values()),
        list(JobRun.objects.order_by("pk").values()),
        ObjectChange.objects.count(),
    )


def test_only_administrators_reach_the_pages_and_may_post(org, client_for, declare, calls):
    schedule = declare("tidy", calls.append, cron="0 3 * * *")
    JobRun.objects.create(schedule=schedule, period=schedule.active_since)
    run = JobRun.objects.get()
    pages = [
        reverse("jobs:list"),
        reverse("jobs:detail", args=[schedule.pk]),
        reverse("jobs:edit", args=[schedule.pk]),
        reverse("jobs:create"),
        reverse("jobs:run_row", args=[run.pk]),
    ]
    posts = [
        (reverse("jobs:toggle", args=[schedule.pk]), {}),
        (reverse("jobs:run", args=[schedule.pk]), {}),
        (reverse("jobs:run", args=[schedule.pk]), {"dry_run": "1"}),
        (reverse("jobs:edit", args=[schedule.pk]), {"cron": "* * * * *", "enabled": "on"}),
        (reverse("jobs:create"), {"job": "tidy", "cron": "* * * * *"}),
        (reverse("jobs:delete", args=[schedule.pk]), {}),
    ]
    before = state()
    for user in (org.ops, org.manager_js, org.rep_js, org.nobody):
        c = client_for(user)
        for url in pages:
            assert c.get(url).status_code in (403, 404), (user, url)
        for url, data in posts:
            assert c.post(url, data).status_code in (403, 404), (user, url)
    assert state() == before
    assert "nav-jobs" not in client_for(org.rep_js).get("/").content.decode()
    admin = client_for(org.admin)
    assert 'id="nav-jobs"' in admin.get("/").content.decode()
    for url in pages:
        assert admin.get(url).status_code == 200, url


def test_turning_off_and_changing_the_timing_are_recorded_as_configuration(org, client_for, declare, calls):
    schedule = declare("tidy", calls.append, cron="0 3 * * *")
    c = client_for(org.admin)
    assert c.post(reverse("jobs:toggle", args=[schedule.pk])).status_code == 302
    schedule.refresh_from_db()
    assert not schedule.enabled
    response = c.post(reverse("jobs:edit", args=[schedule.pk]), {"cron": "30 2 * * 1-5", "enabled": "on"})
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.cron, schedule.enabled, schedule.timing_customised) == ("30 2 * * 1-5", True, True)
    history = ObjectChange.objects.filter(content_type__model="schedule", object_id=schedule.pk).order_by(
        "pk"
    )
    assert [(h.action, h.user_id) for h in history] == [("update", org.admin.pk), ("update", org.admin.pk)]
    assert history[0].prechange_data["enabled"] is True and history[0].postchange_data["enabled"] is False
    assert history[1].postchange_data["cron"] == "30 2 * * 1-5"


def test_a_bad_cron_in_the_form_is_shown_with_its_code_and_saves_nothing(
    org, client_for, declare, calls, english
):
    schedule = declare("tidy", calls.append, cron="0 3 * * *")
    before = state()
    response = client_for(org.admin).post(
        reverse("jobs:edit", args=[schedule.pk]), {"cron": "3am daily", "enabled": "on"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error-code="invalid_cron"' in html and "is not a cron expression" in html
    assert state() == before


def test_run_now_claims_a_manual_run_the_worker_runs(org, client_for, declare):
    schedule = declare("tidy", lambda run: run.did("tidied 3 rows"), cron="0 3 * * *")
    response = client_for(org.admin).post(reverse("jobs:run", args=[schedule.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[schedule.pk])
    run = JobRun.objects.get()
    assert (run.status, run.trigger, run.actor, run.dry_run) == ("running", "manual", org.admin, False)
    # the worker runs the task enqueued
    execute_run.call(run.pk)
    page = client_for(org.admin).get(reverse("jobs:detail", args=[schedule.pk])).content.decode()
    assert f'id="run-{run.pk}"' in page and "tidied 3 rows" in page and 'data-status="succeeded"' in page


def test_a_second_run_now_while_one_runs_is_refused(org, client_for, declare):
    schedule = declare("tidy", lambda run: None, cron="0 3 * * *")
    c = client_for(org.admin)
    c.post(reverse("jobs:run", args=[schedule.pk]))
    c.post(reverse("jobs:run", args=[schedule.pk]))
    assert JobRun.objects.count() == 1
    c.post(reverse("jobs:run", args=[schedule.pk]), {"dry_run": "1"})  # a dry run may look meanwhile
    assert JobRun.objects.filter(dry_run=True).count() == 1


def test_the_run_log_is_newest_first_in_keyset_pages(org, client_for, declare, django_assert_max_num_queries):
    import datetime as dt

    schedule = declare("tidy", lambda run: None, cron="0 3 * * *")
    start = schedule.active_since
    JobRun.objects.bulk_create(
        JobRun(schedule=schedule, period=start + dt.timedelta(days=n), status="succeeded") for n in range(60)
    )
    c = client_for(org.admin)
    url = reverse("jobs:detail", args=[schedule.pk])
    first = c.get(url)
    rows = first.context["page"].rows
    assert len(rows) == 50 and rows[0].period > rows[-1].period
    second = c.get(url, {"cursor": first.context["page"].next_cursor})
    assert len(second.context["page"].rows) == 10
    assert not {r.pk for r in rows} & {r.pk for r in second.context["page"].rows}
    assert c.get(url, {"cursor": "forged"}).status_code == 400


def test_administrators_add_and_delete_schedules_of_a_configurable_job(org, client_for, declare, calls):
    declare("remind", calls.append, configurable=True)
    c = client_for(org.admin)
    response = c.post(
        reverse("jobs:create"),
        {
            "job": "remind",
            "label": "华东回款提醒",
            "every_minutes": "60",
            "params": '{"region": "east"}',
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    made = Schedule.objects.get(label="华东回款提醒")
    assert (made.source, made.params, made.every.total_seconds()) == ("settings", {"region": "east"}, 3600)
    assert c.post(reverse("jobs:delete", args=[made.pk])).status_code == 302
    assert not Schedule.objects.filter(pk=made.pk).exists()
    actions = list(
        ObjectChange.objects.filter(content_type__model="schedule", object_id=made.pk).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["create", "delete"]
    # a job's own schedule is never deleted
    own = Schedule.objects.get(job="remind", source="code")
    c.post(reverse("jobs:delete", args=[own.pk]))
    assert Schedule.objects.filter(pk=own.pk).exists()


def test_the_schedules_page_costs_the_same_queries_for_2_or_12_schedules(org, client_for, declare):
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page_queries() -> int:
        c = client_for(org.admin)
        c.get(reverse("jobs:list"))  # warm: session, configuration
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("jobs:list")).status_code == 200
        return len(ctx.captured_queries)

    for n in range(2):
        s = declare(f"few_{n}", lambda run: None, cron="0 3 * * *")
        JobRun.objects.create(schedule=s, period=s.active_since, status="succeeded")
    few = page_queries()
    for n in range(10):
        s = declare(f"many_{n}", lambda run: None, every=dt.timedelta(hours=1))
        JobRun.objects.create(schedule=s, period=s.active_since, status="failed", error="boom")
    assert page_queries() == few


def test_the_services_refuse_a_non_administrator_whatever_calls_them(org, declare, calls):
    from django.core.exceptions import PermissionDenied

    from lianke.jobs import services

    declare("remind", calls.append, configurable=True)
    schedule = services.create_schedule(actor=org.admin, job="remind", cron="0 9 * * *")
    before = state()
    for user in (org.ops, org.manager_js, org.rep_js, org.nobody):
        with pytest.raises(PermissionDenied):
            services.update_schedule(actor=user, schedule=schedule, enabled=False)
        with pytest.raises(PermissionDenied):
            services.create_schedule(actor=user, job="remind", cron="0 10 * * *")
        with pytest.raises(PermissionDenied):
            services.delete_schedule(actor=user, schedule=schedule)
    assert state() == before


def test_a_schedule_whose_job_left_the_code_is_switched_off_not_a_server_error(
    org, client_for, declare, calls
):
    from lianke.core import schedules

    schedule = declare("gone_soon", calls.append, cron="0 3 * * *")
    schedules._jobs.pop("gone_soon")  # the release that removed the job
    response = client_for(org.admin).post(reverse("jobs:toggle", args=[schedule.pk]))
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert not schedule.enabled
    # but no schedule can be given a job that is not declared
    from django.core.exceptions import ValidationError

    schedule.job = "never_declared"
    with pytest.raises(ValidationError) as refused:
        schedule.full_clean()
    assert refused.value.error_dict["job"][0].code == "invalid_choice"
