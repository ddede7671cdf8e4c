"""The watched folder: a file dropped in the inbox becomes a registered upload and a run.

Layout (SPEC §2): `<inbox>/<file>` is filed under the tenant its sheet name claims;
`<inbox>/<tenant>/<file>` is uploaded *by* `<tenant>` (the folder is the explicit identity; any
letter case: `inbox/branda/` files under `BrandA` when that spelling was registered first).
Only one level of subfolders is watched. Hidden files and folders (`.*`, which includes the
sensor's own `.rejected/`), Excel lock files (`~$*`) and files still being written under a
temporary name (`*.part`, `*.tmp`, `*.crdownload`) are ignored.

A file is *ready* when its size and mtime are the same on two consecutive ticks; the sensor's
cursor remembers `{relative path: [size, mtime_ns]}` for the files still pending, and nothing
else, so it stays as small as the inbox. A ready file is registered with the same code as
`briskk ingest` (archived, sha256 verified by read-back, recorded `running`), its partition is
added and its run requested in the same tick, and only then is the file removed from the
inbox. A file that cannot even be registered (an invalid tenant folder, a symbolic link,
unreadable) is moved to `<inbox>/.rejected/<name>` with `<name>.reason.txt` beside it: never
deleted, never retried. A file whose *content* is not a template still registers; `raw_sheet`
then records the upload `rejected`.

Everything here is plain functions over a folder, an object store and an engine; `inbox_sensor`
at the bottom is the thin Dagster wrapper.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from dagster import (
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from briskk_pipeline.catalog import uploads
from briskk_pipeline.ingest.jobs import ingest_job
from briskk_pipeline.ingest.partitions import uploads_partitions
from briskk_pipeline.ingest.register import (
    Registration,
    RegistrationError,
    check_tenant,
    register,
    registered_tenant,
    sheet_claim,
)
from briskk_pipeline.resources import CatalogDatabase, IngestSettings, ObjectStore

REJECTED_FOLDER: Final = ".rejected"
IGNORED_PREFIXES: Final[tuple[str, ...]] = (".", "~$")
IGNORED_SUFFIXES: Final[tuple[str, ...]] = (".part", ".tmp", ".crdownload")
# A tick must finish well inside the daemon's sensor timeout (60 s): files beyond these limits
# stay ready in the cursor and are registered on the next tick.
MAX_FILES_PER_TICK: Final = 20
TICK_BUDGET_SECONDS: Final = 30.0
# An inbox upload still without a run this long after it was registered lost its run request
# (the daemon stopped mid-tick); it is requested again.
UNLAUNCHED_GRACE: Final = timedelta(minutes=2)
SOURCE: Final = "inbox"
# Uploads the HTTP API registered for the run queue (`briskk serve` in the deployed topology,
# BRISKK_API_RUNS=queue) have no run until this sensor requests one: no grace for them.
API_SOURCE: Final = "api"

Stat = tuple[int, int]  # (size in bytes, mtime in ns)


@dataclass(frozen=True)
class InboxFile:
    """One candidate entry of the inbox."""

    path: Path
    key: str  # path relative to the inbox with `/`: the cursor's key
    tenant_folder: str | None  # the `<tenant>/` subfolder it sits in, if any
    stat: Stat
    regular: bool  # a regular file (not a symlink, FIFO, socket, ...)


@dataclass(frozen=True)
class Rejection:
    key: str
    reason: str
    moved_to: Path | None  # None when even moving it aside failed


@dataclass
class InboxTick:
    """What one pass over the inbox did."""

    registered: list[Registration] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    already_registered: list[str] = field(default_factory=list)  # upload ids
    errors: list[str] = field(default_factory=list)  # transient: retried next tick
    notes: list[str] = field(default_factory=list)
    pending: dict[str, Stat] = field(default_factory=dict)  # the next cursor


class Unregistrable(Exception):
    """The file itself can never be registered: it goes to `.rejected`."""


# ----------------------------------------------------------------------------- scanning


def is_ignored(name: str) -> bool:
    """Hidden, lock and partial-download names, and the sensor's own `.rejected` folder."""
    lowered = name.lower()
    return name.startswith(IGNORED_PREFIXES) or lowered.endswith(IGNORED_SUFFIXES)


