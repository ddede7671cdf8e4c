"""Faults outside the pipeline (the object store, the catalog database) in operator words.

A full or read-only disk, a stopped PostgreSQL or an S3 endpoint that refuses are not the
brand's fault and not a bug: every door (`briskk`, the API, the inbox sensor, a failed run's
record) reports them as one line saying which system failed and why, e.g.
`the object store refused the write: read-only file system at /srv/briskk/objects/archive/…`
or `the catalog database is not reachable: connection refused (127.0.0.1:5432)`.

`ObjectStoreError` is what the object stores raise (a subclass of `OSError`, errno kept, so
existing `except OSError` keeps working). `describe_fault` turns a live exception into that one
line; `describe_error_text` does the same from a class name and message, which is all a failed
Dagster run keeps of its error (`SerializableErrorInfo`).
"""

from __future__ import annotations

import errno as errnos
import os
import re
from typing import Final

# The catalog's driver and SQLAlchemy wrap connection failures in these (by class name, so a
# serialized error from a run is recognised too).
_DATABASE_ERRORS: Final = frozenset(
    {"OperationalError", "InterfaceError", "DisconnectionError", "AdminShutdown"}
)
_ERRNO_WORDS: Final[dict[int, str]] = {
    errnos.EROFS: "read-only file system",
    errnos.ENOSPC: "no space left on the device",
    errnos.EDQUOT: "disk quota exceeded",
    errnos.EACCES: "permission denied",
    errnos.EPERM: "operation not permitted (an immutable or protected folder)",
    errnos.ENOTDIR: "a file is where a folder is expected",
    errnos.EEXIST: "a file is where a folder is expected",
    errnos.EIO: "input/output error",
}
_SQL_NOISE: Final = re.compile(r"^\((?:psycopg2?|sqlalchemy)[\w.]*\)\s*")


class ObjectStoreError(OSError):
    """The object store failed an operation; `str()` is the one line for operators.

    `errno` is the underlying OS error's (None for S3). Raised by `LocalObjectStore` and
    `S3ObjectStore` (resources.py, resources_s3.py).
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.errno = code  # type: ignore[assignment]
        self.message = message

    def __str__(self) -> str:
        return self.message


class EmbeddedDatabaseError(RuntimeError):
    """The embedded PostgreSQL under `$BRISKK_HOME` did not start (catalog/db.py); `str()` is
    one line naming the data folder and its log."""


class CatalogRefused(RuntimeError):
    """The catalog database refused a statement the pipeline needed outside any run (e.g. an
    upload's registration, ingest/register.py); `str()` is the one line for operators, the
    driver's exception is its `__cause__`."""


def os_error_words(error: OSError) -> str:
    """`read-only file system`, `no space left on the device`, …: the OS error in plain words."""
    if error.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[error.errno]
    if error.errno is not None:
        return os.strerror(error.errno).lower()
    return str(error)


def store_write_error(error: OSError, where: str) -> ObjectStoreError:
    """`the object store refused the write: <words> at <where>`, errno kept."""
    return ObjectStoreError(
        f"the object store refused the write: {os_error_words(error)} at {where}", error.errno
    )


def store_read_error(error: OSError, where: str) -> ObjectStoreError:
    """`the object store could not read <where>: <words>`, errno kept."""
    return ObjectStoreError(
        f"the object store could not read {where}: {os_error_words(error)}", error.errno
    )


def first_line(text: str) -> str:
    """The first non-empty line of `text`, without the driver's `(psycopg2.X)` prefix."""
    for line in text.strip().splitlines():
        line = _SQL_NOISE.sub("", line.strip())
        if line:
            return line
    return text.strip()


def describe_error_text(class_name: str, message: str) -> str | None:
    """The one-line description of an error known only by its class name and message (a
    Dagster `SerializableErrorInfo`), or None when it is not a fault outside the pipeline.

    `message` may start with `module.Class: ` (`traceback.format_exception_only`); it is
    dropped.
    """
    text = message.strip()
    prefix = re.match(r"^[\w.]+: ", text)
    if prefix and prefix.group(0).rstrip(": ").rsplit(".", 1)[-1] == class_name:
        text = text[prefix.end() :]
    if class_name in ("ObjectStoreError", "EmbeddedDatabaseError", "CatalogRefused"):
        return first_line(text)
    if class_name in _DATABASE_ERRORS:
        return f"the catalog database is not reachable: {first_line(text)}"
    return None


def describe_fault(error: BaseException) -> str | None:
    """One line saying which outside system failed and why, or None for anything else (a bug,
    the brand's data): looks at `error` and its causes (`raise … from`, SQLAlchemy's `orig`).

    Recognised: `ObjectStoreError`, `EmbeddedDatabaseError`, `CatalogRefused`,
    SQLAlchemy/psycopg2 connection errors (`OperationalError`, `InterfaceError`; from SQLite,
    which only a local Dagster instance uses, they name that instance, not the catalog), and OS
    errors that mean a full, read-only or forbidden file system outside the store (e.g. the
    Dagster instance's folder).
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        names = {cls.__name__ for cls in type(current).__mro__}
        if isinstance(current, ObjectStoreError | EmbeddedDatabaseError | CatalogRefused):
            return str(current)
        if names & _DATABASE_ERRORS and (
            type(current).__module__.startswith(("sqlalchemy", "psycopg"))
        ):
            orig = getattr(current, "orig", None)
            detail = first_line(str(orig if orig is not None else current))
            if type(orig).__module__ == "sqlite3":  # the catalog is PostgreSQL, always
                return f"the Dagster instance's storage (SQLite) failed: {detail}"
            # SQLSTATE classes 08 (connection) and 57 (operator intervention: shutdown) or none
            # at all (no server answered) mean the server is gone; others are its refusals.
            pgcode = str(getattr(orig, "pgcode", None) or "")
            if pgcode and not pgcode.startswith(("08", "57")):
                return f"the catalog database failed: {detail}"
            return f"the catalog database is not reachable: {detail}"
        if isinstance(current, OSError) and current.errno in (
            errnos.EROFS,
            errnos.ENOSPC,
            errnos.EDQUOT,
            errnos.EACCES,
            errnos.EPERM,
        ):
            where = f" at {current.filename}" if current.filename else ""
            return f"the file system refused: {os_error_words(current)}{where}"
        current = current.__cause__ or current.__context__
    return None
