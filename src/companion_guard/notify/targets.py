"""Where notifications may go, and what of a target may be written down.

A webhook is a request our server makes to a URL someone else chose (a provider, or a
guardian holding only an invitation code), so it must not reach the gateway's own
network: loopback, private, link-local (cloud metadata at 169.254.169.254), shared,
multicast and reserved addresses are refused unless ``allow_private_webhooks`` is set.
The URL is checked when it is stored (literal addresses and local names) and again
right before each send against every address its host resolves to, so a name that
later resolves somewhere internal (DNS rebinding) is refused too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from companion_guard.exceptions import InputError

#: Host names that always mean "this machine" or a cloud metadata service.
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "metadata", "metadata.google.internal")


class UnsafeTarget(InputError):
    """A webhook URL that points at the gateway's own or an internal network."""


def _bad_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in ipaddress.ip_network("100.64.0.0/10")
    )


def _host(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("a webhook must be an http(s) URL with a host")
    return parts.hostname.rstrip(".").lower()


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Refuse a webhook URL whose host is a literal internal address or a local name.

    Raises:
        UnsafeTarget: the URL points at loopback, a private, link-local or metadata address.
    """
    host = _host(url)
    if allow_private:
        return
    if host in _LOCAL_NAMES or host.endswith((".localhost", ".internal", ".local")):
        raise UnsafeTarget(f"webhook host {host!r} is a local name; use a public address")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    if _bad_address(ip):
        raise UnsafeTarget(
            "webhook address is loopback, private, link-local or reserved; use a public address"
        )


async def check_webhook_at_send(url: str, *, allow_private: bool) -> None:
    """:func:`check_webhook_url`, plus every address the host resolves to now.

    Raises:
        UnsafeTarget: the URL or one of its addresses is internal, or the host does not resolve.
    """
    check_webhook_url(url, allow_private=allow_private)
    if allow_private:
        return
    host = _host(url)
    try:
        ipaddress.ip_address(host)
        return  # a literal address: already checked
    except ValueError:
        pass
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise UnsafeTarget(f"webhook host does not resolve: {type(exc).__name__}") from exc
    for address in addresses:
        if _bad_address(ipaddress.ip_address(address)):
            raise UnsafeTarget("webhook host resolves to an internal address")


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to now (the system resolver, off the event loop)."""
    infos = await asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def check_contact(contact: dict[str, object] | None, *, allow_private: bool) -> None:
    """Check the webhook of a contact record before it is stored."""
    if contact and contact.get("webhook"):
        check_webhook_url(str(contact["webhook"]), allow_private=allow_private)


_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_URL = re.compile(r"(https?://[^/\s'\"<>]+)[^\s'\"<>]*")


def redact(text: str) -> str:
    """Text safe for logs and error columns: e-mail addresses masked, URLs cut to scheme and host."""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _URL.sub(lambda m: m.group(1) + "/…", text)
