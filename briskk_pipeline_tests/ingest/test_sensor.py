"""The inbox sensor against a real folder, the embedded PostgreSQL and real object stores.

Ticks are driven by hand with `build_sensor_context`; the SensorResult is inspected directly
(the test context does not apply `dynamic_partitions_requests`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import (
    DagsterInstance,
    SensorResult,
    build_sensor_context,
    instance_for_test,
    job,
    op,
)

from briskk_pipeline.catalog import uploads
from briskk_pipeline.ingest.inbox import watch_inbox
from briskk_pipeline.ingest.inbox_state import (
    InboxFile,
    InboxState,
    Retry,
    dump_cursor,
    is_ignored,
    load_cursor,
    scan_inbox,
    split_ready,
)
from briskk_pipeline.ingest.register import register
from briskk_pipeline.ingest.sensor import inbox_sensor
from briskk_pipeline.resources import (
    CatalogDatabase,
    IngestSettings,
    LocalObjectStore,
    ObjectStore,
)
from briskk_pipeline_tests.fixtures.s3 import list_objects, read_object
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


@op
def _noop() -> None: ...


@job(name="ingest_job")
def stand_in_ingest_job() -> None:
    """Only to create run records named like the real job."""
    _noop()


@pytest.fixture(scope="module")
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as instance:
        yield instance


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


class Ticker:
    """Runs `inbox_sensor` tick after tick, carrying the cursor like the daemon does."""

    def __init__(
        self, instance: DagsterInstance, resources: dict[str, object], cursor: str | None = None
    ) -> None:
        self.instance = instance
        self.resources = resources
        self.cursor = cursor

    def __call__(self) -> SensorResult:
        with build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources=self.resources
        ) as context:
            result = inbox_sensor(context)
        assert isinstance(result, SensorResult)
        self.cursor = result.cursor
        return result


def _resources(tmp_path: Path, inbox: Path, database_url: str, store: ObjectStore) -> dict:
    return {
        "settings": IngestSettings(home=str(tmp_path), inbox=str(inbox)),
        "catalog": CatalogDatabase(url=database_url, home=str(tmp_path)),
        "object_store": store,
    }


@pytest.fixture
def tick(
    tmp_path: Path,
    inbox: Path,
    database_url: str,
    engine: sa.Engine,
    local_store: LocalObjectStore,
    instance: DagsterInstance,
) -> Ticker:
    return Ticker(instance, _resources(tmp_path, inbox, database_url, local_store))


def _workbook(path: Path, sheet: str = "BrandA_Briskk_SKU_Template", n: int = 8) -> bytes:
    write_xlsx(path, template_rows(n), sheet_name=sheet)
    return path.read_bytes()


def _uploads(engine: sa.Engine) -> list[dict]:
    return uploads.list_uploads(engine)


def _pending(result: SensorResult) -> dict:
    assert result.cursor is not None
    return json.loads(result.cursor)["pending"]


def _keys(result: SensorResult) -> list[str]:
    return [key for request in result.dynamic_partitions_requests for key in request.partition_keys]


# ------------------------------------------------------------------------ pure functions


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("BrandA_Briskk_SKU_Template.xlsx", False),
        ("catalog.csv", False),
        ("notes", False),
        (".hidden.xlsx", True),
        (".rejected", True),
        ("~$BrandA.xlsx", True),
        ("upload.xlsx.part", True),
        ("upload.XLSX.PART", True),
        ("upload.tmp", True),
        ("upload.xlsx.crdownload", True),
        ("tmp.xlsx", False),
        ("part.csv", False),
    ],
)
def test_ignore_rules(name: str, ignored: bool) -> None:
    assert is_ignored(name) is ignored


def test_ready_means_unchanged_since_the_previous_tick(tmp_path: Path) -> None:
    def f(key: str, size: int, mtime: int) -> InboxFile:
        return InboxFile(tmp_path / key, key, None, (size, mtime), True)

    files = [
        f("same", 10, 100),
        f("grew", 20, 100),
        f("touched", 10, 200),
        f("new", 5, 5),
        f("due", 7, 7),
        f("waiting", 8, 8),
        f("retried-but-changed", 9, 99),
        f("left", 3, 3),
        f("left-but-changed", 4, 44),
    ]
    previous = InboxState(
        pending={"same": (10, 100), "grew": (10, 100), "touched": (10, 100), "gone": (1, 1)},
        retry={
            "due": Retry((7, 7), 2, 1000.0),
            "waiting": Retry((8, 8), 1, 2000.0),
            "retried-but-changed": Retry((9, 9), 3, 0.0),
            "gone-retry": Retry((1, 1), 1, 0.0),
        },
        kept={"left": (3, 3), "left-but-changed": (4, 4), "gone-kept": (1, 1)},
    )
    ready, state = split_ready(files, previous, now=1500.0)
    # new files first, then the retries that are due
    assert [r.key for r in ready] == ["same", "due"]
    # only files still in the inbox are remembered; a changed file starts over as new
    assert state.pending == {
        "grew": (20, 100),
        "touched": (10, 200),
        "new": (5, 5),
        "retried-but-changed": (9, 99),
        "left-but-changed": (4, 44),
    }
    assert state.retry == {"due": Retry((7, 7), 2, 1000.0), "waiting": Retry((8, 8), 1, 2000.0)}
    assert state.kept == {"left": (3, 3)}


@pytest.mark.parametrize("garbage", [None, "", "not json", "[1, 2]", '{"a": 1}', '{"a": []}'])
def test_an_unreadable_cursor_starts_over(garbage: str | None) -> None:
    assert load_cursor(garbage) == InboxState()


def test_cursor_round_trip() -> None:
    state = InboxState(
        pending={"b/x.xlsx": (12, 1_700_000_000_123_456_789), "a.csv": (0, 1)},
        retry={"c.csv": Retry((3, 4), 2, 1_700_000_010.5)},
        kept={"d.csv": (5, 6)},
    )
    text = dump_cursor(state)
    assert json.loads(text) == {
        "pending": {"a.csv": [0, 1], "b/x.xlsx": [12, 1_700_000_000_123_456_789]},
        "retry": {"c.csv": [3, 4, 2, 1_700_000_010.5]},
        "kept": {"d.csv": [5, 6]},
    }
    assert load_cursor(text) == state


def test_the_cursor_of_earlier_versions_still_reads() -> None:
    assert load_cursor('{"a.csv": [1, 2]}') == InboxState(pending={"a.csv": (1, 2)})


def test_scan_watches_one_level_of_tenant_folders(inbox: Path) -> None:
    (inbox / "top.xlsx").write_bytes(b"a")
    (inbox / "BrandB").mkdir()
    (inbox / "BrandB" / "b.csv").write_bytes(b"bb")
    (inbox / "BrandB" / "deeper").mkdir()
    (inbox / "BrandB" / "deeper" / "c.csv").write_bytes(b"c")
    (inbox / ".rejected").mkdir()
    (inbox / ".rejected" / "old.xlsx").write_bytes(b"old")
    (inbox / ".cache").mkdir()
    (inbox / ".cache" / "d.xlsx").write_bytes(b"d")
    found = scan_inbox(inbox)
    assert [(f.key, f.tenant_folder, f.stat[0]) for f in found] == [
        ("BrandB/b.csv", "BrandB", 2),
        ("top.xlsx", None, 1),
    ]


def test_scan_watches_the_replace_folder_of_a_tenant(inbox: Path) -> None:
    """`<tenant>/replace/`: the one second-level folder watched, its files in replace mode."""
    (inbox / "BrandB" / "replace").mkdir(parents=True)
    (inbox / "BrandB" / "replace" / "full.xlsx").write_bytes(b"abc")
    (inbox / "BrandB" / "b.csv").write_bytes(b"bb")
    found = scan_inbox(inbox)
    assert [(f.key, f.tenant_folder, f.replace) for f in found] == [
        ("BrandB/b.csv", "BrandB", False),
        ("BrandB/replace/full.xlsx", "BrandB", True),
    ]


# ----------------------------------------------------------------------------- the sensor


def test_first_tick_only_remembers_the_file(tick: Ticker, inbox: Path, engine: sa.Engine) -> None:
    data = _workbook(inbox / "BrandA.xlsx")
    result = tick()
    assert result.run_requests == []
    assert _keys(result) == []
    st = (inbox / "BrandA.xlsx").stat()
    assert _pending(result) == {"BrandA.xlsx": [len(data), st.st_mtime_ns]}
    assert _uploads(engine) == []
    assert (inbox / "BrandA.xlsx").read_bytes() == data


def test_a_growing_file_waits_until_it_holds_still(
    tick: Ticker, inbox: Path, engine: sa.Engine
) -> None:
    path = inbox / "slow.csv"
    path.write_bytes(b"product_id*,product_name*\n")
    tick()
    with path.open("ab") as handle:
        handle.write(b"P1,Tee\n")
    changed = tick()
    assert changed.run_requests == []
    assert _pending(changed)["slow.csv"][0] == path.stat().st_size
    assert _uploads(engine) == []
    ready = tick()
    assert len(ready.run_requests) == 1
    [record] = _uploads(engine)
    assert record["size_bytes"] == len(b"product_id*,product_name*\nP1,Tee\n")


def test_a_touched_file_of_the_same_size_waits_too(
    tick: Ticker, inbox: Path, engine: sa.Engine
) -> None:
    path = inbox / "same-size.csv"
    path.write_bytes(b"abc")
    tick()
    later = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(later, later))
    assert tick().run_requests == []
    assert _uploads(engine) == []
    assert len(tick().run_requests) == 1


def test_a_stable_file_is_registered_archived_and_run(
    tmp_path: Path,
    inbox: Path,
    database_url: str,
    engine: sa.Engine,
    object_store: ObjectStore,
    instance: DagsterInstance,
) -> None:
    tick = Ticker(instance, _resources(tmp_path, inbox, database_url, object_store))
    data = _workbook(inbox / "BrandA_Briskk_SKU_Template.xlsx")
    assert tick().run_requests == []
    result = tick()

    [record] = _uploads(engine)
    upload_id = record["upload_id"]
    [request] = result.run_requests
    assert request.run_key == upload_id
    assert request.partition_key == upload_id
    assert request.tags == {"briskk/tenant": "BrandA", "briskk/source": "inbox"}
    [add] = result.dynamic_partitions_requests
    assert add.partitions_def_name == "uploads"
    assert list(add.partition_keys) == [upload_id]
    assert json.loads(result.cursor) == {"pending": {}, "retry": {}, "kept": {}}

    digest = hashlib.sha256(data).hexdigest()
    assert record["sha256"] == digest
    assert record["status"] == "running"
    assert record["source"] == "inbox"
    assert record["tenant"] == "BrandA"
    assert record["explicit_tenant"] is None
    archive_key = f"archive/BrandA/{upload_id}/BrandA_Briskk_SKU_Template.xlsx"
    assert list_objects(object_store) == [archive_key]
    assert hashlib.sha256(read_object(object_store, archive_key)).hexdigest() == digest
    assert list(inbox.iterdir()) == []


def test_files_that_are_not_templates_still_register(
    tick: Ticker, inbox: Path, engine: sa.Engine
) -> None:
    # The content is judged by raw_sheet (status `rejected`, original archived), not here.
    (inbox / "holiday-photo.jpg").write_bytes(b"\xff\xd8\xff not a spreadsheet")
    tick()
    result = tick()
    [record] = _uploads(engine)
    assert [r.run_key for r in result.run_requests] == [record["upload_id"]]
    assert record["tenant"] == "default"
    assert not (inbox / ".rejected").exists()


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.xlsx",
        "~$BrandA_Briskk_SKU_Template.xlsx",
        "BrandA.xlsx.part",
        "BrandA.xlsx.tmp",
        "BrandA.xlsx.crdownload",
        "BrandA/.DS_Store",
        "BrandA/~$open.xlsx",
        ".rejected/kept.xlsx",
        "BrandA/nested/too-deep.xlsx",
    ],
)
def test_temporary_hidden_and_own_files_are_ignored(
    tick: Ticker, inbox: Path, engine: sa.Engine, name: str
) -> None:
    path = inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"content")
    for _ in range(3):
        result = tick()
        assert result.run_requests == []
        assert _pending(result) == {}
    assert _uploads(engine) == []
    assert path.read_bytes() == b"content"


def test_a_tenant_folder_is_the_explicit_tenant(
    tick: Ticker, inbox: Path, engine: sa.Engine, local_store: LocalObjectStore
) -> None:
    # The sheet claims nothing (a CSV without a tenant in its name): the folder decides.
    (inbox / "BrandB").mkdir()
    _workbook(inbox / "BrandB" / "catalog.xlsx", sheet="Sheet1")
    # The sheet claims BrandA but BrandC uploaded it: registered for BrandC (raw_sheet rejects
    # the mismatch later; one brand never writes another's catalog).
    (inbox / "BrandC").mkdir()
    _workbook(inbox / "BrandC" / "claims-branda.xlsx")
    tick()
    result = tick()
    records = {r["file_name"]: r for r in _uploads(engine)}
    assert records["catalog.xlsx"]["tenant"] == "BrandB"
    assert records["catalog.xlsx"]["explicit_tenant"] == "BrandB"
    assert records["claims-branda.xlsx"]["tenant"] == "BrandC"
    assert records["claims-branda.xlsx"]["explicit_tenant"] == "BrandC"
    tags = {r.run_key: r.tags["briskk/tenant"] for r in result.run_requests}
    assert tags == {r["upload_id"]: r["tenant"] for r in records.values()}
    assert all(
        key.startswith(("archive/BrandB/", "archive/BrandC/")) for key in list_objects(local_store)
    )
    assert list((inbox / "BrandB").iterdir()) == []
    assert list((inbox / "BrandC").iterdir()) == []


def test_a_file_in_the_replace_folder_is_registered_in_replace_mode(
    tick: Ticker, inbox: Path, engine: sa.Engine
) -> None:
    (inbox / "BrandB" / "replace").mkdir(parents=True)
    _workbook(inbox / "BrandB" / "replace" / "whole.xlsx", sheet="Sheet1")
    _workbook(inbox / "BrandB" / "part.xlsx", sheet="Sheet1")
    tick()
    tick()
    records = {r["file_name"]: r for r in _uploads(engine)}
    assert (records["whole.xlsx"]["tenant"], records["whole.xlsx"]["mode"]) == ("BrandB", "replace")
    assert records["part.xlsx"]["mode"] == "merge"
    assert list((inbox / "BrandB" / "replace").iterdir()) == []


def test_a_file_already_registered_is_not_registered_again(
    tick: Ticker, inbox: Path, engine: sa.Engine, local_store: LocalObjectStore
) -> None:
    """The sensor registered the file, then stopped before removing it and before its run
    request reached the daemon: the next ticks remove the file and request the run again,
    without a second upload."""
    path = inbox / "BrandA_Briskk_SKU_Template.xlsx"
    data = _workbook(path)
    written = datetime.now(UTC) - timedelta(minutes=10)
    os.utime(path, (written.timestamp(), written.timestamp()))
    earlier = register(
        data,
        path.name,
        explicit_tenant=None,
        source="inbox",
        store=local_store,
        engine=engine,
        received_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    first = tick()
    # the lost run is requested again right away; the file waits for stability as usual
    assert [r.run_key for r in first.run_requests] == [earlier.upload_id]
    assert _keys(first) == [earlier.upload_id]
    tick()
    assert [r["upload_id"] for r in _uploads(engine)] == [earlier.upload_id]
    assert not path.exists()
    assert not (inbox / ".rejected").exists()


def test_an_upload_whose_run_exists_is_not_requested_again(
    tick: Ticker, inbox: Path, engine: sa.Engine, local_store: LocalObjectStore
) -> None:
    stale = register(
        b"a,b\n1,2\n",
        "BrandA.csv",
        explicit_tenant="BrandA",
        source="inbox",
        store=local_store,
        engine=engine,
        received_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    tick.instance.add_dynamic_partitions("uploads", [stale.upload_id])
    # a run of the upload exists (queued behind the tenant's earlier upload, say)
    tick.instance.create_run_for_job(
        job_def=stand_in_ingest_job, tags={"dagster/partition": stale.upload_id}
    )
    assert tick().run_requests == []


def test_the_same_bytes_dropped_again_later_are_a_new_upload(
    tick: Ticker, inbox: Path, engine: sa.Engine
) -> None:
    path = inbox / "BrandA_Briskk_SKU_Template.xlsx"
    data = _workbook(path)
    tick()
    tick()
    path.write_bytes(data)  # the brand sends the same file again
    tick()
    tick()
    records = _uploads(engine)
    assert len(records) == 2
    assert {r["sha256"] for r in records} == {hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize("folder", ["Brand A", "Brand.A", "-BrandA", "x" * 64])
def test_an_invalid_tenant_folder_is_moved_aside_with_a_reason(
    tick: Ticker, inbox: Path, engine: sa.Engine, local_store: LocalObjectStore, folder: str
) -> None:
    (inbox / folder).mkdir()
    data = _workbook(inbox / folder / "BrandA_Briskk_SKU_Template.xlsx")
    tick()
    result = tick()
    assert result.run_requests == []
    assert _pending(result) == {}
    rejected = inbox / ".rejected" / "BrandA_Briskk_SKU_Template.xlsx"
    assert rejected.read_bytes() == data
    reason = (inbox / ".rejected" / "BrandA_Briskk_SKU_Template.xlsx.reason.txt").read_text()
    assert f"file: {folder}/BrandA_Briskk_SKU_Template.xlsx" in reason
    assert "not a valid tenant" in reason
    assert _uploads(engine) == []
    assert list_objects(local_store) == []
    # never retried: later ticks leave .rejected alone
    for _ in range(2):
        assert tick().run_requests == []
    assert sorted(p.name for p in (inbox / ".rejected").iterdir()) == [
        "BrandA_Briskk_SKU_Template.xlsx",
        "BrandA_Briskk_SKU_Template.xlsx.reason.txt",
    ]


def test_links_and_special_files_are_rejected_never_read(
    tick: Ticker, inbox: Path, tmp_path: Path, engine: sa.Engine, local_store: LocalObjectStore
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the archive")
    (inbox / "link.xlsx").symlink_to(secret)
    (inbox / "dangling.xlsx").symlink_to(tmp_path / "nowhere")
    os.mkfifo(inbox / "pipe.csv")  # reading it would block the sensor forever
    tick()
    result = tick()
    assert result.run_requests == []
    moved = {p.name for p in (inbox / ".rejected").iterdir()}
    assert moved == {
        "link.xlsx",
        "link.xlsx.reason.txt",
        "dangling.xlsx",
        "dangling.xlsx.reason.txt",
        "pipe.csv",
        "pipe.csv.reason.txt",
    }
    assert "symbolic link" in (inbox / ".rejected" / "link.xlsx.reason.txt").read_text()
    assert "not a regular file" in (inbox / ".rejected" / "pipe.csv.reason.txt").read_text()
    assert (inbox / ".rejected" / "link.xlsx").is_symlink()
    assert secret.read_text() == "not for the archive"
    assert _uploads(engine) == []
    assert list_objects(local_store) == []
    assert [p.name for p in inbox.iterdir()] == [".rejected"]


def test_rejected_names_never_overwrite_each_other(tick: Ticker, inbox: Path) -> None:
    for folder in ("Brand A", "Brand B"):
        (inbox / folder).mkdir()
        (inbox / folder / "catalog.csv").write_text(folder)
    tick()
    tick()
    kept = sorted(p for p in (inbox / ".rejected").iterdir() if p.suffix == ".csv")
    assert sorted(p.read_text() for p in kept) == ["Brand A", "Brand B"]
    assert all(p.with_name(p.name + ".reason.txt").exists() for p in kept)


def test_a_store_outage_keeps_the_file_and_retries_it_later(
    tmp_path: Path,
    inbox: Path,
    database_url: str,
    engine: sa.Engine,
    local_store: LocalObjectStore,
    instance: DagsterInstance,
) -> None:
    blocked_root = tmp_path / "not-a-folder"
    blocked_root.write_text("a file where the store's folder should be")
    broken = Ticker(
        instance,
        _resources(tmp_path, inbox, database_url, LocalObjectStore(root=str(blocked_root))),
    )
    path = inbox / "BrandA_Briskk_SKU_Template.xlsx"
    _workbook(path)
    broken()
    failed = broken()  # the tick itself succeeds: its cursor is saved
    assert failed.run_requests == []
    assert failed.cursor is not None
    [(key, [size, mtime, attempts, due])] = json.loads(failed.cursor)["retry"].items()
    assert (key, attempts) == ("BrandA_Briskk_SKU_Template.xlsx", 1)
    assert 0 < due - datetime.now(UTC).timestamp() <= 5
    assert path.exists()
    assert not (inbox / ".rejected").exists()
    assert _uploads(engine) == []
    # not before its retry is due, even with the store back
    fixed = Ticker(instance, _resources(tmp_path, inbox, database_url, local_store), broken.cursor)
    assert fixed().run_requests == []
    assert path.exists()
    later = InboxState(retry={key: Retry((size, mtime), attempts, 0.0)})
    fixed.cursor = dump_cursor(later)  # the retry is due
    result = fixed()
    assert len(result.run_requests) == 1
    assert not path.exists()
    assert json.loads(result.cursor or "")["retry"] == {}


def _block_tenant_archive(store: LocalObjectStore, tenant: str) -> Path:
    """A file where the store's `archive/<tenant>/` folder must go: archiving any upload of
    that tenant fails (NotADirectoryError), every other tenant's works."""
    blocker = Path(store.root) / "archive" / tenant
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("in the way")
    return blocker


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    """Files made undeletable with `chattr +i` (root cannot delete them either); undone after."""
    made: list[Path] = []
    yield made
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _make_immutable(path: Path, made: list[Path]) -> None:
    subprocess.run(["chattr", "+i", str(path)], check=True)
    made.append(path)
    with pytest.raises(PermissionError):
        path.unlink()


