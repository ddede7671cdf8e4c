"""The HTTP API through a real `briskk serve` (uvicorn on 127.0.0.1) and httpx.

Every endpoint, status codes and JSON field by field; tenant isolation (a brand token cannot
read, list, download or write another brand's anything, ids guessed or not); revoked tokens;
`413` for an oversize upload streamed in chunks, answered before the body was sent; `?wait`
in time and timed out; the same file through the API and the CLI gives the same catalog; the
run appears in the Dagster instance with its tags; an upload a dead server left is run.
"""

from __future__ import annotations

import select
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from dagster import DagsterInstance

from briskk_pipeline.api.tokens import revoke_token
from briskk_pipeline_tests.api.conftest import MAX_UPLOAD_BYTES, STRANDED_TENANT
from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.fixtures.cli import briskk_json
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

INGEST_KEYS = {
    "upload_id",
    "status",
    "tenant",
    "products_loaded",
    "skus_loaded",
    "products_rejected",
    "rows_rejected",
    "errors",
    "warnings",
    "images",
    "image_failures",
    "seconds",
    "mode",  # issue 19: merge | replace | update
    "changes",  # issue 19: what the upload changed (catalog/summary.py)
    "readiness",  # per product and channel: "ready" or the failing rules (readiness/)
    "profile_version",  # issue 22: the brand profile version it was read with
}
UPLOAD_KEYS = {
    "upload_id",
    "tenant",
    "file_name",
    "sha256",
    "received_at",
    "status",
    "products_loaded",
    "skus_loaded",
    "products_rejected",
    "rows_rejected",
    "errors",
    "archive_uri",
    "run_id",
    "warnings",
    "images",
    "image_failures",
    "failure_reason",
    "report_error",  # issue 20: a step after the load failed
    "finished_at",
    "seconds",
    "report_uri",
    "pruned_at",
    "rolled_back_at",  # History issue: undone by briskk rollback
    "rolled_back_by",
    "mode",  # issue 19
    "review_reasons",
    "review_decision",
    "changes",
    "profile_version",  # issue 22
}


def workbook(tmp_path: Path, n_rows: int = 8, *, bad_row: bool = False, name: str = "book") -> Path:
    rows = template_rows(n_rows)
    if bad_row:
        rows[2]["offer_price"] = "999999"  # more than price: rejects P000000 (rows 2-5)
    path = tmp_path / f"{name}.xlsx"
    write_xlsx(path, rows, sheet_name="Sheet1")  # no tenant claim: the token decides
    return path


def post_file(
    client: httpx.Client, path: Path, query: str = "?wait=60", **data: str
) -> httpx.Response:
    with path.open("rb") as handle:
        return client.post(f"/ingest{query}", files={"file": (path.name, handle)}, data=data)


