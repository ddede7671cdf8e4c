"""Ctrl-C for `briskk`: whatever runs, one line (`briskk: interrupted`) and exit 130.

A terminal sends Ctrl-C's SIGINT to every process of the foreground group: besides `briskk`,
the processes it started (Dagster's compute-log watchers `watch_orphans.py`, each printing a
KeyboardInterrupt traceback; the reading sandbox; an embedded PostgreSQL, which SIGINT shuts
down). `install` keeps them out of it: SIGINT is blocked in this process's threads, and a
blocked signal stays blocked across fork and exec, so every child started from here never
sees it. A watcher thread takes the signal (`sigwait`) and wakes the main thread with
`WAKE_SIGNAL`, whose handler runs whatever SIGINT handler is installed at that moment
(Python's KeyboardInterrupt, or Dagster's during a run, which fails the run as interrupted):
the main thread reacts as it would to SIGINT, blocking system calls included.

`deferred()` holds an interrupt back over a short stretch that must finish (registering an
upload), so the caller knows which upload to record as interrupted. `was_interrupted()` says
whether Ctrl-C came at all, even where Dagster turned it into a failed run.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Final

WAKE_SIGNAL: Final = signal.SIGUSR1 if hasattr(signal, "SIGUSR1") else None

_lock = threading.Lock()
_interrupted = threading.Event()
_installed = threading.Event()
_deferring = 0
_pending = False


def was_interrupted() -> bool:
    """Whether Ctrl-C (SIGINT) reached this process since `install`."""
    return _interrupted.is_set()


def install() -> bool:
    """Route SIGINT as the module docstring says; returns False (nothing changed) where that
    cannot be done: not the main thread, no `pthread_sigmask` (Windows), or SIGINT ignored
    (started in the background, `nohup`), which stays as it is."""
    if (
        WAKE_SIGNAL is None
        or not hasattr(signal, "pthread_sigmask")
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    ):
        return False
    signal.signal(WAKE_SIGNAL, _wake)
    # A library that logs the exception it is unwinding from (SQLAlchemy's pool closing a
    # connection) would print Ctrl-C's KeyboardInterrupt as a traceback: not a fault.
    if logging.lastResort is not None:
        logging.lastResort.addFilter(_not_an_interrupt)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    threading.Thread(target=_watch, name="briskk-interrupts", daemon=True).start()
    _installed.set()
    return True


def start_process_helpers() -> None:
    """Start multiprocessing's resource tracker now and block SIGINT again: the standard
    library unblocks it in the calling thread after starting the tracker
    (`resource_tracker.ensure_running`, on first use by the reading sandbox), after which every
    process started (the sandbox's fork server) would see Ctrl-C. Call before the sandbox."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    if _installed.is_set():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def finish() -> None:
    """The command is over: a Ctrl-C from now on is noted, never raised (the process only
    has to exit)."""
    if _installed.is_set() and WAKE_SIGNAL is not None:
        signal.signal(WAKE_SIGNAL, _noted)


def _noted(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C after `finish`: `was_interrupted` already says so."""


def _not_an_interrupt(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt))


def _watch() -> None:  # the watcher thread: SIGINT is blocked here too, as sigwait needs
    global _pending
    main = threading.main_thread().ident
    while True:
        signal.sigwait({signal.SIGINT})
        _interrupted.set()
        with _lock:
            if _deferring:
                _pending = True
                continue
        if main is not None and WAKE_SIGNAL is not None:
            signal.pthread_kill(main, WAKE_SIGNAL)


def _wake(signum: int, frame: FrameType | None) -> None:
    handler = signal.getsignal(signal.SIGINT)
    if not callable(handler):  # SIG_DFL: what Python's own handler would do
        raise KeyboardInterrupt
    handler(signal.SIGINT, frame)  # raises, or (Dagster's capture) records it for the run


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a Ctrl-C that arrives inside the block until the block ends, then raise
    `KeyboardInterrupt` (at once, if one was already held)."""
    global _deferring, _pending
    with _lock:
        _deferring += 1
    try:
        yield
    finally:
        with _lock:
            _deferring -= 1
            raise_now = _pending and not _deferring
            if raise_now:
                _pending = False
    if raise_now:
        raise KeyboardInterrupt
