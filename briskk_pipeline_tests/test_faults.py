"""Faults outside the pipeline, below the CLI: the one-line descriptions, and object stores that
write all or nothing when the disk or the bucket refuses (real folders, a real S3 API on
loopback, a real refused PostgreSQL connection)."""

from __future__ import annotations

import errno
import socket
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster_aws.s3 import S3Resource

from briskk_pipeline.catalog import db
from briskk_pipeline.faults import (
    EmbeddedDatabaseError,
    ObjectStoreError,
    describe_error_text,
    describe_fault,
)
from briskk_pipeline.resources import LocalObjectStore, ObjectStore, S3ObjectStore
from briskk_pipeline_tests.fixtures.faults import every_file, read_only
from briskk_pipeline_tests.fixtures.s3 import CREDENTIALS, REGION, list_objects, s3_client


def closed_port() -> int:
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refused_connection_error() -> sa.exc.OperationalError:
    engine = db.make_engine(f"postgresql://nobody:secret@127.0.0.1:{closed_port()}/catalog")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        return error
    raise AssertionError("a connection to a closed port succeeded")


def sqlite_error() -> sa.exc.OperationalError:
    """What a local Dagster instance's SQLite storage raised when ten `briskk` created it at
    once (issue 20 item 3)."""
    engine = sa.create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE jobs (x INTEGER)"))
            connection.execute(sa.text("CREATE TABLE jobs (x INTEGER)"))
    except sa.exc.OperationalError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError("a table was created twice")


def chained(outer: Exception, inner: BaseException) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda: ObjectStoreError("the object store refused the write: x at /o/k"),
            "the object store refused the write: x at /o/k",
        ),
        (
            lambda: EmbeddedDatabaseError("the catalog database is not reachable: the embedded"),
            "the catalog database is not reachable: the embedded",
        ),
        (
            lambda: refused_connection_error(),
            "the catalog database is not reachable: connection to server at "
            '"127.0.0.1", port {port} failed: Connection refused',
        ),
        (
            lambda: sqlite_error(),
            "the Dagster instance's storage (SQLite) failed: table jobs already exists",
        ),
        (
            lambda: OSError(errno.EROFS, "Read-only file system", "/srv/dagster/runs.db"),
            "the file system refused: read-only file system at /srv/dagster/runs.db",
        ),
        (
            lambda: OSError(errno.ENOSPC, "No space left on device"),
            "the file system refused: no space left on the device",
        ),
        (  # found through `raise … from` (Dagster and SQLAlchemy wrap errors)
            lambda: chained(RuntimeError("wrapper"), ObjectStoreError("the object store x")),
            "the object store x",
        ),
        # not faults outside the pipeline: bugs and data keep their tracebacks
        (lambda: ValueError("bad value"), None),
        (lambda: KeyError("k"), None),
        (lambda: OSError(errno.ENOENT, "No such file or directory", "x"), None),
    ],
    ids=[
        "store",
        "embedded-start",
        "connection-refused",
        "dagster-sqlite",
        "read-only-fs",
        "disk-full",
        "cause-chain",
        "value-error",
        "key-error",
        "not-found",
    ],
)
def test_describe_fault(make, expected) -> None:
    error = make()
    text = describe_fault(error)
    if expected is not None and "{port}" in expected:
        port = str(error).split("port ")[1].split(" ")[0]
        expected = expected.format(port=port)
    assert text == expected
    assert text is None or "\n" not in text


@pytest.mark.parametrize(
    ("class_name", "message", "expected"),
    [
        (
            "OperationalError",
            "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) server closed the "
            "connection unexpectedly\n\tThis probably means the server terminated abnormally\n"
            "[SQL: SELECT 1]\n(Background on this error at: https://sqlalche.me/e/21/e3q8)\n",
            "the catalog database is not reachable: server closed the connection unexpectedly",
        ),
        (
            "ObjectStoreError",
            "briskk_pipeline.faults.ObjectStoreError: the object store refused the write: "
            "read-only file system at /o/reports/x.xlsx\n",
            "the object store refused the write: read-only file system at /o/reports/x.xlsx",
        ),
        ("ValueError", "ValueError: invalid literal\n", None),
        ("DagsterExecutionStepExecutionError", "Error occurred while executing op", None),
    ],
    ids=["database-gone", "store", "bug", "dagster-wrapper"],
)
def test_describe_error_text_reads_what_a_failed_run_kept(class_name, message, expected) -> None:
    assert describe_error_text(class_name, message) == expected


# --------------------------------------------------------------------------- local store