@pytest.mark.parametrize("bad", ["long name", "store refuses it", "undeletable", "bad tenant"])
def test_a_bad_file_first_never_holds_up_the_good_one_after_it(
    tick: Ticker,
    inbox: Path,
    engine: sa.Engine,
    local_store: LocalObjectStore,
    immutable: list[Path],
    bad: str,
) -> None:
    """The issue's stall: the first ready file failed the whole tick before its cursor was
    saved, so no file was ever taken again. Now the bad file (sorted first) gets what it
    deserves and the good one (second) is registered in the same tick."""
    good = inbox / "BrandB_Briskk_SKU_Template.xlsx"
    if bad == "long name":  # 246 characters + `.csv`: too long for the old archive key
        first = inbox / ("A" * 246 + ".csv")
        first.write_bytes(b"product_id*,product_name*\nP1,Tee\n")
    elif bad == "store refuses it":
        (inbox / "Aaa").mkdir()
        first = inbox / "Aaa" / "catalog.csv"
        first.write_bytes(b"product_id*,product_name*\nP1,Tee\n")
        blocker = _block_tenant_archive(local_store, "Aaa")
    elif bad == "undeletable":
        first = inbox / "A_first.csv"
        first.write_bytes(b"product_id*,product_name*\nP1,Tee\n")
        _make_immutable(first, immutable)
    else:
        (inbox / "A a").mkdir()
        first = inbox / "A a" / "catalog.csv"
        first.write_bytes(b"x")
    assert scan_inbox(inbox)[0].path == first  # the bad file is met first
    _workbook(good, sheet="BrandB_Briskk_SKU_Template")
    tick()
    result = tick()

    records = {r["file_name"]: r for r in _uploads(engine)}
    assert "BrandB_Briskk_SKU_Template.xlsx" in records
    assert records["BrandB_Briskk_SKU_Template.xlsx"]["upload_id"] in {
        r.run_key for r in result.run_requests
    }
    assert not good.exists()
    cursor = json.loads(result.cursor or "")
    if bad == "long name":
        record = records[first.name]  # registered too, its full name on the record
        key = record["archive_key"]
        assert len(key.rsplit("/", 1)[1]) <= 120
        assert key.endswith(".csv") and "~" in key
        assert hashlib.sha256(read_object(local_store, key)).hexdigest() == record["sha256"]
        assert not first.exists()
    elif bad == "store refuses it":
        assert first.name not in records and first.exists()
        assert list(cursor["retry"]) == ["Aaa/catalog.csv"]
        blocker.unlink()
        tick.cursor = dump_cursor(
            InboxState(
                retry={
                    "Aaa/catalog.csv": Retry(tuple(cursor["retry"]["Aaa/catalog.csv"][:2]), 1, 0.0)
                }
            )
        )  # type: ignore[arg-type]
        assert len(tick().run_requests) == 1
        assert not first.exists()
    elif bad == "undeletable":
        record = records["A_first.csv"]  # registered, archived, but still in the inbox
        assert first.exists()
        assert list(cursor["kept"]) == ["A_first.csv"]
        for _ in range(2):  # left alone: never registered again, never in the way
            assert tick().run_requests == []
        assert [r["upload_id"] for r in _uploads(engine) if r["file_name"] == "A_first.csv"] == [
            record["upload_id"]
        ]
    else:
        assert (inbox / ".rejected" / "catalog.csv").exists()
        assert "not a valid tenant" in (inbox / ".rejected" / "catalog.csv.reason.txt").read_text()


