"""One upload's readiness: the verdicts of its valid products for the tenant's channels, and
the products a blocking channel keeps out of the catalog (`apply_blocking`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from briskk_pipeline.images.assets import ProductImages
from briskk_pipeline.readiness.facts import image_infos, product_facts
from briskk_pipeline.readiness.rulesets import rule_sets
from briskk_pipeline.readiness.settings import ReadinessSettings
from briskk_pipeline.readiness.verdict import Failure, Verdict, verdicts
from briskk_pipeline.template import BY_NAME
from briskk_pipeline.validation.report import Problem
from briskk_pipeline.validation.validate import ValidatedRows


@dataclass
class UploadReadiness:
    """Every verdict of an upload, the channels it covers and the ones that block, and the
    product ids a blocking channel keeps out. The `readiness` asset stores `for_the_load()`
    of it: the verdicts the load needs.

    `verdicts` are `Verdict`s (one object per product and channel: their `to_dict()` copies
    doubled the step's memory at 150,000 verdicts); dicts as `Verdict.to_dict()` gives them,
    as outputs stored before were, become `Verdict`s.
    """

    channels: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if any(not isinstance(v, Verdict) for v in self.verdicts):
            self.verdicts = [as_verdict(v) for v in self.verdicts]

    def not_ready(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.ready]

    def for_the_load(self) -> UploadReadiness:
        """What the asset stores as its output: what `catalog_load` reads (`apply_blocking`),
        i.e. the verdicts of blocking channels that are not ready, with `channels`,
        `blocking` and `blocked`. Every verdict is in the catalog (`store.save_verdicts`,
        read by `store.upload_verdicts`); storing them all as the output made a
        25,000-product upload's output about 100 MB of JSON, encoded and decoded again in
        the run (11 s of a profiled 100k-row ingest)."""
        return UploadReadiness(
            channels=list(self.channels),
            blocking=list(self.blocking),
            verdicts=[v for v in self.verdicts if not v.ready and v.channel in self.blocking],
            blocked=list(self.blocked),
        )

    def counts(self) -> dict[str, dict[str, int]]:
        """channel -> {"ready": n, "not_ready": n}."""
        counts = {c: {"ready": 0, "not_ready": 0} for c in self.channels}
        for v in self.verdicts:
            counts[v.channel]["ready" if v.ready else "not_ready"] += 1
        return counts


def as_verdict(value: Verdict | Mapping[str, Any]) -> Verdict:
    """A `Verdict` from itself or from its `to_dict()`."""
    if isinstance(value, Verdict):
        return value
    return Verdict(
        product_id=str(value["product_id"]),
        channel=str(value["channel"]),
        row=value.get("row"),
        failures=tuple(
            Failure(
                rule=str(f["rule"]),
                message=str(f["message"]),
                column=f.get("column"),
                row=f.get("row"),
                source=str(f.get("source") or ""),
            )
            for f in value.get("failures") or ()
        ),
    )


# products whose facts are built and judged at a time (`upload_verdicts`): the facts of a
# 25,000-product upload all at once took about 240 MB (tracemalloc), of 2,000 about 20 MB
PRODUCTS_PER_CHUNK: Final = 2_000


def upload_verdicts(
    rows: ValidatedRows,
    images: ProductImages,
    settings: ReadinessSettings,
    *,
    chunk: int = PRODUCTS_PER_CHUNK,
) -> list[Verdict]:
    """The verdict of each product that may load, for each of the settings' channels, by
    product (in `rows.products` order) then channel. The products' facts are built `chunk`
    products at a time (each with all its SKUs and image slots) and dropped once judged."""
    sets = rule_sets()
    channels = [sets[c] for c in settings.channels if c in sets]
    infos = image_infos(images.images)
    products = rows.products
    sku_owner = rows.skus["product_id"].astype("str")
    slot_owner = images.product_images["product_id"].astype("str")
    found: list[Verdict] = []
    step = max(chunk, 1)
    for start in range(0, len(products), step):
        part = products.iloc[start : start + step]
        ids = set(part["product_id"].astype("str"))
        facts = product_facts(
            part,
            rows.skus.loc[sku_owner.isin(ids).to_numpy()],
            images.product_images.loc[slot_owner.isin(ids).to_numpy()],
            infos,
            rows.product_rows,
        )
        found.extend(verdicts(facts, channels))
    return found


def assess(
    rows: ValidatedRows, images: ProductImages, settings: ReadinessSettings
) -> UploadReadiness:
    """`upload_verdicts` as the asset's value, with the products a blocking channel refuses."""
    found = upload_verdicts(rows, images, settings)
    blocked = sorted(
        {v.product_id for v in found if v.channel in settings.blocking and not v.ready}
    )
    return UploadReadiness(
        channels=list(settings.channels),
        blocking=list(settings.blocking),
        verdicts=found,
        blocked=blocked,
    )


def _blocking_problems(readiness: UploadReadiness, names: dict[str, str]) -> list[Problem]:
    problems = []
    for verdict in readiness.verdicts:
        if verdict.ready or verdict.channel not in readiness.blocking:
            continue
        channel = names.get(verdict.channel, verdict.channel)
        for failure in verdict.failures:
            column = failure.column if failure.column in BY_NAME else None
            problems.append(
                Problem(
                    row=verdict.row,
                    column=column,
                    value=None,
                    message=f"not ready for {channel}, which your account makes blocking: "
                    f"{failure.message}",
                )
            )
    return problems


def apply_blocking(
    rows: ValidatedRows, images: ProductImages, readiness: UploadReadiness
) -> tuple[ValidatedRows, ProductImages]:
    """`rows` and `images` without the products a blocking channel refuses, which become
    rejected products with one problem per failed rule; unchanged when none is blocked.

    Their SKUs stay in `file_sku_ids` (listed in the file, so never disabled by the load).
    """
    if not readiness.blocked:
        return rows, images
    blocked = set(readiness.blocked)
    names = {c: r.name for c, r in rule_sets().items()}
    keep_products = ~rows.products["product_id"].astype("str").isin(blocked)
    keep_skus = ~rows.skus["product_id"].astype("str").isin(blocked)
    keep_slots = ~images.product_images["product_id"].astype("str").isin(blocked)
    new_rows = replace(
        rows,
        products=rows.products.loc[keep_products].reset_index(drop=True),
        skus=rows.skus.loc[keep_skus].reset_index(drop=True),
        problems=[*rows.problems, *_blocking_problems(readiness, names)],
        product_rows={p: r for p, r in rows.product_rows.items() if p not in blocked},
        products_rejected=rows.products_rejected + len(blocked),
        rows_rejected=rows.rows_rejected + int((~keep_skus).sum()),
        rejected_products=sorted({*rows.rejected_products, *blocked}),
    )
    new_images = replace(
        images, product_images=images.product_images.loc[keep_slots].reset_index(drop=True)
    )
    return new_rows, new_images


def summary(readiness: UploadReadiness, names: Sequence[str] | None = None) -> str:
    """`myntra 3/10 ready, ajio 10/10 ready`: one line for logs and check descriptions."""
    counts = readiness.counts()
    return ", ".join(
        f"{c} {n['ready']}/{n['ready'] + n['not_ready']} ready"
        for c, n in counts.items()
        if names is None or c in names
    )
