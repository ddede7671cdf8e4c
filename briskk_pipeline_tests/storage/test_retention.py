"""Outputs in the object store (re-materializing in a fresh process) and retention/rerun."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from briskk_pipeline.catalog import tables
from briskk_pipeline.catalog.uploads import list_uploads
from briskk_pipeline.definitions import defs
from briskk_pipeline.ingest import retention
from briskk_pipeline.ingest.rerun import RerunRefused, rerun_upload
from briskk_pipeline.resources import S3ObjectStore
from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.fixtures.s3 import CREDENTIALS, REGION, list_objects
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


def keys(store: S3ObjectStore, prefix: str) -> set[str]:
    """The bucket's keys under `prefix`, read around the store (boto3)."""
    return {k for k in list_objects(store) if k.startswith(prefix)}


REPO = Path(__file__).resolve().parents[2]

# A fresh process: its own empty BRISKK_HOME and DAGSTER_HOME, the catalog and the moto bucket
# shared. It re-materializes only products and skus of the upload.
REMATERIALIZE = """
import json, sys
from dagster import AssetKey, DagsterInstance
from briskk_pipeline.definitions import defs
upload_id = sys.argv[1]
instance = DagsterInstance.get()
instance.add_dynamic_partitions("uploads", [upload_id])
result = defs.resolve_job_def("ingest_job").execute_in_process(
    instance=instance, partition_key=upload_id,
    asset_selection=[AssetKey("products"), AssetKey("skus")], raise_on_error=False,
)
steps = sorted({e.step_key for e in result.all_events if e.is_step_success})
print(json.dumps({"success": result.success, "steps": steps}))
"""


@pytest.fixture
def s3_env(env: dict[str, str], s3_store: S3ObjectStore, tmp_path: Path) -> dict[str, str]:
    """`briskk`'s environment (fixtures/cli.py) on the test's bucket and Dagster instance."""
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir(exist_ok=True)
    return {
        **env,
        "DAGSTER_HOME": str(dagster_home),
        "S3_BUCKET": s3_store.bucket,
        "S3_ENDPOINT_URL": s3_store.s3.endpoint_url or "",
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }


@pytest.fixture
def s3_harness(database_url, s3_store, tmp_path, s3_env) -> Harness:
    """Runs on the test bucket and on the Dagster instance of `s3_env` (so `briskk` sees it)."""
    harness = make_harness(database_url, s3_store, tmp_path, fetch_images=False)
    return dataclasses.replace(
        harness, instance=DagsterInstance.from_config(s3_env["DAGSTER_HOME"])
    )


def upload_file(tmp_path: Path, name: str, n: int = 8) -> Path:
    return write_xlsx(tmp_path / f"{name}.xlsx", template_rows(n))


