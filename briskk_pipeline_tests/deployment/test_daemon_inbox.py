"""The daemon and a real inbox: `dagster-daemon run` with the local instance settings and
PostgreSQL storage ingests files dropped in a folder, images served on loopback."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
import yaml
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from briskk_pipeline.catalog import tables
from briskk_pipeline.home import LOCAL_INSTANCE_YAML
from briskk_pipeline_tests.deployment.processes import (
    BIN,
    clean_env,
    finished,
    processes,
    scratch_database,
    serve_row_images,
    sha256,
    wait_for,
)
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows, write_xlsx

pytestmark = pytest.mark.e2e


def test_daemon_ingests_files_dropped_in_the_inbox(
    tmp_path: Path,
    postgres_server_url: str,
    database_url: str,
    engine: sa.Engine,
    http_server: LoopbackHTTPServer,
) -> None:
    """`dagster-daemon run` with the local instance settings (home.LOCAL_INSTANCE_YAML) and
    PostgreSQL storage: dropped files become catalog rows, the inbox empties, the archive
    holds the same bytes; a file written in two halves is ingested once, whole; a broken file
    is recorded as rejected; an unregistrable one is moved aside."""
    home = tmp_path / "briskk"
    inbox = home / "inbox"
    (inbox / "BrandB").mkdir(parents=True)
    (inbox / "BrandC").mkdir()
    (inbox / "Not A Tenant").mkdir()
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()

    rows_a = template_rows(8, image_base=http_server.url("/a"))
    rows_b = template_rows(12, image_base=http_server.url("/b"), product_prefix="B")
    serve_row_images(http_server, rows_a + rows_b)
    workbook = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", rows_a).read_bytes()
    slow = csv_bytes(rows_b)
    broken = b"PK\x03\x04 this is not really a workbook"

    with ExitStack() as stack:
        storage_url = stack.enter_context(scratch_database(postgres_server_url))
        config = yaml.safe_load(LOCAL_INSTANCE_YAML)
        config["storage"] = {"postgres": {"postgres_url": storage_url}}
        config["sensors"] = {"use_threads": True, "num_workers": 2}
        (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config))
        env = clean_env(
            DAGSTER_HOME=str(dagster_home),
            BRISKK_HOME=str(home),
            DATABASE_URL=database_url,
            BRISKK_ALLOWED_IMAGE_HOSTS="127.0.0.1",
        )
        start = stack.enter_context(processes())
        daemon = start(
            "daemon", [str(BIN / "dagster-daemon"), "run", "-m", "briskk_pipeline"], env, tmp_path
        )

        (inbox / "BrandA_Briskk_SKU_Template.xlsx").write_bytes(workbook)
        (inbox / "BrandC" / "broken.xlsx").write_bytes(broken)
        (inbox / "Not A Tenant" / "catalog.csv").write_bytes(slow)
        # Written in two halves with a pause shorter than the sensor's interval (5 s): a tick
        # may see the first half, but no two ticks can both see it.
        with (inbox / "BrandB" / "catalog.csv").open("wb") as handle:
            handle.write(slow[: len(slow) // 2])
            handle.flush()
            time.sleep(2)
            handle.write(slow[len(slow) // 2 :])
        dropped = time.monotonic()

        records = wait_for("three uploads to finish", lambda: finished(engine, 3), [daemon])
        wait_for(
            "the inbox to empty",
            lambda: (
                sorted(p.name for p in inbox.rglob("*") if p.is_file())
                == ["catalog.csv", "catalog.csv.reason.txt"]
            ),
            [daemon],
        )
        elapsed = time.monotonic() - dropped
        print(f"daemon: dropped files ingested in {elapsed:.1f} s")

        by_name = {r["file_name"]: r for r in records}
        assert len(records) == 3, records

        good = by_name["BrandA_Briskk_SKU_Template.xlsx"]
        assert good["status"] == "succeeded", good
        assert (good["tenant"], good["products_loaded"], good["skus_loaded"]) == ("BrandA", 2, 8)
        assert good["images"]["stored"] == 5
        archived = Path(urlparse(good["archive_uri"]).path).read_bytes()
        assert good["sha256"] == sha256(archived) == sha256(workbook)

        whole = by_name["catalog.csv"]
        assert whole["status"] == "succeeded", whole
        assert (whole["tenant"], whole["explicit_tenant"]) == ("BrandB", "BrandB")
        assert whole["size_bytes"] == len(slow)
        assert whole["sha256"] == sha256(slow)
        assert (whole["products_loaded"], whole["skus_loaded"]) == (3, 12)

        rejected = by_name["broken.xlsx"]
        assert rejected["status"] == "rejected", rejected
        assert rejected["tenant"] == "BrandC"
        assert rejected["errors"] and rejected["errors"][0]["row"] is None
        assert Path(urlparse(rejected["archive_uri"]).path).read_bytes() == broken

        with engine.connect() as connection:
            counts = dict(
                connection.execute(
                    sa.select(tables.skus.c.tenant, sa.func.count()).group_by(tables.skus.c.tenant)
                ).all()
            )
        assert counts == {"BrandA": 8, "BrandB": 12}

        # unregistrable: moved aside with its reason, never registered
        aside = inbox / ".rejected"
        assert (aside / "catalog.csv").read_bytes() == slow
        assert "not a valid tenant" in (aside / "catalog.csv.reason.txt").read_text()

        # every upload ran once, through the sensor, and its run succeeded (a run ends a
        # moment after its upload's record is final: wait for the run's own end)
        instance = stack.enter_context(DagsterInstance.from_config(str(dagster_home)))

        def runs_ended() -> list | None:
            runs = instance.get_runs(RunsFilter(job_name="ingest_job"))
            return runs if runs and all(r.is_finished for r in runs) else None

        runs = wait_for("the runs to end", runs_ended, [daemon])
        assert sorted(r.tags["dagster/partition"] for r in runs) == sorted(
            r["upload_id"] for r in records
        )
        assert all(r.status == DagsterRunStatus.SUCCESS for r in runs)
        assert all(r.tags.get("dagster/sensor_name") == "inbox_sensor" for r in runs)
        assert {r.tags["briskk/tenant"] for r in runs} == {"BrandA", "BrandB", "BrandC"}
