"""Where outgoing webhooks may be sent: http(s) URLs whose host resolves only to public addresses.

Every address the host resolves to is checked (one private answer among public ones is enough to
refuse), so a subscription cannot point Deskflow at its own network: loopback, private (RFC 1918,
unique-local), link-local (the cloud metadata service at 169.254.169.254), shared, reserved,
multicast and unspecified addresses are all refused. The check runs when a subscription is created
and again before every send, since DNS answers can change after creation. Deployments that must
reach private targets (local runs, tests) set ``WEBHOOK_ALLOW_PRIVATE_TARGETS``.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from chalicelib.errors import ValidationError

MAX_URL = 2048


class TargetRefused(ValidationError):
    """The URL is not one Deskflow will send webhooks to."""

    code = "webhook_target_refused"


def check_target(url: str, allow_private: bool, resolve=socket.getaddrinfo) -> None:
    """Raise TargetRefused unless ``url`` is an http(s) URL that may be called."""
    parts = _parts(url)
    if allow_private:
        return
    try:
        answers = resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise _refused("its host does not resolve") from None
    addresses = {answer[4][0] for answer in answers}
    if not addresses:
        raise _refused("its host does not resolve")
    for address in addresses:
        if not _is_public(address):
            raise _refused("it resolves to a private, loopback or link-local address")


def _parts(url: str):
    if not isinstance(url, str) or len(url) > MAX_URL:
        raise _refused(f"it must be a URL of at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise _refused("it is not a valid URL") from None
    if parts.scheme not in {"http", "https"}:
        raise _refused("only http and https URLs are allowed")
    if not parts.hostname:
        raise _refused("it has no host")
    if parts.username or parts.password:
        raise _refused("credentials do not belong in the URL")
    return parts


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return ip.is_global and not ip.is_multicast


def _refused(reason: str) -> TargetRefused:
    return TargetRefused(f"the webhook URL is refused: {reason}", details={"url": reason})
