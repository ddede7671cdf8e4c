"""The image slots an upload's rows referenced that were not stored, as they stand now.

An upload's own list is its record's `image_failures` (`images/failures.py`: Excel row,
column, URL, status of that run, reason), written by the load for every slot of the file's
loaded products whatever the product's later history. The catalog may have moved on since:
`retry_failed_images_job` stores a failed image later. Each slot is looked up by URL and column
among the tenant's image slots: one stored since is left out; the product is named when one
product of the tenant has that URL in that column.

(The earlier list read the catalog's slots of the products whose `last_upload_id` was the
upload: a re-upload that changed nothing keeps the earlier upload's id, so its list was empty.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from briskk_pipeline.catalog.tables import product_images
from briskk_pipeline.template import IMAGE_COLUMNS

_POSITION = {name: position for position, name in enumerate(IMAGE_COLUMNS)}


def images_not_stored(engine: sa.Engine, record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One dict per slot of `record["image_failures"]` still not stored, in the record's order
    (by row, then column): `row`, `column`, `url` (also as `source_url`, the earlier name),
    `status` (`failed`, `blocked`, `not_fetched`), `reason`, `product_id` (None when not
    one product of the tenant has that URL in that column)."""
    failures = list(record.get("image_failures") or [])
    if not failures:
        return []
    urls = sorted({str(f["url"]) for f in failures})
    query = sa.select(
        product_images.c.product_id,
        product_images.c.position,
        product_images.c.source_url,
        product_images.c.status,
    ).where(
        product_images.c.tenant == record["tenant"],
        product_images.c.source_url == sa.any_(sa.bindparam("urls", urls, type_=ARRAY(sa.Text))),
    )
    slots: dict[tuple[str, int], list[tuple[str, str]]] = {}
    with engine.connect() as connection:
        for product_id, position, url, status in connection.execute(query):
            slots.setdefault((url, position), []).append((product_id, status))
    listed: list[dict[str, Any]] = []
    for failure in failures:
        here = slots.get((str(failure["url"]), _POSITION.get(str(failure["column"]), -1)), [])
        if here and all(status == "stored" for _, status in here):
            continue  # stored since (the retry job)
        products = sorted({product_id for product_id, _ in here})
        listed.append(
            {
                "row": failure.get("row"),
                "column": failure["column"],
                "url": failure["url"],
                "source_url": failure["url"],
                "status": failure.get("status"),
                "reason": failure.get("reason"),
                "product_id": products[0] if len(products) == 1 else None,
            }
        )
    return listed