def test_a_250_character_name_goes_to_rejected_shortened(tick: Ticker, inbox: Path) -> None:
    """A file that cannot be registered keeps its bytes in `.rejected/` even when its name
    leaves no room for the reason file's `.reason.txt`: the name is shortened, never refused."""
    (inbox / "Brand A").mkdir()
    name = "é" * 3 + "a" * 243 + ".csv"  # 250 characters, 253 bytes of UTF-8
    assert len(name) == 250
    (inbox / "Brand A" / name).write_bytes(b"kept")
    tick()
    tick()
    moved = sorted(p.name for p in (inbox / ".rejected").iterdir())
    assert len(moved) == 2
    kept, reason = moved[0], moved[1]
    assert reason == kept + ".reason.txt"
    assert len(kept.encode()) <= 200 and kept.endswith(".csv") and kept.startswith("é")
    assert (inbox / ".rejected" / kept).read_bytes() == b"kept"
    assert f"file: Brand A/{name}" in (inbox / ".rejected" / reason).read_text()
    assert list((inbox / "Brand A").iterdir()) == []


def test_a_tick_registers_a_bounded_number_of_files(
    inbox: Path, engine: sa.Engine, local_store: LocalObjectStore
) -> None:
    for n in range(3):
        (inbox / f"file{n}.csv").write_text(f"a,b\n{n},x\n")
    first = watch_inbox(inbox, InboxState(), store=local_store, engine=engine, max_files=2)
    assert first.registered == []
    second = watch_inbox(inbox, first.state, store=local_store, engine=engine, max_files=2)
    assert [r.file_name for r in second.registered] == ["file0.csv", "file1.csv"]
    assert list(second.pending) == ["file2.csv"]
    third = watch_inbox(inbox, second.state, store=local_store, engine=engine, max_files=2)
    assert [r.file_name for r in third.registered] == ["file2.csv"]
    assert third.pending == {}


