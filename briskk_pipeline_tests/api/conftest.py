"""The API tests' server: one `briskk serve` per test module (see server.py)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from briskk_pipeline.catalog import db
from briskk_pipeline.ingest.register import register
from briskk_pipeline.resources import LocalObjectStore
from briskk_pipeline_tests.api.server import ApiServer, fresh_database, running_server
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

MAX_UPLOAD_BYTES = 1024 * 1024
STRANDED_TENANT = "Stranded"


@pytest.fixture(scope="module")
def api(postgres_server_url: str) -> Iterator[ApiServer]:
    """A running server (1 MB upload cap) whose catalog already held an `api` upload that a
    previous server registered but never ran (tenant `Stranded`)."""
    home = Path(tempfile.mkdtemp(prefix="briskk-api-test-"))
    try:
        with fresh_database(postgres_server_url) as url:
            book = home / "stranded.xlsx"
            write_xlsx(book, template_rows(4), sheet_name="Sheet1")
            register(
                book.read_bytes(),
                book.name,
                explicit_tenant=STRANDED_TENANT,
                source="api",
                store=LocalObjectStore(root=str(home / "objects")),
                engine=db.make_engine(url),
            )
            with running_server(
                url,
                home,
                BRISKK_MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
                # these tests present bad tokens on purpose; the limit has its own test
                # (test_security_http.py)
                BRISKK_API_AUTH_FAILURES="100000/minute",
            ) as s:
                yield s
    finally:
        shutil.rmtree(home, ignore_errors=True)


CHROMIUM = "/usr/bin/chromium"  # Debian's chromium (Playwright's own download is not reachable)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium driven by Playwright, headless, for a module's page tests
    (`make chromium` / `.ci/run` install it)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
            headless=True,
        )
        try:
            yield launched
        finally:
            launched.close()
