"""Reading an untrusted spreadsheet without letting it kill, hang or exhaust the reader.

A 3 KB workbook can ask calamine for 96 GB (a shared-string table that claims 4 billion
entries) or 512 GiB (one cell at XFD1048576), and a 3 MB zip can inflate to gigabytes. Rust
aborts the whole process on a failed allocation, so catching an exception is not enough: the
CLI, a run, the sensor or the code server would die with it. Here, per upload:

1. **Cheap structural checks** of a zip package (xlsx/xlsm/ods), before any parser sees it:
   the total unpacked size, each part's compression ratio, no DTD (`<!DOCTYPE`/`<!ENTITY`)
   in any XML part, and a shared-string table that cannot hold the count it declares.
2. **The read in a child process** (`multiprocessing`'s forkserver, so the child starts from a
   clean single-threaded process with the readers preloaded) with a memory limit of
   `memory_mb` above what the child starts with and a time limit. Memory is what the child
   really uses: the parent reads the child's resident set (psutil) every `POLL_SECONDS` and
   kills it past the limit. Address space a library only reserves does not count (pyarrow
   reserved 1 GB it never touched to read a 6 KB workbook with a date: a data-segment limit
   rejected it as a memory bomb). Between two looks a fast allocation can overshoot: a
   backstop `RLIMIT_DATA` of `BACKSTOP_FACTOR` times the limit makes a single huge request (a
   cell at XFD1048576 asks for 512 GiB) fail at once, and the structural checks above and
   the per-cell cut (`sheet.EXCEL_CELL_LIMIT`) bound the rest. No core dumps.
   A child that runs out of memory or time is killed; the upload is rejected with a message
   naming the limit, and the process that asked survives.

Limits come from `BRISKK_READ_MEMORY_MB` (default 1024) and `BRISKK_READ_SECONDS` (default
120) through `resources.IngestSettings`. The result (a `RawSheet`) comes back pickled.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import re
import resource
import time
import zipfile
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Final

from briskk_pipeline.validation.report import FileRejected, file_problem

if TYPE_CHECKING:  # the readers (pandas, pyarrow) load in the child, not in every importer
    from briskk_pipeline import template
    from briskk_pipeline.ingest.sheet import RawSheet

MB: Final = 2**20
RATIO_CHECKED_BYTES: Final = 8 * MB  # parts smaller than this are never a threat
MAX_RATIO: Final = 200  # a real sheet compresses 5-30x; a zip bomb thousands of times
POLL_SECONDS: Final = 0.02  # how often the parent looks at the child's resident memory
BACKSTOP_FACTOR: Final = 8  # RLIMIT_DATA, in multiples of the memory limit: reservations only
_DTD_RE: Final = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_UNIQUE_COUNT_RE: Final = re.compile(rb'uniqueCount="(\d+)"')
_SMALLEST_SHARED_STRING: Final = len(b"<si><t/></si>")


DEFAULT_READ_MEMORY_MB: Final = 1024
DEFAULT_READ_SECONDS: Final = 120


@dataclass(frozen=True)
class ReadLimits:
    """How much one read may use: memory above the child's start (MB) and wall time (s)."""

    memory_mb: int = DEFAULT_READ_MEMORY_MB
    seconds: float = DEFAULT_READ_SECONDS


def check_package(data: bytes, limits: ReadLimits) -> None:
    """Refuse a zip package whose structure alone shows it would exhaust the reader.

    Raises `FileRejected` naming the limit; returns for anything that is not a zip (the
    readers judge those). Reads part headers and the first bytes of XML parts only.
    """
    if not data.startswith(b"PK"):
        return
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        parts = package.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # damaged: the workbook reader says so in its own words
    limit = limits.memory_mb * MB
    total = sum(part.file_size for part in parts)
    if total > limit:
        raise _rejected(
            f"the workbook expands to {total // MB:,} MB when unpacked, more than the "
            f"{limits.memory_mb:,} MB a workbook may use: remove unused sheets, images and "
            "formatting, or split the file"
        )
    with package:
        for part in parts:
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > RATIO_CHECKED_BYTES and ratio > MAX_RATIO:
                raise _rejected(
                    f"part '{part.filename}' of the workbook is compressed {ratio:,.0f} times "
                    f"(it expands to {part.file_size // MB:,} MB): the file is damaged or built "
                    "to exhaust memory; save it again from Excel or LibreOffice"
                )
            if not part.filename.endswith((".xml", ".rels")):
                continue
            with package.open(part) as stream:
                head = stream.read(16 * 1024)
            if _DTD_RE.search(head):
                raise _rejected(
                    f"part '{part.filename}' of the workbook declares an XML document type "
                    "(DTD), which spreadsheets never use: save the file again from Excel or "
                    "LibreOffice"
                )
            if part.filename.lower().endswith("sharedstrings.xml"):
                _check_shared_strings(head, part.file_size)


