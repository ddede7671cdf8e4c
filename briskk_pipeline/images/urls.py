"""An image URL cell, read as a browser reads an address: one address, http(s), wire-encoded.

Brands paste addresses from browsers, file managers and shop exports, so a cell can hold spaces
(`…/summer collection/front.jpg`), non-ASCII names (`…/ürün.jpg`), an IDN host (`bücher.de`),
a backslash, or two addresses at once. `image_url` turns one cell into the URL a browser would
request, following the WHATWG URL Standard for the special schemes http and https:

- leading and trailing spaces are dropped; ASCII tab, CR and LF anywhere are removed;
- `\\` counts as `/` before the query, and any number of slashes after `https:` is `//`;
- spaces, non-ASCII characters and `" < > \\` { }` in path and query are UTF-8
  percent-encoded; `%XX` already there is left alone; the fragment is not sent;
- the host is lowercased and an IDN host becomes punycode (IDNA 2008 via `idna`).

The encoding is httpx's URL parser, the same one the SSRF guard (`guard.py`) and the fetcher
use, so the encoded URL is exactly what is checked and then requested.

A cell is *unusable* (`UnusableUrl`, with a message in the brand's words) when it holds two
addresses (a second `http://`/`https://` not inside a query value, or a `www.host.` after a
space, comma, semicolon, `|` or line break), has no `http:`/`https:` scheme, no host, a user name or
password, an invalid host or port, or cannot be parsed at all. SPEC §2: an unusable image URL
is a warning for its cell, never a rejection of its product.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final

import httpx
import pandas as pd

ONE_ADDRESS_PER_CELL: Final = "one address per cell: put the next one in image_1 … image_8"
NOT_A_WEB_ADDRESS: Final = "must be a web address starting with http:// or https://"

# Already what a browser sends (lowercase scheme and host, nothing to encode): kept as is.
_PLAIN_PATTERN: Final = (
    r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d{1,4})?(?:[/?][A-Za-z0-9\-._~!$&'()*+=:@/%?]*)?"
)
_PLAIN: Final = re.compile(_PLAIN_PATTERN)
# A second address: `http(s)://` again, unless it is a query value (`?url=https://…`) or a
# path segment (`web.archive.org/web/2020/https://…`); or `www.host.` after a separator.
_SECOND_SCHEME: Final = re.compile(r"(?<![=/%])https?://", re.IGNORECASE)
_SECOND_WWW: Final = re.compile(r"[\s,;|]www\.[^\s./]+\.", re.IGNORECASE)
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_TAB_OR_NEWLINE: Final = re.compile(r"[\t\r\n]")
_HOST_LABEL: Final = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
# WHATWG strips leading/trailing C0 controls and space (U+0000–U+0020).
_C0_AND_SPACE: Final = "".join(chr(c) for c in range(0x21))


@dataclass(frozen=True)
class UsableUrl:
    """`source` as the brand wrote it (trimmed); `fetch` is what is requested."""

    source: str
    fetch: str


@dataclass(frozen=True)
class UnusableUrl:
    """Why the cell's address cannot be fetched: `message` is what the brand is told."""

    source: str
    message: str


def image_url(cell: str) -> UsableUrl | UnusableUrl:
    """Read one image cell as a browser would; see the module docstring for the rules.

    Returns `UsableUrl` (the encoded URL to fetch) or `UnusableUrl` (why not); never raises.
    """
    if _PLAIN.fullmatch(cell) and cell.count("://") == 1:  # most cells: nothing to change
        return UsableUrl(cell, cell)
    source = cell.strip(_C0_AND_SPACE)
    if _two_addresses(source):
        return UnusableUrl(source, ONE_ADDRESS_PER_CELL)
    if _PLAIN.fullmatch(source):
        return UsableUrl(source, source)
    return _parse(source)


def plain(cells: pd.Series) -> pd.Series:
    """True where a cell is certainly usable and needs no encoding (vectorised, for bulk).

    The same fast path as `image_url` (one `://`, only characters a browser sends as they
    are); False means "ask `image_url`", not "unusable".
    """
    text = cells.astype("string")
    simple = text.str.fullmatch(_PLAIN_PATTERN) & (text.str.count("://") == 1)
    return simple.fillna(False).astype(bool)


def _two_addresses(source: str) -> bool:
    # Substring tests first: the regexes cost microseconds, and 100k+ cells are checked.
    first = source.find("://")
    if first >= 0 and source.find("://", first + 3) >= 0 and _SECOND_SCHEME.search(source, 1):
        return True
    return source.lower().find("www.", 1) >= 0 and _SECOND_WWW.search(source) is not None


def _parse(source: str) -> UsableUrl | UnusableUrl:
    text = _TAB_OR_NEWLINE.sub("", source)
    scheme_match = _SCHEME.match(text)
    if scheme_match is None:
        return UnusableUrl(source, NOT_A_WEB_ADDRESS)
    scheme = scheme_match.group(1).lower()
    if len(scheme) == 1 or scheme == "file":
        return UnusableUrl(
            source,
            f"{NOT_A_WEB_ADDRESS}; this is a file on a computer: upload the image to the web "
            "and put its address here",
        )
    if scheme not in ("http", "https"):
        return UnusableUrl(source, f"{NOT_A_WEB_ADDRESS}, not {scheme_match.group(1)}:")
    rest = text[scheme_match.end() :].lstrip("/\\")
    end_of_path = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    rest = rest[:end_of_path].replace("\\", "/") + rest[end_of_path:]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if not authority:
        return UnusableUrl(source, f"has no host name: {NOT_A_WEB_ADDRESS} and a host name")
    if "@" in authority:
        return UnusableUrl(source, "must not hold a user name or password (the part before @)")
    try:
        url = httpx.URL(f"{scheme}://{rest}")
    except (httpx.InvalidURL, ValueError, UnicodeError) as error:
        return UnusableUrl(source, f"is not a valid web address ({error})")
    problem = _host_problem(url.raw_host.decode("ascii"))
    if problem is not None:
        return UnusableUrl(source, problem)
    if url.port is not None and not 0 < url.port <= 65535:
        return UnusableUrl(source, f"has port {url.port}; a port is a number from 1 to 65535")
    return UsableUrl(source, str(url.copy_with(fragment=None)))


def _host_problem(host: str) -> str | None:
    if not host:
        return f"has no host name: {NOT_A_WEB_ADDRESS} and a host name"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None
    name = host.rstrip(".")
    if len(name) > 253 or not all(_HOST_LABEL.match(label) for label in name.split(".")):
        shown = host.replace("%20", " ")
        return f"has an invalid host name {shown!r} (letters, digits, - and . only, no spaces)"
    return None
