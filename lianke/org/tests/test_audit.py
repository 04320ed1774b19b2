"""The data-protection audit: every producer writes its event (sign-ins and failures, exports and
the approval threshold, bulk transfers and deletes, permission and role changes, API tokens),
and Settings › Audit shows them to administrators only, filtered and paged newest first."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from lianke.core.records import services
from lianke.customers.models import Account
from lianke.org import tokens
from lianke.org.choices import AuditKind
from lianke.org.models import AuditEvent, Role, User

pytestmark = pytest.mark.django_db

AUDIT_URL = "/settings/audit/"
EXPORT_URL = "/customers/account/export/"


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language."""


def events(kind):
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


# ---------------------------------------------------------------------------------- sign-ins
def test_a_sign_in_and_a_failed_one_are_audited_with_the_address(org):
    client = Client(REMOTE_ADDR="203.0.113.7")
    client.post("/login/", {"username": "rep_js", "password": "wrong"})
    client.post("/login/", {"username": "rep_js", "password": "pw-rep_js"})
    [failed] = events(AuditKind.SIGN_IN_FAILED)
    [signed] = events(AuditKind.SIGN_IN)
    assert failed.actor_id == org.rep_js.pk and failed.actor_name == "rep_js" and failed.ip == "203.0.113.7"
    assert "wrong" not in str(failed.data) and "wrong" not in failed.summary  # never the password
    assert signed.actor_id == org.rep_js.pk and signed.ip == "203.0.113.7"


def test_a_failed_sign_in_of_an_unknown_name_keeps_the_name(org):
    Client(REMOTE_ADDR="203.0.113.8").post("/login/", {"username": "ghost", "password": "x"})
    [failed] = events(AuditKind.SIGN_IN_FAILED)
    assert failed.actor_id is None and failed.actor_name == "ghost" and failed.data == {"known_user": False}


# ---------------------------------------------------------------------------------- exports
@pytest.fixture
def accounts(org):
    return [Account.objects.create(name=f"苏州{i}", owner=org.rep_js, level="a") for i in range(3)]


