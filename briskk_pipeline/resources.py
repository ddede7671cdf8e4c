"""Resources: one interface per external system, with a local and a production implementation.

`resources_from_env()` is the one place that reads the environment (SPEC §3) and picks the
implementations; `definitions.py` and the `briskk` command both call it, so a run started from
the UI, the CLI, the sensor or a schedule sees the same catalog and object store.

`S3ObjectStore` lives in `resources_s3.py` and is imported only when S3 is configured (it is
still importable from here): dagster-aws and boto3 cost 0.7 s of every process's start-up.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dagster import ConfigurableResource, EnvVar
from pydantic import PrivateAttr

from briskk_pipeline.catalog import db
from briskk_pipeline.faults import ObjectStoreError, store_read_error, store_write_error
from briskk_pipeline.home import briskk_home  # the state folder's one definition (home.py)
from briskk_pipeline.ingest.sandbox import DEFAULT_READ_MEMORY_MB, DEFAULT_READ_SECONDS, ReadLimits

DEFAULT_MAX_ROWS = 800
DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024
DEFAULT_IMAGE_BUDGET_SECONDS = 120  # images/limits.py
DEFAULT_IMAGE_PIXEL_BUDGET = 100_000_000  # images/limits.py
DEFAULT_RETENTION_DAYS = 90  # ingest/retention.py


class ObjectStore(ConfigurableResource, ABC):
    """Where archived uploads and images live: a local folder or an S3 bucket.

    Keys are `/`-separated relative paths (`archive/<tenant>/<upload_id>/<file>`,
    `images/<sha256>.<ext>`). A failure of the store itself (full, read-only, unreachable,
    refused) raises `faults.ObjectStoreError`, one line in operator words; a write that fails
    leaves nothing behind under its key, not even part of an object.
    """

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> str:
        """Store `data` under `key`, all or nothing, and return its URI."""

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object at `key`; nothing happens when there is none."""

    @abstractmethod
    def uri(self, key: str) -> str: ...

    @abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Every key that starts with `prefix`, sorted."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key under `prefix` (a folder: end it with `/`); how many were removed."""
        keys = self.list(prefix)
        for key in keys:
            self.delete(key)
        return len(keys)

    def put_verified(self, key: str, data: bytes, content_type: str) -> str:
        """Store `data` and read it back; if the read fails or the stored bytes differ, the
        object is deleted (best effort) and `ObjectStoreError` raised."""
        uri = self.put(key, data, content_type)
        try:
            if hashlib.sha256(self.get(key)).digest() != hashlib.sha256(data).digest():
                raise ObjectStoreError(
                    f"the object store returned other bytes than were written at {uri}"
                )
        except BaseException:
            with contextlib.suppress(OSError):  # the first error is the one to report
                self.delete(key)
            raise
        return uri


