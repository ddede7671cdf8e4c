"""No tracebacks in ordinary use: a reader that leaves (`| head`), a bad `-o`, and Ctrl-C.

Each case runs the real `briskk` in a subprocess. A closed pipe is a pipe whose reading end is
closed before the command writes (what `head` does once it has its lines, made certain): the
command ends with its own exit code and nothing on stderr but its usual lines. Ctrl-C is
SIGINT sent to the command's whole process group, as a terminal sends it, at two moments:
while the upload is being registered (the test holds the tenant's row so registration waits)
and in the middle of the run (the test holds the tenant's load lock, as a concurrent load of
the tenant would). Both end `briskk: interrupted`, exit 130, the upload recorded `failed`
with reason "interrupted", and nothing loaded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import uploads
from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.ingest.test_recovery import _waiting_for_advisory_lock, wait_for
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

COMMAND = [sys.executable, "-m", "briskk_pipeline.cli"]


def with_reader_gone(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run `briskk ARGS` with stdout a pipe nobody reads (closed at once); (exit code,
    stderr)."""
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [*COMMAND, *args], env=env, stdout=write_end, stderr=subprocess.PIPE, text=True
    )
    os.close(write_end)
    os.close(read_end)
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


def quiet(stderr: str) -> bool:
    """Nothing about the pipe: no traceback, no "Exception ignored", no BrokenPipeError."""
    return not any(w in stderr for w in ("Traceback", "Exception ignored", "BrokenPipe"))


def test_a_reader_that_leaves_ends_each_command_quietly(env: dict[str, str], tmp_path: Path):
    rows = template_rows(8)  # images not fetched in tests: an "images not stored" list
    base = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", rows)
    first = briskk_json(env, "ingest", str(base))
    changed = [dict(r) for r in rows]
    changed[0]["price"] = 2 * changed[0]["price"]
    update = write_xlsx(tmp_path / "BrandA_update.xlsx", changed)
    second = briskk_json(env, "ingest", str(update))
    bad = [dict(r) for r in rows]
    for row in bad:
        row["price"] = "free"
    rejected = write_xlsx(tmp_path / "BrandA_bad.xlsx", bad)

    cases = [
        (("ingest", str(update), "--dry-run"), 0),  # the preview, warnings, image failures
        (("ingest", str(rejected)), 1),  # rejected: the command's own code, not 0
        (("products",), 0),
        (("uploads",), 0),
        (("history", "--product", "P000000"), 0),
        (("rollback", second["upload_id"], "--dry-run"), 0),
        (("products", "--json"), 0),
    ]
    for args, code in cases:
        done_code, stderr = with_reader_gone(env, *args)
        assert (args, done_code) == (args, code), stderr
        assert quiet(stderr), (args, stderr)
    # nothing was changed by the previews; the rejected upload is recorded as such
    statuses = [u["status"] for u in briskk_json(env, "uploads")]
    assert statuses == ["rejected", "previewed", "succeeded", "succeeded"]
    assert first["status"] == "succeeded"


@pytest.mark.parametrize("where", ["missing folder", "a folder", "not writable"])
def test_a_bad_output_path_is_one_line_and_exit_2(env: dict[str, str], tmp_path: Path, where):
    rows = template_rows(8)
    rows[0]["price"] = "free"  # one product of two rejected: the upload has a report
    path = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", rows)
    upload_id = briskk_json(env, "ingest", str(path))["upload_id"]
    locked = tmp_path / "locked"
    locked.mkdir()
    target = {
        "missing folder": tmp_path / "no" / "such" / "report.xlsx",
        "a folder": tmp_path,
        # root may write anywhere a mode forbids: /proc refuses new files to everyone
        "not writable": Path("/proc/report.xlsx") if os.geteuid() == 0 else locked / "r.xlsx",
    }[where]
    locked.chmod(0o500)
    try:
        done = briskk(env, "report", upload_id, "-o", str(target))
    finally:
        locked.chmod(0o700)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("briskk: catalog")]
    assert len(lines) == 1 and quiet(done.stderr), done.stderr
    expected = {
        "missing folder": f"briskk: no such folder: {target.parent} (for {target})",
        "a folder": f"briskk: is a folder: {target} (give a file name, like "
        f"{target / 'report.xlsx'})",
        "not writable": f"briskk: not writable: {target.parent}"
        if os.geteuid() != 0
        else "briskk: could not write /proc/report.xlsx",
    }[where]
    assert lines[0].startswith(expected), lines[0]
    assert done.stdout == ""


