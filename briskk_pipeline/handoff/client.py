"""The `briskk ingest` side of the hand-off: give the upload to a running `briskk serve`.

Standard library only (`http.client` over AF_UNIX): the point is not to import Dagster,
pandas, SQLAlchemy or httpx. `hand_off(args)` returns the command's exit code when the
server ran the upload, or None when the command must run it in its own process: hand-off
switched off (`BRISKK_HANDOFF=0`), no `serve.json`, its pid gone, another fingerprint (other
settings or code, `state.py`), or a socket that refuses or answers otherwise. Once the server
has taken the file there is no going back: a server that stops answering then is an error
(exit 3) naming where to look, never a second registration.

Ctrl-C: while the file is being registered, registration finishes first (as in process);
then the client asks the server to take the upload out of its queue. An upload still waiting
for its turn is recorded `failed` (`interrupted`), as in process; one whose run has started
goes on in `briskk serve`, and the command says so in one line naming the upload. Exit 130
either way.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode

from briskk_pipeline.cli import interrupts
from briskk_pipeline.cli.context import process_seconds
from briskk_pipeline.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_REJECTED,
    CliError,
    progress_line,
    ticking,
)
from briskk_pipeline.handoff.state import (
    FINGERPRINT_HEADER,
    fingerprint,
    handoff_enabled,
    process_alive,
    read_state,
    unix_address,
)

HELLO_SECONDS: Final = 5.0  # a live server answers `hello` in milliseconds
CANCEL_SECONDS: Final = 10.0


class UnixHTTPConnection(http.client.HTTPConnection):
    """`http.client.HTTPConnection` to a Unix socket (`path`) instead of a TCP address."""

    def __init__(self, path: Path, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            with unix_address(self.unix_path) as address:
                sock.connect(address)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


@dataclass(frozen=True)
class Server:
    """The running `briskk serve` that `serve.json` names."""

    pid: int
    socket: Path
    fingerprint: str

    def call(
        self, method: str, target: str, body: bytes | None = None, timeout: float | None = None
    ) -> tuple[int, dict[str, Any]]:
        """One request; (status, JSON body). Raises `OSError` or `http.client.HTTPException`
        when the socket refuses or the answer breaks off, `ValueError` for a body that is
        not JSON."""
        connection = UnixHTTPConnection(self.socket, timeout)
        try:
            headers = {FINGERPRINT_HEADER: self.fingerprint}
            if body is not None:
                headers["Content-Type"] = "application/octet-stream"
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            status, data = response.status, response.read()
        finally:
            connection.close()
        answer = json.loads(data)
        if not isinstance(answer, dict):
            raise ValueError("not a JSON object")
        return status, answer


def find_server() -> Server | None:
    """The `briskk serve` this command may hand its upload to, or None (module docstring)."""
    if not handoff_enabled():
        return None
    from briskk_pipeline.home import briskk_home

    held = read_state(briskk_home())
    if held is None or not process_alive(held["pid"]):
        return None
    mine = fingerprint()
    if held["fingerprint"] != mine:
        if sys.stderr.isatty():  # a server is up, yet not used: say why, on a terminal only
            print(
                f"briskk: briskk serve (pid {held['pid']}) runs with other settings or code "
                "than this command; the upload runs in this process",
                file=sys.stderr,
            )
        return None
    return Server(pid=held["pid"], socket=Path(held["socket"]), fingerprint=mine)


# `cli.outcome.print_outcome(summary, facts, as_json=…) -> exit code`
PrintOutcome = Callable[..., int]


def hand_off(args: argparse.Namespace, print_outcome: PrintOutcome) -> int | None:
    """Run `briskk ingest` (`args`, checked by its precheck) in a running `briskk serve` and
    print what the in-process command prints, with `print_outcome` (the command's own
    printing, `cli.outcome.print_outcome`, handed in so that this module never imports the
    command); the exit code, or None to run in process. Raises `CliError` with the
    in-process command's words and exit code."""
    server = find_server()
    if server is None:
        return None
    path: Path = args.path
    try:  # the socket answers, with our fingerprint, and says whether the size is accepted
        status, hello = server.call(
            "GET", f"/local/hello?size={path.stat().st_size}", timeout=HELLO_SECONDS
        )
    except (OSError, http.client.HTTPException, ValueError):
        return None
    if status != 200:
        return None
    if hello.get("too_large"):  # before reading it: refused whole, never recorded
        raise CliError(str(hello["too_large"]), EXIT_REJECTED)
    data = path.read_bytes()
    query = {
        "file_name": path.name,
        "dry_run": "true" if args.dry_run else "false",
        "mode": "replace" if args.replace else "merge",
        **({"tenant": args.tenant} if args.tenant is not None else {}),
    }
    taken: dict[str, Any] = {}
    status = 0
    try:
        # Ctrl-C waits until the upload is registered, to be named (and stopped if it can be)
        with interrupts.deferred():
            status, taken = _taken(server, f"/local/ingest?{urlencode(query)}", data)
    except KeyboardInterrupt:
        if status == 200 and "upload_id" in taken:
            return stop(server, str(taken["upload_id"]))
        raise
    if status == 409:  # another server took the socket in between: nothing was registered
        return None
    if status != 200:
        raise _refusal(server, status, taken)
    upload_id = str(taken["upload_id"])
    show_progress = not args.json and sys.stderr.isatty()
    try:  # from here on Ctrl-C always names the upload and stops it if it has not started
        if sys.stderr.isatty():
            print(f"briskk: the upload is run by briskk serve (pid {server.pid})", file=sys.stderr)
        with following(server, upload_id, enabled=show_progress, label=path.name):
            target = f"/local/uploads/{quote(upload_id, safe='')}/outcome"
            status, outcome = server.call("GET", target)
    except KeyboardInterrupt:
        return stop(server, upload_id)
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise _gone(server, error, f"running upload {upload_id}", "how it ends") from None
    if status != 200:
        raise _refusal(server, status, outcome)
    summary = outcome["summary"]
    summary["seconds"] = round(process_seconds(), 3)  # the whole command, as in process
    facts: Mapping[str, Any] = outcome["facts"]
    return print_outcome(summary, facts, as_json=args.json)