def test_a_read_only_store_refuses_in_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    store = LocalObjectStore(root=str(tmp_path / "objects"))
    store.put("archive/a/first.csv", b"kept", "text/csv")
    folder = tmp_path / "objects" / "archive" / "a"
    with read_only(folder) as how:
        with pytest.raises(ObjectStoreError) as refused:
            store.put("archive/a/second.csv", b"x" * 100_000, "text/csv")
        with pytest.raises(ObjectStoreError):  # a new folder below is refused the same way
            store.put("archive/a/new/third.csv", b"y", "text/csv")
    words = {
        "chmod": "permission denied",
        "chattr": "operation not permitted",
        "mount": "read-only file system",
    }[how]
    assert str(refused.value) == (
        f"the object store refused the write: {words}"
        + (" (an immutable or protected folder)" if how == "chattr" else "")
        + f" at {folder / 'second.csv'}"
    )
    assert refused.value.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    assert every_file(tmp_path / "objects") == ["archive/a/first.csv"]  # no .tmp, no part


def test_a_failed_rename_removes_the_temporary_file(tmp_path: Path) -> None:
    store = LocalObjectStore(root=str(tmp_path / "objects"))
    blocking = tmp_path / "objects" / "images" / "abc.png"
    blocking.mkdir(parents=True)  # a folder where the object should go: the rename fails
    (blocking / "inside").write_bytes(b"")
    with pytest.raises(ObjectStoreError, match=r"refused the write: .* at .*images/abc\.png$"):
        store.put("images/abc.png", b"\x89PNG", "image/png")
    assert every_file(tmp_path / "objects") == ["images/abc.png/inside"]


def test_a_missing_object_is_an_object_store_error(tmp_path: Path) -> None:
    store = LocalObjectStore(root=str(tmp_path / "objects"))
    with pytest.raises(ObjectStoreError, match=r"the object store has no object at .*/nope"):
        store.get("nope")


class _CorruptingStore(LocalObjectStore):
    """A disk that hands back other bytes than were written (bit rot, a broken NAS)."""

    def get(self, key: str) -> bytes:
        return b"not what was written"


def test_put_verified_deletes_an_object_that_reads_back_wrong(tmp_path: Path) -> None:
    store = _CorruptingStore(root=str(tmp_path / "objects"))
    with pytest.raises(ObjectStoreError, match="returned other bytes than were written"):
        store.put_verified("archive/a/x.csv", b"sku,price\n", "text/csv")
    assert every_file(tmp_path / "objects") == []


# ------------------------------------------------------------------------------------ S3


def test_delete_removes_the_object_and_ignores_a_missing_one(object_store: ObjectStore) -> None:
    object_store.put("a/x.txt", b"1", "text/plain")
    object_store.put("a/y.txt", b"2", "text/plain")
    object_store.delete("a/x.txt")
    object_store.delete("a/never.txt")
    assert list_objects(object_store) == ["a/y.txt"]
    assert not object_store.exists("a/x.txt")


def test_an_unreachable_s3_endpoint_is_one_line() -> None:
    store = S3ObjectStore(
        bucket="briskk",
        s3=S3Resource(
            endpoint_url=f"http://127.0.0.1:{closed_port()}",
            region_name=REGION,
            max_attempts=1,
            **CREDENTIALS,
        ),
    )
    for call in (
        lambda: store.put("k", b"1", "text/plain"),
        lambda: store.get("k"),
        lambda: store.exists("k"),
    ):
        with pytest.raises(ObjectStoreError) as failed:
            call()
        assert str(failed.value).startswith("the object store ")
        assert "could not connect to the endpoint url" in str(failed.value).lower()
        assert "\n" not in str(failed.value)


def test_a_missing_bucket_is_refused_in_one_line(s3_endpoint_url: str) -> None:
    bucket = f"briskk-gone-{uuid.uuid4().hex[:8]}"
    store = S3ObjectStore(
        bucket=bucket,
        s3=S3Resource(endpoint_url=s3_endpoint_url, region_name=REGION, **CREDENTIALS),
    )
    with pytest.raises(ObjectStoreError) as refused:
        store.put_verified("archive/a/x.csv", b"1", "text/csv")
    assert str(refused.value) == (
        f"the object store refused the write: NoSuchBucket: The specified bucket does not "
        f"exist at s3://{bucket}/archive/a/x.csv"
    )
    client = s3_client(s3_endpoint_url)
    assert bucket not in [b["Name"] for b in client.list_buckets()["Buckets"]]
