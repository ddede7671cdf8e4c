"""The API's standing security suite, part 2: what comes over the wire (issue 20, item 4).

One `briskk serve` of its own (uvicorn on 127.0.0.1) with small limits so the tests are quick:
a 1 MB upload cap, `BRISKK_API_BODY_SECONDS=3`, `BRISKK_API_AUTH_FAILURES=5/minute`.

- Security headers on the page, `/docs`, static files, JSON and errors; the page and `/docs`
  load in Chromium with no Content-Security-Policy violation and Swagger UI renders.
- Bodies over the cap: refused (`413`) from `Content-Length` alone on any route, and a chunked
  body of many small form fields (each under the field limit) refused once the total passes
  the cap, while the client is still sending.
- A slow client: a body trickled a byte at a time is cut off (`408`) while another client
  uploads and reads.
- Failed token checks: the sixth bad token from one address in a minute is `429` with
  `Retry-After`, and so is a good token from that address; other addresses and requests with
  no token are not counted.
"""

from __future__ import annotations

import http.client
import re
import select
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, sync_playwright

from briskk_pipeline_tests.api.server import ApiServer, fresh_database, running_server
from briskk_pipeline_tests.fixtures.cli import briskk
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

CAP = 1024 * 1024
BODY_SECONDS = 3
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def server(postgres_server_url: str) -> Iterator[ApiServer]:
    home = Path(tempfile.mkdtemp(prefix="briskk-sec-http-"))
    try:
        with (
            fresh_database(postgres_server_url) as url,
            running_server(
                url,
                home,
                BRISKK_MAX_UPLOAD_BYTES=str(CAP),
                BRISKK_API_BODY_SECONDS=str(BODY_SECONDS),
                BRISKK_API_AUTH_FAILURES="5/minute",
            ) as running,
        ):
            yield running
    finally:
        shutil.rmtree(home, ignore_errors=True)


# ------------------------------------------------------------------------------ headers


def assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers.get("content-security-policy", "")
    directives = dict(
        [*part.split(" ", 1), ""][:2] for part in (p.strip() for p in csp.split(";")) if part
    )
    assert directives.get("frame-ancestors") == "'none'", csp
    assert directives.get("script-src") == "'self'", csp  # no 'unsafe-inline'
    assert directives.get("style-src") == "'self'", csp
    assert directives.get("default-src") == "'none'", csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "no-referrer"
    assert response.headers.get("x-frame-options") == "DENY"


def test_every_kind_of_answer_carries_the_security_headers(server: ApiServer) -> None:
    token = server.token("HeadA")
    client = server.client(token)
    for response in (
        client.get("/"),
        client.get("/docs"),
        client.get("/static/app.js"),
        client.get("/static/docs/swagger-ui-bundle.js"),
        client.get("/openapi.json"),
        client.get("/healthz"),
        client.get("/me"),
        client.get("/uploads/nobody"),  # 404
        client.delete("/me"),  # 405
        client.get("/uploads?limit=x"),  # 400
        server.client().get("/me"),  # 401
    ):
        assert_security_headers(response)


def test_page_and_docs_have_no_inline_script_or_style() -> None:
    """The templates hold no `<script>` with a body, no `<style>`, no `style=` and no `on…=`
    handler: everything is in files under /static (the CSP refuses the rest)."""
    templates = Path(__file__).resolve().parents[2] / "briskk_pipeline" / "api" / "templates"
    pages = sorted(templates.glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "docs.html"}
    for page in pages:
        text = page.read_text()
        assert not re.search(r"<script[^>]*>\s*[^<\s]", text), page
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text, re.IGNORECASE), page


def test_page_and_docs_load_in_chromium_without_a_csp_violation(server: ApiServer) -> None:
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
        )
        try:
            page = browser.new_page()
            page.on("console", watch)
            answer = page.goto(server.base_url + "/docs")
            assert answer is not None
            assert "script-src 'self'" in answer.headers["content-security-policy"]
            page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
            assert "briskk-pipeline API" in page.inner_text(".swagger-ui .info .title")
            page.wait_for_selector("#operations-uploads-list_uploads_uploads_get", timeout=30_000)
            answer = page.goto(server.base_url + "/")
            assert answer is not None
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
            page.wait_for_selector("#sign-in button", timeout=30_000)
            font = page.eval_on_selector("body", "e => getComputedStyle(e).fontFamily")
            assert font  # the page's stylesheet applied
        finally:
            browser.close()
    assert violations == []


# ------------------------------------------------------------------------- body limits


