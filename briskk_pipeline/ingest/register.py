"""Registering an upload: archive the original bytes, record the upload, name its partition.

The same code serves `briskk ingest` and the inbox sensor, so a file dropped in the inbox and a
file given on the command line become the same kind of upload. The caller adds the Dagster
partition (the CLI on the instance, the sensor through its `SensorResult`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Final

import sqlalchemy as sa

from briskk_pipeline import template
from briskk_pipeline.catalog import uploads
from briskk_pipeline.catalog.tenants import register_tenant
from briskk_pipeline.faults import CatalogRefused, describe_fault, first_line
from briskk_pipeline.ingest.sandbox import ReadLimits, sheet_names_sandboxed
from briskk_pipeline.resources import IngestSettings, ObjectStore
from briskk_pipeline.safe_text import for_database

_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")
# The archive key's last part: well inside one file name on any disk (255 bytes, with room for
# the local store's temporary `.<name>.<pid>.tmp`) and S3's 1024-byte keys.
MAX_ARCHIVE_NAME: Final = 120
MAX_SUFFIX: Final = 16  # `.xlsx`, `.csv`; longer "extensions" are part of the name


class RegistrationError(ValueError):
    """The upload cannot even be registered (e.g. an invalid tenant name)."""


class UploadTooLarge(RegistrationError):
    """The file is larger than `BRISKK_MAX_UPLOAD_BYTES` (SPEC §3): refused at every door."""


def check_size(size: int, max_bytes: int) -> None:
    """Raise `UploadTooLarge` when `size` bytes is over `max_bytes`, in words a brand reads."""
    if size > max_bytes:
        raise UploadTooLarge(
            f"the file is {_shown(size)}; at most {_shown(max_bytes)} is accepted per upload "
            "(BRISKK_MAX_UPLOAD_BYTES): split it into several files, keeping all SKUs of a "
            "product in the same file"
        )


def _shown(size: int) -> str:
    """`26214400` -> `'25 MB'`, `3020` -> `'3,020 bytes'` (MB = 2^20 bytes)."""
    if size >= 2**20:
        return f"{size / 2**20:,.1f} MB".replace(".0 MB", " MB")
    return f"{size:,} bytes"


@dataclass(frozen=True)
class Registration:
    upload_id: str
    tenant: str
    explicit_tenant: str | None
    file_name: str
    sha256: str
    size_bytes: int
    received_at: datetime
    archive_key: str
    archive_uri: str


# The last claims judged, by (sha256 of the bytes, file name, limits): the inbox judges a file's
# claim to find an earlier registration, then `register` judges it again (for .xls/.ods each
# is a child process of the reading sandbox). A claim depends on those three only.
_CLAIMS: dict[tuple[str, str, ReadLimits], str | None] = {}
_CLAIMS_KEPT: Final = 64


def sheet_claim(data: bytes, file_name: str, limits: ReadLimits | None = None) -> str | None:
    """The tenant a file claims by its sheet name (or, for CSV, its file name).

    The sheet names are read in the reading sandbox (`sandbox.sheet_names_sandboxed`): a
    hostile workbook must not kill the process that registers it (the CLI, the API server or
    the code server running the inbox sensor). A file that is no workbook claims by its name.
    The same bytes, name and limits judged again (the inbox, then `register`) are not read
    again: the last `_CLAIMS_KEPT` answers are kept.
    """
    limits = limits or ReadLimits()
    key = (hashlib.sha256(data).hexdigest(), file_name, limits)
    if key in _CLAIMS:
        return _CLAIMS[key]
    claim = _judge_claim(data, file_name, limits)
    if len(_CLAIMS) >= _CLAIMS_KEPT:
        _CLAIMS.pop(next(iter(_CLAIMS)), None)  # the oldest (dicts keep insertion order)
    _CLAIMS[key] = claim
    return claim


def _judge_claim(data: bytes, file_name: str, limits: ReadLimits) -> str | None:
    names = sheet_names_sandboxed(data, limits) if data[:2] in (b"PK", b"\xd0\xcf") else None
    if names is None:  # not a workbook: CSV or garbage, judged later by the reader
        names = [PurePath(file_name).stem]
    for name in names:
        claim = template.tenant_claim(name)
        if claim is not None:
            return claim
    return None


def registered_tenant(explicit: str | None, claim: str | None) -> str:
    """The tenant the upload is filed under, as given (a mismatch is rejected later, by
    `raw_sheet`; `register` maps this to the tenant's first-registered spelling).

    Explicit wins; else a valid claim; else `default` (an invalid claim is rejected by
    `raw_sheet`, so its upload is filed under `default`).
    """
    if explicit is not None:
        return explicit
    if claim is not None and template.is_valid_tenant(claim):
        return claim
    return template.DEFAULT_TENANT


def check_tenant(tenant: str) -> str:
    tenant = tenant.strip()
    if not template.is_valid_tenant(tenant):
        raise RegistrationError(
            f"tenant {tenant!r} is not valid: use 1 to 63 letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    return tenant


def upload_id_for(tenant: str, received_at: datetime, sha256: str) -> str:
    """`<tenant>-<UTC yyyymmddTHHMMSS>-<sha256[:8]>`: safe as a partition key and object key."""
    return f"{tenant}-{received_at.astimezone(UTC):%Y%m%dT%H%M%S}-{sha256[:8]}"


def archive_name(file_name: str) -> str:
    """The file name as the last part of its archive key: letters, digits, `.`, `_`, `-`
    only, at most `MAX_ARCHIVE_NAME` characters. A longer name keeps its start and its
    extension and gains `~<sha256 of the full name>[:8]`, so two long names that differ only
    at the end still get different keys; a name is never refused (the record keeps it whole).
    """
    safe = _SAFE_NAME_RE.sub("_", PurePath(file_name).name).strip("._") or "upload"
    if len(safe) <= MAX_ARCHIVE_NAME:
        return safe
    path = PurePath(safe)
    suffix = path.suffix if len(path.suffix) <= MAX_SUFFIX else ""
    stem = safe[: len(safe) - len(suffix)]
    mark = "~" + hashlib.sha256(file_name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return stem[: MAX_ARCHIVE_NAME - len(mark) - len(suffix)] + mark + suffix


def register(
    data: bytes,
    file_name: str,
    *,
    explicit_tenant: str | None,
    source: str,
    store: ObjectStore,
    engine: sa.Engine,
    received_at: datetime | None = None,
    worker: uploads.Worker | None = None,
    settings: IngestSettings | None = None,
) -> Registration:
    """Archive `data`, verified by sha256 read-back, and record the upload as `running`.

    The upload is filed under the tenant's first-registered spelling (SPEC §2: `brandA` and
    `BrandA` are one tenant), which names its upload id, archive key and catalog rows; the
    explicit tenant is recorded as given. `worker` (the calling process) claims the upload from
    the start, so the recovery check notices if that process dies before its run begins.
    Raises `RegistrationError` for an invalid explicit tenant, `UploadTooLarge` for a file over
    `settings.max_upload_bytes`; the sheet name is read in the reading sandbox under
    `settings.read_limits` (defaults when `settings` is None).

    The same bytes registered twice in one second by one tenant get `<id>` and `<id>-2`: the
    id is chosen, archived and inserted under a PostgreSQL advisory lock on the base id, so
    concurrent registrations (two `briskk ingest`, the sensor and the CLI) never pick the same
    one, and both uploads are recorded. A database that does not answer raises SQLAlchemy's
    `OperationalError`; any other database error raises `faults.CatalogRefused` (one line,
    the driver's exception as its cause): nothing is recorded either way.
    """
    explicit = check_tenant(explicit_tenant) if explicit_tenant is not None else None
    if settings is not None:
        check_size(len(data), settings.max_upload_bytes)
    received_at = received_at or datetime.now(UTC)
    digest = hashlib.sha256(data).hexdigest()
    limits = settings.read_limits if settings is not None else None
    # an explicit tenant wins (registered_tenant): the sheet names are not read for it, which
    # spared every API upload with a brand token, and `--tenant`, a sandboxed read (issue 24)
    claim = None if explicit is not None else sheet_claim(data, file_name, limits)
    with database_refusals():
        tenant = register_tenant(engine, registered_tenant(explicit, claim))
    base_id = upload_id_for(tenant, received_at, digest)
    safe_name = archive_name(file_name)
    for _ in range(10):  # the lock makes a second pass exceptional (an insert outside it)
        with database_refusals(), engine.begin() as connection:
            uploads.lock_upload_id(connection, base_id)
            upload_id = uploads.free_upload_id(connection, base_id)
            archive_key = f"archive/{tenant}/{upload_id}/{safe_name}"
            archive_uri = store.put_verified(archive_key, data, _content_type(file_name))
            registration = Registration(
                upload_id=upload_id,
                tenant=tenant,
                explicit_tenant=explicit,
                # NUL (a hand-made request) and undecodable bytes of a file system name
                # (surrogate escapes) as visible escapes: PostgreSQL refuses them (issue 20)
                file_name=for_database(PurePath(file_name).name),
                sha256=digest,
                size_bytes=len(data),
                received_at=received_at,
                archive_key=archive_key,
                archive_uri=archive_uri,
            )
            if uploads.insert_upload(
                connection, worker=worker, source=source, **asdict(registration)
            ):
                return registration
    raise RuntimeError(f"no free upload id after {base_id}: uploads are being inserted unlocked")


@contextmanager
def database_refusals() -> Iterator[None]:
    """A database error in the block that is not already a described fault (a server that does
    not answer: `faults.describe_fault`) becomes `CatalogRefused`: `the catalog database
    refused to register the upload: <PostgreSQL's first line>`, never the driver's text
    with its SQL (issue 20 item 3)."""
    try:
        yield
    except sa.exc.SQLAlchemyError as error:
        if describe_fault(error) is not None:
            raise
        orig = getattr(error, "orig", None)
        detail = first_line(str(orig if orig is not None else error))
        raise CatalogRefused(
            f"the catalog database refused to register the upload: {detail}"
        ) from error


def _content_type(file_name: str) -> str:
    suffix = PurePath(file_name).suffix.lower()
    return {
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
        ".xls": "application/vnd.ms-excel",
        ".csv": "text/csv",
    }.get(suffix, "application/octet-stream")
