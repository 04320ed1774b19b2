"""``lianke jobs list`` and ``lianke jobs run NAME [--dry-run]``: the names other scripts rely on."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from lianke.jobs.models import JobRun

pytestmark = pytest.mark.django_db


def jobs(*args) -> str:
    out = io.StringIO()
    call_command("jobs", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_list_shows_each_schedule_with_its_timing_next_and_last_run(declare, calls):
    declare("tidy", lambda run: run.did("tidied"), cron="0 3 * * *")
    before = jobs("list")
    line = next(line for line in before.splitlines() if " tidy " in line)
    assert "0 3 * * *" in line and "yes" in line and line.rstrip().endswith("-")  # never run
    assert "purge_recycle_bin" in before  # core's own job
    jobs("run", "tidy")
    line = next(line for line in jobs("list").splitlines() if " tidy " in line)
    assert line.rstrip().endswith("succeeded")


def test_run_runs_the_job_now_as_a_manual_run_and_prints_what_it_did(declare):
    declare("tidy", lambda run: run.did("would tidy" if run.dry_run else "tidied"), cron="0 3 * * *")
    out = jobs("run", "tidy")
    assert "tidied" in out and "tidy succeeded" in out
    run = JobRun.objects.get()
    assert (run.trigger, run.dry_run, run.status) == ("manual", False, "succeeded")


def test_run_with_dry_run_prints_what_it_would_do_and_changes_nothing(declare):
    done = []

    def tidy(run):
        run.did("would tidy 3 rows")
        if not run.dry_run:
            done.append(1)

    declare("tidy", tidy, cron="0 3 * * *")
    out = jobs("run", "tidy", "--dry-run")
    assert "would tidy 3 rows" in out and "nothing was changed" in out
    assert done == [] and JobRun.objects.get().dry_run


def test_a_failing_run_exits_with_an_error_and_is_recorded(declare):
    def broken(run):
        raise RuntimeError("disk full")

    declare("broken", broken)
    with pytest.raises(CommandError, match="broken failed"):
        jobs("run", "broken")
    assert JobRun.objects.get().status == "failed"


def test_an_unknown_job_is_an_error():
    with pytest.raises(CommandError, match="nope"):
        jobs("run", "nope")
