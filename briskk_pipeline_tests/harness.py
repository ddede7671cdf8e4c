"""Running uploads through the real `ingest_job` in-process, on test resources.

`Harness.ingest` does what `briskk ingest` does (register, add the partition, execute the job)
against a fresh PostgreSQL database, a real object store and an ephemeral Dagster instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dagster import DagsterInstance, Definitions, in_process_executor

from briskk_pipeline.catalog.modes import set_mode
from briskk_pipeline.catalog.queries import list_products
from briskk_pipeline.catalog.uploads import get_upload
from briskk_pipeline.definitions import defs
from briskk_pipeline.ingest.register import register
from briskk_pipeline.resources import CatalogDatabase, IngestSettings, ObjectStore
from briskk_pipeline.storage.io_manager import ObjectStoreIOManager


@dataclass
class Harness:
    engine: sa.Engine
    catalog: CatalogDatabase
    store: ObjectStore
    settings: IngestSettings
    instance: DagsterInstance

    @property
    def definitions(self) -> Definitions:
        return Definitions(
            assets=list(defs.assets or []),
            jobs=list(defs.jobs or []),
            resources={
                "catalog": self.catalog,
                "object_store": self.store,
                "settings": self.settings,
                "io_manager": ObjectStoreIOManager(object_store=self.store),
            },
            executor=in_process_executor,
        )

    def register(self, path: Path, tenant: str | None = None, *, mode: str = "merge") -> str:
        registration = register(
            path.read_bytes(),
            path.name,
            explicit_tenant=tenant,
            source="cli",
            store=self.store,
            engine=self.engine,
        )
        if mode != "merge":
            set_mode(self.engine, registration.upload_id, mode)
        self.instance.add_dynamic_partitions("uploads", [registration.upload_id])
        return registration.upload_id

    def run(self, upload_id: str, *, raise_on_error: bool = True) -> Any:
        job = self.definitions.resolve_job_def("ingest_job")
        return job.execute_in_process(
            instance=self.instance, partition_key=upload_id, raise_on_error=raise_on_error
        )

    def ingest(
        self, path: Path, tenant: str | None = None, *, mode: str = "merge"
    ) -> dict[str, Any]:
        upload_id = self.register(path, tenant, mode=mode)
        result = self.run(upload_id)
        assert result.success
        record = get_upload(self.engine, upload_id)
        assert record is not None
        return record

    def products(self, tenant: str | None = None) -> list[dict[str, Any]]:
        return list_products(self.engine, tenant)

    def table(self, name: str) -> list[dict[str, Any]]:
        """Every row of a catalog table, in key order: for before/after comparisons."""
        from briskk_pipeline.catalog.tables import metadata

        table = metadata.tables[name]
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            return [dict(r) for r in rows.mappings()]


def make_harness(database_url: str, store: ObjectStore, tmp_path: Path, **settings: Any) -> Harness:
    catalog = CatalogDatabase(url=database_url, home=str(tmp_path / "home"))
    values: dict[str, Any] = {
        "home": str(tmp_path / "home"),
        "inbox": str(tmp_path / "inbox"),
        "allowed_image_hosts": "127.0.0.1",
    }
    values.update(settings)
    return Harness(
        engine=catalog.get_engine(),
        catalog=catalog,
        store=store,
        settings=IngestSettings(**values),
        instance=DagsterInstance.ephemeral(),
    )