def _check_shared_strings(head: bytes, size: int) -> None:
    match = _UNIQUE_COUNT_RE.search(head)
    if match is None:
        return
    claimed = int(match.group(1))
    possible = size // _SMALLEST_SHARED_STRING + 1
    if claimed > possible:
        raise _rejected(
            f"the workbook's table of texts claims {claimed:,} entries but has room for at "
            f"most {possible:,}: the file is damaged; save it again from Excel or LibreOffice"
        )


def read_sandboxed(
    data: bytes,
    file_name: str,
    *,
    max_rows: int,
    limits: ReadLimits,
    rules: template.HeaderRules | None = None,
) -> RawSheet:
    """`reader.read_upload` in a child process under `limits`, after `check_package`;
    headers matched with the tenant's `rules` (its brand profile, sent to the child).

    Raises `FileRejected` for everything the file causes: the reader's own rejections, a read
    that runs out of memory (the child is killed by its limit) or out of time, or a reader
    that fails on the file in any other way. The caller's process never runs the parser.
    """
    check_package(data, limits)
    outcome = _run_child(_read_child, (data, file_name, max_rows, rules), limits)
    kind, payload = outcome
    if kind == "sheet":
        sheet: RawSheet = pickle.loads(payload)
        return sheet
    if kind == "rejected":
        from briskk_pipeline.profiles.proposals import HeaderRejected

        problems, proposal = pickle.loads(payload)
        raise FileRejected(problems) if proposal is None else HeaderRejected(problems, proposal)
    if kind == "memory":
        raise _rejected(
            f"reading the workbook needs more than {limits.memory_mb:,} MB of memory "
            "(BRISKK_READ_MEMORY_MB): the file is damaged or built to exhaust memory, or far "
            "larger than a product sheet; save it again from Excel or LibreOffice, or split it"
        )
    if kind == "time":
        raise _rejected(
            f"reading the file took longer than {limits.seconds:g} s (BRISKK_READ_SECONDS): "
            "save it again from Excel or LibreOffice, or split it"
        )
    raise _rejected(f"the file could not be read ({payload.decode(errors='replace')[:300]})")


def sheet_names_sandboxed(data: bytes, limits: ReadLimits) -> list[str] | None:
    """The workbook's sheet names, read in the child under `limits`; None when the file is not
    a workbook or cannot be opened within them (the read of `raw_sheet` then says why)."""
    try:
        check_package(data, limits)
    except FileRejected:
        return None
    names = _xlsx_sheet_names(data)
    if names is not None:
        return names
    kind, payload = _run_child(_names_child, (data,), limits)
    return list(pickle.loads(payload)) if kind == "names" else None


_WORKBOOK_PART: Final = "xl/workbook.xml"


def _xlsx_sheet_names(data: bytes) -> list[str] | None:
    """An xlsx/xlsm's sheet names from its small `xl/workbook.xml` (defusedxml: no DTD or
    entity expansion), without a child process; None for any other file."""
    from defusedxml import ElementTree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            part = package.getinfo(_WORKBOOK_PART)
            if part.file_size > 16 * MB:  # a workbook part is a few KB: let the child judge
                return None
            root = ElementTree.fromstring(package.read(part))
    except (KeyError, zipfile.BadZipFile, ValueError, OSError, SyntaxError):
        return None  # also defusedxml's refusals (ValueErrors): the read says why
    # Transitional or Strict Open XML (`http://purl.oclc.org/ooxml/spreadsheetml/main`)
    return [e.get("name", "") for e in root.iter() if e.tag.rpartition("}")[2] == "sheet"]


def _rejected(message: str) -> FileRejected:
    return FileRejected([file_problem(message)])


# ----------------------------------------------------------------------------- the child

_context: Any = None


def _forkserver() -> Any:
    """The forkserver context, its server preloaded with the readers (started once)."""
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["briskk_pipeline.ingest.reader"])
        _context = context
    return _context


def warm_up() -> None:
    """Start the fork server now (it imports the readers, ~0.5 s) so the first read is quick."""
    from multiprocessing import forkserver

    _forkserver()
    forkserver.ensure_running()


