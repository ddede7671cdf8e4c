"""Where local state lives: one folder for every `briskk` command, `make dev` and `make demo`.

`BRISKK_HOME` when set; otherwise the user's data folder as platformdirs names it
(`~/.local/share/briskk` on Linux, honouring `XDG_DATA_HOME`; `~/Library/Application
Support/briskk` on macOS; `%LOCALAPPDATA%\\briskk` on Windows). It is never the current folder:
a `./.briskk` default gave each folder its own empty catalog and its own embedded PostgreSQL.

The Dagster instance is `DAGSTER_HOME` when set, else `<BRISKK_HOME>/dagster`, created with
`LOCAL_INSTANCE_YAML` as its `dagster.yaml` (telemetry off, one run per tenant at a time).
Production's instance is `deploy/dagster.yaml`.

This module imports no Dagster, SQLAlchemy or pandas: the CLI reads it before anything heavy,
and `python -m briskk_pipeline.home` prints the Dagster home for `make dev`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from briskk_pipeline.first_use import prepare_instance, write_once

APP_NAME = "briskk"

# The local instance's settings, written as `<DAGSTER_HOME>/dagster.yaml` when that folder does
# not exist yet. Storage is Dagster's SQLite storage under DAGSTER_HOME (the same files as
# Dagster's default), its event log keeping its connections (`instance_storage.py`): fine for
# `make dev` and `briskk` on one machine.
LOCAL_INSTANCE_YAML = """\
telemetry:
  enabled: false
# Dagster's SQLite storage (runs, events, schedules in this folder), with an event log that
# keeps one connection per database instead of a new one for every event
instance_class:
  module: briskk_pipeline.instance_storage
  class: BriskkInstance
run_queue:
  max_concurrent_runs: 4
  tag_concurrency_limits:
    # one brand's uploads never race each other
    - key: briskk/tenant
      limit: 1
      value:
        applyLimitPerUniqueValue: true
# The daemon fails runs that never started (their launch died) or never finished canceling.
# Runs whose process died while STARTED are failed by `stale_uploads_sensor` (heartbeats):
# the default run launcher gives run monitoring no way to check a run's process.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 30
"""


def default_briskk_home() -> Path:
    """The state folder used when `BRISKK_HOME` is unset: the user's data folder."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def briskk_home() -> Path:
    """The local state folder (absolute): `BRISKK_HOME`, else `default_briskk_home()`.

    Holds the embedded PostgreSQL (`postgres/`), the local object store (`objects/`), the
    inbox (`inbox/`) and, unless `DAGSTER_HOME` is set, the Dagster instance (`dagster/`).
    """
    configured = os.environ.get("BRISKK_HOME", "").strip()
    return Path(configured).expanduser().resolve() if configured else default_briskk_home()


def ensure_dagster_home() -> Path:
    """`DAGSTER_HOME` (or `<briskk_home()>/dagster`), created when missing, exported to this
    process's environment, and returned (absolute).

    Dagster itself refuses a `DAGSTER_HOME` that does not exist. A folder without a
    `dagster.yaml` gets `LOCAL_INSTANCE_YAML` (its storage keeps Dagster's default files in
    their places, so an existing instance keeps its data); Dagster would otherwise warn on
    every start and print its telemetry notice. A `dagster.yaml` already there is never
    touched. The instance's storage is created on first use by one process while others wait
    (`first_use.prepare_instance`).
    """
    configured = os.environ.get("DAGSTER_HOME", "").strip()
    home = Path(configured).expanduser() if configured else briskk_home() / "dagster"
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    write_once(home / "dagster.yaml", LOCAL_INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    prepare_instance(home)  # once, under a lock: commands started together share one instance
    return home


def state_note() -> str | None:
    """One short line naming the catalog and state folder when they are not the defaults
    (`DATABASE_URL` or `BRISKK_HOME` set), else None. Passwords are never shown."""
    parts = []
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        parts.append(f"catalog {_hide_password(url)}")
    if os.environ.get("BRISKK_HOME", "").strip():
        home = briskk_home()
        if home != default_briskk_home():
            parts.append(f"{'state' if url else 'catalog and state'} in {home} (BRISKK_HOME)")
    return "; ".join(parts) if parts else None


def _hide_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


if __name__ == "__main__":  # `make dev`: DAGSTER_HOME="$(python -m briskk_pipeline.home)"
    sys.stdout.write(f"{ensure_dagster_home()}\n")