def test_an_export_is_audited_with_the_list_the_filter_and_the_row_count(org, accounts, client_for):
    response = client_for(org.manager_js).get(EXPORT_URL, {"level": "a", "format": "csv"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    [event] = events(AuditKind.EXPORT)
    assert event.actor_id == org.manager_js.pk and event.object_type == "customers.account"
    assert event.data["rows"] == 3 and event.data["query"] == "level=a" and event.data["format"] == "csv"


def test_an_export_above_the_threshold_is_refused_recorded_and_nothing_exported(
    org, accounts, client_for, settings
):
    settings.LIANKE_EXPORT_APPROVAL_ROWS = 2
    response = client_for(org.manager_js).get(EXPORT_URL, {"format": "csv"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert 'data-error-code="export_needs_approval"' in body
    assert "more than 2 rows can be exported only with an approval" in body
    assert "苏州0" not in body
    assert not events(AuditKind.EXPORT)
    [refused] = events(AuditKind.EXPORT_REFUSED)
    assert refused.actor_id == org.manager_js.pk and refused.data["rows"] == 3 and refused.data["limit"] == 2


def test_a_registered_approval_hook_offers_the_request(org, accounts, client_for, settings, monkeypatch):
    from lianke.core.ui import exports

    settings.LIANKE_EXPORT_APPROVAL_ROWS = 2
    monkeypatch.setattr(exports, "_approval_hooks", [])
    asked = []
    exports.register_export_approval(lambda user, ot, query, count: asked.append(count) or "/approvals/new/")
    body = client_for(org.manager_js).get(EXPORT_URL).content.decode()
    assert asked == [3] and 'href="/approvals/new/"' in body


def test_the_threshold_at_zero_needs_no_approval(org, accounts, client_for, settings):
    settings.LIANKE_EXPORT_APPROVAL_ROWS = 0
    assert client_for(org.manager_js).get(EXPORT_URL).status_code == 200


# ---------------------------------------------------------------------------------- bulk actions
def test_bulk_transfers_and_deletes_are_audited(org, accounts):
    services.transfer_in_bulk(actor=org.admin, records=accounts[:2], new_owner=org.rep_js2)
    services.delete_in_bulk(actor=org.admin, records=accounts[2:])
    [moved] = events(AuditKind.BULK_TRANSFER)
    [deleted] = events(AuditKind.BULK_DELETE)
    assert moved.actor_id == org.admin.pk and moved.data["count"] == 2 and moved.data["to"] == org.rep_js2.pk
    assert sorted(moved.data["ids"]) == sorted(a.pk for a in accounts[:2])
    assert deleted.data["ids"] == [accounts[2].pk] and deleted.object_type == "customers.account"


def test_a_refused_bulk_transfer_is_not_audited_as_done(org, accounts):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.transfer_in_bulk(actor=org.rep_zj, records=accounts, new_owner=org.rep_zj)
    assert not events(AuditKind.BULK_TRANSFER)


# ---------------------------------------------------------------------------------- permissions
def test_role_and_grant_changes_in_the_settings_are_audited(org, client_for):
    admin = client_for(org.admin)
    role = org.roles["sales_rep"]
    response = admin.post(
        f"/admin/org/role/{role.pk}/change/",
        {
            "name": role.name,
            "is_active": "on",
            "description": "changed",
            "permissions-TOTAL_FORMS": "0",
            "permissions-INITIAL_FORMS": "0",
            "field_permissions-TOTAL_FORMS": "0",
            "field_permissions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code in (200, 302)
    changed = [e for e in events(AuditKind.PERMISSION_CHANGE) if e.object_type == "org.role"]
    assert changed and changed[-1].actor_id == org.admin.pk


def test_a_users_roles_changed_is_audited_and_his_name_is_not(org):
    from lianke.core.models import ObjectChange
    from lianke.core.records import audit

    user = org.rep_js
    before = audit.config_snapshot(user)
    user.roles.add(org.roles["sales_manager"])
    audit.record(
        ObjectChange.ActionChoices.UPDATE, user, before, audit.config_snapshot(user), actor=org.admin
    )
    before = audit.config_snapshot(user)
    User.objects.filter(pk=user.pk).update(title="经理")
    user.refresh_from_db()
    audit.record(
        ObjectChange.ActionChoices.UPDATE, user, before, audit.config_snapshot(user), actor=org.admin
    )
    [event] = events(AuditKind.PERMISSION_CHANGE)
    assert event.data["changed"] == ["roles"] and event.actor_id == org.admin.pk
    assert org.roles["sales_manager"].pk in event.data["after"]["roles"]


def test_a_new_role_is_audited(org):
    from lianke.core.models import ObjectChange
    from lianke.core.records import audit

    role = Role.objects.create(name="审计员")
    audit.record(ObjectChange.ActionChoices.CREATE, role, None, audit.config_snapshot(role), actor=org.admin)
    assert [e.data["object"] for e in events(AuditKind.PERMISSION_CHANGE)] == ["审计员"]


# ---------------------------------------------------------------------------------- tokens
def test_token_creation_and_revocation_are_audited_without_the_key(org):
    issued = tokens.issue_token(user=org.rep_js, name="ERP", actor=org.rep_js)
    tokens.revoke_tokens(user=org.rep_js, actor=org.admin)
    [created] = events(AuditKind.TOKEN_CREATED)
    [revoked] = events(AuditKind.TOKEN_REVOKED)
    assert created.actor_id == org.rep_js.pk and revoked.actor_id == org.admin.pk
    assert created.data["token_id"] == issued.token.pk
    for event in (created, revoked):
        assert issued.key not in event.summary and issued.key not in str(event.data)
        assert issued.token.key_hash not in str(event.data)


# ---------------------------------------------------------------------------------- the page
@pytest.mark.parametrize("who", ["manager_js", "ops", "rep_js", "nobody"])
def test_only_administrators_see_the_audit(org, client_for, who):
    AuditEvent.objects.create(kind=AuditKind.SIGN_IN, summary="secret-summary")
    response = client_for(getattr(org, who)).get(AUDIT_URL)
    assert response.status_code == 403
    assert b"secret-summary" not in response.content


def test_a_visitor_is_sent_to_sign_in(org):
    response = Client().get(AUDIT_URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.fixture
def log(org):
    now = timezone.now()
    rows = [
        (AuditKind.SIGN_IN, org.rep_js, "rep_js", now - dt.timedelta(days=3)),
        (AuditKind.EXPORT, org.manager_js, "客户: 4000", now - dt.timedelta(days=1)),
        (AuditKind.EXPORT_REFUSED, org.rep_js, "客户: 9000", now),
    ]
    return [
        AuditEvent.objects.create(kind=k, actor=u, actor_name=u.username, summary=s, at=at)
        for k, u, s, at in rows
    ]


def _shown(response):
    import re

    return [int(pk) for pk in re.findall(r'data-event="(\d+)"', response.content.decode())]


def test_the_audit_lists_newest_first_and_filters(org, client_for, log):
    admin = client_for(org.admin)
    AuditEvent.objects.exclude(pk__in=[e.pk for e in log]).delete()  # the admin's own sign-in
    assert _shown(admin.get(AUDIT_URL)) == [log[2].pk, log[1].pk, log[0].pk]
    assert _shown(admin.get(AUDIT_URL, {"kind": "export"})) == [log[1].pk]
    assert _shown(admin.get(AUDIT_URL, {"user": org.rep_js.pk})) == [log[2].pk, log[0].pk]
    assert _shown(admin.get(AUDIT_URL, {"q": "9000"})) == [log[2].pk]
    two_days_ago = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    assert _shown(admin.get(AUDIT_URL, {"start": two_days_ago})) == [log[2].pk, log[1].pk]
    assert _shown(admin.get(AUDIT_URL, {"end": two_days_ago})) == [log[0].pk]


def test_a_bad_filter_is_a_coded_error_and_no_events(org, client_for, log):
    response = client_for(org.admin).get(AUDIT_URL, {"start": "2026-05-02", "end": "2026-05-01"})
    assert response.status_code == 400
    assert 'data-error-code="out_of_range"' in response.content.decode() and _shown(response) == []
    response = client_for(org.admin).get(AUDIT_URL, {"kind": "nonsense"})
    assert 'data-error-code="invalid_choice"' in response.content.decode()
    # a person number too large for a key is no person; the calendar's last day is no bound
    response = client_for(org.admin).get(AUDIT_URL, {"user": "9" * 25})
    assert response.status_code == 400 and 'data-error-code="invalid_choice"' in response.content.decode()
    response = client_for(org.admin).get(AUDIT_URL, {"start": "0001-01-01", "end": "9999-12-31"})
    assert response.status_code == 200 and len(_shown(response)) == AuditEvent.objects.count()


def test_the_audit_pages_by_keyset(org, client_for, monkeypatch):
    from lianke.org import views

    monkeypatch.setattr(views, "AUDIT_PAGE", 2)
    AuditEvent.objects.all().delete()
    now = timezone.now()
    made = [
        AuditEvent.objects.create(kind=AuditKind.EXPORT, summary=str(i), at=now - dt.timedelta(minutes=i))
        for i in range(5)
    ]
    admin = Client()
    admin.force_login(org.admin)
    AuditEvent.objects.filter(kind=AuditKind.SIGN_IN).delete()
    seen, url = [], AUDIT_URL + "?kind=export"
    while url:
        response = admin.get(url)
        seen += _shown(response)
        import re

        found = re.search(r'href="(\?[^"]*after=[^"]*)" id="audit-older"', response.content.decode())
        url = AUDIT_URL + found[1].replace("&amp;", "&") if found else None
    assert seen == [e.pk for e in made]
    assert admin.get(AUDIT_URL, {"after": "garbage"}).status_code == 200


def test_the_audit_page_is_translated(org):
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(org.admin)
    AuditEvent.objects.create(kind=AuditKind.EXPORT, summary="x")
    body = client.get(AUDIT_URL).content.decode()
    assert "数据保护审计" in body and "导出" in body


def test_the_audit_page_costs_the_same_queries_for_many_events(org, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = client_for(org.admin)
    AuditEvent.objects.create(kind=AuditKind.EXPORT, actor=org.rep_js, summary="x")
    admin.get(AUDIT_URL)  # the configuration is read once
    with CaptureQueriesContext(connection) as few:
        admin.get(AUDIT_URL)
    for user in (org.rep_js2, org.manager_js, org.ops, org.lead_js):
        AuditEvent.objects.create(kind=AuditKind.EXPORT, actor=user, summary="y")
    with CaptureQueriesContext(connection) as many:
        admin.get(AUDIT_URL)
    assert len(many) == len(few)


def test_only_administrators_find_the_audit_in_the_user_menu(org, client_for):
    assert AUDIT_URL in client_for(org.admin).get("/").content.decode()
    assert AUDIT_URL not in client_for(org.ops).get("/").content.decode()


def test_the_fallback_admin_shows_the_audit_read_only_to_administrators(org, client_for):
    event = AuditEvent.objects.create(kind=AuditKind.EXPORT, summary="admin-visible")
    admin = client_for(org.admin)
    assert "admin-visible" in admin.get("/admin/org/auditevent/").content.decode()
    assert admin.post(f"/admin/org/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert client_for(org.ops).get("/admin/org/auditevent/").status_code in (302, 403)
