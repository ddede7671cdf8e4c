"""Which addresses an image URL may be fetched from (the SSRF guard).

Brands type image URLs into a spreadsheet, so a URL can point anywhere: at the cloud metadata
service, at the database next to us, at a router on the private network. Before any request the
host is resolved once and every address it resolves to is checked; the fetcher then connects to
exactly those checked addresses (see `fetch.py`), so a second DNS answer cannot swap in another
one. Private, loopback, link-local, multicast, reserved and unspecified addresses are refused,
IPv6 forms that embed an IPv4 address are judged by that address, and anything outside IPv6's
global unicast range is refused. `BRISKK_ALLOWED_IMAGE_HOSTS` lists host names and CIDRs that
are exempt (a staging image server on the office network, the loopback server in tests).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx

from briskk_pipeline.images.model import ImageFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Same call shape as `socket.getaddrinfo`, which is the default; tests map names without DNS.
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

ALLOWED_SCHEMES: Final = ("http", "https")

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Checked in order, so the more specific label wins (169.254.169.254 before 169.254.0.0/16).
_BLOCKED_V4: Final[tuple[tuple[ipaddress.IPv4Network, str], ...]] = (
    (_V4("0.0.0.0/32"), "unspecified"),
    (_V4("0.0.0.0/8"), "reserved ('this network')"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "private (carrier-grade NAT)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.169.254/32"), "link-local (cloud metadata)"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved (IETF protocol assignments)"),
    (_V4("192.0.2.0/24"), "reserved (documentation)"),
    (_V4("192.88.99.0/24"), "reserved (6to4 relay)"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "reserved (benchmarking)"),
    (_V4("198.51.100.0/24"), "reserved (documentation)"),
    (_V4("203.0.113.0/24"), "reserved (documentation)"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

_BLOCKED_V6: Final[tuple[tuple[ipaddress.IPv6Network, str], ...]] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("64:ff9b:1::/48"), "reserved (local-use NAT64)"),
    (_V6("100::/64"), "reserved (discard-only)"),
    (_V6("2001::/23"), "reserved (IETF protocol assignments, Teredo)"),
    (_V6("2001:db8::/32"), "reserved (documentation)"),
    (_V6("3fff::/20"), "reserved (documentation)"),
    (_V6("fc00::/7"), "unique-local (private)"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local (private)"),
    (_V6("ff00::/8"), "multicast"),
)
_GLOBAL_UNICAST_V6: Final = _V6("2000::/3")
_NAT64_V6: Final = _V6("64:ff9b::/96")
_COMPATIBLE_V6: Final = _V6("::/96")


@dataclass(frozen=True)
class Allowlist:
    """Hosts (exact names, case-insensitive) and networks exempt from the address block."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    def allows_host(self, host: str) -> bool:
        return _normal_host(host) in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _normal_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def parse_allowlist(entries: Iterable[str]) -> Allowlist:
    """Parse `BRISKK_ALLOWED_IMAGE_HOSTS` entries: host names, IP addresses and CIDRs.

    A bare address is a one-address network. An entry that is neither a CIDR nor a valid host
    name raises `ValueError`, so a typo in the setting fails loudly instead of allowing nothing.
    """
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        candidate = entry[1:-1] if entry.startswith("[") and entry.endswith("]") else entry
        try:
            networks.append(ipaddress.ip_network(candidate, strict=False))
            continue
        except ValueError:
            pass
        name = _normal_host(entry)
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"allowed image host {raw!r} is not a host name or CIDR") from None
        if not name or not all(_HOST_LABEL.match(label) for label in name.split(".")):
            raise ValueError(f"allowed image host {raw!r} is not a host name or CIDR")
        hosts.add(name)
    return Allowlist(frozenset(hosts), tuple(networks))


@dataclass(frozen=True)
class BlockReason:
    """Why a URL is refused before any request is sent."""

    url: str
    host: str | None
    address: str | None
    category: str

    @property
    def message(self) -> str:
        if self.address is None:
            return f"blocked: {self.category}"
        target = (
            self.address
            if self.host in (None, self.address)
            else f"{self.host} resolves to {self.address}"
        )
        return (
            f"blocked: {target} ({self.category} address); list the host or a CIDR in "
            "BRISKK_ALLOWED_IMAGE_HOSTS to allow it"
        )

    def __str__(self) -> str:
        return self.message


