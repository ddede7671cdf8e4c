"""Retrying images that failed: the plain function behind `retry_failed_images_job`.

Every `failed` slot that has not given up is fetched again (each distinct URL once, exactly as
an upload does); `blocked` slots are never retried. A slot still failing after `max_attempts`
attempts in total is marked `gave_up` and left alone until an upload gives it a new URL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from briskk_pipeline.catalog.images import (
    failed_image_slots,
    record_retry_results,
    stored_images_for_urls,
)
from briskk_pipeline.images.fetch import FetchPolicy
from briskk_pipeline.images.model import ImageStatus
from briskk_pipeline.images.pipeline import process_images

if TYPE_CHECKING:
    import sqlalchemy as sa

    from briskk_pipeline.resources import IngestSettings, ObjectStore

DEFAULT_MAX_ATTEMPTS: Final = 5


def retry_failed_images(
    engine: sa.Engine,
    store: ObjectStore,
    settings: IngestSettings,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
    *,
    policy: FetchPolicy | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Fetch every failed slot again and record the results; return counts of slots.

    Keys: `slots` (retried), `stored`, `reused`, `failed`, `blocked` (by outcome) and `gave_up`
    (slots that reached `max_attempts` still failing). A URL that another slot has stored in
    the meantime is reused without a download.
    """
    now = now or datetime.now(UTC)
    if not settings.fetch_images:  # nothing can succeed: don't burn the slots' attempts
        return {"slots": 0, **{s.value: 0 for s in ImageStatus}, "gave_up": 0}
    slots = failed_image_slots(engine, max_attempts)
    counts = {"slots": len(slots), **{s.value: 0 for s in ImageStatus}, "gave_up": 0}
    if not slots:
        return counts
    urls = list(dict.fromkeys(slot.source_url for slot in slots))
    known = {} if settings.refresh_images else stored_images_for_urls(engine, urls)
    outcomes = process_images(
        urls, store=store, settings=settings, known=known, progress=progress, policy=policy
    )
    results = [(slot, outcomes[slot.source_url]) for slot in slots]
    recorded = record_retry_results(engine, results, now, max_attempts)
    by_status = Counter(outcome.status.value for _, outcome in results)
    counts.update(by_status)
    counts["gave_up"] = recorded["gave_up"]
    return counts
