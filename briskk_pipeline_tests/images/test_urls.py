"""`image_url`: a cell read as a browser reads an address (WHATWG URL rules for http/https).

Passing cases give the URL requested; failing cases give the message the brand sees.
"""

from __future__ import annotations

import httpx
import pandas as pd
import pytest

from briskk_pipeline.images.urls import (
    NOT_A_WEB_ADDRESS,
    ONE_ADDRESS_PER_CELL,
    UnusableUrl,
    UsableUrl,
    image_url,
    plain,
)

ENCODED = [
    # cell as written -> what is requested
    ("https://x.test/a.jpg", "https://x.test/a.jpg"),
    ("https://x.test/summer collection/front.jpg", "https://x.test/summer%20collection/front.jpg"),
    ("  https://x.test/a b.jpg ", "https://x.test/a%20b.jpg"),
    ("https://x.test/ürün/çanta.jpg", "https://x.test/%C3%BCr%C3%BCn/%C3%A7anta.jpg"),
    ("https://x.test/बैग.png", "https://x.test/%E0%A4%AC%E0%A5%88%E0%A4%97.png"),
    ("https://x.test/a\u00a0b.jpg", "https://x.test/a%C2%A0b.jpg"),  # no-break space
    ("https://bücher.test/a.jpg", "https://xn--bcher-kva.test/a.jpg"),
    ("https://BÜCHER.test/a.jpg", "https://xn--bcher-kva.test/a.jpg"),
    ("https://xn--bcher-kva.test/a.jpg", "https://xn--bcher-kva.test/a.jpg"),
    ("HTTPS://X.TEST/A.JPG", "https://x.test/A.JPG"),
    # already encoded: left alone, never encoded twice
    ("https://x.test/a%20b.jpg", "https://x.test/a%20b.jpg"),
    ("https://x.test/%E4%B8%AD.jpg", "https://x.test/%E4%B8%AD.jpg"),
    ("https://x.test/a%20b c.jpg", "https://x.test/a%20b%20c.jpg"),
    # query strings: spaces and non-ASCII encoded, the rest kept
    ("https://x.test/i.jpg?w=400&h=300", "https://x.test/i.jpg?w=400&h=300"),
    ("https://x.test/i.jpg?name=red shirt", "https://x.test/i.jpg?name=red%20shirt"),
    ("https://x.test/i.jpg?q=ü&v=1", "https://x.test/i.jpg?q=%C3%BC&v=1"),
    ('https://x.test/i.jpg?q="x"', "https://x.test/i.jpg?q=%22x%22"),
    ("https://x.test/i.jpg?v=2#zoom", "https://x.test/i.jpg?v=2"),  # fragment never sent
    # one address even with a comma or another URL inside it
    ("https://x.test/upload/w_400,h_400/s.jpg", "https://x.test/upload/w_400,h_400/s.jpg"),
    (
        "https://proxy.test/?url=https://x.test/a.jpg",
        "https://proxy.test/?url=https://x.test/a.jpg",
    ),
    ("https://archive.test/web/2020/https://x.test/a.jpg", None),
    # what browsers forgive: backslashes, missing slashes, line breaks inside
    ("https://x.test\\photos\\a.jpg", "https://x.test/photos/a.jpg"),
    ("https:/x.test/a.jpg", "https://x.test/a.jpg"),
    ("https://x.test/long\npath.jpg", "https://x.test/longpath.jpg"),
    ("http://127.0.0.1:8080/a b.png", "http://127.0.0.1:8080/a%20b.png"),
    ("http://[2001:db8::1]/a.png", "http://[2001:db8::1]/a.png"),
]


@pytest.mark.parametrize(("cell", "expected"), ENCODED)
def test_a_usable_cell_is_requested_as_a_browser_would(cell: str, expected: str | None) -> None:
    result = image_url(cell)
    assert isinstance(result, UsableUrl)
    assert result.source == cell.strip()  # the catalog keeps what the brand wrote
    assert result.fetch == (expected or cell)
    # The guard and the fetcher parse it again: that must not change it (no double encoding).
    assert str(httpx.URL(result.fetch)) == result.fetch


UNUSABLE = [
    # two addresses in one cell, however they are separated
    ("https://x.test/a.jpg https://x.test/b.jpg", ONE_ADDRESS_PER_CELL),
    ("https://x.test/a.jpg,https://x.test/b.jpg", ONE_ADDRESS_PER_CELL),
    ("https://x.test/a.jpg, https://x.test/b.jpg", ONE_ADDRESS_PER_CELL),
    ("https://x.test/a.jpg;https://x.test/b.jpg", ONE_ADDRESS_PER_CELL),
    ("https://x.test/a.jpg\nhttps://x.test/b.jpg", ONE_ADDRESS_PER_CELL),
    ("https://x.test/a.jpg | www.x.test/b.jpg", ONE_ADDRESS_PER_CELL),
    ("https://x.test/a.jpghttps://x.test/b.jpg", ONE_ADDRESS_PER_CELL),
    ("https://x.test/a.jpg HTTP://x.test/b.jpg", ONE_ADDRESS_PER_CELL),
    # not a web address
    ("www.x.test/a.jpg", NOT_A_WEB_ADDRESS),
    ("x.test/a.jpg", NOT_A_WEB_ADDRESS),
    ("//x.test/a.jpg", NOT_A_WEB_ADDRESS),
    ("N/A", NOT_A_WEB_ADDRESS),
    ("front.jpg", NOT_A_WEB_ADDRESS),
    ("ftp://x.test/a.jpg", f"{NOT_A_WEB_ADDRESS}, not ftp:"),
    ("data:image/png;base64,iVBORw0KGgo=", f"{NOT_A_WEB_ADDRESS}, not data:"),
    ("file:///C:/photos/a.jpg", f"{NOT_A_WEB_ADDRESS}; this is a file on a computer"),
    ("C:\\Photos\\a.jpg", f"{NOT_A_WEB_ADDRESS}; this is a file on a computer"),
    # no host, a bad host or port, credentials
    ("https://", "has no host name"),
    ("http:///", "has no host name"),
    ("https://x test.com/a.jpg", "has an invalid host name 'x test.com'"),
    ("https://x..test/a.jpg", "has an invalid host name 'x..test'"),
    ("https://x.test:99999/a.jpg", "has port 99999"),
    ("https://user:secret@x.test/a.jpg", "must not hold a user name or password"),
    ("https://x.test/a\x00.jpg", "is not a valid web address"),
]


@pytest.mark.parametrize(("cell", "message"), UNUSABLE)
def test_an_unusable_cell_says_why(cell: str, message: str) -> None:
    result = image_url(cell)
    assert isinstance(result, UnusableUrl)
    assert result.source == cell.strip()
    assert result.message.startswith(message)


def test_the_two_address_message_is_the_one_brands_are_told() -> None:
    assert ONE_ADDRESS_PER_CELL == "one address per cell: put the next one in image_1 … image_8"


def test_the_bulk_fast_path_only_passes_cells_that_need_nothing_done() -> None:
    cells = [cell for cell, _ in ENCODED] + [cell for cell, _ in UNUSABLE]
    passed = plain(pd.Series([*cells, None], dtype="str")).tolist()
    assert passed[-1] is False  # a blank cell is not a URL
    assert sum(passed) >= 5  # the common case really is fast
    for cell, is_plain in zip(cells, passed, strict=False):
        if is_plain:
            assert image_url(cell) == UsableUrl(cell, cell)