def test_a_tenant_folder_in_another_case_is_the_same_tenant(
    tick: Ticker, inbox: Path, engine: sa.Engine, local_store: LocalObjectStore
) -> None:
    """SPEC §2: `inbox/branda/` after a `BrandA` upload files under `BrandA`, the spelling
    first registered: same upload ids, archive keys and run tag (one tenant's run queue)."""
    first = register(
        _workbook(inbox.parent / "first.xlsx"),
        "first.xlsx",
        explicit_tenant=None,
        source="cli",
        store=local_store,
        engine=engine,
    )
    assert first.tenant == "BrandA"
    (inbox / "branda").mkdir()
    _workbook(inbox / "branda" / "catalog.xlsx", sheet="Sheet1")
    tick()
    result = tick()
    record = next(r for r in _uploads(engine) if r["file_name"] == "catalog.xlsx")
    assert (record["tenant"], record["explicit_tenant"]) == ("BrandA", "branda")
    assert record["upload_id"].startswith("BrandA-")
    assert record["archive_key"].startswith(f"archive/BrandA/{record['upload_id']}/")
    assert [r.tags["briskk/tenant"] for r in result.run_requests] == ["BrandA"]
    assert not (inbox / "branda" / "catalog.xlsx").exists()


def test_a_file_over_the_size_cap_is_moved_aside_unread(
    tmp_path: Path,
    inbox: Path,
    database_url: str,
    engine: sa.Engine,
    local_store: LocalObjectStore,
    instance: DagsterInstance,
) -> None:
    resources = _resources(tmp_path, inbox, database_url, local_store)
    resources["settings"] = IngestSettings(
        home=str(tmp_path), inbox=str(inbox), max_upload_bytes=1000
    )
    ticker = Ticker(instance, resources)
    big = inbox / "BrandA_Briskk_SKU_Template.csv"
    big.write_bytes(b"product_id*,sku_id*\n" + b"P1,S1\n" * 500)  # 3,020 bytes
    ticker()
    result = ticker()
    assert result.run_requests == [] and _uploads(engine) == []
    reason = (inbox / ".rejected" / "BrandA_Briskk_SKU_Template.csv.reason.txt").read_text()
    assert (
        "the file is 3,020 bytes; at most 1,000 bytes is accepted per upload "
        "(BRISKK_MAX_UPLOAD_BYTES)" in reason
    )
