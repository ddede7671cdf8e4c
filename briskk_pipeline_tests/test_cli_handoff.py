"""`briskk ingest` handed to a running `briskk serve` (issue 24, `briskk_pipeline/handoff/`).

One real `briskk serve` (uvicorn on 127.0.0.1, the test PostgreSQL, a bucket of the moto S3
server) for the module; every client is a real `briskk ingest` process with the server's
environment, run under `python -X importtime` so the test sees every module it imported: a
handed-off client imports no Dagster, pandas, SQLAlchemy or httpx, an in-process one does.
What it prints and its exit code are compared with `BRISKK_HANDOFF=0` runs of the same file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from briskk_pipeline.catalog import uploads
from briskk_pipeline.handoff.state import (
    fingerprint,
    read_state,
    socket_path,
    state_path,
    unix_address,
)
from briskk_pipeline_tests.api.server import ApiServer, fresh_database, running_server
from briskk_pipeline_tests.fixtures.s3 import REGION, s3_client
from briskk_pipeline_tests.ingest.test_recovery import _waiting_for_advisory_lock, wait_for
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

COMMAND = [sys.executable, "-X", "importtime", "-m", "briskk_pipeline.cli"]
HEAVY = ("dagster", "pandas", "sqlalchemy", "httpx", "pyarrow", "fastapi", "openpyxl")
MAX_BYTES = 60_000  # the server's upload cap (an 8-row workbook is about 7 KB)
IMPORT_LINE = re.compile(r"^import time:\s*(?:\d+|self \[us\])\s*\|\s*(?:\d+|cumulative)\s*\|")


@pytest.fixture(scope="module")
def server(
    postgres_server_url: str, s3_endpoint_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """`briskk serve` with its catalog in a fresh database and its objects in a new bucket."""
    bucket = f"briskk-handoff-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint_url).create_bucket(Bucket=bucket)
    home = tmp_path_factory.mktemp("handoff") / "home"
    s3 = {
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
    }
    with (
        fresh_database(postgres_server_url) as url,
        running_server(url, home, BRISKK_MAX_UPLOAD_BYTES=str(MAX_BYTES), **s3) as s,
    ):
        yield s


def client(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`briskk ARGS` under `-X importtime`: the finished process (its stderr without the
    import lines) and the top-level packages it imported."""
    done = subprocess.run([*COMMAND, *args], env=env, capture_output=True, text=True, timeout=300)
    imported, other = set(), []
    for line in done.stderr.splitlines():
        if IMPORT_LINE.match(line):
            imported.add(line.rsplit("|", 1)[1].strip().split(".")[0])
        else:
            other.append(line)
    done.stderr = "".join(f"{line}\n" for line in other)
    return done, imported


def in_process(env: dict[str, str]) -> dict[str, str]:
    return {**env, "BRISKK_HANDOFF": "0"}


def served_ingests(server: ApiServer) -> int:
    """How many uploads the server took over its socket (its access log)."""
    return server.log.read_text(errors="replace").count('"POST /local/ingest?')


def comparable(summary: dict[str, Any], tenant: str) -> str:
    """The summary as text with what differs between two uploads of one file taken out."""
    text = json.dumps({k: v for k, v in summary.items() if k not in ("upload_id", "seconds")})
    return text.replace(summary["upload_id"], "<id>").replace(tenant, "<tenant>")


def book(tmp_path: Path, name: str, rows: list[dict[str, Any]]) -> Path:
    return write_xlsx(tmp_path / name, rows, sheet_name="Sheet1")


