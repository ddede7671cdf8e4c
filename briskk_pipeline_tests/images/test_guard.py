"""The address policy: which URLs may be fetched, as a table. No network: names are resolved by
a resolver function the test passes in, literal addresses need no lookup at all."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from briskk_pipeline.images.guard import (
    BlockReason,
    UnresolvableHost,
    check_url,
    parse_allowlist,
)


def resolver_for(table: dict[str, list[str]]) -> Any:
    """A `getaddrinfo` look-alike answering from `table` (and failing like DNS otherwise)."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port),
            )
            for address in table[host]
        ]

    return resolve


def url_for(address: str) -> str:
    return f"http://[{address}]/a.png" if ":" in address else f"http://{address}/a.png"


@pytest.mark.parametrize(
    ("address", "category"),
    [
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.10.10", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "reserved"),
        ("192.0.2.10", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("2001::1", "Teredo"),
        ("100::1", "discard"),
        ("4000::1", "reserved"),  # outside global unicast 2000::/3
        ("::ffff:10.0.0.1", "private (IPv4 10.0.0.1 inside IPv6)"),
        ("::ffff:127.0.0.1", "loopback (IPv4 127.0.0.1"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("64:ff9b::a00:1", "private (IPv4 10.0.0.1 inside IPv6)"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata"),
        ("64:ff9b:1::1", "local-use NAT64"),
        ("2002:7f00:1::", "loopback (IPv4 127.0.0.1"),
        ("2002:a9fe:a9fe::", "cloud metadata"),
        ("::127.0.0.1", "loopback (IPv4 127.0.0.1"),
        ("::8.8.8.8", "IPv4-compatible"),
    ],
)
def test_refused_addresses(address: str, category: str) -> None:
    result = check_url(url_for(address), [])
    assert isinstance(result, BlockReason), result
    assert category in result.category
    assert "BRISKK_ALLOWED_IMAGE_HOSTS" in result.message


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "151.101.1.140",
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "::ffff:8.8.8.8",  # IPv4-mapped public address
        "64:ff9b::808:808",  # NAT64 of a public address
        "2002:808:808::",  # 6to4 of a public address
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    result = check_url(url_for(address), [])
    assert not isinstance(result, BlockReason), result
    assert [str(a) for a in result] == [address.replace("::ffff:8.8.8.8", "::ffff:808:808")]


def test_a_host_name_is_judged_by_every_address_it_resolves_to() -> None:
    resolve = resolver_for(
        {
            "cdn.example": ["151.101.1.140", "2a04:4e42::396"],
            "evil.test": ["127.0.0.2"],
            "metadata.test": ["169.254.169.254"],
            "mixed.test": ["151.101.1.140", "10.1.2.3"],  # one bad answer taints the host
        }
    )
    pinned = check_url("https://cdn.example/x.jpg", [], resolve)
    assert [str(a) for a in pinned] == ["151.101.1.140", "2a04:4e42::396"]  # type: ignore[union-attr]
    evil = check_url("http://evil.test/x.png", [], resolve)
    assert isinstance(evil, BlockReason)
    assert evil.message.startswith("blocked: evil.test resolves to 127.0.0.2 (loopback")
    assert isinstance(check_url("http://metadata.test/latest", [], resolve), BlockReason)
    mixed = check_url("http://mixed.test/x.png", [], resolve)
    assert isinstance(mixed, BlockReason) and mixed.address == "10.1.2.3"


@pytest.mark.parametrize(
    ("url", "allowed", "is_allowed"),
    [
        ("http://127.0.0.1:8080/a.png", ["127.0.0.1"], True),
        ("http://127.0.0.2/a.png", ["127.0.0.1"], False),
        ("http://127.0.0.2/a.png", ["127.0.0.0/8"], True),
        ("http://10.1.2.3/a.png", ["10.0.0.0/8"], True),
        ("http://10.1.2.3/a.png", ["10.0.0.0/16"], False),
        ("http://[::ffff:10.1.2.3]/a.png", ["10.0.0.0/8"], True),  # mapped form of an allowed v4
        ("http://[fd00::5]/a.png", ["fd00::/8"], True),
        ("http://[fd00::5]/a.png", ["[fd00::5]"], True),
        ("http://[fd00::5]/a.png", ["10.0.0.0/8"], False),
        ("http://images.office/a.png", ["images.office"], True),
        ("http://IMAGES.office./a.png", ["images.office"], True),  # case and trailing dot
        ("http://images.office/a.png", ["other.office"], False),
        ("http://images.office/a.png", ["office"], False),  # no suffix matching
        ("http://evil.test/a.png", ["127.0.0.1"], False),
        ("http://evil.test/a.png", ["127.0.0.0/30"], True),
    ],
)
def test_allowlist_by_host_and_cidr(url: str, allowed: list[str], is_allowed: bool) -> None:
    resolve = resolver_for(
        {
            "images.office": ["10.20.0.5"],
            "images.office.": ["10.20.0.5"],
            "evil.test": ["127.0.0.2"],
        }
    )
    result = check_url(url, parse_allowlist(allowed), resolve)
    assert (not isinstance(result, BlockReason)) is is_allowed, result


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/a.png", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://127.0.0.1:6379/_x", "only http and https"),
        ("http:///a.png", "no host"),
    ],
)
def test_only_http_and_https_urls_with_a_host(url: str, fragment: str) -> None:
    result = check_url(url, ["127.0.0.1"])
    assert isinstance(result, BlockReason)
    assert fragment in result.message


def test_unusual_spellings_of_an_address_are_judged_by_what_they_resolve_to() -> None:
    # Decimal and hex forms are names to the URL parser; the system resolver turns them into
    # 127.0.0.1, and the resolved address is what gets checked (and later connected to).
    for url in ("http://2130706433/a.png", "http://0x7f.1/a.png"):
        result = check_url(url, [])
        assert isinstance(result, BlockReason), url
        assert result.address == "127.0.0.1"
    # A dotted form the URL parser cannot read is refused before any lookup.
    octal = check_url("http://0177.0.0.1/a.png", [])
    assert isinstance(octal, BlockReason) and "not a valid URL" in octal.message


def test_an_unresolvable_name_fails_instead_of_being_blocked() -> None:
    with pytest.raises(UnresolvableHost, match=r"cannot resolve host nowhere\.test"):
        check_url("http://nowhere.test/a.png", [], resolver_for({}))


@pytest.mark.parametrize("entry", ["http://x.com", "10.0.0.0/33", "bad host", "a..b"])
def test_a_malformed_allowlist_entry_is_an_error(entry: str) -> None:
    with pytest.raises(ValueError, match="not a host name or CIDR"):
        parse_allowlist([entry])


def test_allowlist_parsing() -> None:
    allowed = parse_allowlist([" Images.Office. ", "", "10.0.0.0/8", "127.0.0.1", "[::1]"])
    assert allowed.hosts == frozenset({"images.office"})
    assert [str(n) for n in allowed.networks] == ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]
