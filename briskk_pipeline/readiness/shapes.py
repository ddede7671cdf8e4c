"""Verdict rows (`store.upload_verdicts`, `store.catalog_verdicts`) in the shapes people read:
the `readiness` object of `briskk ingest --json` and the listing of `briskk readiness` and
`GET /readiness`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def upload_readiness(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`{channels, ready: {channel: n}, not_ready: {channel: n}, products: [{product_id, row,
    channels: {channel: "ready" | [failure, …]}}]}`; a failure is `{rule, message, column,
    row, source}` (column: the image slot such as `image_2`, or the cell's column)."""
    channels = sorted({str(r["channel"]) for r in rows})
    ready = dict.fromkeys(channels, 0)
    not_ready = dict.fromkeys(channels, 0)
    products: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = products.setdefault(
            str(r["product_id"]),
            {"product_id": r["product_id"], "row": r["row"], "channels": {}},
        )
        if r["ready"]:
            ready[r["channel"]] += 1
            entry["channels"][r["channel"]] = "ready"
        else:
            not_ready[r["channel"]] += 1
            entry["channels"][r["channel"]] = list(r["failures"])
    return {
        "channels": channels,
        "ready": ready,
        "not_ready": not_ready,
        "products": list(products.values()),
    }


def listing(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`[{tenant, product_id, channel, ready, failures, upload_id, checked_at}]`, as stored."""
    keys = ("tenant", "product_id", "channel", "ready", "failures", "upload_id", "checked_at")
    return [{k: r.get(k) for k in keys} for r in rows]


def readiness_line(readiness: Mapping[str, Any]) -> str | None:
    """`marketplace readiness: ajio 2/3 ready, myntra 0/3 ready` for an upload_readiness
    object; None when nothing was checked."""
    channels = readiness.get("channels") or []
    if not channels:
        return None
    parts = [
        f"{c} {readiness['ready'][c]}/{readiness['ready'][c] + readiness['not_ready'][c]} ready"
        for c in channels
    ]
    return "marketplace readiness: " + ", ".join(parts)
