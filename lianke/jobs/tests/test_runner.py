"""The runner, by a frozen clock: a period runs once however often the runner comes by; after
downtime one catch-up run for the latest missed period; periods before the schedule existed
never run; a failing job is recorded and the others still run; a dry run changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianke.jobs import runner, services
from lianke.jobs.models import JobRun, Schedule

from .conftest import at

pytestmark = pytest.mark.django_db


def made_at(schedule: Schedule, moment: dt.datetime) -> Schedule:
    """The schedule as if it had existed since ``moment``."""
    Schedule.objects.filter(pk=schedule.pk).update(active_since=moment)
    schedule.refresh_from_db()
    return schedule


def test_running_twice_for_the_same_period_runs_the_job_once(declare, calls):
    # given a daily job made yesterday at noon
    made_at(declare("tidy", lambda run: calls.append(run.period), cron="0 3 * * *"), at(2026, 12, 7, 12))
    # when the runner comes by at 3:00:10 and again at 3:00:40 and at noon
    for moment in (at(2026, 12, 8, 3, 0, 10), at(2026, 12, 8, 3, 0, 40), at(2026, 12, 8, 12, 0)):
        runner.run_due(moment)
    # then the job ran once, for today's 3:00, and one run is recorded
    assert calls == [at(2026, 12, 8, 3, 0)]
    run = JobRun.objects.get()
    assert (run.period, run.status, run.trigger) == (at(2026, 12, 8, 3, 0), "succeeded", "schedule")
    # and the next day it runs again
    runner.run_due(at(2026, 12, 9, 3, 0, 5))
    assert calls == [at(2026, 12, 8, 3, 0), at(2026, 12, 9, 3, 0)]


def test_after_downtime_the_latest_missed_period_runs_once_as_a_catch_up(declare, calls):
    schedule = made_at(
        declare("tidy", lambda run: calls.append(run.period), cron="0 3 * * *"), at(2026, 12, 1)
    )
    runner.run_due(at(2026, 12, 2, 3, 0, 5))
    # when the worker was down four days and comes back at 10:00
    runner.run_due(at(2026, 12, 6, 10, 0))
    runner.run_due(at(2026, 12, 6, 10, 0, 30))
    # then the missed days are not run one by one: one catch-up for the latest period
    assert calls == [at(2026, 12, 2, 3, 0), at(2026, 12, 6, 3, 0)]
    last = JobRun.objects.filter(schedule=schedule).order_by("-id").first()
    assert (last.period, last.trigger) == (at(2026, 12, 6, 3, 0), "catch_up")


def test_a_period_before_the_schedule_existed_is_never_run(declare, calls):
    # given a daily 3:00 job whose schedule was made at 10:00
    made_at(declare("tidy", lambda run: calls.append(run.period), cron="0 3 * * *"), at(2026, 12, 8, 10, 0))
    # then today's 3:00 does not run; tomorrow's does
    runner.run_due(at(2026, 12, 8, 10, 0, 30))
    assert calls == [] and not JobRun.objects.exists()
    runner.run_due(at(2026, 12, 9, 3, 0, 1))
    assert calls == [at(2026, 12, 9, 3, 0)]


def test_a_failing_job_is_recorded_and_the_others_still_run(declare, calls):
    def broken(run):
        raise RuntimeError("the ERP did not answer")

    made_at(declare("a_broken", broken, cron="0 3 * * *"), at(2026, 12, 1))
    made_at(declare("b_fine", lambda run: run.did("did it"), cron="0 3 * * *"), at(2026, 12, 1))
    runs = runner.run_due(at(2026, 12, 8, 3, 0, 5))
    assert {r.schedule.job: r.status for r in runs} == {"a_broken": "failed", "b_fine": "succeeded"}
    failed = JobRun.objects.get(schedule__job="a_broken")
    assert "the ERP did not answer" in failed.error and failed.finished_at is not None
    assert JobRun.objects.get(schedule__job="b_fine").actions == [{"message": "did it"}]
    # a failed period is not tried again every 30 seconds: it was run; the next period runs
    assert runner.run_due(at(2026, 12, 8, 3, 1)) == []


def test_a_disabled_schedule_does_not_run_and_turning_it_on_does_not_catch_up(org, declare, calls):
    schedule = made_at(
        declare("tidy", lambda run: calls.append(run.period), cron="0 3 * * *"), at(2026, 12, 1)
    )
    services.update_schedule(actor=org.admin, schedule=schedule, enabled=False)
    runner.run_due(at(2026, 12, 8, 3, 0, 5))
    assert calls == []
    services.update_schedule(actor=org.admin, schedule=schedule, enabled=True)
    runner.run_due(timezone.now())
    assert calls == []  # the periods it was off for are not run


def test_a_run_still_running_holds_the_schedule_until_its_lease_runs_out(declare, calls, settings):
    schedule = made_at(
        declare("tidy", lambda run: calls.append(run.period), every=dt.timedelta(hours=1)), at(2026, 12, 1)
    )
    # given a run of 9:00 whose worker is still at it (or died)
    JobRun.objects.create(schedule=schedule, period=at(2026, 12, 8, 9), started_at=at(2026, 12, 8, 9, 0, 1))
    # then 10:00 waits while the run is within its lease
    settings.LIANKE_JOBS_LEASE_SECONDS = 7200
    assert runner.run_due(at(2026, 12, 8, 10, 0, 5)) == [] and calls == []
    # and once the lease is over the stale run is recorded as failed and the schedule runs on
    runner.run_due(at(2026, 12, 8, 11, 10))
    assert calls == [at(2026, 12, 8, 11)]
    stale = JobRun.objects.get(period=at(2026, 12, 8, 9))
    assert stale.status == "failed" and "did not finish" in stale.error


def test_a_dry_run_changes_nothing_and_reports_what_it_would_do(org, declare):
    touched = []

    def tidy(run):
        for n in (1, 2):
            if run.dry_run:
                run.did(f"would remove {n}", id=n)
            else:
                touched.append(n)
                run.did(f"removed {n}", id=n)

    schedule = declare("tidy", tidy, cron="0 3 * * *")
    run = runner.run_now(schedule, actor=org.admin, dry_run=True)
    assert touched == []
    assert (run.dry_run, run.trigger, run.status, run.actor) == (True, "manual", "succeeded", org.admin)
    assert [a["message"] for a in JobRun.objects.get(pk=run.pk).actions] == [
        "would remove 1",
        "would remove 2",
    ]
    # a dry run is no real run: the period still runs
    assert runner.run_due(timezone.now() + dt.timedelta(days=1))


def test_the_declarations_schedule_follows_the_code_until_an_administrator_changes_it(org, declare, calls):
    from lianke.core import schedules

    schedule = declare("tidy", calls.append, cron="0 3 * * *")
    # a release moves the default: the schedule follows
    schedules.job("tidy", calls.append, label="tidy", cron="0 4 * * *")
    runner.sync_declared()
    schedule.refresh_from_db()
    assert schedule.cron == "0 4 * * *"
    from lianke.core.models import ObjectChange

    change = ObjectChange.objects.filter(content_type__model="schedule", object_id=schedule.pk).latest("pk")
    assert (change.action, change.prechange_data["cron"], change.postchange_data["cron"]) == (
        "update",
        "0 3 * * *",
        "0 4 * * *",
    )
    # an administrator sets his own timing: a later release leaves it alone
    services.update_schedule(actor=org.admin, schedule=schedule, cron="30 1 * * *")
    schedules.job("tidy", calls.append, label="tidy", cron="0 5 * * *")
    runner.sync_declared()
    schedule.refresh_from_db()
    assert (schedule.cron, schedule.timing_customised) == ("30 1 * * *", True)
    assert Schedule.objects.filter(job="tidy").count() == 1


def test_a_configurable_job_runs_each_schedule_with_its_own_parameters(org, declare):
    seen = []
    declare("remind", lambda run: seen.append(run.params), configurable=True)
    services.create_schedule(
        actor=org.admin, job="remind", label="华东", cron="0 9 * * *", params={"region": "east"}
    )
    services.create_schedule(
        actor=org.admin, job="remind", label="华北", cron="0 9 * * *", params={"region": "north"}
    )
    Schedule.objects.update(active_since=at(2026, 12, 1))
    runner.run_due(at(2026, 12, 8, 9, 0, 5))
    assert sorted(p["region"] for p in seen) == ["east", "north"]


def test_a_job_that_is_not_configurable_takes_no_schedule_from_settings(org, declare, calls):
    from django.core.exceptions import ValidationError

    declare("tidy", calls.append, cron="0 3 * * *")
    with pytest.raises(ValidationError) as info:
        services.create_schedule(actor=org.admin, job="tidy", cron="0 4 * * *")
    assert [e.code for e in info.value.error_dict["job"]] == ["not_configurable"]


def test_finding_whats_due_costs_two_queries_however_many_schedules(
    declare, calls, django_assert_num_queries
):
    for n in range(12):
        made_at(declare(f"job_{n}", calls.append, cron="0 3 * * *"), at(2026, 12, 1))
    with django_assert_num_queries(2):
        due = runner.due(at(2026, 12, 8, 3, 0, 5))
    assert len([d for d in due if d.schedule.job.startswith("job_")]) == 12
