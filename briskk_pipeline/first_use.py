"""Local state made once when several `briskk` processes start on a new home at the same moment.

Ten `briskk ingest` started at once on a fresh `BRISKK_HOME` (a new brand's first files, a
script feeding a folder) each found no Dagster instance and each created one: Dagster's SQLite
storages check for their tables and then create them, so the losers failed with `table jobs
already exists` or alembic's `Version table 'alembic_version' has more than one head present`
(measured: 2 of 10 processes, Dagster 1.13). Here the first process creates the instance under
an exclusive file lock and leaves a marker; the others wait on the lock, find the marker and go
on. Later starts cost one `stat` of the marker.

Imports no Dagster at module level (the CLI reads `home.py`, which calls this, before anything
heavy); Dagster is imported only by the one process that creates the instance.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

READY_MARKER: Final = ".briskk-instance-ready"  # in DAGSTER_HOME once its storage exists
LOCK_FILE: Final = ".briskk-instance.lock"


def write_once(path: Path, text: str) -> bool:
    """Write `text` to `path` unless a file is already there; True if this call wrote it.

    Atomic against concurrent writers and readers: the text goes to a temporary file first and
    is hard-linked into place, so no process ever reads a half-written file and the first
    writer wins (`os.link` refuses an existing name).
    """
    if path.exists():
        return False
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    temporary.write_text(text)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    return True


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive `flock` on `lock_path` (created if missing) for the block; waits for
    another holder. The kernel drops the lock when its process dies (kill -9 included), so a
    crashed first start never blocks the next one."""
    with lock_path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def prepare_instance(dagster_home: Path) -> bool:
    """Create the Dagster instance in `dagster_home` (its `dagster.yaml` already written) once,
    whatever number of processes call this at the same moment; True if this call created it.

    `DagsterInstance.get()` builds every storage the yaml names (the local SQLite ones create
    their tables and stamp their schema version), so the first caller does that under the lock
    and then writes `READY_MARKER`. A folder that refuses the lock or the marker (read-only)
    is left to Dagster. Raises what Dagster raises for a broken instance (the marker is then
    not written, so the next start tries again).
    """
    marker = dagster_home / READY_MARKER
    if marker.exists():
        return False
    try:
        with exclusive(dagster_home / LOCK_FILE):
            if marker.exists():
                return False
            _create_instance(dagster_home)
            marker.write_text("made by briskk once (briskk_pipeline/first_use.py)\n")
    except OSError:  # a read-only DAGSTER_HOME (a production mount): Dagster makes its own
        return False
    return True


def _create_instance(dagster_home: Path) -> None:
    from dagster import DagsterInstance

    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    try:
        with DagsterInstance.get():
            pass
    finally:
        if previous is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = previous
