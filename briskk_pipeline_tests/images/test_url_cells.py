"""Image URL cells through `process_images` against real servers on 127.0.0.1: a URL with
spaces, non-ASCII or an IDN host is fetched in its encoded form (and the SSRF guard judges that
form); an unusable cell is `blocked` with its reason without any request; with fetching off a
URL is `not_fetched`, not a failure."""

from __future__ import annotations

import hashlib
from typing import Any

from briskk_pipeline.images.fetch import FetchPolicy
from briskk_pipeline.images.model import ImageStatus
from briskk_pipeline.images.pipeline import FETCH_OFF_REASON, process_images
from briskk_pipeline.images.urls import ONE_ADDRESS_PER_CELL
from briskk_pipeline.resources import IngestSettings, ObjectStore
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer, make_image
from briskk_pipeline_tests.images.conftest import QUICK, make_settings
from briskk_pipeline_tests.images.test_process import resolver_for


def run(urls: list[str], store: ObjectStore, settings: IngestSettings, **kwargs: Any) -> Any:
    return process_images(urls, store=store, settings=settings, policy=QUICK, **kwargs)


def test_spaces_and_non_ascii_are_fetched_encoded_and_stored(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    spaced = make_image("PNG", (10, 10), (1, 1, 1))
    accented = make_image("PNG", (11, 11), (2, 2, 2))
    # The server routes by the path it receives (query aside), so only the encoded request finds
    # the image.
    http_server.serve_bytes("/summer%20collection/front%20view.png", spaced, "image/png")
    http_server.serve_bytes("/%C3%BCr%C3%BCn.png", accented, "image/png")
    as_written = [
        http_server.url("/summer collection/front view.png"),
        http_server.url("/ürün.png?v=red shirt"),
    ]

    outcomes = run(as_written, local_store, image_settings)

    assert list(outcomes) == as_written  # keyed by the URL as the brand wrote it
    for url, data in zip(as_written, (spaced, accented), strict=True):
        outcome = outcomes[url]
        assert outcome.status is ImageStatus.STORED, outcome.reason
        assert outcome.sha256 == hashlib.sha256(data).hexdigest()
    assert {r.path for r in http_server.requests} == {
        "/summer%20collection/front%20view.png",
        "/%C3%BCr%C3%BCn.png?v=red%20shirt",
    }


def test_an_idn_host_is_resolved_and_requested_as_punycode(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    data = make_image("JPEG", (12, 8))
    http_server.serve_bytes("/a%20b.jpg", data, "image/jpeg")
    asked: list[str] = []
    policy = FetchPolicy(
        connect_timeout=2.0,
        read_timeout=0.5,
        retries=0,
        resolver=resolver_for({"xn--bcher-kva.test": ["127.0.0.1"]}, asked),
    )
    url = f"http://bücher.test:{http_server.port}/a b.jpg"

    outcome = process_images([url], store=local_store, settings=image_settings, policy=policy)[url]

    assert outcome.status is ImageStatus.STORED, outcome.reason
    assert asked == ["xn--bcher-kva.test"]
    (request,) = http_server.requests
    assert request.path == "/a%20b.jpg"
    assert request.headers["Host"] == f"xn--bcher-kva.test:{http_server.port}"


def test_the_ssrf_guard_judges_the_encoded_url(
    forbidden_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    policy = FetchPolicy(resolver=resolver_for({"xn--bcher-kva.test": ["127.0.0.2"]}))
    urls = [
        forbidden_server.url("/a b.png"),  # a literal private address, with a space
        f"http://bücher.test:{forbidden_server.port}/ä.png",  # an IDN name resolving to it
    ]

    outcomes = process_images(urls, store=local_store, settings=image_settings, policy=policy)

    assert [outcomes[u].status for u in urls] == [ImageStatus.BLOCKED, ImageStatus.BLOCKED]
    assert "127.0.0.2 (loopback address)" in (outcomes[urls[0]].reason or "")
    assert "xn--bcher-kva.test resolves to 127.0.0.2" in (outcomes[urls[1]].reason or "")
    assert forbidden_server.hits() == 0


def test_an_unusable_cell_is_blocked_with_its_reason_and_nothing_is_requested(
    http_server: LoopbackHTTPServer, local_store: ObjectStore, image_settings: IngestSettings
) -> None:
    http_server.serve_image("/a.png")
    two = f"{http_server.url('/a.png')}, {http_server.url('/b.png')}"
    no_scheme = "www.example.test/a.jpg"

    outcomes = run([two, no_scheme], local_store, image_settings)

    assert outcomes[two].status is ImageStatus.BLOCKED
    assert outcomes[two].reason == ONE_ADDRESS_PER_CELL
    assert outcomes[no_scheme].reason == "must be a web address starting with http:// or https://"
    assert all(o.attempted is False for o in outcomes.values())  # no attempt is counted
    assert http_server.hits() == 0


def test_with_fetching_off_a_url_is_not_fetched_and_an_unusable_one_still_says_why(
    tmp_path: Any, http_server: LoopbackHTTPServer, local_store: ObjectStore
) -> None:
    settings = make_settings(tmp_path, fetch_images=False)
    good = http_server.serve_image("/a.png")[0]
    two = f"{good} {good}"

    outcomes = run([good, two], local_store, settings)

    assert outcomes[good].status is ImageStatus.NOT_FETCHED
    assert outcomes[good].reason == FETCH_OFF_REASON
    assert FETCH_OFF_REASON.startswith("not fetched: image fetching is off")
    assert (outcomes[two].status, outcomes[two].reason) == (
        ImageStatus.BLOCKED,
        ONE_ADDRESS_PER_CELL,
    )
    assert ImageStatus.NOT_FETCHED.slot_status == "failed"  # kept for the retry job
    assert http_server.hits() == 0
