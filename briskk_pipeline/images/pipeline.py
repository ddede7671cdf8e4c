"""From an upload's image columns to stored images and the rows the catalog keeps about them.

`process_images` fetches, verifies and stores every distinct URL once, concurrently (the slots
it comes from and the frames its outcomes become are in `frames.py`). An image that
fails never rejects its product: it is recorded as `failed` (retried later) or `blocked` (an
unusable URL, or an address the SSRF guard refuses), with its reason.

Bounds (limits.py): an upload's images get a time budget, after which what is not done is
`failed` ("not fetched in time…") and the upload goes on; decoding draws on a process-wide
budget of decoded pixels, so memory stays bounded however many workers decode at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from briskk_pipeline.images.fetch import Fetcher, FetchPolicy
from briskk_pipeline.images.guard import parse_allowlist
from briskk_pipeline.images.limits import PixelBudget, TimeBudget, shared_pixel_budget
from briskk_pipeline.images.model import (
    ImageError,
    ImageOutcome,
    ImageStatus,
    OutOfTime,
    StoredImage,
)
from briskk_pipeline.images.store import store_image
from briskk_pipeline.images.urls import UnusableUrl, image_url
from briskk_pipeline.images.verify import DEFAULT_MAX_PIXELS, verify_image

if TYPE_CHECKING:
    from briskk_pipeline.resources import IngestSettings, ObjectStore

log = logging.getLogger(__name__)

# After the time budget ends, how long outcomes racing it (a fetch ended by the budget
# reporting back) are still collected; work still running then is abandoned.
_GRACE_SECONDS: Final = 1.0


class _KeyLocks:
    """One lock per key, so two URLs with the same bytes are not stored at the same time."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


@dataclass(frozen=True)
class _Work:
    """What every worker of one `process_images` call shares."""

    fetcher: Fetcher
    store: ObjectStore
    max_pixels: int
    locks: _KeyLocks
    pixels: PixelBudget
    budget: TimeBudget | None


def _download(url: str, work: _Work) -> ImageOutcome:
    fetched = work.fetcher.fetch(url, work.budget)
    verified = verify_image(fetched.data, work.max_pixels, pixels=work.pixels, budget=work.budget)
    with work.locks(verified.sha256):
        image = store_image(work.store, fetched.data, verified)
    return ImageOutcome(ImageStatus.STORED, image=image)


def _process_one(url: str, known: StoredImage | None, work: _Work) -> ImageOutcome:
    store = work.store
    try:
        # Reuse only what the store really holds: the catalog may predate a change of store.
        if known is not None and store.exists(known.object_key):
            return ImageOutcome(
                ImageStatus.REUSED, image=replace(known, uri=store.uri(known.object_key))
            )
        if work.budget is not None and work.budget.left() == 0:
            raise work.budget.out_of_time(attempted=False)
        return _download(url, work)
    except OutOfTime as error:
        return ImageOutcome(ImageStatus.FAILED, reason=str(error), attempted=error.attempted)
    except ImageError as error:
        return ImageOutcome(error.status, reason=str(error))
    except Exception as error:  # one image's surprise must not lose the rest of the upload
        log.exception("unexpected error while processing image %s", url)
        return ImageOutcome(
            ImageStatus.FAILED, reason=f"unexpected error: {type(error).__name__}: {error}"
        )


FETCH_OFF_REASON = (
    "not fetched: image fetching is off (BRISKK_FETCH_IMAGES=0); "
    "retry_failed_images_job fetches it once it is on"
)
_NOT_FETCHED = ImageOutcome(ImageStatus.NOT_FETCHED, reason=FETCH_OFF_REASON, attempted=False)


def _without_fetching(known: StoredImage | None, store: ObjectStore) -> ImageOutcome:
    if known is not None and store.exists(known.object_key):
        return ImageOutcome(
            ImageStatus.REUSED, image=replace(known, uri=store.uri(known.object_key))
        )
    return _NOT_FETCHED  # immutable, so one object serves every URL


def _distinct(urls: Iterable[object]) -> list[str]:
    seen: dict[str, None] = {}
    for url in urls:
        if isinstance(url, str) and url.strip():
            seen.setdefault(url, None)
    return list(seen)


