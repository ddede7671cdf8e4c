"""The inbox under faults outside it: a read-only object store and a stopped catalog database
are reported in the same one line as `briskk` prints, the file stays in the inbox for a later
retry, nothing is registered and no partial object is left."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from briskk_pipeline.catalog import db, uploads
from briskk_pipeline.ingest.inbox import watch_inbox
from briskk_pipeline.ingest.inbox_state import InboxState
from briskk_pipeline.resources import LocalObjectStore
from briskk_pipeline_tests.fixtures.faults import every_file, read_only
from briskk_pipeline_tests.test_faults import closed_port
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


def _two_ticks(inbox: Path, store: LocalObjectStore, engine: sa.Engine) -> list[str]:
    first = watch_inbox(inbox, InboxState(), store=store, engine=engine)  # seen once
    second = watch_inbox(inbox, first.state, store=store, engine=engine)  # ready: registered
    assert second.registered == []
    assert list(second.state.retry) == ["BrandA_Briskk_SKU_Template.xlsx"]
    return second.errors


def test_a_read_only_store_is_retried_with_one_clear_line(
    tmp_path: Path, engine: sa.Engine
) -> None:
    inbox = tmp_path / "inbox"
    path = write_xlsx(inbox / "BrandA_Briskk_SKU_Template.xlsx", template_rows(4))
    objects = tmp_path / "objects"
    store = LocalObjectStore(root=str(objects))
    with read_only(objects):
        [error] = _two_ticks(inbox, store, engine)
    assert error.startswith("BrandA_Briskk_SKU_Template.xlsx: the object store refused the write: ")
    assert f" at {objects}/archive/BrandA/BrandA-" in error
    assert error.endswith("(attempt 1; tried again in 5 s)")
    assert path.exists()
    assert every_file(objects) == []
    assert uploads.list_uploads(engine) == []


def test_a_stopped_database_is_retried_with_one_clear_line(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    path = write_xlsx(inbox / "BrandA_Briskk_SKU_Template.xlsx", template_rows(4))
    port = closed_port()
    engine = db.make_engine(f"postgresql://briskk:secret@127.0.0.1:{port}/catalog")
    store = LocalObjectStore(root=str(tmp_path / "objects"))
    [error] = _two_ticks(inbox, store, engine)
    assert error == (
        "BrandA_Briskk_SKU_Template.xlsx: the catalog database is not reachable: connection to "
        f'server at "127.0.0.1", port {port} failed: Connection refused '
        "(attempt 1; tried again in 5 s)"
    )
    assert path.exists()
    assert every_file(tmp_path / "objects") == []
