"""Readiness in the catalog: verdicts stored with their upload, the catalog's current verdicts,
and image facts measured late for images stored before 0012_readiness.

`upload_readiness` holds one row per upload, product and channel. A product's current verdict
is the one of the newest upload that loaded it: not a dry run, not rolled back, `succeeded`,
and the product still in `products`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
import sqlalchemy as sa
from PIL import Image

from briskk_pipeline.catalog.tables import images, products, upload_readiness, uploads
from briskk_pipeline.catalog.tenants import same_tenant
from briskk_pipeline.readiness.image_facts import measure
from briskk_pipeline.readiness.verdict import Verdict

if TYPE_CHECKING:
    from briskk_pipeline.resources import ObjectStore

log = logging.getLogger(__name__)
_MAX_PIXELS = 50_000_000  # as images/verify.py: every stored image passed it
# verdict rows per server-side fetch (`iter_upload_verdicts`) and per COPY (`save_verdicts`)
VERDICTS_PER_BATCH: Final = 5_000


def measure_missing(
    engine: sa.Engine, store: ObjectStore, frame: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """`frame` (IMAGE_FRAME_COLUMNS) with border_white and phash measured where they are
    missing (images stored before 0012_readiness, reused since), each read once from `store`
    and written back to `images`. Returns the frame and how many were measured. An image
    that cannot be read stays unmeasured (logged): its border and duplicate rules are skipped.
    """
    if frame.empty:
        return frame, 0
    missing = frame["border_white"].isna() | frame["phash"].isna()
    if not missing.any():
        return frame, 0
    frame = frame.copy()
    measured: list[dict[str, Any]] = []
    for index in frame.index[missing.to_numpy()]:
        key = str(frame.at[index, "object_key"])
        try:
            with Image.open(io.BytesIO(store.get(key))) as image:
                if image.size[0] * image.size[1] > _MAX_PIXELS:
                    continue
                image.load()
                facts = measure(image)
        except Exception as error:  # a missing or unreadable object must not stop readiness
            log.warning("could not measure stored image %s: %s", key, error)
            continue
        frame.at[index, "border_white"] = facts.border_white
        frame.at[index, "phash"] = facts.phash
        measured.append(
            {
                "b_sha": frame.at[index, "sha256"],
                "b_white": facts.border_white,
                "b_hash": facts.phash,
            }
        )
    if measured:
        with engine.begin() as connection:
            connection.execute(
                sa.update(images)
                .where(images.c.sha256 == sa.bindparam("b_sha"))
                .values(border_white=sa.bindparam("b_white"), phash=sa.bindparam("b_hash")),
                measured,
            )
    return frame, len(measured)


def save_verdicts(
    engine: sa.Engine,
    upload_id: str,
    tenant: str,
    verdicts: Sequence[Verdict | Mapping[str, Any]],
    checked_at: datetime,
    *,
    batch: int = VERDICTS_PER_BATCH,
) -> None:
    """Replace the upload's stored verdicts with `verdicts` (`Verdict`s or their `to_dict()`;
    a re-run writes the same rows), in one transaction. Written with COPY
    (`catalog.staging.copy_frame`), `batch` verdicts per COPY: a 25,000-product upload has
    150,000 verdicts, which row-by-row inserts took seconds over, and which as one frame and
    one CSV held about 300 MB at once."""
    from briskk_pipeline.catalog.staging import copy_frame

    with engine.begin() as connection:
        connection.execute(
            sa.delete(upload_readiness).where(upload_readiness.c.upload_id == upload_id)
        )
        step = max(batch, 1)
        for start in range(0, len(verdicts), step):
            frame = _verdict_frame(upload_id, tenant, verdicts[start : start + step], checked_at)
            copy_frame(connection, upload_readiness, frame, list(frame.columns))


def _verdict_frame(
    upload_id: str,
    tenant: str,
    verdicts: Sequence[Verdict | Mapping[str, Any]],
    checked_at: datetime,
) -> pd.DataFrame:
    """`upload_readiness` rows of `verdicts` as a frame for `copy_frame`."""
    import orjson

    from briskk_pipeline.readiness.evaluate import as_verdict

    found = [as_verdict(x) for x in verdicts]
    n = len(found)
    return pd.DataFrame(
        {
            "upload_id": pd.array([upload_id] * n, dtype="string"),
            "product_id": pd.array([v.product_id for v in found], dtype="string"),
            "channel": pd.array([v.channel for v in found], dtype="string"),
            "tenant": pd.array([tenant] * n, dtype="string"),
            "row": pd.array([v.row for v in found], dtype="Int64"),
            "ready": pd.array([v.ready for v in found], dtype="boolean"),
            # JSON text, parsed into jsonb by PostgreSQL (as SQLAlchemy's JSONB type sends it)
            "failures": pd.array(
                [orjson.dumps([f.to_dict() for f in v.failures]).decode() for v in found],
                dtype="string",
            ),
            "checked_at": pd.array([checked_at.isoformat()] * n, dtype="string"),
        }
    )


def _as_dict(row: sa.RowMapping) -> dict[str, Any]:
    return {
        "tenant": row["tenant"],
        "product_id": row["product_id"],
        "channel": row["channel"],
        "row": row["row"],
        "ready": row["ready"],
        "failures": list(row["failures"]),
        "upload_id": row["upload_id"],
        "checked_at": row["checked_at"].isoformat() if row["checked_at"] else None,
    }


def _upload_verdicts_query(upload_id: str) -> sa.Select[Any]:
    return (
        sa.select(upload_readiness)
        .where(upload_readiness.c.upload_id == upload_id)
        .order_by(
            upload_readiness.c.row.nulls_last(),
            upload_readiness.c.product_id,
            upload_readiness.c.channel,
        )
    )


def upload_verdicts(engine: sa.Engine, upload_id: str) -> list[dict[str, Any]]:
    """The upload's verdicts, by product (first row first) then channel."""
    with engine.connect() as connection:
        return [
            _as_dict(r) for r in connection.execute(_upload_verdicts_query(upload_id)).mappings()
        ]


