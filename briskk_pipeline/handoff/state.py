"""What `briskk serve` and `briskk ingest` agree on for the hand-off. Imports nothing heavy.

`<BRISKK_HOME>/serve.sock` is the server's Unix socket and `<BRISKK_HOME>/serve.json` (mode
0600, written atomically) says who listens there: `{"pid", "socket", "fingerprint",
"started_at"}`. Both exist only while a `briskk serve` in run mode `local` runs.

The fingerprint is a SHA-256 over everything that decides how an upload runs: the variables
`DATABASE_URL`, `DAGSTER_HOME` and every `S3_*`, `AWS_*` and `BRISKK_*` one (but `BRISKK_API_*`,
which only shape the HTTP server, and the switch `BRISKK_HANDOFF`), and the code: the
relative path, modification time (ns) and size of every file of the installed
`briskk_pipeline` package (about 230 files, a few ms). A client whose fingerprint differs
from the server's (another limit, another catalog, code edited or upgraded since the server
started) runs in its own process.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from briskk_pipeline.processes import process_alive as _alive

SOCKET_NAME: Final = "serve.sock"
STATE_NAME: Final = "serve.json"
SWITCH: Final = "BRISKK_HANDOFF"  # `0`: `briskk ingest` always runs in its own process
FINGERPRINT_HEADER: Final = "X-Briskk-Fingerprint"
_PREFIXES: Final = ("S3_", "AWS_", "BRISKK_")
_NAMES: Final = ("DATABASE_URL", "DAGSTER_HOME")
_PACKAGE: Final = Path(__file__).resolve().parents[1]  # the installed briskk_pipeline
MAX_UNIX_ADDRESS: Final = 107  # bytes of a socket path `sun_path` holds (Linux: 108 with NUL)


def handoff_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """False when `BRISKK_HANDOFF` is `0` (or `false`, `no`, `off`): run in process."""
    return environ.get(SWITCH, "").strip().lower() not in ("0", "false", "no", "off")


def settings_items(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (name, value) pairs of `environ` that decide a run (module docstring), sorted."""
    return sorted(
        (name, value)
        for name, value in environ.items()
        if (name in _NAMES or name.startswith(_PREFIXES))
        and not name.startswith("BRISKK_API_")
        and name != SWITCH
    )


def code_items(package: Path = _PACKAGE) -> list[tuple[str, int, int]]:
    """(relative path, mtime_ns, size) of every file of `package`, compiled files left out."""
    found: list[tuple[str, int, int]] = []
    folders = [package]
    while folders:
        folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        folders.append(Path(entry.path))
                elif not entry.name.endswith((".pyc", ".pyo")):
                    info = entry.stat()
                    relative = Path(entry.path).relative_to(package).as_posix()
                    found.append((relative, info.st_mtime_ns, info.st_size))
    return sorted(found)


def fingerprint(environ: Mapping[str, str] = os.environ, package: Path = _PACKAGE) -> str:
    """The hex SHA-256 of the run-deciding settings of `environ` and the code of `package`."""
    digest = hashlib.sha256()
    for name, value in settings_items(environ):
        digest.update(f"env\0{name}\0{value}\n".encode("utf-8", "surrogateescape"))
    for relative, mtime, size in code_items(package):
        digest.update(f"code\0{relative}\0{mtime}\0{size}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def socket_path(home: Path) -> Path:
    return home / SOCKET_NAME


def state_path(home: Path) -> Path:
    return home / STATE_NAME


@contextmanager
def unix_address(path: Path) -> Iterator[str]:
    """An AF_UNIX address for the socket file `path` while the block runs: `path` itself, or,
    when it is longer than a socket address holds (a deep BRISKK_HOME), the same file reached
    through an open descriptor of its folder (`/proc/self/fd/N/serve.sock`, Linux)."""
    text = os.fspath(path)
    if len(os.fsencode(text)) <= MAX_UNIX_ADDRESS or not Path("/proc/self/fd").is_dir():
        yield text
        return
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


def write_state(home: Path, values: Mapping[str, Any]) -> Path:
    """Write `values` as `<home>/serve.json`, mode 0600, atomically (a temporary file renamed
    into place: a reader sees the old file or the new one, never half of one)."""
    path = state_path(home)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(dict(values), handle)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def read_state(home: Path) -> dict[str, Any] | None:
    """`<home>/serve.json` as written by `write_state`, or None when it is missing, unreadable
    or not of that shape (a half-copied or hand-edited file is ignored, never trusted)."""
    try:
        values = json.loads(state_path(home).read_text())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(values, dict)
        or not isinstance(values.get("pid"), int)
        or not isinstance(values.get("socket"), str)
        or not isinstance(values.get("fingerprint"), str)
    ):
        return None
    return values


def process_alive(pid: int) -> bool:
    """Whether a server's pid is a live process of ours (`processes.process_alive`: another
    user's process is not a server of ours)."""
    return _alive(pid, others=False)
