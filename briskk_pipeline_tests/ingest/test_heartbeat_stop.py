"""`stop_heartbeats`: a process (the test session) can end its heartbeat threads before the
database they beat into goes away, instead of their logging "heartbeat given up" minutes later
(after pytest's summary)."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog.uploads import Worker
from briskk_pipeline.ingest.heartbeat import keep_alive, stop_heartbeats
from briskk_pipeline_tests.test_faults import closed_port


def beating(upload_id: str) -> bool:
    return any(
        t.name == f"briskk-heartbeat-{upload_id}" and t.is_alive() for t in threading.enumerate()
    )


def test_stop_heartbeats_ends_threads_beating_into_a_gone_database(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = sa.create_engine(f"postgresql+psycopg2://x:y@127.0.0.1:{closed_port()}/gone")
    caplog.set_level(logging.WARNING)
    keep_alive(gone, "upload-a", Worker(host="test", pid=1), every=0.05)
    keep_alive(gone, "upload-b", Worker(host="test", pid=1), every=0.05)
    assert beating("upload-a") and beating("upload-b")
    assert stop_heartbeats() == 2
    assert not beating("upload-a") and not beating("upload-b")
    assert stop_heartbeats() == 0  # none left to stop
    assert "given up" not in caplog.text
