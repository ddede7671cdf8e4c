"""Faults outside the pipeline through `briskk`: a read-only object store (before and after
the upload is registered), a stopped catalog database, and the embedded database stopped in
the middle of a run. Each ends in exit 3 with one line on stderr saying what failed, no
traceback, the upload recorded `failed` when it was registered (or not registered at all),
and no partial object in the store.

Everything is real: the CLI is a subprocess; the store is a folder that really refuses writes
(`fixtures/faults.read_only`); the stopped database is a port where nothing listens, or the
embedded PostgreSQL of `BRISKK_HOME` stopped by `pg_ctl` while the CLI's load waits on the
tenant's advisory lock (held by the test, as a concurrent load of the tenant would).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import db, uploads
from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.fixtures.faults import every_file, read_only
from briskk_pipeline_tests.ingest.test_recovery import _waiting_for_advisory_lock, wait_for
from briskk_pipeline_tests.test_faults import closed_port
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e


def fault_line(stderr: str) -> str:
    """The one line `briskk` printed about the fault: stderr minus the note naming a
    non-default state folder or catalog (`home.state_note`), which is not about the fault."""
    assert "Traceback" not in stderr, stderr
    lines = [
        line
        for line in stderr.splitlines()
        if line.strip() and not line.startswith(("briskk: catalog ", "briskk: state in "))
    ]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", template_rows(8))


def test_a_read_only_store_registers_nothing(env: dict[str, str], workbook: Path) -> None:
    objects = Path(env["BRISKK_HOME"]) / "objects"
    with read_only(objects):
        done = briskk(env, "ingest", str(workbook))
    assert done.returncode == 3
    line = fault_line(done.stderr)
    assert line.startswith("briskk: the object store refused the write: ")
    assert f" at {objects}/archive/BrandA/BrandA-" in line
    assert done.stdout == ""
    assert every_file(objects) == []  # no .tmp, nothing half-written
    assert briskk_json(env, "uploads") == []  # not registered at all


def test_a_store_refusing_during_the_run_fails_the_upload(
    env: dict[str, str], workbook: Path, engine: sa.Engine
) -> None:
    # Archiving works; the run's first stored output (storage/io_manager.py) is refused by its
    # folder, before the catalog load: the upload failed. (A refusal after the load, of the
    # report, leaves the upload loaded with report_error: test_status_truth.py.)
    outputs = Path(env["BRISKK_HOME"]) / "objects" / "outputs"
    with read_only(outputs):
        done = briskk(env, "ingest", str(workbook), "--dry-run")
    assert done.returncode == 3
    [record] = uploads.list_uploads(engine)
    upload_id = record["upload_id"]
    line = fault_line(done.stderr)
    assert line == (f"briskk: upload {upload_id} failed: {record['failure_reason']}")
    assert record["status"] == "failed"
    assert record["failure_reason"].startswith("the object store refused the write: ")
    assert record["failure_reason"].endswith("(step raw_sheet)")
    assert record["finished_at"] is not None and record["report_error"] is None
    assert done.stdout == ""
    # the archive only: no output, no report, no half-written object
    stored = every_file(Path(env["BRISKK_HOME"]) / "objects")
    assert stored == [f"archive/BrandA/{upload_id}/BrandA_Briskk_SKU_Template.xlsx"]
    # --json still prints the summary (status failed) on stdout, and the same one line
    with read_only(outputs):
        again = briskk(env, "ingest", str(workbook), "--dry-run", "--json")
    assert again.returncode == 3
    assert fault_line(again.stderr).endswith("(step raw_sheet)")
    assert '"status": "failed"' in again.stdout


def test_a_rerun_failing_before_its_load_leaves_the_earlier_result(
    env: dict[str, str], workbook: Path, engine: sa.Engine
) -> None:
    # The upload loaded; its re-run fails at raw_sheet (the store refuses the output), before
    # any load: the catalog still holds the first load, so the upload stays `succeeded` with
    # its counts, and the command says the re-run failed (exit 3).
    first = briskk_json(env, "ingest", str(workbook))
    assert first["status"] == "succeeded"
    before = uploads.get_upload(engine, first["upload_id"])
    outputs = Path(env["BRISKK_HOME"]) / "objects" / "outputs"
    with contextlib.ExitStack() as stack:  # the first run's folders too
        for folder in [outputs, *(p for p in outputs.rglob("*") if p.is_dir())]:
            stack.enter_context(read_only(folder))
        done = briskk(env, "rerun", first["upload_id"])
    assert done.returncode == 3, done.stderr
    line = fault_line(done.stderr)
    assert line.startswith(f"briskk: the re-run of upload {first['upload_id']} failed: ")
    assert line.endswith("the upload keeps its earlier result (succeeded)")
    after = uploads.get_upload(engine, first["upload_id"])
    assert after is not None and before is not None
    assert (after["status"], after["products_loaded"], after["skus_loaded"]) == (
        "succeeded",
        before["products_loaded"],
        before["skus_loaded"],
    )
    assert (after["failure_reason"], after["run_id"]) == (None, before["run_id"])


@pytest.mark.parametrize(
    "command",
    [
        ("ingest", "{workbook}"),
        ("products",),
        ("uploads",),
        ("uploads", "--json"),
        ("db", "upgrade"),
    ],
)
def test_a_stopped_database_is_one_line_and_exit_3(
    env: dict[str, str], workbook: Path, command: tuple[str, ...]
) -> None:
    port = closed_port()
    env = {**env, "DATABASE_URL": f"postgresql://briskk:secret@127.0.0.1:{port}/catalog"}
    done = briskk(env, *(part.format(workbook=workbook) for part in command))
    assert done.returncode == 3
    assert fault_line(done.stderr) == (
        "briskk: the catalog database is not reachable: connection to server at "
        f'"127.0.0.1", port {port} failed: Connection refused'
    )
    assert "secret" not in done.stderr
    assert done.stdout == ""
    # nothing registered: not even the archive was written
    assert every_file(Path(env["BRISKK_HOME"]) / "objects") == []


def test_the_embedded_database_stopped_mid_run(pg_tmp_path: Path, env: dict[str, str]) -> None:
    """On the embedded defaults (no DATABASE_URL): the server dies while the load waits."""
    home = pg_tmp_path / "home"
    env = {k: v for k, v in env.items() if k != "DATABASE_URL"} | {"BRISKK_HOME": str(home)}
    path = write_xlsx(pg_tmp_path / "BrandA_Briskk_SKU_Template.xlsx", template_rows(8))
    assert briskk(env, "db", "upgrade").returncode == 0  # starts the embedded server
    data_dir = home / "postgres"
    engine = db.make_engine(db.embedded_database_url(data_dir))
    held = engine.connect()
    transaction = held.begin()
    key = sa.bindparam("k", "briskk_pipeline.tenant:BrandA", type_=sa.Text)
    held.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))
    process = subprocess.Popen(
        [sys.executable, "-m", "briskk_pipeline.cli", "ingest", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: _waiting_for_advisory_lock(engine), "the CLI's load to reach the lock")
        [record] = uploads.list_uploads(engine)
        assert record["status"] == "running"
        assert db.stop_embedded_database(data_dir)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            transaction.rollback()
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            held.close()
    assert process.returncode == 3
    upload_id = record["upload_id"]
    line = fault_line(stderr)
    assert line.startswith(
        f"briskk: upload {upload_id} failed: the catalog database is not reachable: "
    )
    assert line.endswith(
        "it could not be recorded `failed` (the catalog database did not answer): "
        "`briskk uploads` records it once the database is back"
    )
    assert stdout == ""
    # as promised: the next command restarts the embedded server and records it failed
    [shown] = briskk_json(env, "uploads")
    assert (shown["upload_id"], shown["status"]) == (upload_id, "failed")
    assert "stopped" in shown["failure_reason"]
    assert [p for p in every_file(home / "objects") if p.endswith(".tmp")] == []
