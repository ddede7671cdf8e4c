"""`briskk serve` says, before it serves, where the brand page is and which state folder it
serves (a user who started it must not have to guess the address or the catalog)."""

from __future__ import annotations

import pytest

from briskk_pipeline_tests.api.server import ApiServer

pytestmark = pytest.mark.e2e


def test_serve_prints_the_page_address_and_the_state_folder(api: ApiServer) -> None:
    lines = api.log.read_text(errors="replace").splitlines()
    assert f"briskk serve: the brand page at http://127.0.0.1:{api.port}/" in lines
    assert f"briskk serve: state folder {api.home.resolve()}" in lines
