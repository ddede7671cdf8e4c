"""`process_images` against real servers on loopback and real object stores (moto S3 and a
local folder): what is stored, what fails and why, what is blocked before any request, and
that a URL is fetched and stored once."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from briskk_pipeline.images.fetch import FetchPolicy
from briskk_pipeline.images.frames import count_outcomes
from briskk_pipeline.images.model import ImageStatus, StoredImage
from briskk_pipeline.images.pipeline import process_images
from briskk_pipeline.resources import IngestSettings, ObjectStore
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer, make_image
from briskk_pipeline_tests.fixtures.s3 import list_objects, object_content_type, read_object
from briskk_pipeline_tests.images.conftest import QUICK, make_settings


def resolver_for(table: dict[str, list[str]], calls: list[str] | None = None) -> Any:
    """Maps test names to loopback addresses without DNS; other names fail like DNS."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]]

    return resolve


def run(
    urls: list[str],
    store: ObjectStore,
    settings: IngestSettings,
    policy: FetchPolicy = QUICK,
    **kwargs: Any,
) -> dict[str, Any]:
    return process_images(urls, store=store, settings=settings, policy=policy, **kwargs)


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_an_image_is_stored_under_its_sha256_with_its_content_type(
    http_server: LoopbackHTTPServer,
    object_store: ObjectStore,
    image_settings: IngestSettings,
    fmt: str,
    content_type: str,
    extension: str,
) -> None:
    # The URL says .bin and the server says octet-stream: the decoded bytes decide.
    data = make_image(fmt, size=(40, 30))
    url = http_server.serve_bytes("/photo.bin", data, "application/octet-stream")

    outcome = run([url], object_store, image_settings)[url]

    sha = hashlib.sha256(data).hexdigest()
    assert outcome.status is ImageStatus.STORED and outcome.reason is None
    assert outcome.image == StoredImage(
        sha256=sha,
        uri=object_store.uri(f"images/{sha}.{extension}"),
        object_key=f"images/{sha}.{extension}",
        content_type=content_type,
        format=fmt,
        width=40,
        height=30,
        bytes=len(data),
        border_white=0.0,  # a red image: no white on its border (readiness/image_facts.py)
        phash=outcome.image.phash if outcome.image else None,
    )
    assert outcome.image is not None and len(outcome.image.phash or "") == 16
    assert list_objects(object_store) == [f"images/{sha}.{extension}"]
    assert hashlib.sha256(read_object(object_store, outcome.object_key)).hexdigest() == sha
    if object_content_type(object_store, outcome.object_key) is not None:  # S3 keeps it
        assert object_content_type(object_store, outcome.object_key) == content_type
    if outcome.uri.startswith("s3://"):
        assert outcome.uri == f"s3://{object_store.bucket}/images/{sha}.{extension}"  # type: ignore[attr-defined]
    else:
        assert outcome.uri.startswith("file://")