def _entry(entry: os.DirEntry[str], key: str, tenant_folder: str | None) -> InboxFile | None:
    try:
        info = entry.stat(follow_symlinks=False)
    except FileNotFoundError:  # removed between listing and stat
        return None
    return InboxFile(
        path=Path(entry.path),
        key=key,
        tenant_folder=tenant_folder,
        stat=(info.st_size, info.st_mtime_ns),
        regular=stat.S_ISREG(info.st_mode),
    )


def scan_inbox(inbox: Path) -> list[InboxFile]:
    """Every candidate in `inbox` and its `<tenant>/` subfolders, sorted by key.

    Symbolic links are listed (as not regular) rather than followed: the inbox is writable by
    uploaders, and a link must never make the sensor archive a file from elsewhere.
    """
    found: list[InboxFile] = []
    if not inbox.is_dir():
        return found
    with os.scandir(inbox) as top:
        for entry in top:
            if is_ignored(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                try:
                    with os.scandir(entry.path) as inner:
                        for child in inner:
                            if is_ignored(child.name) or child.is_dir(follow_symlinks=False):
                                continue  # one level only
                            item = _entry(child, f"{entry.name}/{child.name}", entry.name)
                            if item is not None:
                                found.append(item)
                except (FileNotFoundError, NotADirectoryError):
                    continue
            else:
                item = _entry(entry, entry.name, None)
                if item is not None:
                    found.append(item)
    return sorted(found, key=lambda f: f.key)


def split_ready(
    files: Sequence[InboxFile], previous: Mapping[str, Stat]
) -> tuple[list[InboxFile], dict[str, Stat]]:
    """Files unchanged since the previous tick are ready; the others are pending."""
    ready: list[InboxFile] = []
    pending: dict[str, Stat] = {}
    for item in files:
        if previous.get(item.key) == item.stat:
            ready.append(item)
        else:
            pending[item.key] = item.stat
    return ready, pending


def load_cursor(cursor: str | None) -> dict[str, Stat]:
    """The pending files of the previous tick; an unreadable cursor means none (start over)."""
    if not cursor:
        return {}
    try:
        raw = json.loads(cursor)
        return {str(k): (int(v[0]), int(v[1])) for k, v in raw.items()}
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return {}


def dump_cursor(pending: Mapping[str, Stat]) -> str:
    return json.dumps({k: list(pending[k]) for k in sorted(pending)}, separators=(",", ":"))


# --------------------------------------------------------------------------- one file


def _current_stat(path: Path) -> Stat | None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    return (info.st_size, info.st_mtime_ns)


def _explicit_tenant(item: InboxFile) -> str | None:
    if item.tenant_folder is None:
        return None
    try:
        return check_tenant(item.tenant_folder)
    except RegistrationError as error:
        raise Unregistrable(f"the folder name is not a valid tenant: {error}") from error


def _earlier_registration(
    engine: sa.Engine, store: ObjectStore, item: InboxFile, data: bytes, digest: str
) -> str | None:
    """The upload this very file was already registered as, if any.

    Same tenant, name and bytes, registered from the inbox *after* the file was last written:
    the sensor registered it but could not remove it (or stopped in between). A file dropped
    again later has a newer mtime and is a new upload. The archive must still hold the bytes.
    """
    explicit = _explicit_tenant(item)
    claim = None if explicit is not None else sheet_claim(data, item.path.name)
    tenant = registered_tenant(explicit, claim)
    written = datetime.fromtimestamp(item.stat[1] / 1e9, UTC)
    for upload in uploads.find_upload_by_sha256(engine, tenant, digest):
        if (
            upload.get("source") == SOURCE
            and upload["file_name"] == item.path.name
            and upload.get("explicit_tenant") == explicit
            and datetime.fromisoformat(upload["received_at"]) >= written
        ):
            archived = store.get(upload["archive_key"])
            if hashlib.sha256(archived).hexdigest() == digest:
                return upload["upload_id"]
    return None


def _remove(item: InboxFile, tick: InboxTick) -> None:
    """Delete the file, unless it was rewritten since it was read (then the new version is a
    new file for the next ticks)."""
    if _current_stat(item.path) != item.stat:
        tick.notes.append(f"{item.key} changed while it was registered; left for the next tick")
        return
    try:
        item.path.unlink()
    except FileNotFoundError:
        pass
    except OSError as error:
        tick.errors.append(f"{item.key} is archived but could not be removed: {error}")


def register_file(
    item: InboxFile, *, store: ObjectStore, engine: sa.Engine, tick: InboxTick
) -> Registration | None:
    """Register one ready file and take it out of the inbox; None if nothing was registered.

    Raises `Unregistrable` for a file that can never be registered.
    """
    if not item.regular:
        kind = "a symbolic link" if item.path.is_symlink() else "not a regular file"
        raise Unregistrable(f"{kind}: copy the file itself into the inbox")
    explicit = _explicit_tenant(item)
    try:
        data = item.path.read_bytes()
    except FileNotFoundError:
        return None  # removed by its owner between the scan and now
    except OSError as error:
        raise Unregistrable(f"the file cannot be read: {error.strerror or error}") from error
    if len(data) != item.stat[0] or _current_stat(item.path) != item.stat:
        tick.pending[item.key] = _current_stat(item.path) or item.stat
        return None  # still being written after all
    digest = hashlib.sha256(data).hexdigest()
    earlier = _earlier_registration(engine, store, item, data, digest)
    if earlier is not None:
        tick.already_registered.append(earlier)
        _remove(item, tick)
        return None
    try:
        registration = register(
            data,
            item.path.name,
            explicit_tenant=explicit,
            source=SOURCE,
            store=store,
            engine=engine,
        )
    except RegistrationError as error:
        raise Unregistrable(str(error)) from error
    # `register` read the archived copy back (put_verified); its digest must be of these bytes.
    if registration.sha256 != digest:
        raise OSError(
            f"{item.key}: registered sha256 {registration.sha256} differs from the file's {digest}"
        )
    _remove(item, tick)
    return registration


def _unique(path: Path) -> Path:
    if not path.exists() and not path.is_symlink():
        return path
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    for n in range(1, 1000):
        suffix = f"-{stamp}" if n == 1 else f"-{stamp}-{n}"
        candidate = path.with_name(f"{path.stem}{suffix}{path.suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise FileExistsError(f"no free name for {path.name} in {path.parent}")


def reject_file(inbox: Path, item: InboxFile, reason: str) -> Path:
    """Move `item` to `<inbox>/.rejected/<name>` with `<name>.reason.txt`; returns the new path."""
    folder = inbox / REJECTED_FOLDER
    folder.mkdir(exist_ok=True)
    target = _unique(folder / item.path.name)
    os.rename(item.path, target)  # within the inbox: one filesystem, atomic, nothing copied
    target.with_name(f"{target.name}.reason.txt").write_text(
        f"file: {item.key}\n"
        f"rejected at: {datetime.now(UTC).isoformat(timespec='seconds')}\n"
        f"reason: {reason}\n"
        "The file was not registered. Fix the problem and drop it into the inbox again.\n",
        encoding="utf-8",
    )
    return target


# --------------------------------------------------------------------------------- tick


def watch_inbox(
    inbox: Path,
    previous: Mapping[str, Stat],
    *,
    store: ObjectStore,
    engine: sa.Engine,
    max_files: int = MAX_FILES_PER_TICK,
    budget_seconds: float = TICK_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> InboxTick:
    """One pass: register the ready files, reject the unregistrable, remember the pending."""
    started = clock()
    ready, pending = split_ready(scan_inbox(inbox), previous)
    tick = InboxTick(pending=pending)
    for n, item in enumerate(ready):
        if n >= max_files or clock() - started > budget_seconds:
            tick.pending[item.key] = item.stat  # still ready: first in line next tick
            continue
        try:
            registration = register_file(item, store=store, engine=engine, tick=tick)
        except Unregistrable as problem:
            tick.rejected.append(_move_aside(inbox, item, str(problem)))
            continue
        except Exception as error:  # the catalog or object store is down: retry next tick
            tick.errors.append(f"{item.key}: {type(error).__name__}: {error}")
            tick.pending[item.key] = item.stat
            continue
        if registration is not None:
            tick.registered.append(registration)
    return tick


def _move_aside(inbox: Path, item: InboxFile, reason: str) -> Rejection:
    try:
        return Rejection(item.key, reason, reject_file(inbox, item, reason))
    except OSError as error:
        return Rejection(item.key, f"{reason} (and moving it aside failed: {error})", None)


def run_request(upload_id: str, tenant: str, source: str = SOURCE) -> RunRequest:
    return RunRequest(
        run_key=upload_id,
        partition_key=upload_id,
        tags={"briskk/tenant": tenant, "briskk/source": source},
    )


@sensor(
    job=ingest_job,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
    description="Registers files dropped in the inbox (`<inbox>/<tenant>/…`) and runs them.",
)
def inbox_sensor(
    context: SensorEvaluationContext,
    settings: IngestSettings,
    catalog: CatalogDatabase,
    object_store: ObjectStore,
) -> SensorResult:
    """Turns each file dropped in `BRISKK_INBOX` into a registered upload and an `ingest_job`
    run, once its size and mtime have held still for a tick; unregistrable files go to
    `.rejected/` with a reason."""
    inbox = Path(settings.inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    engine = catalog.get_engine()
    now = datetime.now(UTC)
    lost = [
        (upload_id, tenant, source)
        for source, grace in ((SOURCE, UNLAUNCHED_GRACE), (API_SOURCE, timedelta(0)))
        for upload_id, tenant in uploads.unlaunched_uploads(engine, source, now - grace)
    ]
    if lost:
        with_runs = {
            run.tags.get("dagster/partition")
            for run in context.instance.get_runs(
                filters=RunsFilter(
                    job_name=ingest_job.name, tags={"dagster/partition": [u for u, _, _ in lost]}
                )
            )
        }
        lost = [(u, t, s) for u, t, s in lost if u not in with_runs]
    tick = watch_inbox(inbox, load_cursor(context.cursor), store=object_store, engine=engine)

    for registration in tick.registered:
        context.log.info(f"registered {registration.file_name} as {registration.upload_id}")
    for rejection in tick.rejected:
        context.log.warning(f"rejected {rejection.key}: {rejection.reason}")
    for upload_id in tick.already_registered:
        context.log.info(f"{upload_id} was already registered; removed it from the inbox")
    for upload_id, _, source in lost:
        if source == SOURCE:
            context.log.warning(f"{upload_id} was registered but never run; requesting its run")
        else:
            context.log.info(f"{upload_id} came through the API; requesting its run")
    for message in [*tick.notes, *tick.errors]:
        context.log.warning(message)
    if tick.errors and not (tick.registered or tick.rejected):
        # nothing moved: fail the tick so the problem shows in the UI (the cursor is kept)
        raise RuntimeError("; ".join(tick.errors))

    requests = {r.upload_id: (r.tenant, SOURCE) for r in tick.registered}
    requests.update({upload_id: (tenant, source) for upload_id, tenant, source in lost})
    return SensorResult(
        run_requests=[
            run_request(upload_id, tenant, source)
            for upload_id, (tenant, source) in requests.items()
        ],
        dynamic_partitions_requests=[uploads_partitions.build_add_request(list(requests))]
        if requests
        else None,
        cursor=dump_cursor(tick.pending),
    )
