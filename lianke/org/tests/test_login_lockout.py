"""Login throttling: a (username, IP) pair is locked after AXES_FAILURE_LIMIT failures, so one
person's typos do not lock everyone behind the same proxy; an IP is locked only after a much
higher number of failures across usernames; the client's IP is read behind a proxy only when the
operator says how many proxies to trust."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def attempt(username, password, ip="10.0.0.1", **headers):
    client = Client(REMOTE_ADDR=ip, **headers)
    response = client.post("/login/", {"username": username, "password": password})
    return response, client


def logged_in(result) -> bool:
    response, client = result
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 10
    settings.LIANKE_LOGIN_IP_FAILURE_LIMIT = 30
    settings.LIANKE_TRUSTED_PROXIES = 0


def test_ten_failures_for_one_user_lock_that_user_and_not_a_colleague_on_the_same_ip(org):
    # given ten wrong passwords for rep_js from the office's one address
    for _ in range(10):
        attempt("rep_js", "guess")
    # then rep_js is locked, even with the right password
    response, _client = attempt("rep_js", "pw-rep_js")
    assert response.status_code == 429
    # but a colleague behind the same address logs in
    assert logged_in(attempt("rep_zj", "pw-rep_zj"))
    # and rep_js can from another address
    assert logged_in(attempt("rep_js", "pw-rep_js", ip="10.0.0.2"))


def test_many_failures_across_usernames_from_one_ip_lock_that_ip(org):
    # given 30 failures from one address, spread over many usernames (none reaching 10)
    for i in range(30):
        attempt(f"guess{i % 6}", "guess", ip="203.0.113.9")
    # then the address is locked, even for a real user with the right password
    response, _client = attempt("rep_zj", "pw-rep_zj", ip="203.0.113.9")
    assert response.status_code == 429
    # while other addresses are not
    assert logged_in(attempt("rep_zj", "pw-rep_zj", ip="203.0.113.10"))


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(org):
    # given ten failures for rep_js, each claiming another address in X-Forwarded-For
    for i in range(10):
        attempt("rep_js", "guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    # then they all counted against the real peer address: rep_js is locked there
    response, _client = attempt("rep_js", "pw-rep_js", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_address_counts(org, settings):
    # given one trusted reverse proxy (10.0.0.254) in front of Lianke
    settings.LIANKE_TRUSTED_PROXIES = 1
    proxy = "10.0.0.254"
    # when rep_js fails ten times from 192.0.2.7 (a spoofed left-most entry is ignored)
    for i in range(10):
        attempt("rep_js", "guess", ip=proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 192.0.2.7")
    # then rep_js is locked at 192.0.2.7 only; the proxy's other clients are not
    response, _client = attempt("rep_js", "pw-rep_js", ip=proxy, HTTP_X_FORWARDED_FOR="192.0.2.7")
    assert response.status_code == 429
    assert logged_in(attempt("rep_js", "pw-rep_js", ip=proxy, HTTP_X_FORWARDED_FOR="192.0.2.8"))


def test_client_ip_reading():
    from django.test import RequestFactory, override_settings

    from lianke.org.security import client_ip

    def ip(remote, forwarded=None, proxies=0):
        headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        with override_settings(LIANKE_TRUSTED_PROXIES=proxies):
            return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))

    assert ip("10.0.0.1", "6.6.6.6") == "10.0.0.1"
    assert ip("10.0.0.254", "6.6.6.6, 192.0.2.7", proxies=1) == "192.0.2.7"
    assert ip("10.0.0.254", "6.6.6.6, 192.0.2.7, 10.0.0.253", proxies=2) == "192.0.2.7"
    assert ip("10.0.0.254", None, proxies=1) == "10.0.0.254"
    assert ip("10.0.0.254", "not-an-ip", proxies=1) == "10.0.0.254"
    assert ip("10.0.0.254", "192.0.2.7", proxies=3) == "192.0.2.7"
