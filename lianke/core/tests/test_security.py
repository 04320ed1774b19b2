"""The security baseline: throttled logins, strong hashing, security headers, escaped content."""

import pytest
from django.conf import settings
from django.test import Client


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_login_even_with_the_right_one(org, settings):
    # given login throttling after 3 failures
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    # when someone tries three wrong passwords for rep_js
    for _ in range(3):
        client.post("/login/", {"username": "rep_js", "password": "guess"})
    # then even the right password is refused for now, and no session is opened
    response = client.post("/login/", {"username": "rep_js", "password": "pw-rep_js"})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_right_password_logs_in_and_wrong_one_does_not(org):
    client = Client()
    assert client.post("/login/", {"username": "rep_js", "password": "nope"}).status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post("/login/", {"username": "rep_js", "password": "pw-rep_js"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(org.rep_js.pk)


def test_passwords_are_hashed_with_argon2_in_production():
    # the test settings swap in a fast hasher; the product's first hasher is Argon2
    from lianke import settings as product

    assert product.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_USER_MODEL == "org.User"


@pytest.mark.django_db
def test_pages_send_a_nonce_based_content_security_policy_and_no_framing(org, client_for):
    # when a signed-in user opens a page
    response = client_for(org.rep_js).get("/customers/account/")
    csp = response["Content-Security-Policy"]
    # then scripts may come only from us (inline ones need the page's nonce) and framing is denied
    assert "script-src 'self' 'nonce-" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()


@pytest.mark.django_db
def test_user_content_is_escaped_on_pages(org, client_for):
    # given an account whose name is an HTML/script injection attempt
    from lianke.customers.models import Account

    account = Account.objects.create(name='<script>alert("x")</script>', owner=org.rep_js)
    # when its page and the list are shown
    client = client_for(org.rep_js)
    for url in (f"/customers/account/{account.pk}/", "/customers/account/"):
        html = client.get(url).content.decode()
        # then the text is shown, never executed
        assert '<script>alert("x")</script>' not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(org):
    response = Client().get("/customers/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# ---------------------------------------------------------------------------------- request ids
@pytest.mark.django_db
@pytest.mark.parametrize("sent", ["abc-123", "0a1b2c3d4e5f", "trace.id:42_x", "A" * 64])
def test_a_well_formed_request_id_from_the_client_is_kept(org, client_for, sent):
    response = client_for(org.rep_js).get("/customers/account/", HTTP_X_REQUEST_ID=sent)
    assert response["X-Request-ID"] == sent


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sent",
    ["", "A" * 65, "id with spaces", "<script>", "a\tb", "日志", "x;drop table", "../../etc", "a\\b"],
)
def test_a_malformed_request_id_is_replaced_by_a_generated_one(org, client_for, api_for, sent):
    import re

    from lianke.core.models import ObjectChange
    from lianke.customers.models import Account

    # when a client sends a request id that is not a plain token (and creates a record with it)
    response = api_for(org.rep_js).post(
        "/api/customers/accounts/", {"name": "请求编号测试"}, format="json", HTTP_X_REQUEST_ID=sent
    )
    assert response.status_code == 201
    # then the response and the history carry a generated id instead, never the client's text
    rid = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    account = Account.objects.get(name="请求编号测试")
    change = ObjectChange.objects.get(content_type__model="account", object_id=account.pk, action="create")
    assert change.request_id == rid
