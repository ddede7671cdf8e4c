"""What every request of the API shares: resources, the Dagster instance and the run runner."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from dagster import DagsterInstance
from fastapi import Request

from briskk_pipeline.api.runs import LocalRunner, RunMode
from briskk_pipeline.resources import IngestSettings, ObjectStore


@dataclass
class ApiState:
    """Built once when the server starts (`app.lifespan`)."""

    engine: sa.Engine
    store: ObjectStore
    settings: IngestSettings
    instance: DagsterInstance
    mode: RunMode
    upload_dir: Path  # temporary files of uploads being received
    runner: LocalRunner | None = None  # local mode only
    # upload_id -> the future of its local run, while it is queued or running
    running: dict[str, Future[None]] = field(default_factory=dict)


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.briskk
    return state