def test_a_handed_off_ingest_is_run_by_the_server_and_prints_what_in_process_prints(
    server: ApiServer, tmp_path: Path
) -> None:
    rows = template_rows(12)
    rows[1]["offer_price"] = 999999  # one product rejected: errors, a report
    path = book(tmp_path, "catalogue.xlsx", rows)
    before = served_ingests(server)

    handed, imported = client(server.env, "ingest", str(path), "--tenant", "HandA", "--json")
    assert handed.returncode == 0, handed.stderr
    assert not set(HEAVY) & imported, sorted(set(HEAVY) & imported)
    assert served_ingests(server) == before + 1
    assert "Traceback" not in handed.stderr
    assert "run by briskk serve" not in handed.stderr  # said on a terminal only
    summary = json.loads(handed.stdout)
    assert (summary["status"], summary["tenant"]) == ("succeeded", "HandA")
    assert (summary["products_loaded"], summary["products_rejected"]) == (2, 1)

    # the upload is `briskk ingest`'s, its run one of the server's instance, as a partition
    record = uploads.get_upload(server.engine, summary["upload_id"])
    assert record is not None
    assert (record["source"], record["status"]) == ("cli", "succeeded")
    instance = DagsterInstance.from_config(server.env["DAGSTER_HOME"])
    try:
        run = instance.get_run_by_id(record["run_id"])
        assert run is not None and run.job_name == "ingest_job"
        assert run.status.value == "SUCCESS"
        assert run.tags["dagster/partition"] == summary["upload_id"]
        assert (run.tags["briskk/source"], run.tags["briskk/tenant"]) == ("cli", "HandA")
        assert summary["upload_id"] in instance.get_dynamic_partitions("uploads")
    finally:
        instance.dispose()

    # the same file in process: the same summary but for the id, tenant and seconds
    alone, imported = client(
        in_process(server.env), "ingest", str(path), "--tenant", "HandB", "--json"
    )
    assert alone.returncode == 0, alone.stderr
    assert "dagster" in imported and served_ingests(server) == before + 1
    other = json.loads(alone.stdout)
    assert list(other) == list(summary)
    assert comparable(other, "HandB") == comparable(summary, "HandA")
    assert 0 < summary["seconds"] < 300


def test_the_human_summary_and_a_rejected_file_match_in_process(
    server: ApiServer, tmp_path: Path
) -> None:
    rows = template_rows(8)
    for row in rows:
        row["price"] = "free"  # every product rejected: the upload is rejected, exit 1
    path = book(tmp_path, "bad.xlsx", rows)
    outputs = []
    for tenant, env in (("HandC", server.env), ("HandD", in_process(server.env))):
        for extra in ((), ("--json",)):
            done, imported = client(env, "ingest", str(path), "--tenant", tenant, *extra)
            assert done.returncode == 1, done.stderr
            assert ("dagster" in imported) == (env is not server.env)
            if extra:
                outputs.append(comparable(json.loads(done.stdout), tenant))
                assert json.loads(done.stdout)["status"] == "rejected"
            else:
                text = re.sub(r"\(\d+\.\d s\)", "(<s>)", done.stdout)
                text = re.sub(rf"{tenant}-\d{{8}}T\d{{6}}-[0-9a-f]{{8}}(-\d+)?", "<id>", text)
                outputs.append(text.replace(tenant, "<tenant>"))
                assert "problems to fix:" in text and "REJECTED" in text
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]