def process_images(
    urls: Iterable[str],
    *,
    store: ObjectStore,
    settings: IngestSettings,
    known: Mapping[str, StoredImage] | None = None,
    progress: Callable[[int, int], None] | None = None,
    policy: FetchPolicy | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    time_budget: float | None = None,
) -> dict[str, ImageOutcome]:
    """Fetch, verify and store each distinct URL once; return its outcome by URL (as given).

    Each URL is first read as a browser would (`urls.image_url`): an unusable one (two
    addresses, not http/https, no host…) is `blocked` with the reason, nothing is requested;
    a usable one is fetched in its encoded form (spaces, non-ASCII, IDN host), which is what
    the SSRF guard checks. With fetching off, every usable URL not already stored is
    `not_fetched`.

    `known` maps URLs the catalog already stores to their image: those are `reused` without a
    download (unless `settings.refresh_images`). `progress(done, total)` is called from the
    calling thread after each URL. Work runs on `policy.workers` threads, at most
    `policy.per_host` at a time against one host; decoding holds pixels of the process-wide
    budget of `settings.image_pixel_budget` pixels.

    `time_budget` (seconds, None: unbounded) bounds the whole call: every URL not done by then
    is `failed` with `TimeBudget.reason` (`attempted` only if a request went out for it), and
    the call returns at most `_GRACE_SECONDS` after the budget ends.
    """
    policy = policy or FetchPolicy()
    distinct = _distinct(urls)
    reusable = {} if settings.refresh_images or known is None else known
    outcomes: dict[str, ImageOutcome] = {}
    # source URL (as written) -> the URL a browser would request (images/urls.py)
    fetchable: dict[str, str] = {}
    for url in distinct:
        checked = image_url(url)
        if isinstance(checked, UnusableUrl):
            # Refused before any request and never retried: only a new upload can fix the cell.
            outcomes[url] = ImageOutcome(
                ImageStatus.BLOCKED, reason=checked.message, attempted=False
            )
            if progress is not None and settings.fetch_images:
                progress(len(outcomes), len(distinct))
        else:
            fetchable[url] = checked.fetch
    if not fetchable:
        return outcomes
    if not settings.fetch_images:
        outcomes.update({url: _without_fetching(reusable.get(url), store) for url in fetchable})
        return {url: outcomes[url] for url in distinct}
    budget = TimeBudget.start(time_budget) if time_budget is not None else None
    with Fetcher(
        allowed=parse_allowlist(settings.allowed_hosts),
        max_bytes=settings.max_image_bytes,
        policy=policy,
    ) as fetcher:
        work = _Work(
            fetcher=fetcher,
            store=store,
            max_pixels=max_pixels,
            locks=_KeyLocks(),
            pixels=shared_pixel_budget(settings.image_pixel_budget),
            budget=budget,
        )
        pool = ThreadPoolExecutor(
            max_workers=min(policy.workers, len(fetchable)), thread_name_prefix="image"
        )
        futures = {
            pool.submit(_process_one, target, reusable.get(url), work): url
            for url, target in fetchable.items()
        }
        late = _collect(futures, budget, outcomes, lambda: _report(progress, outcomes, distinct))
        # Work still running past the budget is abandoned: its result is not waited for.
        pool.shutdown(wait=not late, cancel_futures=True)
    return {url: outcomes[url] for url in distinct}


def _report(
    progress: Callable[[int, int], None] | None,
    outcomes: Mapping[str, ImageOutcome],
    distinct: list[str],
) -> None:
    if progress is not None:
        progress(len(outcomes), len(distinct))


def _collect(
    futures: Mapping[Future[ImageOutcome], str],
    budget: TimeBudget | None,
    outcomes: dict[str, ImageOutcome],
    reported: Callable[[], None],
) -> bool:
    """Put each future's outcome in `outcomes` as it finishes; at the end of `budget` (plus a
    grace), record the unfinished ones as out of time. Returns whether any was left running."""
    give_up_at = None if budget is None else budget.ends_at + _GRACE_SECONDS
    pending = set(futures)
    while pending:
        timeout = None if give_up_at is None else max(0.0, give_up_at - time.monotonic())
        done, pending = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
        if not done:
            break
        for future in done:
            outcomes[futures[future]] = future.result()
            reported()
    assert budget is not None or not pending
    for future in pending:
        started = not future.cancel()
        outcomes[futures[future]] = ImageOutcome(
            ImageStatus.FAILED, reason=budget.reason if budget else None, attempted=started
        )
        reported()
    return any(not future.cancelled() for future in pending)