@contextmanager
def following(server: Server, upload_id: str, *, enabled: bool, label: str) -> Iterator[None]:
    """The in-process command's progress line on stderr while the block runs, fed by the
    server (`/local/uploads/{id}/progress`); nothing when not `enabled`."""
    with ticking(lambda stop: _follow(server, upload_id, stop, label), enabled=enabled):
        yield


def _follow(server: Server, upload_id: str, stop: threading.Event, label: str) -> None:
    stage, detail, tick, cursor = "starting", "", 0, None
    target = f"/local/uploads/{quote(upload_id, safe='')}/progress"
    while not stop.wait(0.2):
        query = f"?{urlencode({'cursor': cursor})}" if cursor else ""
        try:
            status, answer = server.call("GET", target + query, timeout=2)
        except (OSError, http.client.HTTPException, ValueError):
            status, answer = 0, {}
        if status == 200:
            stage = answer.get("stage") or stage
            detail = detail if answer.get("detail") is None else str(answer["detail"])
            cursor = answer.get("cursor") or cursor
        tick += 1
        if not stop.is_set():
            sys.stderr.write(progress_line(tick, label, stage, detail))
            sys.stderr.flush()


def _taken(server: Server, target: str, data: bytes) -> tuple[int, dict[str, Any]]:
    try:
        return server.call("POST", target, body=data)
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise _gone(server, error, "taking the upload", "whether it was registered") from None


def _gone(server: Server, error: Exception, doing: str, shows: str) -> CliError:
    """Exit 3: the server stopped answering while `doing`; `briskk uploads` `shows` the rest."""
    return CliError(
        f"briskk serve (pid {server.pid}) stopped answering while {doing} ({error}); "
        f"briskk uploads shows {shows}",
        EXIT_FAILED,
    )


def _refusal(server: Server, status: int, body: dict[str, Any]) -> CliError:
    """The server's `{detail, exit}` as the in-process command's error; anything else is a
    failure of the server (exit 3)."""
    detail, code = body.get("detail"), body.get("exit")
    if isinstance(detail, str) and isinstance(code, int):
        return CliError(detail, code)
    return CliError(
        f"briskk serve (pid {server.pid}) failed to run the upload (HTTP {status}: {detail}); "
        "its log has the details",
        EXIT_FAILED,
    )


def stop(server: Server, upload_id: str) -> int:
    """Ctrl-C after the upload was registered: ask the server to take it out of its queue;
    say in one line what became of it. Returns 130 (`briskk: interrupted` follows)."""
    target = f"/local/uploads/{quote(upload_id, safe='')}/cancel"
    try:
        status, answer = server.call("POST", target, timeout=CANCEL_SECONDS)
        cancelled = status == 200 and answer.get("cancelled") is True
    except (OSError, http.client.HTTPException, ValueError):
        cancelled = False
    if cancelled:
        message = f"upload {upload_id} was stopped before its run started (recorded failed)"
    else:
        message = (
            f"upload {upload_id} goes on in briskk serve (pid {server.pid}); "
            "briskk uploads shows how it ends"
        )
    print(f"briskk: {message}", file=sys.stderr)
    return EXIT_INTERRUPTED