def iter_upload_verdicts(
    engine: sa.Engine, upload_id: str, *, batch: int = VERDICTS_PER_BATCH
) -> Iterator[dict[str, Any]]:
    """`upload_verdicts` as a stream: the rows come from a server-side cursor `batch` at a
    time (SQLAlchemy `yield_per`), so a reader that keeps less than a row (the Readiness
    sheet keeps its cell's text) never holds every verdict of a bulk upload at once."""
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=batch).execute(
            _upload_verdicts_query(upload_id)
        )
        for row in result.mappings():
            yield _as_dict(row)


def any_not_ready(engine: sa.Engine, upload_id: str) -> bool:
    """Whether any stored verdict of the upload is not ready (one indexed SQL question)."""
    r = upload_readiness
    query = sa.select(sa.exists().where(r.c.upload_id == upload_id, r.c.ready.is_(False)))
    with engine.connect() as connection:
        return bool(connection.execute(query).scalar_one())


def catalog_verdicts(
    engine: sa.Engine,
    *,
    tenant: str | None = None,
    channels: Iterable[str] | None = None,
    not_ready_only: bool = True,
) -> list[dict[str, Any]]:
    """Each catalog product's current verdict per channel (see the module docstring), of
    `tenant` (any letter case) or every tenant, for `channels` (None: all stored), by
    tenant, product and channel; with `not_ready_only`, only those that are not ready."""
    r = upload_readiness
    where: list[sa.ColumnElement[bool]] = [
        uploads.c.dry_run.is_(False),
        uploads.c.rolled_back_at.is_(None),
        uploads.c.status == "succeeded",
    ]
    if tenant is not None:
        where.append(same_tenant(r.c.tenant, tenant))
    wanted = list(channels) if channels is not None else None
    if wanted is not None:
        where.append(r.c.channel.in_(wanted))
    newest = (
        sa.select(r)
        .join(uploads, uploads.c.upload_id == r.c.upload_id)
        .join(
            products,
            sa.and_(products.c.tenant == r.c.tenant, products.c.product_id == r.c.product_id),
        )
        .where(*where)
        .distinct(r.c.tenant, r.c.product_id, r.c.channel)
        .order_by(r.c.tenant, r.c.product_id, r.c.channel, r.c.checked_at.desc())
        .subquery()
    )
    query = sa.select(newest).order_by(newest.c.tenant, newest.c.product_id, newest.c.channel)
    if not_ready_only:
        query = query.where(newest.c.ready.is_(False))
    with engine.connect() as connection:
        return [_as_dict(row) for row in connection.execute(query).mappings()]


