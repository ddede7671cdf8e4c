"""From an upload's image columns to stored images and the rows the catalog keeps about them.

`image_slots` lists each product's image slots; `process_images` fetches, verifies and stores
every distinct URL once, concurrently; `build_frames` turns the outcomes into the `images` and
`product_images` frames that the catalog load writes in the upload's transaction. An image that
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
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Final

import pandas as pd

from briskk_pipeline.images.fetch import Fetcher, FetchPolicy
from briskk_pipeline.images.guard import parse_allowlist
from briskk_pipeline.images.limits import PixelBudget, TimeBudget, shared_pixel_budget
from briskk_pipeline.images.model import (
    IMAGE_FRAME_COLUMNS,
    PRODUCT_IMAGE_COLUMNS,
    ImageError,
    ImageOutcome,
    ImageStatus,
    OutOfTime,
    StoredImage,
)
from briskk_pipeline.images.store import store_image
from briskk_pipeline.images.urls import UnusableUrl, image_url
from briskk_pipeline.images.verify import DEFAULT_MAX_PIXELS, verify_image
from briskk_pipeline.template import IMAGE_COLUMNS

if TYPE_CHECKING:
    from briskk_pipeline.resources import IngestSettings, ObjectStore

log = logging.getLogger(__name__)

SLOT_COLUMNS: Final = ("product_id", "position", "source_url")
# After the time budget ends, how long outcomes racing it (a fetch ended by the budget
# reporting back) are still collected; work still running then is abandoned.
_GRACE_SECONDS: Final = 1.0


def image_slots(products: pd.DataFrame) -> pd.DataFrame:
    """One row (product_id, position, source_url) per filled image cell of each product.

    Position 0 is `main_image`, 1..8 are `image_1`..`image_8`. Rows repeating a product (one per
    SKU) give its slots once; blank cells give no slot.
    """
    present = [c for c in IMAGE_COLUMNS if c in products.columns]
    positions = {name: IMAGE_COLUMNS.index(name) for name in present}
    long = products.loc[:, ["product_id", *present]].melt(
        id_vars="product_id", var_name="column", value_name="source_url"
    )
    long["source_url"] = long["source_url"].astype("string").str.strip()
    long = long[long["source_url"].notna() & (long["source_url"] != "")]
    slots = pd.DataFrame(
        {
            "product_id": long["product_id"].astype("string"),
            "position": long["column"].map(positions).astype("int16"),
            "source_url": long["source_url"],
        }
    )
    slots = slots.drop_duplicates(["product_id", "position"], keep="first")
    return slots.sort_values(["product_id", "position"], kind="stable").reset_index(drop=True)


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


def count_outcomes(outcomes: Mapping[str, ImageOutcome]) -> dict[str, int]:
    """`{stored, reused, failed, blocked, not_fetched}` counts of distinct URLs (SPEC §4
    `images`, plus `not_fetched`: fetching was off, so it is not a failure of the URL)."""
    counts = Counter(outcome.status for outcome in outcomes.values())
    return {status.value: counts.get(status, 0) for status in ImageStatus}


def _utc(now: datetime) -> pd.Timestamp:
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    return pd.Timestamp(now).tz_convert("UTC")


def build_frames(
    slots: pd.DataFrame,
    outcomes: Mapping[str, ImageOutcome],
    now: datetime,
    previous_attempts: Mapping[tuple[str, int], int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `images` rows (one per distinct sha256) and `product_images` rows of `slots`.

    A slot's status is `stored` for stored and reused URLs. `attempts` counts downloads tried
    for the slot: `previous_attempts[(product_id, position)]` plus one when this run tried
    (stored, failed, blocked). A reused slot, or any slot while fetching is off, tried nothing:
    it keeps its previous count and has no `last_attempt_at` (null: the load keeps the value it
    already has), so re-running an upload rewrites no slot.
    """
    previous = previous_attempts or {}
    stamp = _utc(now)
    images: dict[str, StoredImage] = {}
    # Column lists filled in one pass over plain lists: an upload of 25k products has 100k+
    # slots, and itertuples plus a dict per row cost a second there.
    product_ids = slots["product_id"].tolist()
    positions = [int(position) for position in slots["position"].tolist()]
    urls = slots["source_url"].tolist()
    statuses: list[str] = []
    reasons: list[str | None] = []
    shas: list[str | None] = []
    attempts: list[int] = []
    attempted_at: list[pd.Timestamp] = []
    for product_id, position, url in zip(product_ids, positions, urls, strict=True):
        outcome = outcomes.get(url)
        if outcome is None:
            raise KeyError(f"no outcome for image URL {url!r} of product {product_id!r}")
        before = previous.get((product_id, position), 0)
        tried = outcome.attempted and outcome.status is not ImageStatus.REUSED
        if outcome.image is not None:
            images.setdefault(outcome.image.sha256, outcome.image)
        statuses.append(
            ImageStatus.STORED.value if outcome.image else ImageStatus(outcome.status).slot_status
        )
        reasons.append(outcome.reason)
        shas.append(outcome.sha256)
        attempts.append(before + 1 if tried else before)
        attempted_at.append(stamp if tried else pd.NaT)
    rows = {
        "product_id": product_ids,
        "position": positions,
        "source_url": urls,
        "status": statuses,
        "reason": reasons,
        "sha256": shas,
        "attempts": attempts,
        "last_attempt_at": attempted_at,
    }
    image_frame = pd.DataFrame(
        [[getattr(image, c) for c in IMAGE_FRAME_COLUMNS] for image in images.values()],
        columns=list(IMAGE_FRAME_COLUMNS),
    ).astype(
        {
            **{c: "string" for c in IMAGE_FRAME_COLUMNS[:5]},
            "width": "int64",
            "height": "int64",
            "bytes": "int64",
        }
    )
    slot_frame = pd.DataFrame(rows, columns=list(PRODUCT_IMAGE_COLUMNS)).astype(
        {
            "product_id": "string",
            "position": "int16",
            "source_url": "string",
            "status": "string",
            "reason": "string",
            "sha256": "string",
            "attempts": "int64",
        }
    )
    slot_frame["last_attempt_at"] = pd.to_datetime(slot_frame["last_attempt_at"], utc=True)
    return image_frame, slot_frame
