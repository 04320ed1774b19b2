"""The one guard of outgoing URLs: only http(s), no link-local / metadata / loopback / private
address (whatever a host name resolves to) unless allow-listed; and the sealing of secrets."""

from __future__ import annotations

import pytest

from lianke.core import outgoing
from lianke.core.outgoing import OutgoingRefused
from lianke.core.records import sealing


@pytest.fixture
def dns(monkeypatch):
    """Host names resolve to what the test says."""
    table: dict[str, list[str]] = {}

    def resolve(host, port):
        if host in table:
            return table[host]
        return [host]  # an IP literal

    monkeypatch.setattr(outgoing, "resolve", resolve)
    return table


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8000/",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://172.16.0.1/",
        "http://100.100.100.200/",  # Alibaba Cloud metadata
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
        "ftp://example.com/file",
        "gopher://example.com/",
        "http:///nohost",
        "http://user:pw@example.com/",
    ],
)
def test_refused(url, dns, settings):
    settings.LIANKE_OUTGOING_ALLOW = []
    with pytest.raises(OutgoingRefused):
        outgoing.check_url(url)


def test_a_host_name_resolving_to_a_private_address_is_refused(dns, settings):
    settings.LIANKE_OUTGOING_ALLOW = []
    dns["erp.example.com"] = ["93.184.216.34", "10.0.0.5"]  # one bad address is enough
    with pytest.raises(OutgoingRefused, match="10.0.0.5"):
        outgoing.check_url("https://erp.example.com/hook")
    dns["metadata.example.com"] = ["169.254.169.254"]
    with pytest.raises(OutgoingRefused, match="metadata"):
        outgoing.check_url("http://metadata.example.com/")


def test_a_public_address_is_allowed(dns, settings):
    settings.LIANKE_OUTGOING_ALLOW = []
    dns["hooks.example.com"] = ["93.184.216.34"]
    target = outgoing.check_url("https://hooks.example.com/in?x=1")
    assert (target.host, target.port, target.path, target.addresses) == (
        "hooks.example.com",
        443,
        "/in?x=1",
        ("93.184.216.34",),
    )


def test_an_allow_listed_private_network_or_host_is_allowed(dns, settings):
    settings.LIANKE_OUTGOING_ALLOW = ["10.20.0.0/16", "erp.lan"]
    dns["erp.lan"] = ["192.168.5.5"]
    assert outgoing.check_url("http://10.20.3.4:8080/").addresses == ("10.20.3.4",)
    assert outgoing.check_url("http://erp.lan/").addresses == ("192.168.5.5",)
    with pytest.raises(OutgoingRefused):
        outgoing.check_url("http://10.21.0.1/")


def test_link_local_and_metadata_are_refused_even_when_allow_listed(dns, settings):
    settings.LIANKE_OUTGOING_ALLOW = ["0.0.0.0/0", "169.254.0.0/16", "::/0"]
    for url in ("http://169.254.169.254/", "http://100.100.100.200/", "http://[fe80::1]/"):
        with pytest.raises(OutgoingRefused, match="metadata"):
            outgoing.check_url(url)


def test_sealing_round_trips_and_detects_tampering(settings):
    token = sealing.seal("密钥 secret")
    assert sealing.unseal(token) == "密钥 secret" and "secret" not in token
    raw = token[len(sealing.PREFIX) :]
    flipped = raw[:30] + ("A" if raw[30] != "A" else "B") + raw[31:]
    with pytest.raises(sealing.UnsealError):
        sealing.unseal(sealing.PREFIX + flipped)
    settings.SECRET_KEY = "another key"
    with pytest.raises(sealing.UnsealError):
        sealing.unseal(token)