def test_requests_identify_the_pipeline_honestly(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    url, _ = http_server.serve_image("/a.png")
    run([url], local_store, image_settings)
    (request,) = http_server.requests
    assert request.headers["User-Agent"].startswith("briskk-pipeline/")
    assert request.headers["User-Agent"].endswith("(+https://github.com/briskk/briskk-pipeline)")
    assert request.headers["Host"] == f"127.0.0.1:{http_server.port}"


def test_a_missing_image_fails_with_the_http_status(
    http_server: LoopbackHTTPServer, object_store: ObjectStore, image_settings: IngestSettings
) -> None:
    url = http_server.url("/nowhere.jpg")
    outcome = run([url], object_store, image_settings)[url]
    assert outcome.status is ImageStatus.FAILED
    assert outcome.reason == "HTTP 404 Not Found"
    assert outcome.image is None
    assert http_server.hits("/nowhere.jpg") == 1  # a 404 is not retried
    assert list_objects(object_store) == []


def test_an_html_page_named_png_is_not_an_image(
    http_server: LoopbackHTTPServer, object_store: ObjectStore, image_settings: IngestSettings
) -> None:
    page = b"<!DOCTYPE html><html><body>Oops, image moved</body></html>"
    url = http_server.serve_bytes("/product.png", page, "image/png")
    outcome = run([url], object_store, image_settings)[url]
    assert outcome.status is ImageStatus.FAILED
    assert outcome.reason is not None and outcome.reason.startswith("not an image")
    assert list_objects(object_store) == []


def test_a_decompression_bomb_served_as_png_is_refused(
    http_server: LoopbackHTTPServer, object_store: ObjectStore, image_settings: IngestSettings
) -> None:
    from briskk_pipeline_tests.images.test_verify import png_bomb

    url = http_server.serve_bytes("/bomb.png", png_bomb(30_000, 30_000), "image/png")
    outcome = run([url], object_store, image_settings)[url]
    assert outcome.status is ImageStatus.FAILED
    assert "decompression bomb" in (outcome.reason or "")
    assert list_objects(object_store) == []


def test_a_slow_server_times_out(
    http_server: LoopbackHTTPServer, object_store: ObjectStore, image_settings: IngestSettings
) -> None:
    url = http_server.slow("/slow.png", delay=3.0)
    started = time.monotonic()
    outcome = run([url], object_store, image_settings)[url]
    assert time.monotonic() - started < 2.5
    assert outcome.status is ImageStatus.FAILED
    assert "timed out" in (outcome.reason or "")
    assert "after 2 attempts" in (outcome.reason or "")  # timeouts are retried
    assert http_server.hits("/slow.png") == 2


def test_an_oversized_stream_is_cut_off_at_the_cap(
    http_server: LoopbackHTTPServer, object_store: ObjectStore, tmp_path: Any
) -> None:
    settings = make_settings(tmp_path, max_image_bytes=256 * 1024)
    total = 64 * 1024 * 1024
    url, stats = http_server.stream("/huge.png", total=total)  # chunked: no length up front

    outcome = run([url], object_store, settings)[url]

    assert outcome.status is ImageStatus.FAILED
    assert outcome.reason == "too large: more than 0.25 MB (stopped reading)"
    assert stats.done.wait(10), "the server is still sending: the client kept reading"
    assert stats.aborted, "the connection should have been closed under the server"
    assert stats.sent < total / 4, f"{stats.sent} of {total} bytes went out"
    assert http_server.hits("/huge.png") == 1  # too large is not retried
    assert list_objects(object_store) == []


def test_a_declared_oversized_body_is_refused_before_reading(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, tmp_path: Any
) -> None:
    settings = make_settings(tmp_path, max_image_bytes=1024 * 1024)
    total = 64 * 1024 * 1024
    url, stats = http_server.stream("/declared.png", total=total, declare_length=True)
    outcome = run([url], local_store, settings)[url]
    assert outcome.reason == "too large: 64 MB declared, the limit is 1 MB"
    assert stats.done.wait(10) and stats.aborted and stats.sent < total / 4


def test_a_redirect_to_a_forbidden_address_is_blocked_without_a_request(
    http_server: LoopbackHTTPServer,
    forbidden_server: LoopbackHTTPServer,
    object_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    forbidden_server.serve_image("/secret.png")
    url = http_server.redirect("/moved.png", forbidden_server.url("/secret.png"))

    outcome = run([url], object_store, image_settings)[url]

    assert outcome.status is ImageStatus.BLOCKED
    assert outcome.reason is not None
    assert outcome.reason.startswith("blocked: 127.0.0.2 (loopback address)")
    assert "reached by a redirect from" in outcome.reason
    assert http_server.hits("/moved.png") == 1
    assert forbidden_server.requests == []
    assert list_objects(object_store) == []


def test_a_forbidden_address_is_blocked_without_a_request(
    forbidden_server: LoopbackHTTPServer, object_store: ObjectStore, image_settings: IngestSettings
) -> None:
    url, _ = forbidden_server.serve_image("/secret.png")
    outcome = run([url], object_store, image_settings)[url]
    assert outcome.status is ImageStatus.BLOCKED
    assert forbidden_server.requests == []


def test_a_name_resolving_to_a_forbidden_address_is_blocked_without_a_request(
    forbidden_server: LoopbackHTTPServer, object_store: ObjectStore, image_settings: IngestSettings
) -> None:
    forbidden_server.serve_image("/secret.png")
    policy = FetchPolicy(resolver=resolver_for({"evil.test": ["127.0.0.2"]}))
    url = forbidden_server.url("/secret.png", host="evil.test")

    outcome = run([url], object_store, image_settings, policy)[url]

    assert outcome.status is ImageStatus.BLOCKED
    assert outcome.reason is not None
    assert outcome.reason.startswith("blocked: evil.test resolves to 127.0.0.2 (loopback")
    assert forbidden_server.requests == []


def test_the_connection_goes_to_the_checked_address_not_a_second_answer(
    http_server: LoopbackHTTPServer,
    forbidden_server: LoopbackHTTPServer,
    local_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    """DNS rebinding: the first answer is allowed, any later one would be forbidden. The
    name is resolved once, and the connection is made to that checked address."""
    http_server.serve_image("/a.png")
    forbidden_server.serve_image("/a.png")
    calls: list[str] = []
    first = resolver_for({"images.test": ["127.0.0.1"]}, calls)
    then = resolver_for({"images.test": ["127.0.0.2"]}, calls)

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        return (first if not calls else then)(host, port)

    policy = FetchPolicy(resolver=rebinding)
    url = f"http://images.test:{http_server.port}/a.png"

    outcome = run([url], local_store, image_settings, policy)[url]

    assert outcome.status is ImageStatus.STORED
    assert calls == ["images.test"]
    assert forbidden_server.requests == []
    # The server saw the name the brand wrote, not the address we connected to.
    assert http_server.requests[0].headers["Host"] == f"images.test:{http_server.port}"


def test_a_name_with_one_bad_address_among_good_ones_is_blocked(
    http_server: LoopbackHTTPServer,
    forbidden_server: LoopbackHTTPServer,
    local_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    policy = FetchPolicy(resolver=resolver_for({"both.test": ["127.0.0.1", "127.0.0.2"]}))
    url = f"http://both.test:{http_server.port}/a.png"
    outcome = run([url], local_store, image_settings, policy)[url]
    assert outcome.status is ImageStatus.BLOCKED
    assert http_server.requests == [] and forbidden_server.requests == []


def test_redirects_are_followed_up_to_five(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    final, _ = http_server.serve_image("/final.png")
    for hop in range(5):
        http_server.redirect(f"/hop{hop}", f"/hop{hop + 1}" if hop < 4 else final, 301 + hop % 2)
    outcome = run([http_server.url("/hop0")], local_store, image_settings)
    assert outcome[http_server.url("/hop0")].status is ImageStatus.STORED

    http_server.redirect("/loop", "/loop")
    looped = run([http_server.url("/loop")], local_store, image_settings)
    assert looped[http_server.url("/loop")].status is ImageStatus.FAILED
    assert looped[http_server.url("/loop")].reason == (
        f"more than 5 redirects from {http_server.url('/loop')}"
    )
    assert http_server.hits("/loop") == 6


def test_server_errors_are_retried_with_backoff(
    http_server: LoopbackHTTPServer, object_store: ObjectStore, image_settings: IngestSettings
) -> None:
    data = make_image("PNG", color=(1, 2, 3))
    recovers = http_server.flaky("/recovers.png", failures=2, body=data)
    broken = http_server.flaky("/broken.png", failures=99, body=data, fail_status=502)
    policy = FetchPolicy(retries=2, backoff=0.01)

    outcomes = run([recovers, broken], object_store, image_settings, policy)

    assert outcomes[recovers].status is ImageStatus.STORED
    assert outcomes[recovers].sha256 == hashlib.sha256(data).hexdigest()
    assert http_server.hits("/recovers.png") == 3
    assert outcomes[broken].status is ImageStatus.FAILED
    assert outcomes[broken].reason == "HTTP 502 Bad Gateway from 127.0.0.1 (after 3 attempts)"
    assert http_server.hits("/broken.png") == 3


def test_a_url_shared_by_products_is_fetched_and_stored_once(
    http_server: LoopbackHTTPServer,
    object_store: ObjectStore,
    image_settings: IngestSettings,
    count_puts: Callable[[ObjectStore], list[str]],
) -> None:
    url, data = http_server.serve_image("/shared.jpg", "JPEG")
    puts = count_puts(object_store)

    outcomes = run([url, url, url], object_store, image_settings)

    assert list(outcomes) == [url]
    assert http_server.hits() == 1
    assert puts == [outcomes[url].object_key]
    assert list_objects(object_store) == [outcomes[url].object_key]
    assert read_object(object_store, outcomes[url].object_key) == data


def test_the_same_bytes_at_two_urls_make_one_object(
    http_server: LoopbackHTTPServer,
    object_store: ObjectStore,
    image_settings: IngestSettings,
    count_puts: Callable[[ObjectStore], list[str]],
) -> None:
    data = make_image("PNG", color=(9, 9, 9))
    urls = [http_server.serve_bytes(f"/copy{i}.png", data, "image/png") for i in range(3)]
    puts = count_puts(object_store)

    outcomes = run(urls, object_store, image_settings)

    assert {o.status for o in outcomes.values()} == {ImageStatus.STORED}
    assert len({o.object_key for o in outcomes.values()}) == 1
    assert len(puts) == 1
    assert len(list_objects(object_store)) == 1


def test_known_urls_are_reused_without_download_or_put(
    http_server: LoopbackHTTPServer,
    object_store: ObjectStore,
    image_settings: IngestSettings,
    count_puts: Callable[[ObjectStore], list[str]],
) -> None:
    url, _ = http_server.serve_image("/a.png")
    first = run([url], object_store, image_settings)
    known = {url: first[url].image}
    puts = count_puts(object_store)
    requests_before = http_server.hits()

    second = run([url], object_store, image_settings, known=known)

    assert second[url].status is ImageStatus.REUSED
    assert second[url].image == first[url].image
    assert http_server.hits() == requests_before
    assert puts == []
    assert count_outcomes(second) == {
        "stored": 0,
        "reused": 1,
        "failed": 0,
        "blocked": 0,
        "not_fetched": 0,
    }


def test_refresh_downloads_again_but_does_not_rewrite_the_same_bytes(
    http_server: LoopbackHTTPServer,
    object_store: ObjectStore,
    tmp_path: Any,
    count_puts: Callable[[ObjectStore], list[str]],
) -> None:
    settings = make_settings(tmp_path, refresh_images=True)
    url, _ = http_server.serve_image("/a.png")
    first = run([url], object_store, settings)
    puts = count_puts(object_store)

    second = run([url], object_store, settings, known={url: first[url].image})

    assert second[url].status is ImageStatus.STORED
    assert http_server.hits() == 2
    assert puts == []  # the object already exists: HEAD, no PUT


def test_a_known_url_whose_object_is_missing_is_downloaded_again(
    http_server: LoopbackHTTPServer,
    object_store: ObjectStore,
    image_settings: IngestSettings,
    count_puts: Callable[[ObjectStore], list[str]],
) -> None:
    url, data = http_server.serve_image("/a.png")
    sha = hashlib.sha256(data).hexdigest()
    stale = StoredImage(
        sha256=sha,
        uri=f"s3://elsewhere/images/{sha}.png",
        object_key=f"images/{sha}.png",
        content_type="image/png",
        format="PNG",
        width=16,
        height=16,
        bytes=len(data),
    )
    puts = count_puts(object_store)
    outcome = run([url], object_store, image_settings, known={url: stale})[url]
    assert outcome.status is ImageStatus.STORED
    assert outcome.uri == object_store.uri(f"images/{sha}.png")
    assert puts == [f"images/{sha}.png"]


def test_mixed_outcomes_are_counted_and_progress_is_reported(
    http_server: LoopbackHTTPServer,
    forbidden_server: LoopbackHTTPServer,
    local_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    good = [http_server.serve_image(f"/{i}.png", color=(i, 0, 0))[0] for i in range(3)]
    urls = [*good, http_server.url("/missing.png"), forbidden_server.url("/x.png"), "ftp://x/y"]
    seen: list[tuple[int, int]] = []

    outcomes = run(urls, local_store, image_settings, progress=lambda d, t: seen.append((d, t)))

    assert list(outcomes) == urls
    assert count_outcomes(outcomes) == {
        "stored": 3,
        "reused": 0,
        "failed": 1,
        "blocked": 2,
        "not_fetched": 0,
    }
    assert seen == [(i, 6) for i in range(1, 7)]


def test_downloads_run_concurrently_within_the_per_host_limit(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    urls = [http_server.serve_image(f"/{i}.png", color=(i, 1, 2))[0] for i in range(48)]
    http_server.latency = 0.1  # one after another this would take at least 4.8 s

    started = time.monotonic()
    outcomes = run(urls, local_store, image_settings, FetchPolicy(per_host=8))
    elapsed = time.monotonic() - started

    assert count_outcomes(outcomes)["stored"] == 48
    assert http_server.max_in_flight <= 8
    assert http_server.max_in_flight >= 4
    assert elapsed < 2.4
    assert http_server.connections() <= 8  # kept-alive connections carried all 48 requests