def wait_until_done(client: httpx.Client, upload_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = client.get(f"/uploads/{upload_id}").json()
        if body["status"] != "running":
            return body
        time.sleep(0.3)
    raise AssertionError(f"{upload_id} still running")


# ----------------------------------------------------------------------------- ingest


def test_ingest_waits_and_returns_the_cli_summary(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("BrandA"))
    response = post_file(client, workbook(tmp_path, bad_row=True))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == INGEST_KEYS
    assert body["status"] == "succeeded" and body["tenant"] == "BrandA"
    assert body["upload_id"].startswith("BrandA-")
    assert response.headers["location"] == f"/uploads/{body['upload_id']}"
    assert (body["products_loaded"], body["skus_loaded"]) == (1, 4)
    assert (body["products_rejected"], body["rows_rejected"]) == (1, 4)
    assert body["errors"] == [
        {
            "row": 4,
            "column": "offer_price",
            "value": "999999",
            "message": "must not be more than price",
        }
    ]
    # fetching is off in these tests: not fetched, which is not a failure of the URL
    assert body["images"] == {
        "stored": 0,
        "reused": 0,
        "failed": 0,
        "blocked": 0,
        "not_fetched": 2,
    }
    # the loaded product's first row (the product of row 4 is rejected)
    assert [(f["row"], f["column"], f["status"]) for f in body["image_failures"]] == [
        (6, "main_image", "not_fetched"),
        (6, "image_1", "not_fetched"),
    ]
    assert isinstance(body["seconds"], float) and 0 < body["seconds"] < 60

    upload = client.get(f"/uploads/{body['upload_id']}").json()
    assert set(upload) == UPLOAD_KEYS
    assert upload["file_name"] == "book.xlsx" and upload["status"] == "succeeded"
    assert upload["errors"] == body["errors"] and upload["run_id"]
    assert upload["archive_uri"].startswith("file://")

    images = client.get(f"/uploads/{body['upload_id']}/images").json()
    # by the row and column of the file (the catalog keeps a not-fetched image as `failed`)
    assert {(i["row"], i["product_id"], i["column"], i["status"]) for i in images} >= {
        (6, "P000001", "main_image", "not_fetched")
    }
    assert all(i["reason"] for i in images)


def test_run_is_in_the_dagster_instance_with_its_tags(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("Tagged"))
    body = post_file(client, workbook(tmp_path)).json()
    run_id = client.get(f"/uploads/{body['upload_id']}").json()["run_id"]
    instance = DagsterInstance.from_config(str(api.home / "dagster"))
    try:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.job_name == "ingest_job"
        assert run.tags["briskk/tenant"] == "Tagged"
        assert run.tags["briskk/source"] == "api"
        assert run.tags["dagster/partition"] == body["upload_id"]
        assert run.status.value == "SUCCESS"
        assert instance.has_dynamic_partition("uploads", body["upload_id"])
    finally:
        instance.dispose()


def test_wait_timed_out_answers_202_then_the_upload_finishes(
    api: ApiServer, tmp_path: Path
) -> None:
    client = api.client(api.token("Slowpoke"))
    for query in ("", "?wait=0.05"):
        response = post_file(client, workbook(tmp_path), query)
        assert response.status_code == 202, response.text
        body = response.json()
        assert body == {"upload_id": body["upload_id"], "status": "running"}
        assert response.headers["location"] == f"/uploads/{body['upload_id']}"
        assert wait_until_done(client, body["upload_id"])["status"] == "succeeded"


def test_file_rejected_whole_is_200_rejected(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("Rejecta"))
    path = tmp_path / "notes.csv"
    path.write_text("hello,world\n1,2\n")
    response = post_file(client, path)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "rejected" and body["products_loaded"] == 0
    assert body["errors"] and body["errors"][0]["row"] is None


def test_a_sheet_claiming_another_tenant_is_rejected(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("Honest"))
    path = tmp_path / "claim.xlsx"
    write_xlsx(path, template_rows(4), sheet_name="Other_Briskk_SKU_Template")
    body = post_file(client, path).json()
    assert body["status"] == "rejected" and body["tenant"] == "Honest"
    assert "Other" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": {"tenant": "x"}, "files": {"other": ("a.txt", b"x")}}, "no file in the request"),
        ({"files": {"file": ("empty.xlsx", b"")}}, "the file is empty"),
        ({"json": {"file": "book.xlsx"}}, "not a multipart form"),
        ({"content": b"", "headers": {"Content-Type": "multipart/form-data"}}, "not a multipart"),
    ],
)
def test_bad_requests_are_400_with_a_message(
    api: ApiServer, kwargs: dict[str, Any], message: str
) -> None:
    client = api.client(api.token("Badreq"))
    response = client.post("/ingest", **kwargs)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_wait_over_60_is_400(api: ApiServer, tmp_path: Path) -> None:
    response = post_file(api.client(api.token("Badreq")), workbook(tmp_path), "?wait=61")
    assert response.status_code == 400
    assert "wait" in response.json()["detail"]


def test_declared_oversize_is_413_before_any_body(api: ApiServer) -> None:
    """Content-Length says too much: the answer comes with no body byte sent at all."""
    token = api.token("Huge")
    with socket.create_connection(("127.0.0.1", api.port), timeout=20) as sock:
        sock.sendall(
            (
                f"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: multipart/form-data; boundary=B\r\n"
                f"Content-Length: {10 * MAX_UPLOAD_BYTES}\r\n\r\n"
            ).encode()
        )
        answer = b""
        while chunk := sock.recv(65536):  # the server closes after answering
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert b"larger than the limit of 1 MB" in answer


