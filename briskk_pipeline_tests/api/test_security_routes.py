"""The API's standing security suite, part 1: who may call what (issue 20, item 4).

Through a real `briskk serve` (uvicorn on 127.0.0.1, `conftest.api`):

- **The route matrix.** Every route of the app — enumerated from `create_app().routes`, so a
  route added later is covered at once, and the test fails until it has an expectation in
  `EXPECTED` — called with no token, a token that is not valid, a revoked token, another
  brand's token (on tenant `SecA`'s upload, product and tenant name) and the tenant's own brand
  token (on an admin route: refused). The status must be the expected one, and no body may
  hold anything of `SecA` (its name, upload id, product ids, file name, product text) beyond
  the id the caller sent itself.
- **No existence oracle.** Another tenant's upload id answers exactly like an id nobody has,
  whatever its shape (well formed, NUL, 1,000 characters, `../`, non-ASCII): same status,
  same body with the id in it.
- **Error bodies.** 404, 405, 400 (FastAPI's 422, reshaped) and 500 bodies are one sentence
  of JSON: no traceback, no file system path.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from briskk_pipeline.api.app import create_app
from briskk_pipeline.api.tokens import revoke_token
from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

TENANT_A, TENANT_B = "SecA", "SecB"
A_PREFIX = "SECAPROD"  # SecA's product ids: SECAPROD000000, …
A_FILE = "seca-secret-catalogue.xlsx"
A_TEXT = "Seca private product name"

# What a route answers, per caller. `own` is the tenant's own brand token: on a brand route it
# reads its own data; on an admin route it is "a brand token on an admin route".
NONE, BAD, REVOKED, OTHER, OWN = "none", "bad", "revoked", "other", "own"
CALLERS = (NONE, BAD, REVOKED, OTHER, OWN)
PUBLIC = dict.fromkeys(CALLERS, 200)  # tokens are not looked at
BRAND_READ = {NONE: 401, BAD: 401, REVOKED: 401, OTHER: 200, OWN: 200}
BRAND_ID = {NONE: 401, BAD: 401, REVOKED: 401, OTHER: 404, OWN: 200}
ADMIN = {NONE: 401, BAD: 401, REVOKED: 401, OTHER: 403, OWN: 403}
UNIX_SOCKET_ONLY = dict.fromkeys(CALLERS, 404)  # as an address the API does not have


@dataclass(frozen=True)
class Call:
    """How the matrix calls a route: the address (placeholders filled), and the expectations."""

    url: str
    expected: dict[str, int]
    upload: bool = False  # POST /ingest: a multipart file naming tenant SecA
    method: str | None = None  # else GET, or POST for /ingest, rollback and review
    json: dict[str, Any] | None = None  # a JSON body ("{upload_id}" filled in its values)
    content: str | None = None  # a raw body


# Every route of the app: (method, path template) -> the call. A new route must be added here.
EXPECTED: dict[tuple[str, str], Call] = {
    ("GET", "/"): Call("/", PUBLIC),
    ("GET", "/docs"): Call("/docs", PUBLIC),
    ("GET", "/openapi.json"): Call("/openapi.json", PUBLIC),
    ("GET", "/healthz"): Call("/healthz", PUBLIC),
    ("MOUNT", "/static"): Call("/static/app.js", PUBLIC),
    ("MOUNT", "/static/docs"): Call("/static/docs/swagger-ui.css", PUBLIC),
    ("GET", "/me"): Call("/me", BRAND_READ),
    # another brand's token naming SecA: 403 for the tenant, before any upload is read
    ("POST", "/ingest"): Call(
        "/ingest", {NONE: 401, BAD: 401, REVOKED: 401, OTHER: 403, OWN: 202}, upload=True
    ),
    ("GET", "/uploads"): Call("/uploads", BRAND_READ),
    ("GET", "/uploads/{upload_id}"): Call("/uploads/{upload_id}", BRAND_ID),
    ("GET", "/uploads/{upload_id}/original"): Call("/uploads/{upload_id}/original", BRAND_ID),
    ("GET", "/uploads/{upload_id}/report"): Call("/uploads/{upload_id}/report", BRAND_ID),
    ("GET", "/uploads/{upload_id}/images"): Call("/uploads/{upload_id}/images", BRAND_ID),
    ("POST", "/uploads/{upload_id}/rollback"): Call(
        "/uploads/{upload_id}/rollback?dry_run=true", ADMIN
    ),
    ("POST", "/uploads/{upload_id}/review"): Call(
        "/uploads/{upload_id}/review?decision=decline", ADMIN
    ),
    ("GET", "/products"): Call("/products", BRAND_READ),
    ("GET", "/products/{product_id}"): Call("/products/{product_id}", BRAND_ID),
    ("GET", "/products/{product_id}/history"): Call("/products/{product_id}/history", BRAND_ID),
    # marketplace readiness (issue 23): the token's own tenant's listing; one upload's verdicts
    ("GET", "/readiness"): Call("/readiness", BRAND_READ),
    ("GET", "/uploads/{upload_id}/readiness"): Call("/uploads/{upload_id}/readiness", BRAND_ID),
    # brand profiles (issue 22): a brand token reads and writes its own tenant's profile
    ("GET", "/profile"): Call("/profile", BRAND_READ),
    ("GET", "/profile/history"): Call("/profile/history", BRAND_READ),
    ("PUT", "/profile"): Call("/profile?dry_run=true", BRAND_READ, method="PUT", content="{}"),
    # SecA's upload was not rejected for its header: 404 for its own token too
    ("GET", "/profile/proposals/{upload_id}"): Call(
        "/profile/proposals/{upload_id}", {**BRAND_ID, OWN: 404}
    ),
    # a mapping to no template column: refused (400) before any re-run
    ("POST", "/profile/map"): Call(
        "/profile/map",
        {**BRAND_ID, OWN: 400},
        method="POST",
        json={"aliases": {"Selling Price": "no_such_column"}, "rerun": "{upload_id}"},
    ),
    # issue 24: `briskk ingest` handed to `briskk serve`, on its Unix socket only (handoff/)
    ("GET", "/local/hello"): Call("/local/hello?size=1", UNIX_SOCKET_ONLY),
    ("POST", "/local/ingest"): Call(
        "/local/ingest?file_name=a.xlsx&tenant=SecA", UNIX_SOCKET_ONLY, method="POST", content="x"
    ),
    ("GET", "/local/uploads/{upload_id}/outcome"): Call(
        "/local/uploads/{upload_id}/outcome", UNIX_SOCKET_ONLY
    ),
    ("GET", "/local/uploads/{upload_id}/progress"): Call(
        "/local/uploads/{upload_id}/progress", UNIX_SOCKET_ONLY
    ),
    ("POST", "/local/uploads/{upload_id}/cancel"): Call(
        "/local/uploads/{upload_id}/cancel", UNIX_SOCKET_ONLY, method="POST"
    ),
}


def app_routes() -> set[tuple[str, str]]:
    """(method, path) of every route `briskk serve` serves; mounts as ("MOUNT", path)."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(create_app().routes):
        methods = context.methods
        if methods is None:
            found.add(("MOUNT", context.path))
        else:
            found |= {(m, context.path) for m in methods if m != "HEAD"}
    return found


