"""Decoding many large images at once stays within memory: ten 40-megapixel JPEGs served from
127.0.0.1 are processed by a child process whose address space is capped at 1.5 GB.

Decoded, each takes 160 MB (Pillow holds RGB as 4 bytes a pixel): all ten at once need 1.6 GB
on top of the interpreter. With the default pixel budget (100 megapixels) at most two decode at
a time and every image is stored; with the budget effectively off, the same run runs out of
memory, which shows the cap is tight enough for the test to mean something.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from briskk_pipeline.resources import DEFAULT_IMAGE_PIXEL_BUDGET
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer

ADDRESS_SPACE = 1536 * 1024 * 1024
SIZE = (8000, 5000)  # 40 megapixels
COUNT = 10


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _large_jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", SIZE, (shade, 255 - shade, 90)).save(buffer, format="JPEG", quality=50)
    return buffer.getvalue()


def run_child(home: Path, pixel_budget: int, urls: list[str]) -> dict[str, Any]:
    env = {
        **os.environ,
        # glibc reserves 64 MB of address space per thread arena; RLIMIT_AS counts that
        # reservation although it is never used, so it would measure threads, not images.
        "MALLOC_ARENA_MAX": "2",
        "OPENBLAS_NUM_THREADS": "1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "briskk_pipeline_tests.images.decode_child",
            str(home),
            str(pixel_budget),
            *urls,
        ],
        env=env,
        preexec_fn=_limit_memory,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 and "can't start new thread" in done.stderr:
        # the cap can also bite when the pool starts a thread (its stack is address space):
        # the same proof that the cap is reached, seen on a busy machine with the budget off
        return {"thread_refused": True}
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(
    ("pixel_budget", "all_stored"),
    [(DEFAULT_IMAGE_PIXEL_BUDGET, True), (10**12, False)],
    ids=["default pixel budget", "budget off"],
)
def test_large_images_decode_within_a_memory_cap(
    http_server: LoopbackHTTPServer, tmp_path: Path, pixel_budget: int, all_stored: bool
) -> None:
    urls = [
        http_server.serve_bytes(f"/big{i}.jpg", _large_jpeg(i * 20), "image/jpeg")
        for i in range(COUNT)
    ]

    result = run_child(tmp_path / "home", pixel_budget, urls)
    if result.get("thread_refused"):
        assert not all_stored, "with the default budget the run must fit the cap"
        return

    outcomes = result["outcomes"]
    assert len(outcomes) == COUNT and http_server.hits() == COUNT
    stored = [url for url, (status, _) in outcomes.items() if status == "stored"]
    if all_stored:
        assert stored == urls, outcomes
        assert result["peak_kib"] * 1024 < ADDRESS_SPACE
    else:
        out_of_memory = [r for s, r in outcomes.values() if "MemoryError" in (r or "")]
        assert out_of_memory, f"nothing ran out of memory: the cap proves nothing ({outcomes})"
