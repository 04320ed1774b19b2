"""Profile › API tokens on a phone (375 px, Chinese) and a desktop (English): a rep reaches it
from the user menu, creates a token, copies its key — shown this once —, sees it gone on the
next visit (only its name and prefix remain) and revokes it after confirming; the key then
stops working. Nothing sticks out of the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from lianke.org.models import ApiToken

from .conftest import DESKTOP, PHONE

SCREENS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True, "locale": "zh-CN"},
    "desktop": {"viewport": DESKTOP, "locale": "en-US"},
}
TEXT = {
    "phone": {"copied": "已复制", "none": "您还没有 API 令牌。", "revoked": "已撤销"},
    "desktop": {"copied": "Copied", "none": "You have no API tokens.", "revoked": "revoked"},
}


def api_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/customers/accounts/").status_code


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_a_rep_creates_copies_and_revokes_an_api_token(open_ui, org, screen):
    text = TEXT[screen]
    ui = open_ui(label=screen, permissions=["clipboard-read", "clipboard-write"], **SCREENS[screen])
    ui.login("rep_js")
    # the page is in the user menu
    ui.user_menu("#nav-api-tokens")
    expect(ui.page.locator("#api-tokens")).to_contain_text(text["none"])
    ui.assert_fits_screen()
    # create: a name, read and write, 30 days
    ui.page.fill("#id_name", "ERP 同步 " + "很长的名字" * 6)
    ui.page.check("input[name=scope][value=read_write]")
    ui.page.fill("#id_expires_days", "30")
    ui.page.click("#create-token")
    key_box = ui.page.locator("#new-token-key")
    expect(key_box).to_have_value(re.compile(r"^lk_[a-z0-9]{8}_[A-Za-z0-9]{40}$"))
    key = key_box.input_value()
    ui.assert_fits_screen()
    # copy it
    ui.page.click("#copy-token")
    expect(ui.page.locator("#copy-token")).to_contain_text(text["copied"])
    assert ui.page.evaluate("() => navigator.clipboard.readText()") == key
    ui.shot("created", full_page=True)
    assert api_status(key) == 200
    token = ApiToken.objects.get(user=org.rep_js)
    assert token.scope == "read_write" and token.expires_at is not None
    # shown once: the next visit lists the token by name and prefix, not the key
    ui.go("/profile/tokens/")
    expect(ui.page.locator("#new-token")).to_have_count(0)
    expect(ui.page.locator("#api-tokens")).to_contain_text(f"lk_{token.prefix}…")
    assert key not in ui.page.content()
    ui.assert_fits_screen()
    # revoke, after confirming
    ui.page.click(f"[data-revoke='{token.pk}']")
    ui.assert_fits_screen()
    ui.page.click("#confirm-revoke")
    expect(ui.page.locator("#messages")).to_contain_text(text["revoked"])
    expect(ui.page.locator("#api-tokens")).to_contain_text(text["none"])
    ui.assert_fits_screen()
    ui.shot("revoked", full_page=True)
    assert api_status(key) == 401


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_an_administrator_finds_a_reps_token_in_settings_and_revokes_it(open_ui, org, screen):
    from lianke.org.tokens import issue_token

    issued = issue_token(user=org.rep_js, name="ERP 同步 " + "很长的名字" * 6, scope="read", actor=org.rep_js)
    issue_token(user=org.rep_zj, name="报表脚本", scope="read", actor=org.rep_zj)
    ui = open_ui(label=screen, **SCREENS[screen])
    ui.login("admin")
    ui.go("/settings/")
    ui.page.locator('[data-settings-page="api_tokens"]').click()
    ui.page.locator("#token-search input[name=q]").fill(org.rep_js.username)
    ui.page.locator("#token-search button").click()
    rows = ui.page.locator("#all-api-tokens .list-group-item")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(org.rep_js.username)
    ui.assert_fits_screen()
    ui.shot("all-tokens")
    rows.first.locator(f'[data-revoke="{issued.token.pk}"]').click()
    ui.page.click("#confirm-revoke")
    expect(ui.page.locator(f"#token-{issued.token.pk}")).to_have_count(0)
    assert api_status(issued.key) == 401
