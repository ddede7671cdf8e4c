"""The catalog database stopped in the middle of the newer paths (issue 20 item 5): an approval
of a held upload (`briskk review ID --approve`), a rollback (`briskk rollback`) and a re-run
(`briskk rerun`). Each leaves the catalog exactly as before, says so in one line with exit 3,
and leaves the upload's record saying what happened; once the database is back the same
command succeeds.

Everything is real, as in test_cli_faults.py: the CLI is a subprocess on the embedded
PostgreSQL of its `BRISKK_HOME`; the test holds the tenant's advisory lock (what a concurrent
load of the tenant holds), waits until the command's transaction waits on it, and stops the
server with `pg_ctl`. The next `briskk` command starts the server again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import db, tables
from briskk_pipeline.processes import process_alive
from briskk_pipeline_tests.api.server import fresh_database, running_server
from briskk_pipeline_tests.fixtures.cli import briskk_json
from briskk_pipeline_tests.fixtures.faults import every_file
from briskk_pipeline_tests.ingest.test_recovery import _waiting_for_advisory_lock, wait_for
from briskk_pipeline_tests.test_cli_faults import fault_line
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e


@pytest.fixture
def home(pg_tmp_path: Path) -> Path:
    return pg_tmp_path / "home"


@pytest.fixture
def embedded(env: dict[str, str], home: Path) -> dict[str, str]:
    """`briskk`'s environment on the embedded defaults: no DATABASE_URL, the server under
    `home/postgres`, started by the first command."""
    return {k: v for k, v in env.items() if k != "DATABASE_URL"} | {"BRISKK_HOME": str(home)}


@contextlib.contextmanager
def tenant_lock_held(engine: sa.Engine, tenant: str) -> Iterator[None]:
    """Hold `tenant`'s load lock (catalog/load.py, history/rollback.py) in an open
    transaction; released (or lost with the server) afterwards."""
    held = engine.connect()
    transaction = held.begin()
    key = sa.bindparam("k", f"briskk_pipeline.tenant:{tenant}", type_=sa.Text)
    held.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))
    try:
        yield
    finally:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            transaction.rollback()
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            held.close()


def stopped_while_waiting(env: dict[str, str], home: Path, *args: str) -> tuple[int, str, str]:
    """Run `briskk *args` while tenant BrandA's lock is held, stop the embedded server once
    the command waits on that lock; the command's exit code, stdout and stderr."""
    data_dir = home / "postgres"
    engine = db.make_engine(db.embedded_database_url(data_dir))
    with tenant_lock_held(engine, "BrandA"):
        process = subprocess.Popen(
            [sys.executable, "-m", "briskk_pipeline.cli", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(lambda: _waiting_for_advisory_lock(engine), f"`briskk {args[0]}` to wait")
            assert db.stop_embedded_database(data_dir)
            stdout, stderr = process.communicate(timeout=180)
        finally:
            if process.poll() is None:
                process.kill()
    db.dispose_engine(db.embedded_database_url(data_dir))
    return process.returncode, stdout, stderr


def ingest(env: dict[str, str], path: Path, rows: list[dict[str, Any]], *extra: str) -> Any:
    write_xlsx(path, rows, sheet_name="BrandA_Briskk_SKU_Template")
    return briskk_json(env, "ingest", str(path), *extra)


def catalog(env: dict[str, str]) -> Any:
    """The whole catalog as `briskk products --json` shows it (starts the server if down)."""
    return briskk_json(env, "products")


def upload(env: dict[str, str], upload_id: str) -> dict[str, Any]:
    [record] = [u for u in briskk_json(env, "uploads") if u["upload_id"] == upload_id]
    return dict(record)


def no_temporary_objects(home: Path) -> None:
    assert [p for p in every_file(home / "objects") if p.endswith(".tmp")] == []


def test_the_database_stopped_during_an_approval(
    embedded: dict[str, str], home: Path, tmp_path: Path
) -> None:
    rows = template_rows(8)
    assert ingest(embedded, tmp_path / "base.xlsx", rows)["status"] == "succeeded"
    typo = [dict(rows[0], price=99.9, offer_price=89.9)]  # ten times too small: held
    held = briskk_json(
        embedded,
        "ingest",
        str(write_xlsx(tmp_path / "typo.xlsx", typo, columns=["sku_id", "price", "offer_price"])),
        code=1,
    )
    assert held["status"] == "needs_review"
    before = catalog(embedded)

    code, stdout, stderr = stopped_while_waiting(
        embedded, home, "review", held["upload_id"], "--approve"
    )

    assert code == 3, stderr
    assert fault_line(stderr).startswith("briskk: the catalog database is not reachable: ")
    assert stdout == ""
    assert catalog(embedded) == before  # the next command restarts the server
    # held again, the decision undone, saying why: it can be approved (or declined) again
    record = upload(embedded, held["upload_id"])
    assert (record["status"], record["review_decision"]) == ("needs_review", None)
    assert record["review_reasons"] == held["review_reasons"]
    assert record["failure_reason"].startswith("the approval by ")
    assert "(briskk review) did not finish: its process " in record["failure_reason"]
    assert record["failure_reason"].endswith(
        f"Nothing was loaded; approve it again (`briskk review {held['upload_id']} --approve`)"
        " or decline it."
    )
    assert [u["upload_id"] for u in briskk_json(embedded, "review")] == [held["upload_id"]]
    no_temporary_objects(home)

    approved = briskk_json(embedded, "review", held["upload_id"], "--approve")
    assert approved["status"] == "succeeded"
    after = {s["sku_id"]: s["price"] for p in catalog(embedded) for s in p["skus"]}
    assert after[rows[0]["sku_id"]] == 99.9


def test_the_database_stopped_during_a_rollback(
    embedded: dict[str, str], home: Path, tmp_path: Path
) -> None:
    rows = template_rows(8)
    assert ingest(embedded, tmp_path / "base.xlsx", rows)["status"] == "succeeded"
    restock = [dict(r, stock=int(r["stock"]) + 5) for r in rows]
    second = ingest(embedded, tmp_path / "restock.xlsx", restock)
    assert second["status"] == "succeeded"
    before = catalog(embedded)

    code, stdout, stderr = stopped_while_waiting(embedded, home, "rollback", second["upload_id"])

    assert code == 3, stderr
    assert fault_line(stderr).startswith(
        "briskk: the rollback run failed: the catalog database is not reachable: "
    )
    assert fault_line(stderr).endswith(" (step rollback_upload)")
    assert stdout == ""
    assert catalog(embedded) == before
    record = upload(embedded, second["upload_id"])  # not marked rolled back: nothing was
    assert record["status"] == "succeeded" and record["rolled_back_at"] is None
    assert briskk_json(embedded, "history", "--upload", second["upload_id"])  # its changes
    no_temporary_objects(home)

    done = briskk_json(embedded, "rollback", second["upload_id"])
    assert done["status"] == "rolled_back"
    assert upload(embedded, second["upload_id"])["rolled_back_at"]


def test_the_database_stopped_during_a_rerun(
    embedded: dict[str, str], home: Path, tmp_path: Path
) -> None:
    rows = template_rows(8)
    first = ingest(embedded, tmp_path / "base.xlsx", rows)
    assert first["status"] == "succeeded"
    before = catalog(embedded)

    code, stdout, stderr = stopped_while_waiting(embedded, home, "rerun", first["upload_id"])

    assert code == 3, stderr
    assert fault_line(stderr).startswith("briskk: the catalog database is not reachable: ")
    assert stdout == ""
    assert catalog(embedded) == before
    # marked by the recovery check of the next command: this run died before its load
    record = upload(embedded, first["upload_id"])
    assert record["status"] == "failed"
    assert record["failure_reason"].startswith(
        "the process running this upload stopped (killed or crashed) before it finished: "
    )
    assert "Nothing was written to the catalog by that run" in record["failure_reason"]
    no_temporary_objects(home)

    again = briskk_json(embedded, "rerun", first["upload_id"])
    assert again["status"] == "succeeded"
    assert catalog(embedded) == before


def test_briskk_serve_killed_mid_upload(postgres_server_url: str, pg_tmp_path: Path) -> None:
    """kill -9 of `briskk serve` while its worker loads an upload: the next check (here
    `briskk uploads`; the daemon's `stale_uploads_sensor` runs the same one every minute) marks
    it `failed` naming the dead process, without waiting for the 120 s stale window since the
    process is on this host; the killed load's transaction left nothing in the catalog."""
    home = pg_tmp_path / "serve-home"
    path = write_xlsx(pg_tmp_path / "BrandA.xlsx", template_rows(8), sheet_name="Sheet1")
    with fresh_database(postgres_server_url) as url, running_server(url, home) as server:
        engine = server.engine
        token = server.token("BrandA")
        with tenant_lock_held(engine, "BrandA"), server.client(token) as client:
            with path.open("rb") as handle:
                response = client.post("/ingest", files={"file": (path.name, handle)})
            assert response.status_code == 202, response.text
            upload_id = response.json()["upload_id"]
            wait_for(lambda: _waiting_for_advisory_lock(engine), "the server's load to wait")
            with engine.connect() as connection:
                claim = connection.execute(
                    sa.select(tables.uploads.c.status, tables.uploads.c.worker_pid)
                ).one()
            assert claim.status == "running"
            serve_pid = int(claim.worker_pid)  # the server: its worker thread claimed it
            os.killpg(os.getpgid(serve_pid), signal.SIGKILL)  # the server's whole group
            wait_for(lambda: not process_alive(serve_pid), "the server to die")

        [shown] = [u for u in briskk_json(server.env, "uploads") if u["upload_id"] == upload_id]
        assert shown["status"] == "failed"
        assert shown["failure_reason"].startswith(
            "the process running this upload stopped (killed or crashed) before it finished: "
            f"process {serve_pid} on "
        )
        with engine.connect() as connection:  # nothing half-loaded
            for table in (tables.products, tables.skus, tables.catalog_history):
                count = connection.execute(sa.select(sa.func.count()).select_from(table))
                assert count.scalar_one() == 0, table.name