def test_oversize_streamed_in_chunks_is_413_before_the_body_is_read(api: ApiServer) -> None:
    """Chunked (no Content-Length): the server must answer once the file passes the cap, while
    the client is still sending; the test stops sending as soon as the answer is there."""
    token = api.token("Huge")
    total = 64 * MAX_UPLOAD_BYTES
    piece = b"x" * 65536
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", api.port), timeout=20) as sock:
        sock.sendall(
            (
                f"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: multipart/form-data; boundary=BND\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        preamble = (
            b'--BND\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n\r\n'
        )
        sock.sendall(b"%x\r\n%s\r\n" % (len(preamble), preamble))
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            except OSError:
                break
            sent += len(piece)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"BRISKK_MAX_UPLOAD_BYTES" in answer
    assert sent < total // 4, f"the client could send {sent} of {total} bytes"


def test_same_file_through_api_and_cli_gives_the_same_catalog(
    api: ApiServer, tmp_path: Path
) -> None:
    path = workbook(tmp_path, 12, bad_row=True)
    via_api = post_file(api.client(api.token("ViaApi")), path).json()
    env = {**api.env, "DAGSTER_HOME": str(tmp_path / "cli-dagster")}
    via_cli = briskk_json(env, "ingest", str(path), "--tenant", "ViaCli")
    strip = ("upload_id", "tenant", "seconds")
    assert {k: v for k, v in via_api.items() if k not in strip} == {
        k: v for k, v in via_cli.items() if k not in strip
    }
    admin = api.client(api.token("Ops", admin=True))
    api_products = admin.get("/products?tenant=ViaApi").json()
    cli_products = admin.get("/products?tenant=viacli").json()
    assert len(api_products) == 2
    assert [{**p, "tenant": None} for p in api_products] == [
        {**p, "tenant": None} for p in cli_products
    ]
    assert cli_products == briskk_json(env, "products", "--tenant", "ViaCli")


# --------------------------------------------------------------------------- reading


def test_products_pages_with_a_cursor_and_updated_since(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("Pager"))
    assert post_file(client, workbook(tmp_path, 12)).json()["products_loaded"] == 3
    first = client.get("/products?limit=2")
    assert first.status_code == 200
    assert [p["product_id"] for p in first.json()] == ["P000000", "P000001"]
    cursor = first.headers["x-next-cursor"]
    assert first.headers["link"] == f'</products?limit=2&cursor={cursor}>; rel="next"'
    second = client.get(f"/products?limit=2&cursor={cursor}")
    assert [p["product_id"] for p in second.json()] == ["P000002"]
    assert "x-next-cursor" not in second.headers
    product = second.json()[0]
    assert product["tenant"] == "Pager" and len(product["skus"]) == 4
    assert product["images"][0]["position"] == 0
    assert client.get("/products?updated_since=2999-01-01T00:00:00Z").json() == []
    assert len(client.get("/products?updated_since=2000-01-01T00:00:00%2B00:00").json()) == 3
    for bad in ("cursor=nonsense", "updated_since=2020-01-01T00:00:00", "limit=0"):
        assert client.get(f"/products?{bad}").status_code == 400, bad
    one = client.get("/products/P000002")
    assert one.status_code == 200 and one.json() == product
    assert client.get("/products/nope").status_code == 404


def test_original_is_the_archived_file_with_its_name(api: ApiServer, tmp_path: Path) -> None:
    client = api.client(api.token("Keeper"))
    path = workbook(tmp_path, name="Catalogue été")
    body = post_file(client, path).json()
    original = client.get(f"/uploads/{body['upload_id']}/original")
    assert original.status_code == 200
    assert original.content == path.read_bytes()
    assert original.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert original.headers["content-disposition"] == (
        'attachment; filename="Catalogue _t_.xlsx"; '
        "filename*=UTF-8''Catalogue%20%C3%A9t%C3%A9.xlsx"
    )


def test_brand_tokens_see_only_their_tenant(api: ApiServer, tmp_path: Path) -> None:
    a, b = api.client(api.token("IsoA")), api.client(api.token("IsoB"))
    upload_a = post_file(a, workbook(tmp_path)).json()["upload_id"]
    upload_b = post_file(b, workbook(tmp_path, 4)).json()["upload_id"]
    for path in ("", "/original", "/images"):
        assert a.get(f"/uploads/{upload_b}{path}").status_code == 404
        missing = a.get(f"/uploads/IsoB-20990101T000000-00000000{path}")
        assert missing.status_code == 404
        assert a.get(f"/uploads/{upload_b}{path}").json() == {
            "detail": f"no upload with id {upload_b!r}"
        }
    assert [u["upload_id"] for u in a.get("/uploads").json()] == [upload_a]
    assert a.get("/uploads?tenant=IsoB").status_code == 403
    assert a.get("/uploads?tenant=isoa").status_code == 200  # any letter case
    assert {p["tenant"] for p in a.get("/products").json()} == {"IsoA"}
    assert a.get("/products?tenant=IsoB").status_code == 403
    assert a.get("/products/P000000").json()["tenant"] == "IsoA"
    assert b.get("/products/P000001").status_code == 404  # IsoB has one product only
    write = post_file(a, workbook(tmp_path), tenant="IsoB")
    assert write.status_code == 403
    assert write.json()["detail"] == "this token may upload for tenant 'IsoA' only"
    assert [u["upload_id"] for u in b.get("/uploads").json()] == [upload_b]


def test_admin_tokens_name_any_tenant(api: ApiServer, tmp_path: Path) -> None:
    admin = api.client(api.token("Ops", admin=True))
    body = post_file(admin, workbook(tmp_path, 4), tenant="AdminMade").json()
    assert body["tenant"] == "AdminMade" and body["status"] == "succeeded"
    assert admin.get(f"/uploads/{body['upload_id']}").status_code == 200
    tenants = {u["tenant"] for u in admin.get("/uploads").json()}
    assert "AdminMade" in tenants
    assert {u["tenant"] for u in admin.get("/uploads?tenant=adminmade").json()} == {"AdminMade"}
    assert admin.get("/products/P000000?tenant=AdminMade").json()["tenant"] == "AdminMade"
    invalid = post_file(admin, workbook(tmp_path, 4), tenant="no/slashes")
    assert invalid.status_code == 400 and "is not valid" in invalid.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/uploads", "/uploads/x", "/uploads/x/original", "/products", "/products/x", "/me"]
)
def test_no_bad_or_revoked_token_is_401(api: ApiServer, path: str) -> None:
    token = api.token("Revoked")
    assert api.client(token).get(path).status_code in (200, 404)
    revoke_token(api.engine, token.split("_")[1])
    for client in (api.client(), api.client("brk_000000000000_" + "x" * 43), api.client(token)):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "detail" in response.json()
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert api.client(forged).get(path).status_code == 401


