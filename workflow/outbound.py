"""Where the server may send a request of its own (webhooks), and how their secrets are kept.

Why: a webhook URL is chosen by an agency, so without a check the server would POST to its own
internal services (the Prefect API on 127.0.0.1, a cloud metadata address, a private network)
and report what they answered. A URL must be https and every address its host resolves to must
be public, unless the operator allow-lists a network (HUBTABLE_WEBHOOK_ALLOW, e.g.
"127.0.0.1/32" for tests; plain http is then allowed to those addresses only). The check runs
when the URL is saved and again, on the connected socket's address, each time it is sent.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from workflow.errors import ValidationError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_SEALED = "enc1:"


def parse_allow(spec: str) -> tuple[Network, ...]:
    """"10.0.0.0/8, 127.0.0.1/32" as networks; a malformed entry is an operator's error."""
    out = []
    for part in (p.strip() for p in spec.split(",")):
        if part:
            try:
                out.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"HUBTABLE_WEBHOOK_ALLOW: {part!r} is not a network "
                                 "such as 127.0.0.1/32") from None
    return tuple(out)


def _plain(ip: IP) -> IP:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def is_internal(ip: IP) -> bool:
    """Loopback, private, link-local, shared, reserved, multicast or unspecified."""
    ip = _plain(ip)
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
            or ip.is_multicast or ip.is_unspecified or not ip.is_global)


def allowed(ip: IP, allow: Iterable[Network]) -> bool:
    ip = _plain(ip)
    return any(ip.version == n.version and ip in n for n in allow)


def resolve(host: str, port: int) -> list[IP]:
    """Every address the host resolves to (a literal, decimal or not, resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def refusal(addresses: Sequence[IP], allow: Iterable[Network], *, https: bool) -> str | None:
    """Why a request to these addresses is refused, or None if it may go."""
    allow = tuple(allow)
    if not addresses:
        return "the webhook host has no address"
    for ip in addresses:
        if allowed(ip, allow):
            continue
        if is_internal(ip):
            return "the webhook host is an internal address"
        if not https:
            return "a webhook URL must start with https://"
    return None


def check_url(url: str, allow: Iterable[Network]) -> str:
    """The URL if the server may send to it now (https, public addresses), else a field error."""
    url = url.strip()
    if len(url) > 500:
        raise ValidationError("a webhook URL is limited to 500 characters", field="webhook_url")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValidationError("that webhook URL is malformed", field="webhook_url") from None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise ValidationError("a webhook URL starts with https:// and names a host",
                              field="webhook_url")
    try:
        addresses = resolve(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError, ValueError):
        # Not resolvable now (no DNS yet, or none here): checked again at every send.
        addresses = []
        if parts.scheme != "https":
            raise ValidationError("a webhook URL must start with https://",
                                  field="webhook_url") from None
        return url
    why = refusal(addresses, allow, https=parts.scheme == "https")
    if why:
        raise ValidationError("The webhook URL is refused: %(why)s.", field="webhook_url",
                              why=why)
    return url


# -- the signing secret, sealed with the master key -----------------------------------------
def _key(master_key: bytes) -> AESGCM:
    return AESGCM(hashlib.sha256(b"hubtable-webhook-secret:" + master_key).digest())


def seal_secret(master_key: bytes, secret: str) -> str:
    nonce = os.urandom(12)
    sealed = _key(master_key).encrypt(nonce, secret.encode(), b"webhook")
    return _SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()


def open_secret(master_key: bytes, stored: str) -> str | None:
    """The secret in clear; a value stored before sealing existed is returned as it is."""
    if not stored.startswith(_SEALED):
        return stored
    try:
        raw = base64.urlsafe_b64decode(stored[len(_SEALED):])
        return _key(master_key).decrypt(raw[:12], raw[12:], b"webhook").decode()
    except (InvalidTag, ValueError):
        return None


# -- sending, with the address checked on the connected socket -------------------------------
class OutboundError(Exception):
    """A request that failed or was refused; the message is generic and safe to store."""


class _Refused(OSError):
    pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would resend the body elsewhere (or drop it): count it as a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


def _guard(connection: http.client.HTTPConnection, allow: Sequence[Network],
           https: bool) -> None:
    peer = str(connection.sock.getpeername()[0])
    why = refusal([ipaddress.ip_address(peer.split("%")[0])], allow, https=https)
    if why:
        connection.close()
        raise _Refused(why)


def _opener(allow: Sequence[Network]) -> urllib.request.OpenerDirector:
    class Checked(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            _guard(self, allow, https=False)

    class CheckedTLS(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            _guard(self, allow, https=True)

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(Checked, req)

    class TLS(urllib.request.HTTPSHandler):
        def https_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(CheckedTLS, req, context=self._context)  # type: ignore[attr-defined]

    return urllib.request.build_opener(Plain(), TLS(), _NoRedirect())


def post(url: str, body: bytes, headers: dict[str, str], *, allow: Sequence[Network] = (),
         timeout: float = 10.0) -> int:
    """POST a JSON body; the HTTP status on 2xx, else OutboundError with a generic reason."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise OutboundError("a webhook URL must be http:// or https://")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "hubtable-webhook/1", **headers})
    try:
        with _opener(tuple(allow)).open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise OutboundError(f"webhook answered HTTP {exc.code}") from None
    except _Refused as exc:
        raise OutboundError(f"webhook refused: {exc}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, _Refused):
            raise OutboundError(f"webhook refused: {exc.reason}") from None
        raise OutboundError("webhook unreachable (no connection)") from None
    except OSError:
        raise OutboundError("webhook unreachable (no connection)") from None
    if not 200 <= status < 300:
        raise OutboundError(f"webhook answered HTTP {status}")
    return status
