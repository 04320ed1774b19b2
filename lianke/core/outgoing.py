"""The one way out: every request the product makes to a URL someone configured (webhooks, later
an ERP or WeChat) goes through :func:`post` / :func:`check_url`, which refuse server-side request
forgery.

- ``http`` and ``https`` only; the host is resolved once and **every** address it resolves to
  must be allowed, and the connection goes to that checked address (no second lookup that a
  rebinding DNS server could answer differently); HTTPS still verifies the certificate for the
  host name.
- Link-local addresses (169.254.0.0/16, fe80::/10) and the cloud metadata services are always
  refused. Loopback, private, shared and reserved networks are refused unless the operator
  allow-lists them with ``LIANKE_OUTGOING_ALLOW`` (comma-separated CIDRs, addresses or host
  names): an on-premises ERP usually lives on a private LAN.
- Redirects are never followed: a 3xx is returned to the caller as it is (a webhook counts it
  as a failure). Connect and read time out (``LIANKE_OUTGOING_TIMEOUT`` seconds).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Never reachable, allow-list or not: link-local (where the metadata services of most clouds
# answer) and the metadata / host services outside it (Alibaba Cloud, Azure, AWS over IPv6).
ALWAYS_REFUSED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.0.0/16", "fe80::/10", "100.100.100.200/32", "168.63.129.16/32", "fd00:ec2::254/128")
)
MAX_RESPONSE_BYTES = 64 * 1024


class OutgoingRefused(ValueError):
    """The URL may not be requested (scheme, host or address refused)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    addresses: tuple[str, ...]


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _allow_list() -> tuple[list[IPNetwork], set[str]]:
    networks: list[IPNetwork] = []
    hosts: set[str] = set()
    for entry in getattr(settings, "LIANKE_OUTGOING_ALLOW", ()):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return networks, hosts


def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` (a seam for tests)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _ip(address: str) -> IPAddress:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def check_address(host: str, address: str) -> None:
    ip = _ip(address)
    if any(ip.version == net.version and ip in net for net in ALWAYS_REFUSED):
        raise OutgoingRefused(f"{host} resolves to {ip}, a link-local or cloud metadata address")
    if ip.is_global and not ip.is_multicast:
        return
    networks, hosts = _allow_list()
    if host.lower().rstrip(".") in hosts or any(ip.version == n.version and ip in n for n in networks):
        return
    raise OutgoingRefused(
        f"{host} resolves to {ip}, a loopback, private or reserved address (allow it with LIANKE_OUTGOING_ALLOW)"
    )


def check_url(url: str) -> Target:
    """Refuse (``OutgoingRefused``) a URL that may not be requested; else where to connect."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutgoingRefused(f"invalid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutgoingRefused(f"only http and https URLs may be requested, not {scheme or 'none'}")
    host = parts.hostname
    if not host:
        raise OutgoingRefused("the URL has no host")
    if parts.username or parts.password:
        raise OutgoingRefused("credentials in the URL are not accepted")
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise OutgoingRefused(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise OutgoingRefused(f"cannot resolve {host}")
    for address in addresses:
        check_address(host, address)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, path, tuple(addresses))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None) -> Response:
    """POST ``body`` to ``url`` after :func:`check_url`; the response as it is (redirects not
    followed; the body cut at 64 KiB). Network failures raise ``OSError``."""
    target = check_url(url)
    timeout = timeout if timeout is not None else settings.LIANKE_OUTGOING_TIMEOUT
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = cls(target.host, target.port, address=target.addresses[0], timeout=timeout)
    try:
        conn.request("POST", target.path, body=body, headers={"User-Agent": "Lianke-CRM", **headers})
        resp = conn.getresponse()
        return Response(resp.status, resp.reason, dict(resp.getheaders()), resp.read(MAX_RESPONSE_BYTES))
    except http.client.HTTPException as exc:
        raise OSError(f"HTTP error: {exc}") from exc
    finally:
        conn.close()
