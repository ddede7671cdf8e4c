"""`briskk serve`'s Unix socket for the hand-off and the `serve.json` that names it.

In run mode `local` `briskk serve` also listens on `<BRISKK_HOME>/serve.sock` (mode 0600: only
its own user can connect, the same user who could run `briskk ingest` on this catalog
anyway) and, once its instance and run pool are ready, writes `serve.json` (`state.py`); both
go when it stops. A file left by a killed server (its pid gone, or its socket refusing) is
replaced at the next start; a live server's is left alone (a second `briskk serve` on the same
state folder then serves HTTP only). The routes on that socket are `server.py`'s.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from briskk_pipeline.handoff.state import (
    process_alive,
    read_state,
    socket_path,
    state_path,
    unix_address,
    write_state,
)

log = logging.getLogger("briskk.api")


class Publication:
    """This server's Unix socket, bound and listening, and the `serve.json` that names it.

    `open` binds the socket (or returns None when another live server holds it); `published`
    writes `serve.json` for the block (once the server is ready to take uploads); `close`
    removes the socket and, if it is still this server's, `serve.json`."""

    def __init__(self, home: Path, sock: socket.socket, fingerprint: str) -> None:
        self.home = home
        self.socket = sock
        self.fingerprint = fingerprint
        self.pid = os.getpid()

    @classmethod
    def open(cls, home: Path, fingerprint: str) -> Publication | None:
        path = socket_path(home)
        held = read_state(home)
        if held is not None and held["pid"] != os.getpid() and _answers(held):
            log.warning(
                "briskk serve (pid %s) already takes `briskk ingest` uploads for %s; "
                "this server serves HTTP only",
                held["pid"],
                home,
            )
            return None
        home.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # a killed server's: nothing listens on it
        state_path(home).unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mask = os.umask(0o177)  # created 0600: no moment where others may connect
        try:
            with unix_address(path) as address:
                sock.bind(address)
        except OSError:
            sock.close()
            raise
        finally:
            os.umask(mask)
        os.chmod(path, 0o600)
        sock.listen(128)  # not inheritable: no child process (sandbox, log watchers) keeps it
        return cls(home, sock, fingerprint)

    @contextmanager
    def published(self) -> Iterator[None]:
        write_state(
            self.home,
            {
                "pid": self.pid,
                "socket": str(socket_path(self.home)),
                "fingerprint": self.fingerprint,
                "started_at": datetime.now(UTC).isoformat(),
            },
        )
        log.info("briskk ingest hands its uploads to this server (%s)", socket_path(self.home))
        try:
            yield
        finally:
            self._withdraw()

    def _withdraw(self) -> None:
        held = read_state(self.home)
        if held is not None and held["pid"] == self.pid:
            state_path(self.home).unlink(missing_ok=True)

    def close(self) -> None:
        self._withdraw()
        with suppress(OSError):
            self.socket.close()
        path = socket_path(self.home)
        with suppress(OSError):
            if path.is_socket():
                path.unlink()


def _answers(held: dict[str, Any]) -> bool:
    """Whether the server `serve.json` names lives and accepts on its socket."""
    if not process_alive(held["pid"]):
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2)
    try:
        with unix_address(Path(held["socket"])) as address:
            probe.connect(address)
    except OSError:
        return False
    finally:
        probe.close()
    return True
