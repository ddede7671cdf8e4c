"""What a command runs with: the resources of the environment, and the time since the
process started (the ingest header's seconds are the whole command, as the shell measures).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from briskk_pipeline.cli.output import CliError

_IMPORTED = time.time()  # the fallback start where /proc is not there


@contextmanager
def open_resources() -> Iterator[Any]:
    """The resources `resources_from_env` picks (catalog, object store, settings), built and
    torn down around the block. A bad setting is a `CliError` (exit 2)."""
    from dagster import build_resources

    from briskk_pipeline.resources import resources_from_env

    try:
        definitions = resources_from_env()
    except ValueError as error:
        raise CliError(str(error)) from error
    with build_resources(definitions) as resources:
        yield resources


@contextmanager
def open_catalog() -> Iterator[Any]:
    """The catalog's SQLAlchemy engine (migrations applied), as `CatalogDatabase.get_engine`
    gives it (`DATABASE_URL`, else the embedded server under BRISKK_HOME), without Dagster or
    pandas: `briskk products` and `briskk uploads` read the catalog only, and importing those
    two was 0.9 s of a 1.7 s `briskk products` (bench/targets.py)."""
    from briskk_pipeline.catalog import db
    from briskk_pipeline.home import briskk_home

    url = os.environ.get("DATABASE_URL") or db.embedded_database_url(briskk_home() / "postgres")
    engine = db.make_engine(url)
    db.upgrade(engine)
    # The block builds one dict per catalog row and no reference cycle: the cyclic collector's
    # passes over them were 0.09 s of the 0.57 s of CPU of `briskk products` for 10k SKUs.
    gc.disable()
    try:
        yield engine
    finally:
        gc.enable()


def process_seconds() -> float:
    """Seconds since this process started, interpreter start-up included (Linux:
    `/proc/self/stat` field 22 against `/proc/uptime`, 10 ms resolution); elsewhere the
    seconds since this module was imported."""
    try:
        stat = Path("/proc/self/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        started_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22 of the whole line
        return max(uptime - started_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return time.time() - _IMPORTED
