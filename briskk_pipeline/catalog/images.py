"""The catalog's image queries: what is already stored, what failed, and recording retries.

Images are shared by every tenant (content-addressed), so a URL stored for one brand is reused
for another without a download. Retry results are written in one transaction; a slot whose URL
changed since it was read (a new upload replaced it) is left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from briskk_pipeline.catalog.tables import images, product_images
from briskk_pipeline.images.model import ImageOutcome, ImageStatus, StoredImage

_IMAGE_FIELDS = tuple(f.name for f in fields(StoredImage))  # the `images` columns but created_at


@dataclass(frozen=True)
class FailedSlot:
    """An image slot whose last fetch failed and that has not given up yet."""

    tenant: str
    product_id: str
    position: int
    source_url: str
    attempts: int


def stored_images_for_urls(
    engine: sa.Engine | sa.Connection, urls: Iterable[str]
) -> dict[str, StoredImage]:
    """Source URL -> its stored image, for the URLs any tenant's catalog holds as `stored`.

    When a URL's content changed between uploads, the most recently attempted slot wins.
    """
    wanted = list(dict.fromkeys(u for u in urls if u))
    if not wanted:
        return {}
    query = (
        sa.select(product_images.c.source_url, *(images.c[f] for f in _IMAGE_FIELDS))
        .join(images, images.c.sha256 == product_images.c.sha256)
        .where(
            product_images.c.status == ImageStatus.STORED.value,
            product_images.c.source_url
            == sa.any_(sa.bindparam("urls", wanted, type_=ARRAY(sa.Text))),
        )
        .distinct(product_images.c.source_url)
        .order_by(
            product_images.c.source_url,
            product_images.c.last_attempt_at.desc().nulls_last(),
        )
    )
    with _connected(engine) as connection:
        rows = connection.execute(query).mappings().all()
    return {row["source_url"]: StoredImage(**{f: row[f] for f in _IMAGE_FIELDS}) for row in rows}


def failed_image_slots(engine: sa.Engine | sa.Connection, max_attempts: int) -> list[FailedSlot]:
    """Every `failed` slot still worth retrying: not given up, fewer than `max_attempts` tries.

    `blocked` slots are never returned: a policy refusal does not get better by asking again.
    """
    query = (
        sa.select(
            product_images.c.tenant,
            product_images.c.product_id,
            product_images.c.position,
            product_images.c.source_url,
            product_images.c.attempts,
        )
        .where(
            product_images.c.status == ImageStatus.FAILED.value,
            product_images.c.gave_up.is_(False),
            product_images.c.attempts < max_attempts,
        )
        .order_by(product_images.c.tenant, product_images.c.product_id, product_images.c.position)
    )
    with _connected(engine) as connection:
        return [FailedSlot(**row) for row in connection.execute(query).mappings()]


def record_retry_results(
    engine: sa.Engine,
    results: Sequence[tuple[FailedSlot, ImageOutcome]],
    now: datetime,
    max_attempts: int,
) -> dict[str, int]:
    """Write each retried slot's new status in one transaction; return what changed.

    Each slot gets status (`stored` for stored and reused), reason, sha256, `attempts + 1` and
    `last_attempt_at = now`; a slot still `failed` at `max_attempts` attempts gets `gave_up`.
    New images rows are inserted first (the slots reference them). Only slots still `failed`
    with the same URL are touched, so an upload that replaced the slot meanwhile wins.
    Returns `{"updated": n, "gave_up": n}`.
    """
    new_images = {
        outcome.image.sha256: outcome.image for _, outcome in results if outcome.image is not None
    }
    updates = [
        {
            "b_tenant": slot.tenant,
            "b_product_id": slot.product_id,
            "b_position": slot.position,
            "b_source_url": slot.source_url,
            "b_status": ImageStatus.STORED.value
            if outcome.image is not None
            else ImageStatus(outcome.status).slot_status,
            "b_reason": outcome.reason,
            "b_sha256": outcome.sha256,
        }
        for slot, outcome in results
    ]
    if not updates:
        return {"updated": 0, "gave_up": 0}
    attempts = product_images.c.attempts + 1
    statement = (
        sa.update(product_images)
        .where(
            product_images.c.tenant == sa.bindparam("b_tenant"),
            product_images.c.product_id == sa.bindparam("b_product_id"),
            product_images.c.position == sa.bindparam("b_position"),
            product_images.c.source_url == sa.bindparam("b_source_url"),
            product_images.c.status == ImageStatus.FAILED.value,
        )
        .values(
            status=sa.bindparam("b_status"),
            reason=sa.bindparam("b_reason"),
            sha256=sa.bindparam("b_sha256"),
            attempts=attempts,
            last_attempt_at=now,
            gave_up=sa.and_(
                sa.bindparam("b_status") == ImageStatus.FAILED.value, attempts >= max_attempts
            ),
        )
        .returning(product_images.c.gave_up)
    )
    updated = gave_up = 0
    with engine.begin() as connection:
        if new_images:
            connection.execute(
                pg_insert(images).on_conflict_do_nothing(index_elements=[images.c.sha256]),
                [
                    {**{f: getattr(image, f) for f in _IMAGE_FIELDS}, "created_at": now}
                    for image in new_images.values()
                ],
            )
        # One statement per slot: failed slots are few, and RETURNING says what each became.
        for parameters in updates:
            row = connection.execute(statement, parameters).first()
            if row is not None:
                updated += 1
                gave_up += int(row.gave_up)
    return {"updated": updated, "gave_up": gave_up}


@contextmanager
def _connected(bind: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """The given connection, or a new one from the given engine (closed afterwards)."""
    if isinstance(bind, sa.Connection):
        yield bind
        return
    with bind.connect() as connection:
        yield connection


def slot_attempts(
    engine: sa.Engine | sa.Connection, tenant: str, product_ids: Iterable[str]
) -> dict[tuple[str, int], int]:
    """(product_id, position) -> attempts so far, for the image slots of these products."""
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        return {}
    query = sa.select(
        product_images.c.product_id, product_images.c.position, product_images.c.attempts
    ).where(
        product_images.c.tenant == tenant,
        product_images.c.product_id == sa.any_(sa.bindparam("ids", wanted, type_=ARRAY(sa.Text))),
    )
    with _connected(engine) as connection:
        rows = connection.execute(query).tuples()
        return {(product_id, position): attempts for product_id, position, attempts in rows}
