"""Heartbeats: a process working on an upload says, every few seconds, that it is still alive.

Whoever runs an upload claims it: `briskk ingest` when it registers the file (so even a
process killed before its run starts is noticed), and every `ingest_job` run when `raw_sheet`
starts (`claim_for_run`: the CLI's in-process runs and the run workers the daemon launches
alike). The claim names the process (`Worker`: host name + PID namespace, and PID) and a
background thread refreshes `uploads.heartbeat_at` (database time) every `BEAT_SECONDS` while
the upload is `running` and still claimed by this process; it stops by itself once the upload
ends, and dies with its process. `ingest/recovery.py` judges the silent ones.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Final

import sqlalchemy as sa

from briskk_pipeline.catalog import uploads
from briskk_pipeline.catalog.uploads import Worker

BEAT_SECONDS: Final = 10.0
# A beat that fails (the database is unreachable) is retried; after this long without one the
# thread gives up, since the recovery check will have judged the upload dead anyway.
GIVE_UP_SECONDS: Final = 300.0

_log = logging.getLogger(__name__)
_beating: dict[str, threading.Thread] = {}
_stopping: dict[str, threading.Event] = {}
_beating_lock = threading.Lock()


def host_identity() -> str:
    """`<host name> <PID namespace>`: two processes can compare PIDs only when this matches
    (containers may share a host name but never a PID namespace)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:  # not Linux: the host name alone
        namespace = ""
    return f"{socket.gethostname()} {namespace}".strip()


def this_worker() -> Worker:
    return Worker(host=host_identity(), pid=os.getpid())


def _beat_until_done(
    engine: sa.Engine, upload_id: str, worker: Worker, every: float, stop: threading.Event
) -> None:
    last_ok = time.monotonic()
    try:
        while not stop.wait(every):
            try:
                if not uploads.beat(engine, upload_id, worker):
                    return  # ended (succeeded, rejected, failed) or claimed by a re-run
                last_ok = time.monotonic()
            except sa.exc.SQLAlchemyError as error:
                if time.monotonic() - last_ok > GIVE_UP_SECONDS:
                    _log.warning("upload %s: heartbeat given up: %s", upload_id, error)
                    return
    finally:
        with _beating_lock:
            if _beating.get(upload_id) is threading.current_thread():
                _beating.pop(upload_id, None)
                _stopping.pop(upload_id, None)


def keep_alive(
    engine: sa.Engine, upload_id: str, worker: Worker, *, every: float = BEAT_SECONDS
) -> None:
    """Start this process's heartbeat thread for `upload_id` (one per upload; a daemon
    thread, so it never holds the process open). The upload must already be claimed by
    `worker` (`register(worker=…)` or `mark_upload_started(worker=…)`)."""
    with _beating_lock:
        if upload_id in _beating and _beating[upload_id].is_alive():
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=_beat_until_done,
            args=(engine, upload_id, worker, every, stop),
            name=f"briskk-heartbeat-{upload_id}",
            daemon=True,
        )
        _beating[upload_id] = thread
        _stopping[upload_id] = stop
        thread.start()


def stop_heartbeats(timeout: float = 5.0) -> int:
    """Stop every heartbeat thread of this process and wait for them (up to `timeout`
    seconds in all); returns how many were running. For a process about to close the
    database its uploads live in (the tests' per-test databases): a thread beating into a
    dropped database would retry for `GIVE_UP_SECONDS`, then log that it gave up."""
    with _beating_lock:
        threads = list(_beating.values())
        for stop in _stopping.values():
            stop.set()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0.0))
    return len(threads)


def claim_for_run(engine: sa.Engine, upload_id: str, run_id: str) -> None:
    """A run picked the upload up (first run or re-run): mark it `running` under `run_id`,
    claimed by this process, and keep its heartbeat going while it runs."""
    worker = this_worker()
    uploads.mark_upload_started(engine, upload_id, run_id, worker)
    keep_alive(engine, upload_id, worker)