def test_me_healthz_docs_and_openapi(api: ApiServer) -> None:
    client = api.client(api.token("Meta"))
    assert client.get("/me").json() == {
        "token_id": client.headers["authorization"].split("_")[1],
        "tenant": "Meta",
        "admin": False,
        "name": "test",
    }
    assert httpx.get(f"{api.base_url}/healthz").json() == {
        "status": "ok",
        "catalog": "ok",
        "object_store": "ok",
    }
    docs = httpx.get(f"{api.base_url}/docs")
    assert docs.status_code == 200 and "/static/docs/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert httpx.get(f"{api.base_url}/static/docs/swagger-ui-bundle.js").status_code == 200
    schema = httpx.get(f"{api.base_url}/openapi.json").json()
    assert {
        "/ingest",
        "/uploads",
        "/uploads/{upload_id}",
        "/uploads/{upload_id}/original",
        "/products",
        "/products/{product_id}",
        "/healthz",
    } <= set(schema["paths"])
    assert "file" in str(schema["paths"]["/ingest"]["post"]["requestBody"])
    page = httpx.get(f"{api.base_url}/")
    assert page.status_code == 200 and "/static/app.js" in page.text


def test_an_upload_a_dead_server_left_unstarted_is_run(api: ApiServer) -> None:
    admin = api.client(api.token("Ops", admin=True))
    [stranded] = admin.get(f"/uploads?tenant={STRANDED_TENANT}").json()
    assert wait_until_done(admin, stranded["upload_id"])["status"] == "succeeded"
    assert "re-queueing upload" in api.log.read_text()
