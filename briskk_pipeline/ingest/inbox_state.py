"""Scanning the watched folder and the sensor's cursor: which files are ready this tick.

A file is *ready* when its size and mtime are the same on two consecutive ticks, or when its
retry (after a failure outside it) is due; `InboxState` is what one tick leaves to the next
(see `ingest/inbox.py` for what happens to a ready file). Pure functions over a folder.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

IGNORED_PREFIXES: Final[tuple[str, ...]] = (".", "~$")
IGNORED_SUFFIXES: Final[tuple[str, ...]] = (".part", ".tmp", ".crdownload")
FIRST_RETRY_SECONDS: Final = 5
MAX_RETRY_SECONDS: Final = 300

Stat = tuple[int, int]  # (size in bytes, mtime in ns)


@dataclass(frozen=True)
class InboxFile:
    """One candidate entry of the inbox."""

    path: Path
    key: str  # path relative to the inbox with `/`: the cursor's key
    tenant_folder: str | None  # the `<tenant>/` subfolder it sits in, if any
    stat: Stat
    regular: bool  # a regular file (not a symlink, FIFO, socket, ...)
    # in `<tenant>/replace/`: uploaded in replace mode (SPEC §2 "Upsert", catalog/modes.py)
    replace: bool = False


# `<inbox>/<tenant>/replace/<file>`: the one watched folder of the second level; its files are
# uploaded by <tenant> in replace mode (the products they contain are replaced whole).
REPLACE_FOLDER: Final = "replace"


@dataclass(frozen=True)
class Retry:
    """A file whose registration failed for a reason outside it, to try again at `due`."""

    stat: Stat
    attempts: int
    due: float  # epoch seconds


@dataclass
class InboxState:
    """The sensor's cursor: what the next tick must remember about the inbox's files."""

    pending: dict[str, Stat] = field(default_factory=dict)  # seen once, must hold still
    retry: dict[str, Retry] = field(default_factory=dict)  # transient failure, retried later
    kept: dict[str, Stat] = field(default_factory=dict)  # taken but could not be removed


# ----------------------------------------------------------------------------- scanning


def is_ignored(name: str) -> bool:
    """Hidden, lock and partial-download names, and the sensor's own `.rejected` folder."""
    lowered = name.lower()
    return name.startswith(IGNORED_PREFIXES) or lowered.endswith(IGNORED_SUFFIXES)


def _entry(
    entry: os.DirEntry[str], key: str, tenant_folder: str | None, *, replace: bool = False
) -> InboxFile | None:
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
        replace=replace,
    )


def _replace_folder(folder: os.DirEntry[str], tenant: str) -> list[InboxFile]:
    """The regular candidates of `<tenant>/replace/`, in replace mode."""
    found: list[InboxFile] = []
    try:
        with os.scandir(folder.path) as inner:
            for child in inner:
                if is_ignored(child.name) or child.is_dir(follow_symlinks=False):
                    continue
                key = f"{tenant}/{folder.name}/{child.name}"
                item = _entry(child, key, tenant, replace=True)
                if item is not None:
                    found.append(item)
    except (FileNotFoundError, NotADirectoryError):
        pass
    return found


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
                            if is_ignored(child.name):
                                continue
                            if child.is_dir(follow_symlinks=False):
                                if child.name.lower() == REPLACE_FOLDER:
                                    found.extend(_replace_folder(child, entry.name))
                                continue  # one level only, but for replace/
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
    files: Sequence[InboxFile], previous: InboxState, now: float
) -> tuple[list[InboxFile], InboxState]:
    """The files to take this tick, and the state of the others.

    Ready: unchanged since the previous tick, or waiting for a retry that is due (after the
    new ones, so a file that keeps failing never crowds them out). A file left in place stays
    left while unchanged; any change makes a file new again (pending, attempts forgotten).
    """
    fresh: list[InboxFile] = []
    due: list[InboxFile] = []
    state = InboxState()
    for item in files:
        key = item.key
        if previous.kept.get(key) == item.stat:
            state.kept[key] = item.stat
            continue
        retry = previous.retry.get(key)
        if retry is not None and retry.stat == item.stat:
            if retry.due <= now:
                due.append(item)
            state.retry[key] = retry  # replaced below once the file is tried again
            continue
        if previous.pending.get(key) == item.stat:
            fresh.append(item)
        else:
            state.pending[key] = item.stat
    return fresh + due, state


def load_cursor(cursor: str | None) -> InboxState:
    """The state the previous tick saved; an unreadable cursor means none (start over). The
    cursor of earlier versions (`{path: [size, mtime_ns]}`, pending files only) still reads."""
    if not cursor:
        return InboxState()
    try:
        raw = json.loads(cursor)
        if not isinstance(raw, dict):
            return InboxState()
        if not {"pending", "retry", "kept"} & set(raw):
            return InboxState(pending=_stats(raw))
        return InboxState(
            pending=_stats(raw.get("pending", {})),
            retry={
                str(k): Retry((int(v[0]), int(v[1])), int(v[2]), float(v[3]))
                for k, v in raw.get("retry", {}).items()
            },
            kept=_stats(raw.get("kept", {})),
        )
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return InboxState()


def _stats(raw: Mapping[str, Sequence[int]]) -> dict[str, Stat]:
    return {str(k): (int(v[0]), int(v[1])) for k, v in raw.items()}


def dump_cursor(state: InboxState) -> str:
    """The cursor text: `{"pending": {path: [size, mtime_ns]}, "retry": {path: [size,
    mtime_ns, attempts, due]}, "kept": {path: [size, mtime_ns]}}`, sorted, compact."""
    return json.dumps(
        {
            "pending": {k: list(state.pending[k]) for k in sorted(state.pending)},
            "retry": {
                k: [*state.retry[k].stat, state.retry[k].attempts, state.retry[k].due]
                for k in sorted(state.retry)
            },
            "kept": {k: list(state.kept[k]) for k in sorted(state.kept)},
        },
        separators=(",", ":"),
    )


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: 5, 10, 20, … capped at `MAX_RETRY_SECONDS`."""
    return float(min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))
