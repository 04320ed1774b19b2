"""Settings › Scheduled jobs on a phone (375 px) and a desktop: an administrator opens it from
the user menu, runs the recycle-bin purge now, sees the run appear in its log and, once the
worker has run it, its result without reloading (the running row asks again)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.jobs.models import JobRun, Schedule
from lianke.jobs.tasks import execute_run

from .conftest import PHONE


@pytest.mark.browser
@pytest.mark.both_databases  # a run is claimed with the database lock
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_an_administrator_runs_a_job_now_and_sees_the_run(open_ui, org, viewport):
    phone = viewport == "phone"
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label="phone") if phone else open_ui()
    ui.login("admin")
    ui.go("/")
    ui.user_menu("#nav-jobs")
    expect(ui.page).to_have_url(re.compile(r"/settings/jobs/$"))
    purge = Schedule.objects.get(job="purge_recycle_bin", source="code")
    row = ui.page.locator(f"#schedule-{purge.pk}")
    expect(row).to_contain_text("0 3 * * *")
    ui.assert_fits_screen()
    ui.shot("list")
    # run now: the run is claimed and shown in the log at once
    row.locator("button.run-now").click()
    expect(ui.page).to_have_url(re.compile(rf"/settings/jobs/{purge.pk}/$"))
    run = JobRun.objects.get(schedule=purge)
    line = ui.page.locator(f"#run-{run.pk}")
    expect(line.locator(".run-status")).to_have_attribute("data-status", "running")
    ui.assert_fits_screen()
    # the worker runs it; the row follows without a reload
    execute_run.call(run.pk)
    expect(ui.page.locator(f"#run-{run.pk} .run-status")).to_have_attribute(
        "data-status", "succeeded", timeout=15_000
    )
    ui.shot("run-log", full_page=True)
    assert JobRun.objects.get(pk=run.pk).actor == org.admin
    # a timing that does not parse is refused on the form, naming the field; nothing changes
    ui.errors.allow(r"status of 400 \(Bad Request\).*/settings/jobs/\d+/edit/")  # the refused form's answer
    ui.go(f"/settings/jobs/{purge.pk}/edit/")
    ui.page.fill("#id_cron", "每天三点")
    ui.page.click("#save-schedule")
    expect(ui.page.locator('[data-error-code="invalid_cron"]')).to_be_visible()
    ui.assert_fits_screen()
    assert Schedule.objects.get(pk=purge.pk).cron == "0 3 * * *"
