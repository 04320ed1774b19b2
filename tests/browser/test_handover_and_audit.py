"""Settings › Users › Hand over, and Settings › Audit, on a phone (375 px, Chinese) and a desktop
(English): an administrator chooses the colleague, sees what moves as soon as he is chosen,
confirms and reads what moved; then finds the handover, the transfers and his own sign-in in the
audit, filtered by kind. Nothing sticks out of the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lianke.customers.models import Account
from lianke.org.models import AuditEvent

from .conftest import DESKTOP, PHONE

SCREENS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True, "locale": "zh-CN"},
    "desktop": {"viewport": DESKTOP, "locale": "en-US"},
}
TEXT = {
    "phone": {"done": "没有剩余", "audit": "数据保护审计", "handover": "离职交接"},
    "desktop": {
        "done": "nothing is left",
        "audit": "Data-protection audit",
        "handover": "Handover of a leaving user",
    },
}


@pytest.mark.browser
@pytest.mark.both_databases  # the hand-over locks and moves rows in one transaction
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_an_administrator_hands_over_a_leaving_reps_accounts_and_audits_it(open_ui, org, screen):
    text = TEXT[screen]
    accounts = [Account.objects.create(name=f"苏州精工机械有限公司{i}", owner=org.rep_js) for i in range(3)]
    ui = open_ui(label=screen, **SCREENS[screen])
    ui.login("admin")
    ui.go(f"/settings/users/{org.rep_js.pk}/handover/")
    expect(ui.page.locator("#handover-form")).to_be_visible()
    ui.assert_fits_screen()
    # choosing the colleague shows what moves, without leaving the page
    ui.page.select_option("#id_to_user", str(org.rep_js2.pk))
    preview = ui.page.locator("#handover-report")
    expect(preview.locator('[data-kind="records:customers.account"] [data-count]')).to_have_text("3")
    expect(preview).to_contain_text("苏州精工机械有限公司0")
    ui.assert_fits_screen()
    ui.shot("preview", full_page=True)
    assert all(Account.all_objects.get(pk=a.pk).owner_id == org.rep_js.pk for a in accounts)
    # confirm
    ui.page.click("#confirm-handover")
    expect(ui.page.locator("#handover-complete")).to_contain_text(text["done"])
    ui.assert_fits_screen()
    ui.shot("done", full_page=True)
    assert all(Account.all_objects.get(pk=a.pk).owner_id == org.rep_js2.pk for a in accounts)
    # the audit shows the handover; filtered by its kind, only it
    ui.user_menu("#nav-audit")
    expect(ui.page.locator("h1")).to_have_text(text["audit"])
    expect(ui.page.locator('#audit-events [data-kind="handover"]')).to_have_count(1)
    expect(ui.page.locator('#audit-events [data-kind="sign_in"]').first).to_be_visible()
    ui.assert_fits_screen()
    ui.page.select_option("#id_kind", "handover")
    ui.page.click("#audit-search")
    expect(ui.page.locator("#audit-events .list-group-item")).to_have_count(1)
    expect(ui.page.locator("#audit-events")).to_contain_text(text["handover"])
    ui.assert_fits_screen()
    ui.shot("audit", full_page=True)
    assert AuditEvent.objects.filter(kind="handover", actor=org.admin).count() == 1