def test_every_route_has_an_expectation() -> None:
    routes = app_routes()
    missing = sorted(routes - set(EXPECTED))
    assert not missing, f"routes without an expectation in the security matrix: {missing}"
    assert not sorted(set(EXPECTED) - routes), "expectations for routes the app no longer has"


@dataclass
class World:
    """Tenant SecA with one loaded upload (report included); SecB's token; the bad ones."""

    upload_id: str
    product_id: str
    tokens: dict[str, str | None]
    markers: tuple[str, ...]  # what of SecA no other caller may see


@pytest.fixture(scope="module")
def world(api: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    rows = template_rows(8, product_prefix=A_PREFIX)
    rows[1]["offer_price"] = 999999  # one rejected product: the upload has a report
    for row in rows:
        row["product_name"] = A_TEXT
    path = write_xlsx(tmp_path_factory.mktemp("seca") / A_FILE, rows, sheet_name="Sheet1")
    own = api.token(TENANT_A)
    with path.open("rb") as handle:
        body = (
            api.client(own)
            .post("/ingest?wait=60", files={"file": (path.name, handle)})
            .raise_for_status()
            .json()
        )
    assert body["status"] == "succeeded" and body["products_loaded"] == 1, body
    revoked = api.token(TENANT_A)
    revoke_token(api.engine, revoked.split("_")[1])
    tokens: dict[str, str | None] = {
        NONE: None,
        BAD: "brk_000000000000_" + "x" * 43,
        REVOKED: revoked,
        OTHER: api.token(TENANT_B),
        OWN: own,
    }
    product_id = f"{A_PREFIX}000001"
    markers = (TENANT_A, body["upload_id"], A_PREFIX, A_FILE, A_TEXT)
    yield World(body["upload_id"], product_id, tokens, markers)


def call(
    api: ApiServer, world: World, target: Call, token: str | None, path: Path
) -> httpx.Response:
    url = target.url.format(upload_id=world.upload_id, product_id=world.product_id)
    client = api.client(token)
    method = "POST" if target.upload or "/rollback" in url or "/review" in url else "GET"
    if target.method is not None:
        body = (
            {k: v.format(upload_id=world.upload_id) if isinstance(v, str) else v
             for k, v in target.json.items()}
            if target.json is not None
            else None
        )  # fmt: skip
        return client.request(target.method, url, json=body, content=target.content)
    if target.upload:
        with path.open("rb") as handle:
            return client.post(url, files={"file": ("new.xlsx", handle)}, data={"tenant": TENANT_A})
    return client.request(method, url)


def leaked(body: str, world: World, sent: str) -> list[str]:
    """SecA's markers in `body`, once the parts the caller sent itself are taken out."""
    body = body.replace(sent, "<sent>").replace(quote(sent, safe=""), "<sent>")
    return [m for m in world.markers if m.lower() in body.lower()]


@pytest.mark.parametrize("caller", CALLERS)
def test_route_matrix(api: ApiServer, world: World, caller: str, tmp_path: Path) -> None:
    book = write_xlsx(tmp_path / "new.xlsx", template_rows(4, product_prefix="SECBNEW"))
    failures = []
    for (method, path), target in sorted(EXPECTED.items()):
        response = call(api, world, target, world.tokens[caller], book)
        expected = target.expected[caller]
        if response.status_code != expected:
            failures.append(
                f"{method} {path}: {response.status_code} (expected {expected}) "
                f"{response.text[:200]}"
            )
            continue
        if expected >= 400:
            assert response.headers["content-type"] == "application/json", path
            assert set(response.json()) == {"detail"}, (path, response.text)
        if expected == 401:
            assert response.headers["www-authenticate"] == "Bearer", path
        if caller != OWN and path not in ("/docs", "/", "/openapi.json") and method != "MOUNT":
            in_body = target.json is not None and "{upload_id}" in str(target.json)
            sent = world.upload_id if "{upload_id}" in path or in_body else world.product_id
            sent = sent if "{" in path or in_body else "\x00never"
            found = leaked(response.text, world, sent)
            if found:
                failures.append(
                    f"{method} {path} as {caller}: SecA's {found} in {response.text[:300]}"
                )
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------- no existence oracle

ID_ROUTES = ("", "/original", "/report", "/images")
UNKNOWN_IDS = (
    f"{TENANT_B}-20990101T000000-00000000",  # well formed, nobody's
    "\x00",
    "a\x00b",
    "x" * 1000,
    "..%2F..%2Fetc",
    "%",
    "\u202eexe.xlsx",
    "é\u0301🙂",
    "'\"<script>",
)


def _shape(response: httpx.Response, sent: str) -> tuple[int, str]:
    return response.status_code, response.text.replace(
        re.sub(r"[\\\"]", lambda m: "\\" + m.group(), sent), "<id>"
    )


@pytest.mark.parametrize("unknown", UNKNOWN_IDS, ids=lambda s: repr(s)[:20])
def test_another_tenants_upload_id_answers_like_an_unknown_one(
    api: ApiServer, world: World, unknown: str
) -> None:
    other = api.client(world.tokens[OTHER])
    for suffix in ID_ROUTES:
        theirs = other.get(f"/uploads/{world.upload_id}{suffix}")
        nobodys = other.get(f"/uploads/{quote(unknown, safe='')}{suffix}")
        assert theirs.status_code == 404
        assert nobodys.status_code == 404, (suffix, nobodys.text)
        assert nobodys.json() == {"detail": f"no upload with id {unknown!r}"}
        assert theirs.json() == {"detail": f"no upload with id {world.upload_id!r}"}
    for before in (world.upload_id, unknown, "../../etc/passwd"):
        page = other.get("/uploads", params={"before": before})
        assert page.status_code == 400, page.text
        assert page.json() == {
            "detail": f"before={before!r} is not one of your upload ids; start without it"
        }
    for suffix in ("", "/history"):
        theirs = other.get(f"/products/{world.product_id}{suffix}")
        nobodys = other.get(f"/products/{quote(unknown, safe='')}{suffix}")
        assert (theirs.status_code, nobodys.status_code) == (404, 404), nobodys.text
        assert nobodys.json() == {"detail": f"no product with id {unknown!r}"}


# --------------------------------------------------------------------------- error bodies

TRACE = re.compile(r"Traceback|File \"|line \d+|/usr/|/tmp/|/work/|site-packages|\.py\b|Error\(")


def assert_plain_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str), body
    assert not TRACE.search(response.text), response.text
    assert "\n" not in body["detail"]


