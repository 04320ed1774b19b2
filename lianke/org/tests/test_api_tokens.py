"""API tokens: a key works once issued and stops working when it should — wrong, revoked,
expired, its user deactivated or their password changed (by a form, the settings, the
``changepassword`` command) —, a read-only token never writes, the plain key is never stored,
nobody lists or revokes someone else's tokens, and the last use is noted at most once a minute."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from lianke.core.models import ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.core.records.audit import history_for
from lianke.customers.models import Account
from lianke.org import tokens
from lianke.org.models import ApiToken, User
from lianke.org.tokens import issue_token

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/customers/accounts/"
PROFILE = "/profile/tokens/"


def with_key(key: str, scheme: str = "Token") -> APIClient:
    client = APIClient(headers={"accept-language": "en"})
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["detail"], body


def stored(token: ApiToken) -> ApiToken:
    return ApiToken.objects.get(pk=token.pk)


def web(user) -> Client:
    c = Client(headers={"accept-language": "en"})
    c.force_login(user)
    return c


# ------------------------------------------------------------------------------------ the key
def test_an_issued_key_reads_the_api_as_its_user_with_token_or_bearer(org):
    mine = Account.objects.create(name="苏州精工", owner=org.rep_js)
    Account.objects.create(name="杭州钢联", owner=org.rep_zj)
    issued = issue_token(user=org.rep_js, name="ERP")
    assert issued.key.startswith(f"lk_{issued.token.prefix}_")
    for scheme in ("Token", "Bearer", "bearer"):
        r = with_key(issued.key, scheme).get(ACCOUNTS)
        assert r.status_code == 200, r.content
        assert [row["id"] for row in r.json()["results"]] == [mine.pk]


def test_the_api_schema_describes_the_token(org, client_for):
    schema = client_for(org.rep_js).get("/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")


def test_the_database_never_holds_the_plain_key(org):
    # given a token made on the profile page (session, messages, history all written)
    r = web(org.rep_js).post(PROFILE, {"name": "报表脚本", "scope": "read_write"})
    key = r.context["issued"].key
    with_key(key).get(ACCOUNTS)
    # then no column of any table contains the key or its secret part
    secret = key.rsplit("_", 1)[1]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = repr(row)
                assert secret not in text, f"the key is stored in {table}"
    token = ApiToken.objects.get(user=org.rep_js)
    assert token.key_hash == tokens.hash_key(key) and token.prefix in key


@pytest.mark.parametrize(
    "header",
    [
        "Token " + "0" * 40,  # DRF's old format
        "Token lk_abcdefgh_" + "A" * 40,  # well formed, no such prefix
        "Token lk_",
        "Token lk_abc_def_ghi",
        "Token",  # no key
        "Token two words",
        "Bearer " + "x" * 500,
        "Token lk_ÄÖÜ",
    ],
)
def test_a_wrong_key_is_401_and_reads_nothing(org, header):
    Account.objects.create(name="苏州精工", owner=org.rep_js)
    issue_token(user=org.rep_js, name="ERP")
    client = APIClient(headers={"accept-language": "en"})
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    r = client.get(ACCOUNTS)
    refused(r, 401, "token_invalid")
    assert "results" not in r.json()
    assert r["WWW-Authenticate"] == "Token"


def test_the_right_prefix_with_a_wrong_secret_is_refused(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    forged = issued.key[:-1] + ("a" if issued.key[-1] != "a" else "b")
    refused(with_key(forged).get(ACCOUNTS), 401, "token_invalid")


def test_a_revoked_key_is_refused_with_its_reason(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    tokens.revoke_tokens(user=org.rep_js)
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")


def test_an_expired_key_is_refused(org):
    issued = issue_token(user=org.rep_js, name="ERP", expires_days=30)
    assert with_key(issued.key).get(ACCOUNTS).status_code == 200
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_expired")


def test_the_refusal_speaks_the_clients_language(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    tokens.revoke_tokens(user=org.rep_js)
    client = APIClient(headers={"accept-language": "zh-hans"})
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    r = client.get(ACCOUNTS)
    assert r.json()["code"] == "token_revoked" and "令牌" in r.json()["detail"]


# ---------------------------------------------------------------------------- revoked by events
def test_a_deactivated_users_tokens_are_revoked_and_stay_so_when_reactivated(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    org.rep_js.is_active = False
    org.rep_js.save()
    r = with_key(issued.key).get(ACCOUNTS)
    assert r.status_code == 401 and r.json()["code"] in ("token_revoked", "user_inactive")
    assert stored(issued.token).revoked_reason == "deactivated"
    org.rep_js.is_active = True
    org.rep_js.save()
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")


def test_an_inactive_users_token_is_refused_even_if_not_revoked(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    User.objects.filter(pk=org.rep_js.pk).update(is_active=False)  # around save(): no revocation
    refused(with_key(issued.key).get(ACCOUNTS), 401, "user_inactive")


def test_a_password_changed_by_the_users_form_revokes_their_tokens(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    other = issue_token(user=org.rep_zj, name="ERP")
    form = PasswordChangeForm(
        org.rep_js,
        {"old_password": "pw-rep_js", "new_password1": "Ganz-neu-2026!", "new_password2": "Ganz-neu-2026!"},
    )
    assert form.is_valid(), form.errors
    form.save()
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")
    assert stored(issued.token).revoked_reason == "password_changed"
    assert with_key(other.key).get(ACCOUNTS).status_code == 200  # someone else's stays


def test_a_password_set_in_the_settings_revokes_the_users_tokens(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    r = web(org.admin).post(
        f"/admin/org/user/{org.rep_js.pk}/password/",
        {"password1": "Ganz-neu-2026!", "password2": "Ganz-neu-2026!", "usable_password": "true"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")
    change = ObjectChange.objects.filter(content_type__model="apitoken", action="update").get()
    assert change.user == org.admin and change.postchange_data["revoked_reason"] == "password_changed"


def test_a_password_set_with_the_command_revokes_the_users_tokens(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    with mock.patch("getpass.getpass", return_value="Ganz-neu-2026!"):
        call_command("changepassword", "rep_js", stdout=StringIO())
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")


def test_an_unusable_password_set_in_code_revokes_too(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    org.rep_js.set_unusable_password()
    org.rep_js.save()
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")


def test_signing_in_and_a_hash_upgraded_at_sign_in_revoke_nothing(org, settings):
    issued = issue_token(user=org.rep_js, name="ERP")
    # the stored hash is MD5 (the tests' hasher); with PBKDF2 preferred, signing in re-hashes
    # the same password
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    before = User.objects.get(pk=org.rep_js.pk).password
    r = Client().post("/login/", {"username": "rep_js", "password": "pw-rep_js"})
    assert r.status_code == 302 and r["Location"] == "/"
    assert User.objects.get(pk=org.rep_js.pk).password != before  # upgraded (and last_login saved)
    assert with_key(issued.key).get(ACCOUNTS).status_code == 200


def test_a_set_password_form_without_the_old_one_revokes_as_well(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    form = SetPasswordForm(org.rep_js, {"new_password1": "Ganz-neu-2026!", "new_password2": "Ganz-neu-2026!"})
    assert form.is_valid(), form.errors
    form.save()
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")


# ---------------------------------------------------------------------------------- read only
@pytest.fixture
def read_only(org):
    return with_key(issue_token(user=org.rep_js, name="报表", scope="read").key)


def test_a_read_only_token_reads(org, read_only):
    mine = Account.objects.create(name="苏州精工", owner=org.rep_js)
    assert read_only.get(ACCOUNTS).status_code == 200
    assert read_only.get(f"{ACCOUNTS}{mine.pk}/").status_code == 200
    assert read_only.options(ACCOUNTS).status_code == 200


@pytest.mark.parametrize("verb", ["post", "put", "patch", "delete", "transfer"])
def test_a_read_only_token_writes_nothing(org, read_only, verb):
    mine = Account.objects.create(name="苏州精工", owner=org.rep_js, city="苏州")
    before = (list(Account.all_objects.values()), ObjectChange.objects.count())
    if verb == "post":
        r = read_only.post(ACCOUNTS, {"name": "新客户"}, format="json")
    elif verb == "transfer":
        r = read_only.post(f"{ACCOUNTS}{mine.pk}/transfer/", {"new_owner": org.rep_js2.pk}, format="json")
    else:
        r = getattr(read_only, verb)(f"{ACCOUNTS}{mine.pk}/", {"name": "改名", "city": "无锡"}, format="json")
    refused(r, 403, "token_read_only")
    assert (list(Account.all_objects.values()), ObjectChange.objects.count()) == before


@pytest.mark.parametrize("object_type", [ot.key for ot in registry])
def test_a_read_only_token_of_an_administrator_creates_nothing_of_any_type(org, object_type):
    ot = registry.get(object_type)
    client = with_key(issue_token(user=org.admin, name="报表", scope="read").key)
    count = ot.model.all_objects.count()
    url = f"/api/{ot.app_label}/{ot.api_plural}/"
    assert client.get(url).status_code == 200
    refused(client.post(url, {"name": "x"}, format="json"), 403, "token_read_only")
    refused(client.delete(f"{url}1/"), 403, "token_read_only")
    assert ot.model.all_objects.count() == count


def test_a_read_write_token_writes_within_the_users_rights(org, api_for):
    r = api_for(org.rep_js).post(ACCOUNTS, {"name": "新客户"}, format="json")
    assert r.status_code == 201 and Account.all_objects.get(name="新客户").owner == org.rep_js


def test_a_token_does_not_open_the_web_pages_or_their_bulk_actions(org):
    # given a read-write token and an account of its user
    mine = Account.objects.create(name="苏州精工", owner=org.rep_js)
    key = issue_token(user=org.rep_js, name="ERP").key
    browserless = Client(HTTP_AUTHORIZATION=f"Token {key}")
    # when it is sent to the bulk action and the profile page (session-only pages)
    bulk = browserless.post(
        "/customers/account/bulk/",
        {"action": "delete", "pks": str(mine.pk)},
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    profile = browserless.get(PROFILE)
    # then they answer as to a stranger and nothing changes
    assert bulk.status_code in (302, 403) and profile.status_code == 302
    assert Account.all_objects.get(pk=mine.pk).deleted_at is None


# ------------------------------------------------------------------------------------ last use
def test_the_last_use_is_written_at_most_once_a_minute(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    client = with_key(issued.key)
    assert stored(issued.token).last_used_at is None
    client.get(ACCOUNTS)
    first = stored(issued.token).last_used_at
    assert first is not None
    # a second request within the minute writes nothing
    with CaptureQueriesContext(connection) as queries:
        client.get(ACCOUNTS)
    assert not [q for q in queries if "apitoken" in q["sql"].lower() and "UPDATE" in q["sql"].upper()]
    assert stored(issued.token).last_used_at == first
    # a minute later it moves again
    ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=first - dt.timedelta(seconds=61))
    client.get(ACCOUNTS)
    assert stored(issued.token).last_used_at > first - dt.timedelta(seconds=1)


# ------------------------------------------------------------------------------------ history
def test_issuing_and_revoking_are_in_the_users_history_without_the_hash(org):
    issued = issue_token(user=org.rep_js, name="ERP", scope="read", actor=org.rep_js)
    tokens.revoke_tokens(user=org.rep_js, actor=org.admin)
    changes = list(history_for(org.rep_js).filter(content_type=ContentType.objects.get_for_model(ApiToken)))
    assert [(c.action, c.user) for c in changes] == [("update", org.admin), ("create", org.rep_js)]
    created = changes[1].postchange_data
    assert created["name"] == "ERP" and created["scope"] == "read"
    assert created["prefix"] == f"lk_{issued.token.prefix}…"
    assert "key_hash" not in created and issued.token.key_hash not in repr(changes[0].postchange_data)
    assert ("revoked_reason", "", "revoked") in changes[0].diff()
    # the settings' history lists them, named by user, token name and prefix
    page = web(org.admin).get(
        f"/admin/core/objectchange/?content_type__id__exact={changes[0].content_type_id}"
    )
    assert page.status_code == 200 and f"lk_{issued.token.prefix}…" in page.content.decode()


# ------------------------------------------------------------------------------- profile page
def test_the_profile_page_makes_a_token_and_shows_its_key_once(org):
    c = web(org.rep_js)
    r = c.post(PROFILE, {"name": "ERP 同步", "scope": "read", "expires_days": "90"})
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    key = r.context["issued"].key
    assert key in r.content.decode()
    token = ApiToken.objects.get(user=org.rep_js)
    assert (token.name, token.scope) == ("ERP 同步", "read")
    assert dt.timedelta(days=89) < token.expires_at - timezone.now() <= dt.timedelta(days=90)
    # shown once: the list afterwards names the token, never the key
    page = c.get(PROFILE).content.decode()
    assert "ERP 同步" in page and f"lk_{token.prefix}…" in page and key not in page
    assert with_key(key).get(ACCOUNTS).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scope": "read"}, "name"),
        ({"name": "   ", "scope": "read"}, "name"),
        ({"name": "x" * 101, "scope": "read"}, "name"),
        ({"name": "ERP", "scope": "admin"}, "scope"),
        ({"name": "ERP", "scope": "read", "expires_days": "0"}, "expires_days"),
        ({"name": "ERP", "scope": "read", "expires_days": "99999"}, "expires_days"),
        ({"name": "ERP", "scope": "read", "expires_days": "soon"}, "expires_days"),
    ],
)
def test_bad_input_on_the_profile_page_names_the_field_and_makes_nothing(org, data, field):
    r = web(org.rep_js).post(PROFILE, data)
    assert r.status_code == 400
    assert field in r.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_profile_lists_only_the_users_live_tokens(org):
    issue_token(user=org.rep_js, name="我的令牌")
    issue_token(user=org.rep_js2, name="同事的令牌")
    gone = issue_token(user=org.rep_js, name="已撤销")
    tokens.revoke_tokens(user=org.rep_js, tokens=ApiToken.objects.filter(pk=gone.token.pk))
    page = web(org.rep_js).get(PROFILE).content.decode()
    assert "我的令牌" in page and "同事的令牌" not in page and "已撤销" not in page


def test_the_profile_revokes_a_token_after_confirmation(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    c = web(org.rep_js)
    confirm = c.get(f"{PROFILE}{issued.token.pk}/revoke/")
    assert confirm.status_code == 200 and stored(issued.token).revoked_at is None
    r = c.post(f"{PROFILE}{issued.token.pk}/revoke/")
    assert r.status_code == 302
    assert stored(issued.token).revoked_reason == "revoked"
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")


@pytest.mark.parametrize("method", ["get", "post"])
def test_nobody_revokes_someone_elses_token_by_guessing_its_id(org, method):
    theirs = issue_token(user=org.rep_js2, name="同事的令牌")
    for attacker in (org.rep_js, org.manager_js, org.admin):
        r = getattr(web(attacker), method)(f"{PROFILE}{theirs.token.pk}/revoke/")
        assert r.status_code == 404
    assert web(org.rep_js).get(f"{PROFILE}{theirs.token.pk + 1000}/revoke/").status_code == 404
    assert stored(theirs.token).revoked_at is None
    assert with_key(theirs.key).get(ACCOUNTS).status_code == 200


def test_the_profile_needs_a_signed_in_user(org):
    assert Client().get(PROFILE).status_code == 302
    assert Client().post(PROFILE, {"name": "x", "scope": "read"}).status_code == 302
    assert not ApiToken.objects.exists()


# ---------------------------------------------------------------------------------- settings
def test_an_administrator_revokes_a_users_tokens_in_the_settings(org):
    issued = issue_token(user=org.rep_js, name="ERP")
    kept = issue_token(user=org.rep_zj, name="ERP")
    r = web(org.admin).post(
        "/admin/org/apitoken/", {"action": "revoke", "_selected_action": [issued.token.pk]}
    )
    assert r.status_code == 302
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")
    assert with_key(kept.key).get(ACCOUNTS).status_code == 200
    listing = web(org.admin).get("/admin/org/apitoken/")
    assert listing.status_code == 200
    assert (
        issued.key not in listing.content.decode() and issued.token.key_hash not in listing.content.decode()
    )


def test_a_staff_member_with_djangos_token_permissions_neither_sees_nor_revokes_tokens(org):
    from django.contrib.auth.models import Permission

    issued = issue_token(user=org.rep_js, name="ERP")
    org.manager_js.is_staff = True
    org.manager_js.save()
    org.manager_js.user_permissions.set(Permission.objects.filter(codename__endswith="_apitoken"))
    c = web(org.manager_js)
    assert c.get("/admin/org/apitoken/").status_code == 403
    c.post("/admin/org/apitoken/", {"action": "revoke", "_selected_action": [issued.token.pk]})
    assert stored(issued.token).revoked_at is None
    assert with_key(issued.key).get(ACCOUNTS).status_code == 200


# ----------------------------------------------------------------------------------- command
def run_token(*args) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue().strip()


def test_the_command_prints_a_new_named_token(org):
    key = run_token("rep_js", "--name", "CI", "--scope", "read", "--expires-days", "30")
    token = ApiToken.objects.get(user=org.rep_js)
    assert (token.name, token.scope) == ("CI", "read") and token.expires_at is not None
    assert with_key(key).get(ACCOUNTS).status_code == 200
    refused(with_key(key).post(ACCOUNTS, {"name": "x"}, format="json"), 403, "token_read_only")
    # a second call makes another token; both work
    second = run_token("rep_js")
    assert second != key and with_key(key).get(ACCOUNTS).status_code == 200
    assert ApiToken.objects.get(prefix=second.split("_")[1]).scope == "read_write"


def test_the_command_rotates(org):
    old = run_token("rep_js")
    new = run_token("rep_js", "--rotate")
    refused(with_key(old).get(ACCOUNTS), 401, "token_revoked")
    assert with_key(new).get(ACCOUNTS).status_code == 200
    assert ApiToken.objects.get(prefix=old.split("_")[1]).revoked_reason == "rotated"


@pytest.mark.parametrize(
    "args",
    [
        ["nobody-here"],
        ["rep_js", "--name", "  "],
        ["rep_js", "--scope", "admin"],
        ["rep_js", "--expires-days", "0"],
        ["rep_js", "--expires-days", "soon"],
    ],
)
def test_the_command_refuses_bad_input_and_makes_nothing(org, args):
    with pytest.raises((CommandError, SystemExit)):
        run_token(*args)
    assert not ApiToken.objects.exists()


def test_the_command_refuses_an_inactive_user(org):
    org.rep_js.is_active = False
    org.rep_js.save()
    with pytest.raises(CommandError):
        run_token("rep_js")
    assert not ApiToken.objects.exists()


# ----------------------------------------------------------------------- Settings › API tokens
SETTINGS = "/settings/tokens/"


def test_an_administrator_sees_everyones_live_tokens_and_finds_them_by_user(org):
    mine = issue_token(user=org.rep_js, name="ERP 同步", scope="read", actor=org.rep_js)
    theirs = issue_token(user=org.rep_zj, name="报表脚本", scope="read_write", actor=org.rep_zj)
    gone = issue_token(user=org.rep_zj, name="旧脚本", scope="read", actor=org.rep_zj)
    tokens.revoke_tokens(user=org.rep_zj, tokens=ApiToken.objects.filter(pk=gone.token.pk), actor=org.rep_zj)
    page = web(org.admin).get(SETTINGS)
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert f'id="token-{mine.token.pk}"' in html and f'id="token-{theirs.token.pk}"' in html
    assert f'id="token-{gone.token.pk}"' not in html  # revoked: no longer a live token
    assert mine.key not in html and mine.token.key_hash not in html
    found = web(org.admin).get(SETTINGS, {"q": org.rep_zj.username}).content.decode()
    assert f'id="token-{theirs.token.pk}"' in found and f'id="token-{mine.token.pk}"' not in found
    assert web(org.admin).get(SETTINGS, {"q": "ERP\x00"}).status_code == 200  # no 500 on PostgreSQL


def test_an_administrator_revokes_a_users_token_and_it_stops_at_once(org):
    issued = issue_token(user=org.rep_js, name="ERP 同步", scope="read", actor=org.rep_js)
    assert with_key(issued.key).get(ACCOUNTS).status_code == 200
    admin = web(org.admin)
    assert admin.get(f"{SETTINGS}{issued.token.pk}/revoke/").status_code == 200
    response = admin.post(f"{SETTINGS}{issued.token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == SETTINGS
    refused(with_key(issued.key).get(ACCOUNTS), 401, "token_revoked")
    change = history_for(org.rep_js).filter(content_type=ContentType.objects.get_for_model(ApiToken)).first()
    assert (change.action, change.user) == ("update", org.admin)
    from lianke.org.models import AuditEvent

    assert AuditEvent.objects.filter(kind="token_revoked", actor=org.admin).exists()
    # a revoked token is no longer there to revoke
    assert admin.post(f"{SETTINGS}{issued.token.pk}/revoke/").status_code == 404


@pytest.mark.parametrize("who", ["rep_js", "manager_js", "ops"])
def test_nobody_but_an_administrator_lists_or_revokes_other_peoples_tokens(org, who):
    issued = issue_token(user=org.rep_zj, name="报表脚本", scope="read", actor=org.rep_zj)
    client = web(getattr(org, who))
    assert client.get(SETTINGS).status_code == 403
    assert client.post(f"{SETTINGS}{issued.token.pk}/revoke/").status_code == 403
    assert stored(issued.token).revoked_at is None
    assert Client().get(SETTINGS).status_code == 302  # a visitor: the sign-in page
