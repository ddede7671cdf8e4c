"""What `briskk` prints: exit codes, the one-line error, tables, JSON, clipping and plurals.

Every command writes through these: a table never grows past `TABLE_WIDTH` columns (long
fields are clipped with "…"; `--json` keeps every value whole), JSON is one write, and a
reader that leaves early (`briskk products | head`) ends the command quietly
(`guard_stdout`). Imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TextIO

# The exit codes every command uses; each command's --help lists the ones it can return.
EXIT_OK: Final = 0
EXIT_REJECTED: Final = 1  # ingest/rerun: the upload was rejected; rollback: refused
EXIT_USAGE: Final = 2  # usage or input error, an unknown upload or tenant
EXIT_FAILED: Final = 3  # the pipeline, the object store or the catalog database failed
EXIT_INTERRUPTED: Final = 130  # Ctrl-C (128 + SIGINT, as shells report it)

TABLE_WIDTH: Final = 120  # a table's widest line, in characters
MIN_COLUMN: Final = 8  # a clipped column keeps at least this many characters


class CliError(Exception):
    """An expected error: printed as one line `briskk: <message>`, no traceback; the command
    exits with `code` (`EXIT_USAGE` unless said otherwise)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 product`, `2 products`, `0 products`; `many` for irregular nouns (`1 SKU` has `SKUs`
    by the default rule)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def clip(value: object, width: int = 40) -> str:
    """`value` as text, cut to `width` characters with a final "…" when longer (None is "")."""
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def json_default(value: object) -> object:
    """`json.dumps` hook: datetimes as ISO 8601 in UTC; anything else is a `TypeError`."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(value: object, out: TextIO | None = None) -> None:
    """`value` as indented JSON on stdout (or `out`), in one write: `json.dump` to a stream
    writes each token on its own (0.4 s for 3 MB).

    Encoded by orjson, the same text as `json.dumps(indent=2, ensure_ascii=False)` (the
    standard library's C encoder is not used with `indent`: its Python encoder took 0.6 s of
    `briskk products --json` for 10k SKUs, orjson 0.02 s); values orjson refuses (integers
    past 64 bits) go through `json`. NaN is `null` either way... only with orjson, as JSON has
    no NaN.
    """
    import orjson

    stream = out or sys.stdout
    try:
        data = orjson.dumps(
            value,
            default=json_default,
            option=orjson.OPT_INDENT_2
            | orjson.OPT_NON_STR_KEYS
            | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_APPEND_NEWLINE,
        )
    except orjson.JSONEncodeError:
        stream.write(json.dumps(value, default=json_default, ensure_ascii=False, indent=2) + "\n")
        return
    binary = getattr(stream, "buffer", None)
    encoding = str(getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if binary is not None and encoding == "utf8":
        # orjson's UTF-8 bytes as they are: decoding them to text and encoding that again
        # held three copies of a bulk upload's 60 MB summary at once
        guarded = getattr(stream, "write_bytes", None)  # stdout guarded against `| head`
        if guarded is not None:
            guarded(data)
            return
        stream.flush()
        binary.write(data)
        binary.flush()
    else:
        stream.write(data.decode())


SPINNER: Final = "|/-\\"


def progress_line(tick: int, label: str, stage: str, detail: str) -> str:
    """The progress display's line for a terminal (`briskk ingest`): back to the line's start,
    cleared, then a spinner frame, the file, the step running and what it said last."""
    return f"\r\033[K{SPINNER[tick % 4]} {label}: {stage} {detail}"


def column_widths(
    natural: Sequence[int], width: int = TABLE_WIDTH, keep: Sequence[int] = ()
) -> list[int]:
    """Widths for columns of `natural` widths so that the row (two spaces between columns)
    fits `width`: the widest columns are narrowed to one common cap, never below
    `MIN_COLUMN` (nor below a column's own width); narrow columns, and the columns at the
    indexes in `keep` (ids a reader copies), keep theirs. A row may still overflow when the
    kept columns alone do not fit."""
    room = width - 2 * (len(natural) - 1)
    if sum(natural) <= room:
        return list(natural)
    kept = sum(w for i, w in enumerate(natural) if i in keep)
    free = [w for i, w in enumerate(natural) if i not in keep]
    cap = max(free, default=MIN_COLUMN)
    while cap > MIN_COLUMN and kept + sum(min(w, cap) for w in free) > room:
        cap -= 1
    return [w if i in keep else min(w, cap) for i, w in enumerate(natural)]


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    out: TextIO | None = None,
    *,
    wrap: str | None = None,
    keep: Sequence[str] = (),
    width: int = TABLE_WIDTH,
) -> None:
    """A plain-text table: headers, a rule, one line per row, at most `width` characters wide.

    Cells too long for their column are clipped with "…", except in the columns named in
    `keep` (never narrowed: ids) and in column `wrap`, whose text is wrapped onto continuation
    lines (a problem's message is read in full).
    """
    out = out or sys.stdout
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    natural = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    kept = [i for i, h in enumerate(headers) if h in keep]
    widths = column_widths(natural, width, kept)
    wrapped = list(headers).index(wrap) if wrap is not None and wrap in headers else None

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    def clipped(row: list[str]) -> list[str]:
        return [
            c if i in kept else clip(c, w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]

    print(line(clipped(cells[0])), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells[1:]:
        if wrapped is None or len(row[wrapped]) <= widths[wrapped]:
            print(line(clipped(row)), file=out)
            continue
        parts = textwrap.wrap(row[wrapped], widths[wrapped]) or [""]
        first = clipped(row)
        first[wrapped] = parts[0]
        print(line(first), file=out)
        for part in parts[1:]:
            blank = [""] * len(row)
            blank[wrapped] = part
            print(line(blank), file=out)


class _GuardedStdout:
    """sys.stdout that survives its reader leaving: the first `BrokenPipeError` points the
    file descriptor at /dev/null (Python's documented recipe, "Note on SIGPIPE"), and every
    later write goes there, so the command finishes and exits with its own code."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_left = False

    @property
    def stream(self) -> TextIO:
        """The stream guarded."""
        return self._stream

    def _to_devnull(self) -> None:
        self.reader_left = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_devnull()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_devnull()
            self._stream.flush()  # what was buffered now goes to /dev/null

    def write_bytes(self, data: bytes) -> None:
        """Encoded text (the stream's own encoding) straight to its binary buffer, after the
        text written before it; a reader that left is handled as `write` handles it (the
        buffer's `write` and `flush` would otherwise raise past the guard)."""
        try:
            self._stream.flush()
            self._stream.buffer.write(data)
            self._stream.buffer.flush()
        except BrokenPipeError:
            self._to_devnull()
            self._stream.buffer.flush()  # what was buffered now goes to /dev/null

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def guard_stdout() -> None:
    """Make `sys.stdout` quiet about a reader that left (`| head`): see `_GuardedStdout`.
    Call once at the start of a command; `flush_stdout` at its end."""
    if not isinstance(sys.stdout, _GuardedStdout) and _has_fd(sys.stdout):
        sys.stdout = _GuardedStdout(sys.stdout)  # type: ignore[assignment]


def flush_stdout() -> None:
    """Flush stdout now, so a reader that left is noticed here (quietly) and not by the
    interpreter at exit ("Exception ignored … BrokenPipeError", exit 120); then put the
    unguarded stream back (`main` may be called again in one process)."""
    with contextlib.suppress(BrokenPipeError):  # not guarded (a test's stream): nothing to do
        sys.stdout.flush()
    if isinstance(sys.stdout, _GuardedStdout):
        sys.stdout = sys.stdout.stream


def _has_fd(stream: TextIO) -> bool:
    try:
        stream.fileno()
    except (OSError, AttributeError, ValueError):
        return False
    return True


def check_writable(path: Path, example: str = "report.xlsx") -> None:
    """`path` names a file this process can create or replace, or a one-line `CliError` (exit
    2): a folder, a missing folder, no permission. For every `-o` (`report`, `profile export`)."""
    folder = path.parent
    if path.is_dir():
        raise CliError(f"is a folder: {path} (give a file name, like {path / example})")
    if not folder.is_dir():
        raise CliError(f"no such folder: {folder} (for {path})")
    if path.exists() and not os.access(path, os.W_OK):
        raise CliError(f"not writable: {path} (permission denied)")
    if not path.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"not writable: {folder} (permission denied, for {path})")


@contextlib.contextmanager
def ticking(follow: Callable[[threading.Event], None], *, enabled: bool) -> Iterator[None]:
    """Run `follow(stop)` in a daemon thread while the block runs (it draws a progress line on
    stderr until `stop` is set), then clear that line; nothing when not `enabled`. Used by
    `briskk ingest` in process (Dagster's event log) and handed off (the server's progress)."""
    if not enabled:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(target=follow, args=(stop,), name="briskk-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=2)
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
