"""`GET /uploads` a page at a time, through a real `briskk serve` (uvicorn on 127.0.0.1).

Uploads are registered straight in the server's catalog (`ingest.register.register`, the
function `POST /ingest` calls) with chosen `received_at` instants, so the expected order is
known without running seven pipelines: newest first, ties on `received_at` broken by
`upload_id`. A client follows `Link: <…>; rel="next"` (RFC 8288) until there is none.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from briskk_pipeline.ingest.register import register
from briskk_pipeline.resources import LocalObjectStore
from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows

pytestmark = pytest.mark.e2e

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def add_upload(api: ApiServer, tenant: str, received_at: datetime, n: int) -> str:
    """Register upload number `n` of `tenant` (its own bytes) received at `received_at`."""
    data = csv_bytes(template_rows(4, product_prefix=f"N{n:03d}"))
    return register(
        data,
        f"catalog-{n}.csv",
        explicit_tenant=tenant,
        source="cli",
        store=LocalObjectStore(root=str(api.home / "objects")),
        engine=api.engine,
        received_at=received_at,
    ).upload_id


def follow(client: httpx.Client, first: str) -> tuple[list[list[str]], list[str | None]]:
    """Every page from `first` on, following `rel="next"`: the upload ids of each page and
    each page's `Link` next address (None on the last)."""
    pages: list[list[str]] = []
    links: list[str | None] = []
    url: str | None = first
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body: list[dict[str, Any]] = response.json()
        pages.append([u["upload_id"] for u in body])
        url = response.links.get("next", {}).get("url")
        links.append(url)
        assert len(pages) <= 20, "paging does not end"
    return pages, links


def test_seven_uploads_by_three_are_3_3_1_newest_first(api: ApiServer) -> None:
    """Pages of 3 over 7 uploads: 3, 3, 1, newest first, each upload exactly once; another
    tenant's uploads received in between never show; the last page has no `Link`."""
    ids = []
    for n in range(7):
        ids.append(add_upload(api, "PageA", START + timedelta(minutes=2 * n), n))
        add_upload(api, "PageB", START + timedelta(minutes=2 * n + 1), 100 + n)
    newest_first = ids[::-1]
    client = api.client(api.token("PageA"))

    pages, links = follow(client, "/uploads?limit=3")

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [u for page in pages for u in page] == newest_first  # no duplicate, no gap
    assert links == [
        f"/uploads?limit=3&before={newest_first[2]}",
        f"/uploads?limit=3&before={newest_first[5]}",
        None,
    ]
    first = client.get("/uploads?limit=3")
    assert first.headers["link"] == f'</uploads?limit=3&before={newest_first[2]}>; rel="next"'
    assert {u["tenant"] for u in first.json()} == {"PageA"}
    # exactly `limit` uploads left: a full page and no `Link` (the server looked one further)
    rest = client.get(f"/uploads?limit=6&before={newest_first[0]}")
    assert [u["upload_id"] for u in rest.json()] == newest_first[1:]
    assert "link" not in rest.headers
    # without `limit`: the default page (50) holds all 7, so no `Link`
    everything = client.get("/uploads")
    assert [u["upload_id"] for u in everything.json()] == newest_first
    assert "link" not in everything.headers


def test_uploads_received_at_the_same_instant_page_by_id(api: ApiServer) -> None:
    """Three uploads with one `received_at` straddle a page boundary: the cursor's tie on the
    instant is broken by `upload_id` (descending), so none is repeated or skipped."""
    same = START + timedelta(days=1)
    older = [add_upload(api, "PageTie", START + timedelta(days=1, minutes=-m), m) for m in (2, 1)]
    tied = [add_upload(api, "PageTie", same, 10 + k) for k in range(3)]
    newer = [add_upload(api, "PageTie", same + timedelta(minutes=m), 20 + m) for m in (1, 2)]
    expected = newer[::-1] + sorted(tied, reverse=True) + older[::-1]

    pages, _ = follow(api.client(api.token("PageTie")), "/uploads?limit=3")

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [u for page in pages for u in page] == expected
    assert set(tied) & set(pages[0]) and set(tied) & set(pages[1])  # the tie is split


def test_a_brand_never_pages_into_another_tenant(api: ApiServer) -> None:
    """A brand token pages through its own uploads only; another tenant's upload id as the
    cursor answers exactly like an id that does not exist; naming the other tenant is `403`.
    An admin token pages one tenant with `?tenant=`, which the `Link` keeps."""
    mine = [add_upload(api, "IsoPageA", START + timedelta(days=2, minutes=n), n) for n in range(4)]
    theirs = [
        add_upload(api, "IsoPageB", START + timedelta(days=2, minutes=n, seconds=30), 50 + n)
        for n in range(4)
    ]
    brand = api.client(api.token("IsoPageA"))

    pages, _ = follow(brand, "/uploads?limit=1")
    assert [u for page in pages for u in page] == mine[::-1]

    foreign = brand.get(f"/uploads?limit=1&before={theirs[2]}")
    unknown = brand.get("/uploads?limit=1&before=IsoPageB-20990101T000000-00000000")
    assert (foreign.status_code, unknown.status_code) == (400, 400)
    assert foreign.json() == {
        "detail": f"before={theirs[2]!r} is not one of your upload ids; start without it"
    }
    assert unknown.json()["detail"].endswith("is not one of your upload ids; start without it")
    assert brand.get(f"/uploads?limit=1&before={mine[2]}&tenant=IsoPageB").status_code == 403

    admin = api.client(api.token("PagingOps", admin=True))
    pages, links = follow(admin, "/uploads?limit=3&tenant=IsoPageB")
    assert [u for page in pages for u in page] == theirs[::-1]
    assert links[0] == f"/uploads?limit=3&before={theirs[1]}&tenant=IsoPageB"


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("limit=0", "query parameter 'limit': Input should be greater than or equal to 1"),
        ("limit=1001", "query parameter 'limit': Input should be less than or equal to 1000"),
        ("limit=-3", "query parameter 'limit': Input should be greater than or equal to 1"),
        (
            "limit=ten",
            "query parameter 'limit': Input should be a valid integer, unable to parse string "
            "as an integer",
        ),
    ],
    ids=["zero", "over-1000", "negative", "not-a-number"],
)
def test_limit_outside_1_to_1000_is_400_with_a_sentence(
    api: ApiServer, query: str, detail: str
) -> None:
    """Bad `limit` values get the API's validation answer (every validation error is `400`
    with one sentence, see app.py), never a page."""
    response = api.client(api.token("PageLimits")).get(f"/uploads?{query}")
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize("limit", [1, 1000])
def test_limit_bounds_are_accepted(api: ApiServer, limit: int) -> None:
    """1 and 1000 are valid page sizes: one upload per page, or all of them."""
    tenant = f"PageBound{limit}"
    ids = [add_upload(api, tenant, START + timedelta(days=3, minutes=n), n) for n in range(2)]
    response = api.client(api.token(tenant)).get(f"/uploads?limit={limit}")
    assert response.status_code == 200
    assert [u["upload_id"] for u in response.json()] == ids[::-1][:limit]
    assert ("link" in response.headers) is (limit == 1)