def test_products_and_skus_rematerialize_in_a_fresh_process_from_s3(
    s3_harness: Harness, s3_store: S3ObjectStore, s3_env: dict[str, str], tmp_path: Path
) -> None:
    record = s3_harness.ingest(upload_file(tmp_path, "BrandA_Briskk_SKU_Template"), "BrandA")
    upload_id = record["upload_id"]
    stored = keys(s3_store, "outputs/")
    for asset in ("raw_sheet", "validated_rows", "product_images"):
        assert f"outputs/{asset}/{upload_id}/value.json" in stored
    assert f"outputs/validated_rows/{upload_id}/frame-1.parquet" in stored  # products, skus
    # the catalog loses the upload's SKUs; the original is gone too, so raw_sheet cannot run
    with s3_harness.engine.begin() as connection:
        connection.execute(sa.delete(tables.skus).where(tables.skus.c.tenant == "BrandA"))
    s3_store.delete(record["archive_key"])
    dagster_home = tmp_path / "fresh-dagster"  # not the harness's instance: nothing shared
    dagster_home.mkdir()
    env = {**s3_env, "BRISKK_HOME": str(tmp_path / "fresh-home"), "DAGSTER_HOME": str(dagster_home)}
    child = subprocess.run(
        [sys.executable, "-c", REMATERIALIZE, upload_id],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome == {"success": True, "steps": ["catalog_load"]}, child.stderr[-3000:]
    assert len(s3_harness.products("BrandA")) == record["products_loaded"]
    assert sum(len(p["skus"]) for p in s3_harness.products("BrandA")) == record["skus_loaded"]
    assert not (dagster_home / "storage").exists() or not any(
        (dagster_home / "storage").rglob("*validated_rows*")
    )


def age(harness: Harness, upload_id: str, days: int, status: str | None = None) -> None:
    values: dict = {"finished_at": datetime.now(UTC) - timedelta(days=days)}
    if status:
        values["status"] = status
    with harness.engine.begin() as connection:
        connection.execute(
            sa.update(tables.uploads).where(tables.uploads.c.upload_id == upload_id).values(values)
        )


def test_prune_removes_exactly_old_finished_uploads_and_rerun_brings_one_back(
    s3_harness: Harness, s3_store: S3ObjectStore, s3_env: dict[str, str], tmp_path: Path
) -> None:
    ids = {
        name: s3_harness.ingest(upload_file(tmp_path, f"T{name}_Briskk_SKU_Template"))["upload_id"]
        for name in ("old", "older", "recent", "running")
    }
    age(s3_harness, ids["old"], 91)
    age(s3_harness, ids["older"], 400, status="rejected")
    age(s3_harness, ids["recent"], 89)
    age(s3_harness, ids["running"], 400, status="running")
    before = keys(s3_store, "")
    instance = s3_harness.instance

    pruned = retention.prune_uploads(
        s3_harness.engine, s3_store, instance, retention_days=90, now=datetime.now(UTC)
    )

    assert sorted(pruned.uploads) == sorted([ids["old"], ids["older"]])
    after = keys(s3_store, "")
    gone = {k for k in before - after}
    assert gone == {
        k
        for k in before
        if k.startswith("outputs/") and any(f"/{ids[n]}/" in k for n in ("old", "older"))
    }
    assert gone and all(k.startswith("outputs/") for k in gone)  # archives and reports stay
    partitions = set(instance.get_dynamic_partitions("uploads"))
    assert partitions == {ids["recent"], ids["running"]}
    records = {r["upload_id"]: r for r in list_uploads(s3_harness.engine)}
    assert {u for u, r in records.items() if r["pruned_at"]} == {ids["old"], ids["older"]}
    # a second pass finds nothing more
    again = retention.prune_uploads(s3_harness.engine, s3_store, instance, retention_days=90)
    assert again.uploads == [] and again.objects == 0

    listed = briskk_json(s3_env, "uploads")
    assert {u["upload_id"] for u in listed if u["pruned_at"]} == {ids["old"], ids["older"]}
    table = briskk(s3_env, "uploads")
    assert f"{ids['old']}" in table.stdout and "succeeded (pruned)" in table.stdout

    summary = briskk_json(s3_env, "rerun", ids["old"])  # the CLI, on the same instance
    assert (summary["upload_id"], summary["status"]) == (ids["old"], "succeeded")
    assert ids["old"] in instance.get_dynamic_partitions("uploads")
    back = {r["upload_id"]: r for r in list_uploads(s3_harness.engine)}[ids["old"]]
    assert back["pruned_at"] is None and back["status"] == "succeeded"
    assert f"outputs/validated_rows/{ids['old']}/value.json" in keys(s3_store, "outputs/")


def test_rerun_refuses_unknown_and_running_uploads(s3_harness: Harness, tmp_path: Path) -> None:
    with pytest.raises(RerunRefused, match="no upload 'nope'"):
        rerun_upload(s3_harness.instance, s3_harness.engine, "nope")
    upload_id = s3_harness.ingest(upload_file(tmp_path, "BrandA_Briskk_SKU_Template"))["upload_id"]
    age(s3_harness, upload_id, 0, status="running")
    with pytest.raises(RerunRefused, match="is running now"):
        rerun_upload(s3_harness.instance, s3_harness.engine, upload_id)


def test_retention_knows_every_upload_partitioned_asset() -> None:
    partitioned = {
        key.to_user_string()
        for key in defs.resolve_asset_graph().get_all_asset_keys()
        if (p := defs.resolve_asset_graph().get(key).partitions_def) is not None
        and getattr(p, "name", None) == "uploads"
    }
    assert partitioned == set(retention.UPLOAD_ASSETS)


def test_prune_schedule_is_daily_and_on() -> None:
    from dagster import DefaultScheduleStatus

    schedule = defs.resolve_schedule_def("prune_uploads_schedule")
    assert schedule.cron_schedule == "15 3 * * *"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "prune_uploads_job"


def test_uploads_limit_shows_the_newest_first(
    s3_harness: Harness, s3_env: dict[str, str], tmp_path: Path
) -> None:
    ids = [
        s3_harness.ingest(upload_file(tmp_path, f"T{i}_Briskk_SKU_Template"))["upload_id"]
        for i in range(3)
    ]
    newest = list(reversed(ids))
    assert [u["upload_id"] for u in list_uploads(s3_harness.engine, limit=2)] == newest[:2]
    assert [u["upload_id"] for u in briskk_json(s3_env, "uploads", "--limit", "2")] == newest[:2]
    assert [u["upload_id"] for u in briskk_json(s3_env, "uploads", "--limit", "9")] == newest
    for bad, words in (("0", "must be greater than 0"), ("x", "must be a whole number")):
        done = briskk(s3_env, "uploads", "--limit", bad)
        assert done.returncode == 2 and words in done.stderr
