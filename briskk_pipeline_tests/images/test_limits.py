"""Time limits of image fetching against real trickling servers on 127.0.0.1: one deadline per
attempt covers connect, headers and body; one URL has a cap over all its attempts; an upload's
time budget ends everything still running or queued. Also the pixel budget's rules."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from typing import Any

import pytest

from briskk_pipeline.images.fetch import FetchPolicy
from briskk_pipeline.images.limits import PixelBudget, TimeBudget
from briskk_pipeline.images.model import ImageStatus, NotAnImage, OutOfTime
from briskk_pipeline.images.pipeline import process_images
from briskk_pipeline.images.verify import verify_image
from briskk_pipeline.resources import IngestSettings, ObjectStore
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer, make_image
from briskk_pipeline_tests.fixtures.s3 import list_objects
from briskk_pipeline_tests.images.conftest import make_settings

IMAGE = make_image("PNG", (400, 300), (1, 2, 3))  # 1 kB: 50 s at a byte every 0.05 s
# Reads time out only after 5 s of silence; the trickles below send a byte far more often.
PATIENT = FetchPolicy(read_timeout=5.0, retries=0, backoff=0.01)
HOLD_UP = "too slow: 127.0.0.1 took more than 1 s to answer (connecting, headers and body)"


def budget_reason(seconds: float) -> str:
    return TimeBudget(seconds, 0.0).reason


@pytest.mark.parametrize(
    ("case", "headers_too", "policy", "reason", "hits"),
    [
        ("headers one byte at a time", True, dict(request_deadline=1.0), HOLD_UP, 1),
        ("body one byte at a time", False, dict(request_deadline=1.0), HOLD_UP, 1),
        (
            "retries end at the URL's cap",
            True,
            dict(request_deadline=1.0, url_deadline=1.5, retries=5),
            "too slow: 127.0.0.1 took more than 1.5 s in all for this image (after 2 attempts)",
            2,
        ),
    ],
)
def test_a_trickling_server_is_cut_off_at_the_deadline(
    http_server: LoopbackHTTPServer,
    local_store: ObjectStore,
    image_settings: IngestSettings,
    case: str,
    headers_too: bool,
    policy: dict[str, Any],
    reason: str,
    hits: int,
) -> None:
    url, stats = http_server.trickle("/slow.png", IMAGE, 0.05, headers_too=headers_too)
    started = time.monotonic()

    outcome = process_images(
        [url],
        store=local_store,
        settings=image_settings,
        policy=replace(PATIENT, **policy),
    )[url]

    elapsed = time.monotonic() - started
    deadline = policy.get("url_deadline", policy["request_deadline"])
    assert deadline <= elapsed < deadline + 0.5, case
    assert (outcome.status, outcome.reason) == (ImageStatus.FAILED, reason)
    assert http_server.hits("/slow.png") == hits
    assert stats.done.wait(5) and stats.aborted, "the client should have hung up"
    assert stats.sent < stats.total / 4
    assert list_objects(local_store) == []


def test_headers_one_byte_every_two_seconds_end_at_the_deadline_not_the_read_timeout(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    """The issue's server: each byte comes long before the 15 s read timeout, so before the
    deadline covered the headers it held a request for minutes."""
    url, stats = http_server.trickle("/slower.png", IMAGE, 2.0)
    policy = FetchPolicy(request_deadline=3.0, retries=0)
    assert policy.read_timeout == 15.0
    started = time.monotonic()

    outcome = process_images([url], store=local_store, settings=image_settings, policy=policy)[url]

    assert 3.0 <= time.monotonic() - started < 3.5
    assert outcome.reason == (
        "too slow: 127.0.0.1 took more than 3 s to answer (connecting, headers and body)"
    )
    assert stats.done.wait(5) and stats.aborted and stats.sent <= 3


def test_the_upload_budget_ends_running_and_queued_urls(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    slow = [http_server.trickle(f"/slow{i}.png", IMAGE, 0.05)[0] for i in range(4)]
    # Three workers take three URLs: two run until the budget ends, per_host 2 keeps the third
    # waiting for a connection (no request sent); the fourth never starts.
    policy = FetchPolicy(workers=3, per_host=2, read_timeout=5.0)
    started = time.monotonic()

    outcomes = process_images(
        slow, store=local_store, settings=image_settings, policy=policy, time_budget=1.5
    )

    # the budget, plus 1 s of grace and room for a loaded CI machine (a full fetch of the
    # trickled images would take far longer): the bound shows the budget cut the work short
    assert 1.5 <= time.monotonic() - started < 4.5
    assert [(outcomes[u].status, outcomes[u].reason) for u in slow] == [
        (ImageStatus.FAILED, budget_reason(1.5))
    ] * 4
    assert budget_reason(1.5) == (
        "not fetched in time: the upload's image time budget (1.5 s) ran out; "
        "retried later by retry_failed_images_job"
    )
    # a URL whose request went out counts an attempt; one never sent does not
    assert sorted(outcomes[u].attempted for u in slow) == [False, False, True, True]
    assert http_server.hits() == 2


def test_work_stuck_past_the_budget_is_abandoned_and_sends_nothing_later(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    """A name lookup is one call no socket deadline can cut short (DNS that hangs): the call
    returns at the budget plus the grace anyway, and the abandoned worker sends nothing."""
    http_server.serve_image("/a.png")

    def hanging_dns(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        time.sleep(2.5)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    url = f"http://images.test:{http_server.port}/a.png"
    started = time.monotonic()

    outcome = process_images(
        [url],
        store=local_store,
        settings=image_settings,
        policy=FetchPolicy(resolver=hanging_dns),
        time_budget=0.5,
    )[url]

    assert 1.5 <= time.monotonic() - started < 2.0  # 0.5 s budget + 1 s grace
    assert (outcome.status, outcome.reason) == (ImageStatus.FAILED, budget_reason(0.5))
    time.sleep(1.5)  # the lookup has returned by now; the worker found no time left
    assert http_server.hits() == 0


def test_a_budget_already_spent_fetches_nothing(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    urls = [http_server.serve_image(f"/{i}.png", color=(i, 0, 0))[0] for i in range(3)]
    outcomes = process_images(urls, store=local_store, settings=image_settings, time_budget=0)
    assert {(o.status, o.reason, o.attempted) for o in outcomes.values()} == {
        (ImageStatus.FAILED, budget_reason(0), False)
    }
    assert http_server.hits() == 0


@pytest.mark.parametrize(
    ("capacity", "holders", "pixels", "most_at_once"),
    [
        (100, 8, 40, 2),  # 40 + 40 fit, a third would pass 100
        (100, 8, 50, 2),
        (100, 6, 100, 1),
        (1000, 8, 10, 8),  # small images all decode at once
    ],
)
def test_the_pixel_budget_bounds_what_is_decoded_at_once(
    capacity: int, holders: int, pixels: int, most_at_once: int
) -> None:
    budget = PixelBudget(capacity)
    seen: list[int] = []
    start = threading.Barrier(holders)

    def decode() -> None:
        start.wait()
        with budget.hold(pixels):
            seen.append(budget.in_use)
            time.sleep(0.2)

    threads = [threading.Thread(target=decode) for _ in range(holders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)

    assert len(seen) == holders and max(seen) == most_at_once * pixels
    assert budget.in_use == 0


def test_the_pixel_budget_refuses_what_never_fits_and_stops_waiting_with_the_time_budget() -> None:
    budget = PixelBudget(100)
    refused = r"^refused: 101 pixels is more than may be decoded"
    with pytest.raises(NotAnImage, match=refused), budget.hold(101):
        pass
    with budget.hold(60):
        started = time.monotonic()
        with pytest.raises(OutOfTime) as raised, budget.hold(60, TimeBudget.start(0.3)):
            pass
        assert 0.3 <= time.monotonic() - started < 0.6
        assert raised.value.attempted and "time budget (0.3 s)" in str(raised.value)
    with budget.hold(100):  # everything was given back
        assert budget.in_use == 100


def test_an_image_larger_than_the_pixel_budget_is_failed_without_decoding(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, tmp_path: Any
) -> None:
    data = make_image("PNG", (300, 200))
    with pytest.raises(NotAnImage) as raised:
        verify_image(data, pixels=PixelBudget(50_000))
    assert str(raised.value) == (
        "refused: 60,000 pixels is more than may be decoded at once "
        "(50,000 pixels, BRISKK_IMAGE_PIXEL_BUDGET)"
    )
    url = http_server.serve_bytes("/wide.png", data, "image/png")
    settings = make_settings(tmp_path, image_pixel_budget=50_000)
    outcome = process_images([url], store=local_store, settings=settings)[url]
    assert (outcome.status, outcome.reason) == (ImageStatus.FAILED, str(raised.value))