class LocalObjectStore(ObjectStore):
    """A folder on this machine (the default: `$BRISKK_HOME/objects`)."""

    root: str

    def _path(self, key: str) -> Path:
        root = Path(self.root).resolve()
        path = (root / key).resolve()
        if root not in path.parents:
            raise ValueError(f"object key escapes the store: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> str:
        """Write a hidden temporary file beside the object, then rename it over `key`
        (`os.replace`, atomic within a folder): readers never see half an object. On any
        error (a full disk says so at write or close) the temporary file is removed and
        `ObjectStoreError` raised."""
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as error:
            raise store_write_error(error, str(path)) from error
        finally:
            with contextlib.suppress(OSError):  # gone after os.replace; best effort otherwise
                tmp.unlink(missing_ok=True)
        return self.uri(key)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as error:
            raise ObjectStoreError(
                f"the object store has no object at {path}", error.errno
            ) from error
        except OSError as error:
            raise store_read_error(error, str(path)) from error

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise store_write_error(error, str(path)) from error

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def list(self, prefix: str) -> list[str]:
        root = Path(self.root).resolve()
        folder = (root / prefix.rsplit("/", 1)[0]).resolve() if "/" in prefix else root
        if folder != root and root not in folder.parents:
            raise ValueError(f"object prefix escapes the store: {prefix!r}")
        if not folder.is_dir():
            return []
        keys = (p.relative_to(root).as_posix() for p in folder.rglob("*") if p.is_file())
        # a half-written object (`.name.pid.tmp`, see `put`) is not an object yet
        return sorted(k for k in keys if k.startswith(prefix) and not _is_temp(k))


def _is_temp(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return name.startswith(".") and name.endswith(".tmp")


class CatalogDatabase(ConfigurableResource):
    """The PostgreSQL catalog: `DATABASE_URL`, or an embedded server under `$BRISKK_HOME`."""

    url: str | None = None
    home: str

    _engine: sa.Engine | None = PrivateAttr(default=None)

    def get_engine(self) -> sa.Engine:
        """The engine, with migrations applied (idempotent; cheap when already current)."""
        if self._engine is None:
            url = self.url or db.embedded_database_url(Path(self.home) / "postgres")
            self._engine = db.make_engine(url)
            db.upgrade(self._engine)
        return self._engine


class IngestSettings(ConfigurableResource):
    """Limits and policies of an upload (SPEC §3)."""

    home: str
    inbox: str
    max_rows: int = DEFAULT_MAX_ROWS
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES  # largest file accepted (SPEC §3)
    # the sandboxed spreadsheet reader (ingest/sandbox.py): memory above its start, wall time
    read_memory_mb: int = DEFAULT_READ_MEMORY_MB
    read_seconds: int = DEFAULT_READ_SECONDS
    allowed_image_hosts: str = ""  # comma-separated hosts and CIDRs
    refresh_images: bool = False  # re-download images whose URL is already stored
    # Off: no image is downloaded (offline machines, bulk loads, benchmarks of the rest);
    # new URLs are recorded `failed` for `retry_failed_images_job` to fetch once it is on.
    fetch_images: bool = True
    # An upload's images end within this many seconds; the rest are `failed`, retried later.
    image_budget_seconds: int = DEFAULT_IMAGE_BUDGET_SECONDS
    # Decoded pixels all image workers of a process may hold at once (~4 bytes each).
    image_pixel_budget: int = DEFAULT_IMAGE_PIXEL_BUDGET
    # finished uploads older than this lose their stored outputs and partition (retention.py)
    retention_days: int = DEFAULT_RETENTION_DAYS

    @property
    def read_limits(self) -> ReadLimits:
        """The reading sandbox's limits (BRISKK_READ_MEMORY_MB, BRISKK_READ_SECONDS)."""
        return ReadLimits(memory_mb=self.read_memory_mb, seconds=self.read_seconds)

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip() for h in self.allowed_image_hosts.split(",") if h.strip())


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be greater than 0, got {raw!r}")
    return value


def _env_flag(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {raw!r}")


def resources_from_env() -> dict[str, Any]:
    """Pick every resource's implementation from the environment (SPEC §3)."""
    home = briskk_home()
    inbox = os.environ.get("BRISKK_INBOX") or str(home / "inbox")
    store: ObjectStore
    if os.environ.get("S3_BUCKET"):
        from dagster_aws.s3 import S3Resource

        from briskk_pipeline.resources_s3 import S3ObjectStore

        store = S3ObjectStore(
            bucket=EnvVar("S3_BUCKET"),
            prefix=os.environ.get("S3_PREFIX", ""),
            s3=S3Resource(
                endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
                region_name=os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION")
                or None,
            ),
        )
    else:
        store = LocalObjectStore(root=str(home / "objects"))
    database = (
        CatalogDatabase(url=EnvVar("DATABASE_URL"), home=str(home))
        if os.environ.get("DATABASE_URL")
        else CatalogDatabase(home=str(home))
    )
    settings = IngestSettings(
        home=str(home),
        inbox=inbox,
        max_rows=_env_int("BRISKK_MAX_ROWS", DEFAULT_MAX_ROWS),
        max_image_bytes=_env_int("BRISKK_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES),
        max_upload_bytes=_env_int("BRISKK_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES),
        read_memory_mb=_env_int("BRISKK_READ_MEMORY_MB", DEFAULT_READ_MEMORY_MB),
        read_seconds=_env_int("BRISKK_READ_SECONDS", DEFAULT_READ_SECONDS),
        allowed_image_hosts=os.environ.get("BRISKK_ALLOWED_IMAGE_HOSTS", ""),
        refresh_images=_env_flag("BRISKK_REFRESH_IMAGES", default=False),
        fetch_images=_env_flag("BRISKK_FETCH_IMAGES", default=True),
        image_budget_seconds=_env_int("BRISKK_IMAGE_BUDGET_SECONDS", DEFAULT_IMAGE_BUDGET_SECONDS),
        image_pixel_budget=_env_int("BRISKK_IMAGE_PIXEL_BUDGET", DEFAULT_IMAGE_PIXEL_BUDGET),
        retention_days=_env_int("BRISKK_RETENTION_DAYS", DEFAULT_RETENTION_DAYS),
    )
    from briskk_pipeline.storage.io_manager import ObjectStoreIOManager  # imports this module

    return {
        "catalog": database,
        "object_store": store,
        "settings": settings,
        # asset outputs in the object store, not `$DAGSTER_HOME/storage` (storage/io_manager.py)
        "io_manager": ObjectStoreIOManager(object_store=store),
    }


def __getattr__(name: str) -> Any:
    # `from briskk_pipeline.resources import S3ObjectStore` keeps working, lazily.
    if name == "S3ObjectStore":
        from briskk_pipeline.resources_s3 import S3ObjectStore

        return S3ObjectStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