def needs_sheet(engine: sa.Engine, record: Mapping[str, Any]) -> bool:
    """Whether readiness alone is worth an annotated workbook for upload `record`: a product
    is not ready for a channel the tenant chose (settings.py: a tenant row or
    BRISKK_CHANNELS; with every channel by default, a clean upload gets no workbook only for
    readiness). Asked of the catalog, without reading the verdicts."""
    from briskk_pipeline.readiness.settings import settings_for

    if not any_not_ready(engine, str(record["upload_id"])):
        return False
    return settings_for(engine, str(record["tenant"])).chosen


# products listed by `upload_readiness_summary` (as `image_failures` lists at most 10,000):
# a 25,000-product bulk file made a 131 MB `briskk ingest --json`
PRODUCTS_LISTED: Final = 10_000


def upload_readiness_summary(
    engine: sa.Engine, upload_id: str, *, listed: int = PRODUCTS_LISTED
) -> dict[str, Any]:
    """The `readiness` object of `briskk ingest --json` and `POST /ingest` for an upload
    (`shapes.upload_readiness`), its counts over every product and its `products` the first
    `listed` by row; `products_total` counts them all (`briskk readiness --json` and
    `GET /readiness` list every product of the catalog that is not ready)."""
    from briskk_pipeline.readiness.shapes import upload_readiness as shaped

    r = upload_readiness
    counts = (
        sa.select(r.c.channel, r.c.ready, sa.func.count())
        .where(r.c.upload_id == upload_id)
        .group_by(r.c.channel, r.c.ready)
    )
    first = (
        sa.select(r.c.product_id)
        .where(r.c.upload_id == upload_id)
        .group_by(r.c.product_id)
        .order_by(sa.func.min(r.c.row).nulls_last(), r.c.product_id)
        .limit(listed)
    )
    rows = (  # only what `shapes.upload_readiness` reads: 60,000 rows of a bulk upload
        sa.select(r.c.product_id, r.c.row, r.c.channel, r.c.ready, r.c.failures)
        .where(r.c.upload_id == upload_id, r.c.product_id.in_(first.scalar_subquery()))
        .order_by(r.c.row.nulls_last(), r.c.product_id, r.c.channel)
    )
    total = sa.select(sa.func.count(sa.distinct(r.c.product_id))).where(r.c.upload_id == upload_id)
    with engine.connect() as connection:
        tally = connection.execute(counts).all()
        shown = [dict(row) for row in connection.execute(rows).mappings()]
        products_total = int(connection.execute(total).scalar_one())
    summary = shaped(shown)
    channels = sorted({str(channel) for channel, _, _ in tally})
    summary["channels"] = channels
    summary["ready"] = {c: 0 for c in channels}
    summary["not_ready"] = {c: 0 for c in channels}
    for channel, ready, n in tally:
        summary["ready" if ready else "not_ready"][str(channel)] += int(n)
    summary["products_total"] = products_total
    return summary