def test_a_dry_run_is_handed_off_and_changes_nothing(server: ApiServer, tmp_path: Path) -> None:
    path = book(tmp_path, "preview.xlsx", template_rows(8))
    done, imported = client(
        server.env, "ingest", str(path), "--tenant", "HandE", "--dry-run", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert "dagster" not in imported
    summary = json.loads(done.stdout)
    assert summary["status"] == "previewed" and summary["products_loaded"] == 2
    assert len(summary["preview"]) == 2
    with server.engine.connect() as connection:
        products = connection.execute(
            sa.text("SELECT count(*) FROM products WHERE tenant = 'HandE'")
        ).scalar()
    assert products == 0
    alone, _ = client(
        in_process(server.env), "ingest", str(path), "--tenant", "HandF", "--dry-run", "--json"
    )
    assert comparable(json.loads(alone.stdout), "HandF") == comparable(summary, "HandE")


def on_a_terminal(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`briskk ARGS` with stderr a terminal (a pty): (exit code, stdout, what the terminal
    showed)."""
    import pty

    terminal, stderr = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "briskk_pipeline.cli", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=300,
        )
    finally:
        os.close(stderr)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once everything written is read
        while chunk := os.read(terminal, 4096):
            shown += chunk
    os.close(terminal)
    return done.returncode, done.stdout, shown.decode(errors="replace")


def test_on_a_terminal_one_line_names_the_server(server: ApiServer, tmp_path: Path) -> None:
    path = book(tmp_path, "tty.xlsx", template_rows(8))
    pid = read_state(server.home)["pid"]  # type: ignore[index]
    code, out, shown = on_a_terminal(server.env, "ingest", str(path), "--tenant", "HandM")
    assert code == 0
    lines = [line for line in said(shown) if line and not line.startswith("\x1b[K")]
    assert lines == [f"briskk: the upload is run by briskk serve (pid {pid})"], shown
    # the in-process progress line, fed by the server's run: the steps as they start
    steps = re.findall(r"\x1b\[K[|/\\-] tty\.xlsx: (\S+)", shown)
    assert set(steps) - {"starting"}, shown  # a step seen running
    assert shown.endswith("\r\x1b[K")  # cleared before the summary
    assert out.startswith("HandM-") and " SUCCEEDED " in out.splitlines()[0]
    # a server that is up but not used: the terminal is told why
    env = {**server.env, "BRISKK_MAX_ROWS": "500"}
    code, out, shown = on_a_terminal(env, "ingest", str(path), "--tenant", "HandN")
    assert code == 0 and " SUCCEEDED " in out.splitlines()[0]
    assert (
        f"briskk: briskk serve (pid {pid}) runs with other settings or code than this "
        "command; the upload runs in this process" in shown.splitlines()
    ), shown
    assert "run by briskk serve" not in shown
    in_process_steps = re.findall(r"\x1b\[K[|/\\-] tty\.xlsx: (\S+)", shown)
    assert set(in_process_steps) - {"starting"}, shown  # the same line, from its own run


def test_a_file_over_the_cap_is_refused_in_the_same_words(
    server: ApiServer, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    path.write_text("product_id\n" + "x" * MAX_BYTES)
    before = served_ingests(server)
    handed, imported = client(server.env, "ingest", str(path), "--tenant", "HandG")
    assert handed.returncode == 1 and "dagster" not in imported, handed.stderr
    alone, imported = client(in_process(server.env), "ingest", str(path), "--tenant", "HandG")
    assert alone.returncode == 1 and "dagster" in imported, alone.stderr
    assert handed.stderr == alone.stderr
    assert f"briskk: the file is {MAX_BYTES + 11:,} bytes; at most {MAX_BYTES:,} bytes is" in (
        handed.stderr
    )
    assert served_ingests(server) == before  # refused before the file was sent
    assert uploads.list_uploads(server.engine, tenant="HandG") == []


def test_other_settings_or_code_run_in_process(server: ApiServer, tmp_path: Path) -> None:
    path = book(tmp_path, "rows.xlsx", template_rows(8))
    before = served_ingests(server)
    env = {**server.env, "BRISKK_MAX_ROWS": "500"}  # another limit than the server's
    done, imported = client(env, "ingest", str(path), "--tenant", "HandH", "--json")
    assert done.returncode == 0, done.stderr
    assert "dagster" in imported and served_ingests(server) == before
    assert json.loads(done.stdout)["status"] == "succeeded"
    # the switch: the same settings as the server, in process all the same
    done, imported = client(in_process(server.env), "ingest", str(path), "--tenant", "HandI")
    assert done.returncode == 0, done.stderr
    assert "dagster" in imported and served_ingests(server) == before
    # API settings are not the run's: a client with other ones still hands off
    env = {**server.env, "BRISKK_API_WORKERS": "7"}
    done, imported = client(env, "ingest", str(path), "--tenant", "HandJ", "--json")
    assert done.returncode == 0 and "dagster" not in imported, done.stderr
    assert served_ingests(server) == before + 1


def test_the_fingerprint_covers_the_code(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "sub" / "a.py").write_text("x = 1\n")
    (package / "__pycache__").mkdir()
    env = {"DATABASE_URL": "postgresql://x", "BRISKK_API_RUNS": "local", "PATH": "/bin"}
    first = fingerprint(env, package)
    (package / "__pycache__" / "a.pyc").write_bytes(b"compiled")
    assert fingerprint(env, package) == first  # compiled files are not the code
    assert fingerprint({**env, "BRISKK_API_RUNS": "queue", "HOME": "/x"}, package) == first
    assert fingerprint({**env, "BRISKK_HANDOFF": "1"}, package) == first
    assert fingerprint({**env, "AWS_REGION": "eu-west-1"}, package) != first
    (package / "sub" / "a.py").write_text("x = 22\n")  # edited: another size
    assert fingerprint(env, package) != first


def test_a_socket_deeper_than_an_address_holds_is_reached_through_its_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / ("d" * 60) / ("e" * 60)
    folder.mkdir(parents=True)
    path = socket_path(folder)
    assert len(str(path)) > 108  # AF_UNIX refuses it as an address
    listening = socket.socket(socket.AF_UNIX)
    with unix_address(path) as address:
        assert address.startswith("/proc/self/fd/") and address.endswith("/serve.sock")
        listening.bind(address)
    listening.listen(1)
    caller = socket.socket(socket.AF_UNIX)
    try:
        with unix_address(path) as address:
            caller.connect(address)
        answered, _ = listening.accept()
        caller.sendall(b"hi")
        assert answered.recv(2) == b"hi"
        answered.close()
        assert path.is_socket()
    finally:
        caller.close()
        listening.close()


def home_env(server: ApiServer, home: Path) -> dict[str, str]:
    """The server's settings with another state folder (nobody serves it)."""
    (home / "dagster").mkdir(parents=True)
    return {**server.env, "BRISKK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}


@pytest.mark.parametrize("stale", ["dead pid", "socket refusing"])
def test_a_stale_serve_json_is_ignored(server: ApiServer, tmp_path: Path, stale: str) -> None:
    env = home_env(server, tmp_path / "home")
    home = Path(env["BRISKK_HOME"])
    if stale == "dead pid":
        gone = subprocess.Popen(["true"])
        gone.wait()
        pid = gone.pid
    else:  # a live process, but nothing listens on the socket file
        pid = os.getpid()
        leftover = socket.socket(socket.AF_UNIX)
        leftover.bind(str(socket_path(home)))
        leftover.close()
    held = {"pid": pid, "socket": str(socket_path(home)), "fingerprint": fingerprint(env)}
    state_path(home).write_text(json.dumps(held))
    path = book(tmp_path, "rows.xlsx", template_rows(8))
    before = served_ingests(server)
    done, imported = client(env, "ingest", str(path), "--tenant", "HandK", "--json")
    assert done.returncode == 0, done.stderr
    assert "dagster" in imported and served_ingests(server) == before
    assert json.loads(done.stdout)["status"] == "succeeded"


def test_tcp_cannot_reach_the_local_routes(server: ApiServer) -> None:
    unknown = httpx.post(f"{server.base_url}/no/such/route", timeout=30)
    for method, path in (
        ("POST", "/local/ingest?file_name=a.xlsx"),
        ("GET", "/local/ingest"),
        ("GET", "/local/hello"),
        ("GET", "/local/uploads/x/outcome"),
        ("POST", "/local/uploads/x/cancel"),
    ):
        answer = httpx.request(
            method,
            f"{server.base_url}{path}",
            content=b"PK",
            headers={"X-Briskk-Fingerprint": read_state(server.home)["fingerprint"]},  # type: ignore[index]
            timeout=30,
        )
        assert (answer.status_code, answer.json()) == (404, {"detail": "Not Found"}), path
        drop = {"date"}
        assert {k: v for k, v in answer.headers.items() if k not in drop} == {
            k: v for k, v in unknown.headers.items() if k not in drop
        }


def test_the_socket_and_serve_json_are_the_users_only(server: ApiServer) -> None:
    held = read_state(server.home)
    assert held is not None and held["socket"] == str(socket_path(server.home))
    assert held["fingerprint"] == fingerprint(
        {**server.env, "DAGSTER_HOME": str(Path(server.env["DAGSTER_HOME"]).resolve())}
    )
    assert state_path(server.home).stat().st_mode & 0o777 == 0o600
    assert socket_path(server.home).stat().st_mode & 0o777 == 0o600


# ------------------------------------------------------------------------------- Ctrl-C


def tenant_lock(tenant: str) -> sa.Executable:
    """The tenant's load lock (`catalog/load.py`), as a concurrent load holds it."""
    key = f"briskk_pipeline.tenant:{tenant}"
    return sa.select(
        sa.func.pg_advisory_xact_lock(
            sa.func.hashtextextended(sa.bindparam("k", key, type_=sa.Text), 0)
        )
    )


@contextlib.contextmanager
def holding(engine: sa.Engine, statement: sa.Executable) -> Iterator[None]:
    with engine.connect() as connection, connection.begin() as transaction:
        connection.execute(statement)
        try:
            yield
        finally:
            transaction.rollback()


def said(stderr: str) -> list[str]:
    """The lines of `stderr` but the one naming the catalog (`briskk: catalog … in …`)."""
    return [line for line in stderr.splitlines() if not line.startswith("briskk: catalog")]


def started(env: dict[str, str], path: Path, tenant: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "briskk_pipeline.cli", "ingest", str(path)),
            *("--tenant", tenant, *extra),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job
    )


def test_ctrl_c_stops_a_waiting_upload_and_leaves_a_running_one_to_the_server(
    server: ApiServer, tmp_path: Path
) -> None:
    tenant = "HandL"
    path = book(tmp_path, "rows.xlsx", template_rows(8))
    pid = read_state(server.home)["pid"]  # type: ignore[index]
    engine = server.engine
    with holding(engine, tenant_lock(tenant)):  # the first upload's load waits for it
        first = started(server.env, path, tenant)
        try:
            wait_for(lambda: _waiting_for_advisory_lock(engine), "the first run to wait")
            # queued behind it (same tenant); with --json, which a new user saw lose the line
            second = started(server.env, path, tenant, "--json")
            wait_for(lambda: len(uploads.list_uploads(engine, tenant=tenant)) == 2, "queued")
            os.killpg(second.pid, signal.SIGINT)
            out, err = second.communicate(timeout=120)
            os.killpg(first.pid, signal.SIGINT)
            first_out, first_err = first.communicate(timeout=120)
        except BaseException:
            for process in (first, locals().get("second")):
                if process is not None:
                    process.kill()
            raise
    assert second.returncode == 130, err
    newest, oldest = uploads.list_uploads(engine, tenant=tenant)
    assert said(err) == [
        f"briskk: upload {newest['upload_id']} was stopped before its run started "
        "(recorded failed)",
        "briskk: interrupted",
    ]
    assert out == ""
    assert first.returncode == 130, first_err
    assert said(first_err) == [
        f"briskk: upload {oldest['upload_id']} goes on in briskk serve (pid {pid}); "
        "briskk uploads shows how it ends",
        "briskk: interrupted",
    ]
    assert "Traceback" not in first_err + err and first_out == ""
    # the lock is free: the server's run of the first upload ends as it would have
    wait_for(
        lambda: uploads.get_upload(engine, oldest["upload_id"])["status"] != "running",  # type: ignore[index]
        "the first upload to end",
    )
    oldest = uploads.get_upload(engine, oldest["upload_id"])
    newest = uploads.get_upload(engine, newest["upload_id"])
    assert oldest is not None and oldest["status"] == "succeeded"
    assert newest is not None
    assert (newest["status"], newest["failure_reason"]) == ("failed", "interrupted")


def test_a_server_killed_mid_run_is_exit_3_and_its_upload_recovered(
    postgres_server_url: str, tmp_path: Path
) -> None:
    """The upload is claimed by the server's process: killed with -9 mid-run, the command
    says so (exit 3) and the recovery check (`briskk uploads`) fails the upload at once."""
    tenant = "HandO"
    path = book(tmp_path, "rows.xlsx", template_rows(8))
    with fresh_database(postgres_server_url) as url, running_server(url, tmp_path / "h") as s:
        pid = read_state(s.home)["pid"]  # type: ignore[index]
        engine = s.engine
        with holding(engine, tenant_lock(tenant)):
            process = started(s.env, path, tenant)
            try:
                wait_for(lambda: _waiting_for_advisory_lock(engine), "the run to wait")
                os.killpg(pid, signal.SIGKILL)  # the server and what it started
                out, err = process.communicate(timeout=120)
            except BaseException:
                process.kill()
                raise
        [record] = uploads.list_uploads(engine, tenant=tenant)
        assert process.returncode == 3, err
        [line] = said(err)  # "(Remote end closed connection without response)" or a reset
        assert line.startswith(
            f"briskk: briskk serve (pid {pid}) stopped answering while running upload "
            f"{record['upload_id']} ("
        ) and line.endswith("); briskk uploads shows how it ends"), line
        assert out == "" and record["status"] == "running"
        listed = subprocess.run(
            [sys.executable, "-m", "briskk_pipeline.cli", "uploads", "--json"],
            env=s.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        [shown] = json.loads(listed.stdout)
        assert shown["status"] == "failed" and shown["upload_id"] == record["upload_id"]
        assert shown["products_loaded"] == 0


# ---------------------------------------------------------------------- serve's own files


def test_serve_replaces_a_stale_serve_json_removes_its_files_on_ctrl_c_and_queue_mode_has_none(
    postgres_server_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = {"pid": gone.pid, "socket": str(socket_path(home)), "fingerprint": "old"}
    state_path(home).write_text(json.dumps(stale))
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(str(socket_path(home)))  # a killed server's socket file
    leftover.close()
    with fresh_database(postgres_server_url) as url:
        with running_server(url, home) as server:
            wait_for(lambda: (read_state(home) or {}).get("pid") != gone.pid, "serve.json")
            held = read_state(home)
            assert held is not None and held["fingerprint"] != "old"
            served = [p for p in _children() if f"--port {server.port}" in _command_line(p)]
            assert [p.pid for p in served] == [held["pid"]]
            os.killpg(held["pid"], signal.SIGINT)  # Ctrl-C, as a terminal sends it
            assert served[0].wait(timeout=120) == 0
            assert not state_path(home).exists() and not socket_path(home).exists()
        # run mode `queue` runs nothing itself: it takes no hand-off
        with running_server(url, home, BRISKK_API_RUNS="queue"):
            assert not state_path(home).exists() and not socket_path(home).exists()


def _children() -> list[Any]:
    import psutil

    return psutil.Process().children(recursive=True)


def _command_line(process: Any) -> str:
    """The process's command line; "" for a child that has ended (an earlier test's, not yet
    reaped: psutil raises ZombieProcess for its cmdline)."""
    import psutil

    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""
