"""`instance_storage`: the local instance's SQLite storage keeps its event log's connections,
writes the same files Dagster's default storage does, and shares them with other processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance, job, op

from briskk_pipeline import home
from briskk_pipeline.instance_storage import (
    KEPT_RUN_SHARDS,
    BriskkInstance,
    PooledSqliteEventLogStorage,
)


@op
def _say() -> None:
    pass


@job
def _tiny_job() -> None:
    _say()


@pytest.fixture
def local_instance(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name in ("DAGSTER_HOME", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BRISKK_HOME", str(tmp_path / "state"))
    dagster_home = home.ensure_dagster_home()  # writes LOCAL_INSTANCE_YAML
    # the storage follows the folder read, not DAGSTER_HOME (BriskkInstance.config_defaults)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    instance = DagsterInstance.from_config(str(dagster_home))
    yield instance, dagster_home
    instance.dispose()


def _run_ids_written(instance: DagsterInstance, runs: int) -> list[str]:
    return [_tiny_job.execute_in_process(instance=instance).run_id for _ in range(runs)]


def test_a_local_instance_uses_the_pooled_event_log_in_dagsters_places(local_instance, tmp_path):
    instance, dagster_home = local_instance
    assert isinstance(instance, BriskkInstance)
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
    (run_id,) = _run_ids_written(instance, 1)
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.is_success
    steps = [e.step_key for e in instance.all_logs(run_id) if e.is_dagster_event and e.step_key]
    assert "_say" in steps
    # the files Dagster's default SQLite storage uses, where it puts them
    assert (dagster_home / "history" / "runs.db").is_file()
    assert (dagster_home / "history" / "runs" / f"{run_id}.db").is_file()
    assert (dagster_home / "history" / "runs" / "index.db").is_file()
    assert (dagster_home / "schedules" / "schedules.db").is_file()
    assert not (tmp_path / "elsewhere").exists()


def test_engines_are_kept_for_the_index_and_the_last_runs_only(local_instance):
    instance, _ = local_instance
    storage = instance.event_log_storage
    assert isinstance(storage, PooledSqliteEventLogStorage)
    run_ids = _run_ids_written(instance, KEPT_RUN_SHARDS + 3)
    kept = list(storage._engines)
    assert "index" in kept
    assert [s for s in kept if s != "index"] == run_ids[-KEPT_RUN_SHARDS:]
    # a run whose engine was let go is read (and could be written) again
    first = run_ids[0]
    assert any(e.step_key == "_say" for e in instance.all_logs(first))
    instance.report_runless_asset_event(AssetMaterialization("after_eviction"))
    assert instance.get_latest_materialization_event(AssetKey("after_eviction"))


def test_another_process_with_dagsters_default_storage_shares_the_files(local_instance):
    # the idle connections this process keeps hold no lock: a second process, with Dagster's
    # own SQLite storage on the same files, reads this process's run and writes to the index
    # this process keeps a connection to; this process then reads that write and writes on
    instance, dagster_home = local_instance
    (run_id,) = _run_ids_written(instance, 1)
    instance.report_runless_asset_event(AssetMaterialization("from_this_process"))
    other_home = dagster_home.parent / "plain"
    other_home.mkdir()
    (other_home / "dagster.yaml").write_text(
        f"telemetry:\n  enabled: false\nstorage:\n  sqlite:\n    base_dir: {dagster_home}\n"
    )
    script = textwrap.dedent(
        f"""
        from dagster import AssetKey, AssetMaterialization, DagsterInstance
        from dagster._core.storage.event_log import SqliteEventLogStorage
        instance = DagsterInstance.from_config({str(other_home)!r})
        storage = instance.event_log_storage
        assert type(storage) is SqliteEventLogStorage, type(storage)
        assert any(e.step_key == "_say" for e in instance.all_logs({run_id!r}))
        assert instance.get_latest_materialization_event(AssetKey("from_this_process"))
        instance.report_runless_asset_event(AssetMaterialization("from_the_other_process"))
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "ok"
    assert instance.get_latest_materialization_event(AssetKey("from_the_other_process"))
    instance.report_runless_asset_event(AssetMaterialization("after_the_other_process"))
    assert instance.get_latest_materialization_event(AssetKey("after_the_other_process"))
