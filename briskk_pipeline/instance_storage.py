"""The local Dagster instance's storage: Dagster's own SQLite storage, with an event log that
keeps its database connections.

Dagster's `SqliteEventLogStorage` (dagster 1.13, `_connect`) creates a new SQLAlchemy engine
and opens a new SQLite connection for every write, and disposes of both after it: about 65
events per upload's run, each written to the run's database and, for asset and check events,
mirrored into the index database. Making and disposing of those engines was about a fifth of
the CPU of a warm 800-row run (1.62 s → 1.27 s of CPU, 1.95 s → 1.56 s of wall, four runs
each, `bench/targets.py`'s file, same machine, same minute).

`PooledSqliteEventLogStorage` keeps one engine per database file (the index and the last
`KEPT_RUN_SHARDS` runs'), each holding at most one idle connection. Writes stay what they
were: one transaction per call, under the storage's own lock, so nothing else changes. An idle
SQLite connection holds no lock (SQLite "File Locking And Concurrency": a connection takes a
SHARED lock only inside a transaction), so the webserver, the daemon and other `briskk`
processes reading and writing the same files are not kept waiting by it.

`BriskkSqliteStorage` is `DagsterSqliteStorage` (the default `storage` of an instance whose
`dagster.yaml` sets none: run, event log and schedule databases under the instance's folder,
the same files in the same places) with that event log. `BriskkInstance` is `DagsterInstance`
with that storage as its default: Dagster asks a custom `instance_class` for its defaults with
the instance's own folder (`InstanceRef.from_dir` → `config_defaults(base_dir)`), so the
storage follows the folder the instance is read from, whichever process reads it and whether
`DAGSTER_HOME` is set or not, and a `storage` block in `dagster.yaml` still wins. A local
instance created by `briskk` names it in its `dagster.yaml` (`home.LOCAL_INSTANCE_YAML`):

    instance_class:
      module: briskk_pipeline.instance_storage
      class: BriskkInstance

An instance made before keeps Dagster's classes and its data, as a `dagster.yaml` already
there is never rewritten; adding those three lines switches it, the data staying in place.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import QueuePool

# run databases whose engine is kept besides the index's: a run writes only its own, and a
# server runs at most `max_concurrent_runs` (4, home.LOCAL_INSTANCE_YAML) at once
KEPT_RUN_SHARDS: Final = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` keeping one engine per database file (module docstring).

    The engines of run databases beyond the last `KEPT_RUN_SHARDS` used are disposed of (their
    connection closed); `wipe` and `dispose` dispose of every engine.
    """

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=1,
                # the storage's lock lets one thread at a time use the connection, whichever
                # thread a run or the server's event watcher is on
                connect_args={
                    "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                    "check_same_thread": False,
                },
            )
            self._engines[shard] = engine
            runs = [s for s in self._engines if s != INDEX_SHARD_NAME]
            for old in runs[: max(0, len(runs) - KEPT_RUN_SHARDS)]:
                self._engines.pop(old).dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # Dagster's `_connect` with the engine kept (module docstring)
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            engines, self._engines = list(self._engines.values()), OrderedDict()
        for engine in engines:
            engine.dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # before the run databases' files are deleted
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()


class BriskkSqliteStorage(DagsterSqliteStorage):
    """`DagsterSqliteStorage` (the same databases under `base_dir`) with
    `PooledSqliteEventLogStorage` as its event log; `BriskkInstance`'s default storage."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        # where DagsterSqliteStorage keeps its event log, by its own rule
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> BriskkSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


class BriskkInstance(DagsterInstance):
    """`DagsterInstance` whose default storage (no `storage` block in `dagster.yaml`) is
    `BriskkSqliteStorage` in the instance's folder (module docstring). It takes no settings
    of its own."""

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        """No keys of its own in `dagster.yaml` (Dagster reads this of an `instance_class`)."""
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        """Dagster's defaults for an instance in `base_dir` (`InstanceRef.config_defaults`),
        with `BriskkSqliteStorage` there as the storage."""
        return {
            **InstanceRef.config_defaults(base_dir),
            "storage": ConfigurableClassData(
                __name__,
                BriskkSqliteStorage.__name__,
                yaml.dump({"base_dir": base_dir}, default_flow_style=False),
            ),
        }