def _run_child(target: Any, args: tuple[Any, ...], limits: ReadLimits) -> tuple[str, bytes]:
    """Run `target(*args, out)` in a watched child; its answer `(kind, payload)`, or
    `("memory", b"")` / `("time", b"")` when the child was killed for a limit.

    The child first reports its resident memory at start (`_child_main`); from then on the
    parent kills it as soon as its resident memory is more than `limits.memory_mb` above that.
    """
    context = _forkserver()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main, args=(target, args, limits.memory_mb, sender), daemon=True
    )
    child.start()
    sender.close()
    deadline = time.monotonic() + limits.seconds
    budget = limits.memory_mb * MB
    baseline: int | None = None
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            if not receiver.poll(min(POLL_SECONDS, remaining)):
                resident = _resident_bytes(child.pid)
                if baseline is not None and resident is not None and resident - baseline > budget:
                    return "memory", b""  # killed below
                continue
            try:
                kind, payload = receiver.recv()
            except EOFError:  # the child died before it could answer
                child.join(5)
                if _died_of_memory(child.exitcode):
                    return "memory", b""
                return "error", f"the reader stopped with exit code {child.exitcode}".encode()
            if kind == "start":
                baseline = int(payload)
                continue
            child.join(5)
            return kind, payload
        return "time", b""
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
            child.join(5)


def _resident_bytes(pid: int | None) -> int | None:
    """The resident set size of process `pid` in bytes; None once it is gone."""
    import psutil

    try:
        return int(psutil.Process(pid).memory_info().rss)
    except (psutil.Error, ValueError):
        return None


def _child_main(target: Any, args: tuple[Any, ...], memory_mb: int, out: Connection) -> None:
    """In the child: the backstop limits, the starting resident memory sent to the parent,
    then `target(*args, out)`."""
    _limit_self(memory_mb)
    out.send(("start", str(_resident_bytes(os.getpid()) or 0).encode()))
    target(*args, out)


def _died_of_memory(exitcode: int | None) -> bool:
    # Rust aborts (SIGABRT) on a failed allocation; the kernel's OOM killer sends SIGKILL.
    return exitcode in (-6, -9)


def _limit_self(memory_mb: int) -> None:
    """In the child: no core dump, no backtrace, and the backstop data limit.

    The memory limit itself is the parent's watch of the resident set (`_run_child`). The
    backstop, `RLIMIT_DATA` (Linux >= 4.7: heap and private writable mappings) at
    `BACKSTOP_FACTOR` x `memory_mb` above the start, only makes one huge request fail at once
    (Rust then aborts: `_died_of_memory`) instead of growing between two looks of the parent;
    it is far above what libraries reserve without using (measured: 1 GB for a 6 KB workbook).
    """
    os.environ["RUST_BACKTRACE"] = "0"  # an abort must not spend seconds printing frames
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # nor dump gigabytes of core
    import pyarrow

    # Arrow's bundled allocators keep freed memory in large arenas (resident, so counted by
    # the parent's watch); the system allocator gives it back.
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    limit = _data_bytes() + BACKSTOP_FACTOR * memory_mb * MB
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _data_bytes() -> int:
    """This process's data segment size (`VmData` of /proc/self/status), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def _names_child(data: bytes, out: Connection) -> None:
    import fastexcel

    try:
        names = list(fastexcel.read_excel(data).sheet_names)
        out.send(("names", pickle.dumps(names)))
    except Exception as error:  # not a workbook, or a damaged one: no claim
        out.send(("error", f"{type(error).__name__}: {error}".encode()))
    finally:
        out.close()


def _read_child(
    data: bytes,
    file_name: str,
    max_rows: int,
    rules: template.HeaderRules | None,
    out: Connection,
) -> None:
    from briskk_pipeline.ingest.reader import read_upload
    from briskk_pipeline.profiles.proposals import HeaderRejected

    try:
        sheet = read_upload(data, file_name, max_rows=max_rows, rules=rules)
        out.send(("sheet", pickle.dumps(sheet, protocol=pickle.HIGHEST_PROTOCOL)))
    except FileRejected as rejection:
        proposal = rejection.proposal if isinstance(rejection, HeaderRejected) else None
        out.send(("rejected", pickle.dumps((rejection.problems, proposal))))
    except MemoryError:
        out.send(("memory", b""))
    except Exception as error:  # the reader failed on this file: the file's fault, reported
        out.send(("error", f"{type(error).__name__}: {error}".encode()))
    finally:
        out.close()