@contextlib.contextmanager
def held(engine: sa.Engine, statement: sa.Executable) -> Iterator[sa.Connection]:
    """`statement` executed in a transaction kept open for the block, rolled back after."""
    connection = engine.connect()
    transaction = connection.begin()
    try:
        connection.execute(statement)
        yield connection
    finally:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            transaction.rollback()
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            connection.close()


def waiting_on_a_row(engine: sa.Engine) -> bool:
    query = "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"
    with engine.connect() as connection:
        return bool(connection.execute(sa.text(query)).scalar())


TENANT_ROW = sa.text(
    "INSERT INTO tenants (tenant_key, name, created_at) VALUES ('branda', 'BrandA', now())"
)
LOAD_LOCK = sa.select(
    sa.func.pg_advisory_xact_lock(
        sa.func.hashtextextended(
            sa.bindparam("k", "briskk_pipeline.tenant:BrandA", type_=sa.Text), 0
        )
    )
)


@pytest.mark.parametrize("moment", ["registering", "mid-run"])
def test_ctrl_c_is_one_line_exit_130_and_the_upload_failed_interrupted(
    env: dict[str, str], engine: sa.Engine, tmp_path: Path, moment: str
) -> None:
    path = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", template_rows(40))
    statement, reached = {
        "registering": (TENANT_ROW, lambda: waiting_on_a_row(engine)),
        "mid-run": (LOAD_LOCK, lambda: _waiting_for_advisory_lock(engine)),
    }[moment]
    with held(engine, statement):
        process = subprocess.Popen(
            [*COMMAND, "ingest", str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's job
        )
        try:
            wait_for(reached, f"the ingest to wait ({moment})")
            if moment == "mid-run":
                [record] = uploads.list_uploads(engine)
                assert record["status"] == "running" and record["run_id"]
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
        except BaseException:
            process.kill()
            raise
    # the held transaction is rolled back: the command goes on, sees the interrupt, stops
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert quiet(stderr) and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.splitlines()[-1] == "briskk: interrupted"
    assert stdout == ""
    [record] = uploads.list_uploads(engine)
    assert (record["status"], record["failure_reason"]) == ("failed", "interrupted")
    # the line before names the upload, so `briskk uploads` can find it
    assert stderr.splitlines()[-2] == (
        f"briskk: upload {record['upload_id']} was stopped (recorded failed, interrupted)"
    )
    assert record["products_loaded"] == 0
    assert briskk_json(env, "products") == []


def test_ctrl_c_during_a_rollback_is_one_line_and_changes_nothing(
    env: dict[str, str], engine: sa.Engine, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", template_rows(8))
    upload_id = briskk_json(env, "ingest", str(path))["upload_id"]
    before = briskk_json(env, "products")
    with held(engine, LOAD_LOCK):  # the rollback waits for the tenant's lock
        process = subprocess.Popen(
            [*COMMAND, "rollback", upload_id],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            wait_for(lambda: _waiting_for_advisory_lock(engine), "the rollback to wait")
            os.killpg(process.pid, signal.SIGINT)
        except BaseException:
            process.kill()
            raise
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if not line.startswith("briskk: catalog")]
    assert lines == ["briskk: interrupted"], stderr  # not also "the rollback run failed"
    assert stdout == ""
    assert briskk_json(env, "products") == before
    [record] = uploads.list_uploads(engine)
    assert record["rolled_back_at"] is None


def test_ctrl_c_while_the_command_is_still_importing_is_one_line_exit_130():
    # Ctrl-C in the first tens of milliseconds lands in the import of the command's modules,
    # before app.main handles it (a new user saw a traceback there): made certain here by an
    # import hook that raises it as the command's module is imported
    probe = (
        "import sys\n"
        "class Stop:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'briskk_pipeline.cli.app':\n"
        "            raise KeyboardInterrupt\n"
        "        return None\n"
        "sys.meta_path.insert(0, Stop())\n"
        "from briskk_pipeline.cli import main\n"
        "raise SystemExit(main(['uploads']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 130
    assert done.stderr == "briskk: interrupted\n"
    assert done.stdout == ""
