"""Registering an upload: archive the original bytes, record the upload, name its partition.

The same code serves `briskk ingest` and the inbox sensor, so a file dropped in the inbox and a
file given on the command line become the same kind of upload. The caller adds the Dagster
partition (the CLI on the instance, the sensor through its `SensorResult`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import PurePath

import fastexcel
import sqlalchemy as sa

from briskk_pipeline import template
from briskk_pipeline.catalog import uploads
from briskk_pipeline.catalog.tenants import register_tenant
from briskk_pipeline.resources import ObjectStore

_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


class RegistrationError(ValueError):
    """The upload cannot even be registered (e.g. an invalid tenant name)."""


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


def sheet_claim(data: bytes, file_name: str) -> str | None:
    """The tenant a file claims by its sheet name (or, for CSV, its file name); cheap."""
    try:
        names = fastexcel.read_excel(data).sheet_names
    except Exception:  # not a workbook: CSV or garbage, judged later by the reader
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


def register(
    data: bytes,
    file_name: str,
    *,
    explicit_tenant: str | None,
    source: str,
    store: ObjectStore,
    engine: sa.Engine,
    received_at: datetime | None = None,
) -> Registration:
    """Archive `data`, verified by sha256 read-back, and record the upload as `running`.

    The upload is filed under the tenant's first-registered spelling (SPEC §2: `brandA` and
    `BrandA` are one tenant), which names its upload id, archive key and catalog rows; the
    explicit tenant is recorded as given. Raises `RegistrationError` for an invalid explicit
    tenant.
    """
    explicit = check_tenant(explicit_tenant) if explicit_tenant is not None else None
    received_at = received_at or datetime.now(UTC)
    digest = hashlib.sha256(data).hexdigest()
    tenant = register_tenant(engine, registered_tenant(explicit, sheet_claim(data, file_name)))
    base_id = upload_id_for(tenant, received_at, digest)
    upload_id, n = base_id, 1
    while uploads.upload_id_exists(engine, upload_id):
        n += 1
        upload_id = f"{base_id}-{n}"
    safe_name = _SAFE_NAME_RE.sub("_", PurePath(file_name).name).strip("._") or "upload"
    archive_key = f"archive/{tenant}/{upload_id}/{safe_name}"
    archive_uri = store.put_verified(archive_key, data, _content_type(file_name))
    registration = Registration(
        upload_id=upload_id,
        tenant=tenant,
        explicit_tenant=explicit,
        file_name=PurePath(file_name).name,
        sha256=digest,
        size_bytes=len(data),
        received_at=received_at,
        archive_key=archive_key,
        archive_uri=archive_uri,
    )
    uploads.register_upload(engine, source=source, **asdict(registration))
    return registration


def _content_type(file_name: str) -> str:
    suffix = PurePath(file_name).suffix.lower()
    return {
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
        ".xls": "application/vnd.ms-excel",
        ".csv": "text/csv",
    }.get(suffix, "application/octet-stream")