def raw_answer(sock: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    return answer


def test_a_declared_oversize_body_is_413_on_any_route(server: ApiServer) -> None:
    """Content-Length over the cap: answered before any body byte, whatever the route."""
    admin = server.token("HeadOps", admin=True)
    for path in ("/uploads/x/review?decision=decline", "/me", "/nothing-here"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
            sock.sendall(
                (
                    f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: Bearer {admin}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {50 * CAP}\r\n\r\n"
                ).encode()
            )
            answer = raw_answer(sock)
        assert answer.startswith(b"HTTP/1.1 413"), (path, answer[:200])
        assert b"connection: close" in answer.lower()
        assert b'{"detail":"the file is larger than the limit of 1 MB' in answer
        assert b"content-security-policy: default-src 'none'" in answer.lower()


def test_a_chunked_body_of_small_fields_is_413_before_it_is_read_whole(
    server: ApiServer,
) -> None:
    """Thousands of form fields, each under the 4 KB field limit, no Content-Length: the
    upload parser bounds each part, not their sum; the total must be refused too, while the
    client is still sending (http.client, chunked)."""
    token = server.token("HeadChunk")
    field = b"x" * 4000
    total = 40 * CAP
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", "/ingest")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", "multipart/form-data; boundary=BND")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    sock = connection.sock
    assert sock is not None
    sent = 0
    n = 0
    while sent < total:
        if select.select([sock], [], [], 0)[0]:
            break  # the server answered
        part = b'--BND\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n%s\r\n' % (n, field)
        try:
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        except OSError:
            break
        sent += len(part)
        n += 1
    answer = raw_answer(sock)
    connection.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert sent < total // 4, f"the client could send {sent} of {total} bytes"


# -------------------------------------------------------------------------- slow client


def test_a_slow_client_is_cut_off_while_others_upload(server: ApiServer, tmp_path: Path) -> None:
    token = server.token("HeadSlow")
    outcome: dict[str, object] = {}

    def trickle() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
            sock.sendall(
                (
                    f"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}"
                    "\r\nContent-Type: multipart/form-data; boundary=BND\r\n"
                    "Content-Length: 100000\r\n\r\n"
                    '--BND\r\nContent-Disposition: form-data; name="file"; filename="s.xlsx"'
                    "\r\n\r\n"
                ).encode()
            )
            sent = 0
            while sent < 100_000 and not select.select([sock], [], [], 0.2)[0]:
                try:
                    sock.sendall(b"x")
                except OSError:
                    break
                sent += 1
            outcome["sent"] = sent
            outcome["answer"] = raw_answer(sock)

    slow = threading.Thread(target=trickle)
    slow.start()
    try:
        client = server.client(token)
        book = write_xlsx(tmp_path / "quick.xlsx", template_rows(4), sheet_name="Sheet1")
        with book.open("rb") as handle:
            quick = client.post("/ingest?wait=60", files={"file": (book.name, handle)})
        assert quick.status_code == 200 and quick.json()["status"] == "succeeded", quick.text
        assert client.get("/me").status_code == 200
        assert slow.is_alive() or outcome["answer"], "the slow client ended without an answer"
    finally:
        slow.join(timeout=90)
    answer = outcome["answer"]
    assert isinstance(answer, bytes) and answer.startswith(b"HTTP/1.1 408"), answer
    assert b"BRISKK_API_BODY_SECONDS" in answer and b"connection: close" in answer.lower()
    assert isinstance(outcome["sent"], int) and outcome["sent"] < 100_000
    # the slow upload was never registered
    uploads = client.get("/uploads").json()
    assert [u["file_name"] for u in uploads] == ["quick.xlsx"]


# ------------------------------------------------------------------------- rate limit


def test_failed_token_checks_are_limited_per_address(server: ApiServer) -> None:
    """uvicorn takes the client address from X-Forwarded-For when the peer is 127.0.0.1
    (its default FORWARDED_ALLOW_IPS), so each test address here is a client of its own."""
    good = server.token("HeadLimit")
    bad = "brk_000000000000_" + "y" * 43

    def ask(address: str, token: str | None) -> httpx.Response:
        headers = {"X-Forwarded-For": address}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.get(f"{server.base_url}/me", headers=headers, timeout=30)

    for _ in range(8):  # no token: nothing checked, nothing counted
        assert ask("203.0.113.7", None).status_code == 401
    assert ask("203.0.113.7", good).status_code == 200
    for _ in range(5):
        assert ask("203.0.113.7", bad).status_code == 401
    refused = ask("203.0.113.7", bad)
    assert refused.status_code == 429, refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["detail"].startswith("too many tokens that are not valid")
    assert_security_headers(refused)
    assert ask("203.0.113.7", good).status_code == 429  # nothing is checked while blocked
    assert ask("203.0.113.8", good).status_code == 200  # another address
    assert ask("203.0.113.8", bad).status_code == 401


@pytest.mark.parametrize(
    ("name", "value"),
    [("BRISKK_API_BODY_SECONDS", "soon"), ("BRISKK_API_AUTH_FAILURES", "lots")],
)
def test_serve_refuses_a_bad_limit_setting(server: ApiServer, name: str, value: str) -> None:
    done = briskk({**server.env, name: value}, "serve", "--port", "1")
    assert done.returncode == 2, done.stderr
    assert name in done.stderr and "Traceback" not in done.stderr