def test_error_bodies_hold_no_trace_and_no_path(api: ApiServer, world: World) -> None:
    own = api.client(world.tokens[OWN])
    assert_plain_error(own.get("/no/such/route"), 404)
    assert_plain_error(own.get("/static/../../../etc/passwd"), 404)
    assert_plain_error(own.get("/static/nothing.js"), 404)
    assert_plain_error(own.delete("/uploads"), 405)
    assert_plain_error(own.put(f"/uploads/{world.upload_id}"), 405)
    assert_plain_error(own.get("/uploads?limit=abc"), 400)  # FastAPI's 422, one sentence
    assert_plain_error(own.get("/products?updated_since=yesterday"), 400)
    assert_plain_error(own.post("/ingest", content=b"not a form"), 400)
    assert_plain_error(
        own.post(
            "/ingest",
            content=b"--B\r\nbroken",
            headers={"content-type": "multipart/form-data; boundary=B"},
        ),
        400,
    )


def test_a_server_fault_is_a_sentence_not_a_trace(api: ApiServer, world: World) -> None:
    """The archived original vanished from the object store (a local folder here): the read
    fails inside the server, and the answer names no path of it."""
    objects = Path(api.env.get("BRISKK_HOME", "")) / "objects"
    archived = next(objects.glob(f"archive/**/{world.upload_id}/*"))
    keep = archived.with_suffix(".kept")
    shutil.move(archived, keep)
    try:
        response = api.client(world.tokens[OWN]).get(f"/uploads/{world.upload_id}/original")
        assert response.status_code in (500, 503), response.text
        assert_plain_error(response, response.status_code)
        assert str(objects) not in response.text
    finally:
        shutil.move(keep, archived)


@pytest.mark.parametrize("unknown", ["\x00", "a\x00b"], ids=["nul", "inner-nul"])
def test_an_id_no_row_can_hold_is_unknown_for_an_admin_too(
    api: ApiServer, world: World, unknown: str
) -> None:
    """Ids with NUL (which PostgreSQL refuses) were a 500 inside the server."""
    admin = api.client(api.token("SecOps", admin=True))
    sent = quote(unknown, safe="")
    for suffix in ID_ROUTES:
        response = admin.get(f"/uploads/{sent}{suffix}")
        assert response.json() == {"detail": f"no upload with id {unknown!r}"}
    assert admin.get(f"/products/{sent}").json() == {"detail": f"no product with id {unknown!r}"}
    for path in ("/uploads", "/products"):
        response = admin.get(path, params={"tenant": unknown})
        assert response.status_code == 400
        assert response.json() == {"detail": f"no tenant can be named {unknown!r}"}
    for action in ("rollback?dry_run=true", "review?decision=decline"):
        response = admin.post(f"/uploads/{sent}/{action}")
        assert response.status_code == 404, response.text
        assert_plain_error(response, 404)
