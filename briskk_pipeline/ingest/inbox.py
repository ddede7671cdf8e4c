"""The watched folder as plain functions: which files are ready, and taking each one in.

Layout (SPEC §2): `<inbox>/<file>` is filed under the tenant its sheet name claims;
`<inbox>/<tenant>/<file>` is uploaded *by* `<tenant>` (the folder is the explicit identity; any
letter case: `inbox/branda/` files under `BrandA` when that spelling was registered first);
`<inbox>/<tenant>/replace/<file>` is uploaded by `<tenant>` in replace mode (its products are
replaced whole: their SKUs it leaves out are disabled; `catalog/modes.py`). Only one level of
subfolders is watched, plus `replace/` inside a tenant's. Hidden files and folders (`.*`,
which includes the sensor's own `.rejected/`), Excel lock files (`~$*`) and files still being
written under a temporary name (`*.part`, `*.tmp`, `*.crdownload`) are ignored.

A file is *ready* when its size and mtime are the same on two consecutive ticks. A ready file
is registered with the same code as `briskk ingest` (archived, sha256 verified by read-back,
recorded `running`), and only then removed from the inbox. Each file is handled on its own,
so one file never holds up another:

- a file that can never be registered (an invalid tenant folder, a symbolic link,
  unreadable) is moved to `<inbox>/.rejected/<name>` with `<name>.reason.txt` beside it (a
  name too long for that is shortened, never refused): never deleted, never retried;
- a file whose registration failed for a reason outside it (the store or the catalog is
  down) is retried on its own, after 5 s, 10 s, 20 s … up to 5 minutes, as long as it is
  unchanged;
- a file registered (or rejected) that cannot be removed from the inbox (the folder is
  read-only for the daemon) is left where it is and not taken again until it changes.

`InboxState` (the sensor's cursor) holds exactly these: the files seen once and waiting to
hold still, the files waiting for a retry, and the files left in place; so it stays as small
as the inbox. `watch_inbox` never raises for one file's sake; `ingest/sensor.py` wraps it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import sqlalchemy as sa

from briskk_pipeline.catalog import modes, uploads
from briskk_pipeline.faults import describe_fault
from briskk_pipeline.ingest.inbox_state import (
    InboxFile,
    InboxState,
    Retry,
    Stat,
    retry_delay,
    scan_inbox,
    split_ready,
)
from briskk_pipeline.ingest.register import (
    Registration,
    RegistrationError,
    check_size,
    check_tenant,
    register,
    registered_tenant,
    sheet_claim,
)
from briskk_pipeline.resources import IngestSettings, ObjectStore

REJECTED_FOLDER: Final = ".rejected"
# A tick must finish well inside the daemon's sensor timeout (60 s): files beyond these limits
# stay ready in the cursor and are registered on the next tick.
MAX_FILES_PER_TICK: Final = 20
TICK_BUDGET_SECONDS: Final = 30.0
# An inbox upload still without a run this long after it was registered lost its run request
# (the daemon stopped mid-tick); it is requested again.
UNLAUNCHED_GRACE: Final = timedelta(minutes=2)
SOURCE: Final = "inbox"
# `.rejected/<name>` needs room for `-<yyyymmddTHHMMSS>-<n>` and `.reason.txt` within the
# 255 bytes a file name may have.
MAX_REJECTED_NAME_BYTES: Final = 200


@dataclass(frozen=True)
class Rejection:
    key: str
    reason: str
    moved_to: Path | None  # None when even moving it aside failed


@dataclass
class InboxTick:
    """What one pass over the inbox did, and the state for the next one."""

    registered: list[Registration] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    already_registered: list[str] = field(default_factory=list)  # upload ids
    errors: list[str] = field(default_factory=list)  # transient: that file is retried later
    notes: list[str] = field(default_factory=list)
    state: InboxState = field(default_factory=InboxState)

    @property
    def pending(self) -> dict[str, Stat]:
        return self.state.pending


class Unregistrable(Exception):
    """The file itself can never be registered: it goes to `.rejected`."""


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
    engine: sa.Engine,
    store: ObjectStore,
    item: InboxFile,
    data: bytes,
    digest: str,
    settings: IngestSettings | None,
) -> str | None:
    """The upload this very file was already registered as, if any.

    Same tenant, name and bytes, registered from the inbox *after* the file was last written:
    the sensor registered it but could not remove it (or stopped in between). A file dropped
    again later has a newer mtime and is a new upload. The archive must still hold the bytes.
    """
    explicit = _explicit_tenant(item)
    limits = settings.read_limits if settings is not None else None  # as `register` reads it
    claim = None if explicit is not None else sheet_claim(data, item.path.name, limits)
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


def _remove(item: InboxFile, tick: InboxTick, upload_id: str) -> None:
    """Delete the file, unless it was rewritten since it was read (then the new version is a
    new file for the next ticks). A file that cannot be deleted is left in place and not
    taken again while it is unchanged."""
    if _current_stat(item.path) != item.stat:
        tick.notes.append(f"{item.key} changed while it was registered; left for the next tick")
        return
    try:
        item.path.unlink()
    except FileNotFoundError:
        pass
    except OSError as error:
        tick.state.kept[item.key] = item.stat
        tick.notes.append(
            f"{item.key} is registered as {upload_id} but could not be removed from the inbox "
            f"({error.strerror or error}); it is left there and not taken again until it changes"
        )


def register_file(
    item: InboxFile,
    *,
    store: ObjectStore,
    engine: sa.Engine,
    tick: InboxTick,
    settings: IngestSettings | None = None,
) -> Registration | None:
    """Register one ready file and take it out of the inbox; None if nothing was registered.

    Raises `Unregistrable` for a file that can never be registered.
    """
    if not item.regular:
        kind = "a symbolic link" if item.path.is_symlink() else "not a regular file"
        raise Unregistrable(f"{kind}: copy the file itself into the inbox")
    explicit = _explicit_tenant(item)
    if settings is not None:
        try:  # before reading it: a file over the cap never costs its size in memory
            check_size(item.stat[0], settings.max_upload_bytes)
        except RegistrationError as error:
            raise Unregistrable(str(error)) from error
    try:
        data = item.path.read_bytes()
    except FileNotFoundError:
        return None  # removed by its owner between the scan and now
    except OSError as error:
        raise Unregistrable(f"the file cannot be read: {error.strerror or error}") from error
    if len(data) != item.stat[0] or _current_stat(item.path) != item.stat:
        tick.state.pending[item.key] = _current_stat(item.path) or item.stat
        return None  # still being written after all
    digest = hashlib.sha256(data).hexdigest()
    earlier = _earlier_registration(engine, store, item, data, digest, settings)
    if earlier is not None:
        tick.already_registered.append(earlier)
        _remove(item, tick, earlier)
        return None
    try:
        registration = register(
            data,
            item.path.name,
            explicit_tenant=explicit,
            source=SOURCE,
            store=store,
            engine=engine,
            settings=settings,
        )
    except RegistrationError as error:
        raise Unregistrable(str(error)) from error
    # `register` read the archived copy back (put_verified); its digest must be of these bytes.
    if registration.sha256 != digest:
        raise OSError(
            f"{item.key}: registered sha256 {registration.sha256} differs from the file's {digest}"
        )
    if item.replace:  # `<tenant>/replace/`: the products it contains are replaced whole
        modes.set_mode(engine, registration.upload_id, "replace")
    _remove(item, tick, registration.upload_id)
    return registration


def rejected_name(name: str) -> str:
    """`name`, or, past `MAX_REJECTED_NAME_BYTES` bytes of UTF-8, its start (whole characters)
    + `~<sha256 of the name>[:8]` + its extension: room is left for `_unique`'s suffix and
    `.reason.txt`, so a long name is moved aside rather than refused."""
    if len(name.encode("utf-8", "surrogateescape")) <= MAX_REJECTED_NAME_BYTES:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) <= 16 else ""
    mark = "~" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    room = MAX_REJECTED_NAME_BYTES - len(mark) - len(suffix.encode("utf-8", "surrogateescape"))
    stem = name[: len(name) - len(suffix)].encode("utf-8", "surrogateescape")[:room]
    return stem.decode("utf-8", "ignore") + mark + suffix


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
    target = _unique(folder / rejected_name(item.path.name))
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
    previous: InboxState,
    *,
    store: ObjectStore,
    engine: sa.Engine,
    max_files: int = MAX_FILES_PER_TICK,
    budget_seconds: float = TICK_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
    settings: IngestSettings | None = None,
) -> InboxTick:
    """One pass: register the ready files, reject the unregistrable, schedule a retry for
    the files that failed for a reason outside them, remember the rest. Each file is handled
    on its own; nothing one file does stops the others or the returned state."""
    started = clock()
    ready, state = split_ready(scan_inbox(inbox), previous, now())
    tick = InboxTick(state=state)
    for n, item in enumerate(ready):
        if n >= max_files or clock() - started > budget_seconds:
            if item.key not in state.retry:
                state.pending[item.key] = item.stat  # still ready: first in line next tick
            continue
        earlier = state.retry.pop(item.key, None)
        try:
            registration = register_file(
                item, store=store, engine=engine, tick=tick, settings=settings
            )
        except Unregistrable as problem:
            tick.rejected.append(_move_aside(inbox, item, str(problem), tick))
            continue
        except Exception as error:  # the catalog or object store is down: this file, later
            attempts = (earlier.attempts if earlier else 0) + 1
            delay = retry_delay(attempts)
            state.retry[item.key] = Retry(item.stat, attempts, now() + delay)
            reason = describe_fault(error) or f"{type(error).__name__}: {error}"
            tick.errors.append(
                f"{item.key}: {reason} (attempt {attempts}; tried again in {delay:.0f} s)"
            )
            continue
        if registration is not None:
            tick.registered.append(registration)
    return tick


def _move_aside(inbox: Path, item: InboxFile, reason: str, tick: InboxTick) -> Rejection:
    try:
        return Rejection(item.key, reason, reject_file(inbox, item, reason))
    except OSError as error:
        # left in place (e.g. a read-only folder) and not judged again until it changes
        tick.state.kept[item.key] = item.stat
        return Rejection(item.key, f"{reason} (and moving it aside failed: {error})", None)