class UnresolvableHost(ImageFailed):
    """The host name did not resolve (a DNS failure is worth retrying, unlike a block)."""


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: mapped, NAT64, 6to4 or compatible."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64_V6:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _COMPATIBLE_V6 and int(address) > 1:  # not :: or ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def address_category(address: IPAddress) -> str | None:
    """Why `address` must not be fetched from, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            address = ipaddress.IPv6Address(address.compressed.split("%")[0])
        embedded = _embedded_v4(address)
        if embedded is not None:
            inner = address_category(embedded)
            if inner is not None:
                return f"{inner} (IPv4 {embedded} inside IPv6)"
            if address in _COMPATIBLE_V6:
                return "reserved (deprecated IPv4-compatible IPv6)"
            return None
        for network, label in _BLOCKED_V6:
            if address in network:
                return label
        if address not in _GLOBAL_UNICAST_V6:
            return "reserved"
        return None
    for network4, label in _BLOCKED_V4:
        if address in network4:
            return label
    return None


def address_allowed(address: IPAddress, allowed: Allowlist) -> str | None:
    """None when `address` may be fetched from; else the category that blocks it."""
    if allowed.allows_address(address):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None and allowed.allows_address(embedded):
            return None
    return address_category(address)


def _as_allowlist(allowed: Allowlist | Iterable[str]) -> Allowlist:
    return allowed if isinstance(allowed, Allowlist) else parse_allowlist(allowed)


def resolve(host: str, port: int, resolver: Resolver = socket.getaddrinfo) -> list[IPAddress]:
    """Every address `host` resolves to (literal addresses need no lookup), in the given order."""
    literal = host[1:-1] if host.startswith("[") else host
    try:
        return [ipaddress.ip_address(literal)]
    except ValueError:
        pass
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnresolvableHost(f"cannot resolve host {host}: {error}") from None
    addresses: list[IPAddress] = []
    for family, _type, _proto, _canonname, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvableHost(f"cannot resolve host {host}: no IPv4 or IPv6 address")
    return addresses


def check_target(
    url: httpx.URL, allowed: Allowlist | Iterable[str], resolver: Resolver = socket.getaddrinfo
) -> list[IPAddress] | BlockReason:
    """Check an already-parsed URL; return the addresses to connect to, or why it is refused.

    A host is refused if ANY of its addresses is refused: a name that resolves to a public and
    a private address at once is a rebinding trick, not a mirror. An allowed host name exempts
    all of its addresses; an allowed CIDR exempts the addresses inside it.
    """
    text = str(url)
    if url.scheme not in ALLOWED_SCHEMES:
        return BlockReason(text, None, None, f"only http and https URLs are fetched, not {text}")
    host = url.raw_host.decode("ascii")
    if not host:
        return BlockReason(text, None, None, f"the URL has no host: {text}")
    allowlist = _as_allowlist(allowed)
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = resolve(host, port, resolver)
    if allowlist.allows_host(host):
        return addresses
    for address in addresses:
        category = address_allowed(address, allowlist)
        if category is not None:
            return BlockReason(text, None if _is_literal(host) else host, str(address), category)
    return addresses


def parse_url(url: str) -> httpx.URL | BlockReason:
    """Parse once; the fetcher sends exactly what the guard checked (no parser differential)."""
    try:
        return httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        return BlockReason(url, None, None, f"not a valid URL ({error})")


def check_url(
    url: str, allowed: Allowlist | Iterable[str], resolver: Resolver = socket.getaddrinfo
) -> list[IPAddress] | BlockReason:
    """The addresses `url` may be fetched from, pinned for the connection, or a `BlockReason`.

    Raises `UnresolvableHost` when the name does not resolve (a failure, not a block).
    """
    parsed = parse_url(url)
    if isinstance(parsed, BlockReason):
        return parsed
    return check_target(parsed, allowed, resolver)
