"""From raw template rows to the products and SKUs that may load, and every problem found.

A product with any bad row is rejected whole (its SKUs come together or not at all); every other
product loads. Each problem is reported once, by Excel row and column. An unusable image URL
is a warning for its cell (`cell_warnings`), never a rejection (SPEC §2).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import pandas as pd
import pandera.pandas as pa

from briskk_pipeline.readiness.codes import code_findings
from briskk_pipeline.template import (
    COLUMN_NAMES,
    PRODUCT_COLUMNS,
    SKU_COLUMNS,
    Kind,
    columns_of,
)
from briskk_pipeline.validation import lookalikes, rules
from briskk_pipeline.validation.cleaning import clean
from briskk_pipeline.validation.examples import template_example_rows
from briskk_pipeline.validation.image_urls import image_url_warnings
from briskk_pipeline.validation.membership import text_isin
from briskk_pipeline.validation.report import Problem, dedupe
from briskk_pipeline.validation.schemas import OFFER_CHECK, TemplateRow, message_for
from briskk_pipeline.vocab.check import check_vocabularies

SkuOwners = Callable[[list[str]], Mapping[str, str]]  # sku_id -> product_id in the catalog
BarcodeOwners = Callable[[list[str]], Mapping[str, str]]  # barcode -> sku_id in the catalog
SkuLookalikes = Callable[[list[str]], Iterable[str]]  # lower-case ids -> catalog sku_ids
# column -> forms without leading zeros -> column -> catalog values with such a form
ZeroLookalikes = Callable[[dict[str, list[str]]], Mapping[str, Iterable[str]]]
Status = Literal["succeeded", "rejected"]
K = TypeVar("K")
R = TypeVar("R")


@dataclass
class ValidatedRows:
    """What may load (`products`, `skus`) and what the brand must fix (`problems`)."""

    products: pd.DataFrame
    skus: pd.DataFrame
    problems: list[Problem]
    warnings: list[str] = field(default_factory=list)
    # Cell-level warnings (the row still loads): also rendered into `warnings` as text.
    cell_warnings: list[Problem] = field(default_factory=list)
    # Every sku_id of the file, loaded or rejected: none of them may be disabled by the load.
    file_sku_ids: list[str] = field(default_factory=list)
    # product_id -> its first Excel row, for the products that may load (where its image
    # cells are read: `image_failures` names them by it)
    product_rows: dict[str, int] = field(default_factory=dict)
    rows_total: int = 0
    products_total: int = 0
    products_rejected: int = 0
    rows_rejected: int = 0
    rejected_whole: bool = False
    rejected_products: list[str] = field(default_factory=list)  # product ids rejected whole
    # sku_id -> its Excel row, for the SKUs that may load (the change summary names rows)
    sku_rows: dict[str, int] = field(default_factory=dict)
    # The template columns the file has (`RawSheet.columns`): the load changes no other
    columns: list[str] = field(default_factory=lambda: list(COLUMN_NAMES))
    # Rows rejected only because another row of their product is bad: columns `row` (Excel
    # row) and `because_of` (the product's first row with an error; NA when none names it),
    # for the report's "rejected because of row N" (`rejected_with_product`)
    rejected_with: pd.DataFrame = field(default_factory=lambda: rejected_with_product_frame())
    tenant: str | None = None  # set by the asset: whose catalog these rows are for

    @property
    def status(self) -> Status:
        """`rejected` when the file, or every one of its products, failed validation."""
        if self.rejected_whole or (self.products.empty and self.rows_total > 0):
            return "rejected"
        return "succeeded"

    @classmethod
    def rejected(cls, problems: Iterable[Problem], warnings: Iterable[str] = ()) -> ValidatedRows:
        return cls(
            products=empty_products(),
            skus=empty_skus(),
            problems=list(problems),
            warnings=list(warnings),
            rejected_whole=True,
        )


def validate_rows(
    raw: pd.DataFrame,
    sku_owners: SkuOwners | None = None,
    *,
    read_problems: Iterable[Problem] = (),
    barcode_owners: BarcodeOwners | None = None,
    sku_lookalikes: SkuLookalikes | None = None,
    zero_lookalikes: ZeroLookalikes | None = None,
    strict_barcodes: bool = False,
    tax_rules: Mapping[str, float] | None = None,
    strict_columns: frozenset[str] = frozenset(),
    file_columns: Collection[str] | None = None,
) -> ValidatedRows:
    """Clean, check and split `raw` (a `raw_sheet` frame indexed by Excel row).

    `sku_owners`, `barcode_owners`, `sku_lookalikes` and `zero_lookalikes` ask the tenant's
    catalog (see `catalog.queries`, `catalog.lookalikes`); without them only the file itself
    is checked.

    `strict_barcodes` and `tax_rules` are the tenant's readiness settings: HSN codes, barcode
    check digits and tax rules are checked by `readiness.codes.code_findings`.

    `read_problems` are the cells the reader already found wrong (`RawSheet.problems`, e.g.
    an Excel error cell): they come first, so their message wins over what the checks would
    say of the same cell (one problem per cell, `report.dedupe`).

    Values outside their column's vocabulary (`vocab.check`) are warnings, or problems in
    `strict_columns` (the tenant's brand profile says which); only the `file_columns` (the
    template columns the file has; default all) are checked: an update file's other cells come
    from the catalog, not from the brand.
    """
    raw = rules.fill_product_fields(raw)
    cleaned = clean(raw)
    typed = cleaned.typed
    sku_ids = typed["sku_id"].dropna().unique().tolist()
    barcodes = typed["barcode"].dropna().unique().tolist()
    lowered = typed["sku_id"].dropna().str.lower().unique().tolist()
    # The catalog lookups wait on PostgreSQL: they run beside the file's own checks.
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="catalog-lookup") as pool:
        no_owners: Mapping[str, str] = {}
        no_lookalikes: Iterable[str] = ()
        no_zeros: Mapping[str, Iterable[str]] = {}
        owners_asked = _ask(pool, sku_owners, sku_ids, no_owners)
        barcodes_asked = _ask(pool, barcode_owners, barcodes, no_owners)
        lookalikes_asked = _ask(pool, sku_lookalikes, lowered, no_lookalikes)
        zeros_asked = _ask(pool, zero_lookalikes, lookalikes.zero_forms(typed), no_zeros)
        schema = _schema_problems(typed, raw)
        in_file = [
            *template_example_rows(typed),
            *rules.duplicate_skus(typed),
            # invisible characters do not make a product's rows disagree (lookalikes.py)
            *rules.conflicting_product_fields(lookalikes.comparable(typed), raw),
        ]
        barcodes_in_file = rules.duplicate_barcodes(typed)
        codes = code_findings(typed, strict_barcodes=strict_barcodes, tax_rules=tax_rules)
        in_file.extend(codes.problems)
        image_warnings = image_url_warnings(typed, raw)
        owners = owners_asked.result()
        orphans, orphaned_products = rules.orphan_rows(typed, owners)
        problems = [*read_problems, *cleaned.problems, *orphans, *schema, *in_file]
        problems.extend(rules.foreign_skus(typed, owners))
        problems.extend(barcodes_in_file)
        catalog_barcodes = barcodes_asked.result()
        problems.extend(rules.foreign_barcodes(typed, catalog_barcodes))
        case_lookalikes = lookalikes_asked.result()
        zero_catalog = zeros_asked.result()
        sent = typed.columns if file_columns is None else {*file_columns, "product_id"}
        vocabularies = check_vocabularies(
            typed.loc[:, [c for c in typed.columns if c in sent]], strict_columns=strict_columns
        )
        problems.extend(vocabularies.problems)
    # A row tied to its product only by its SKU gets the product's values once product_id is
    # filled: its blank product cells are not problems of their own.
    tied = {p.row for p in orphans}
    problems = [
        p
        for p in dedupe(problems)
        if not (p.row in tied and p.column in PRODUCT_COLUMNS and p.column != "product_id")
    ]
    cell_warnings = [
        *cleaned.warnings,
        *rules.case_only_sku_warnings(typed, case_lookalikes),
        *lookalikes.invisible_product_warnings(typed),
        *lookalikes.leading_zero_warnings(typed, zero_catalog),
        *image_warnings,
        *codes.warnings,
        *vocabularies.warnings,
    ]

    bad_rows = {p.row for p in problems if p.row is not None}
    bad_products = orphaned_products & set(typed["product_id"].dropna())
    while True:
        bad_products |= set(typed.loc[typed.index.isin(list(bad_rows)), "product_id"].dropna())
        rejected = typed.index.isin(list(bad_rows)) | text_isin(typed["product_id"], bad_products)
        rejected |= typed["product_id"].isna().to_numpy()
        # A catalog SKU of a rejected product keeps its barcode: a loading row that takes it
        # would share it. Each pass can reject more products; it ends when one adds nothing.
        kept = rules.barcodes_kept_by_rejected(typed, rejected, catalog_barcodes)
        if not kept:
            break
        problems.extend(kept)
        bad_rows |= {p.row for p in kept if p.row is not None}
    accepted = typed.loc[~rejected]

    products = accepted.loc[~accepted["product_id"].duplicated(), list(PRODUCT_COLUMNS)]
    skus = accepted.loc[:, ["product_id", *SKU_COLUMNS]].copy()
    for name in (*columns_of(Kind.DECIMAL), *columns_of(Kind.MEASURE)):
        skus[name] = cleaned.exact.loc[accepted.index, name]
    return ValidatedRows(
        products=products.reset_index(drop=True),
        skus=skus.reset_index(drop=True),
        problems=problems,
        cell_warnings=cell_warnings,
        rows_total=len(typed),
        products_total=int(typed["product_id"].nunique()),
        products_rejected=len(bad_products),
        rejected_products=sorted(str(p) for p in bad_products),
        rows_rejected=int(rejected.sum()),
        file_sku_ids=sku_ids,
        rejected_with=rejected_with_product(typed, rejected, bad_rows),
        product_rows={
            str(product_id): int(row)
            for row, product_id in zip(products.index, products["product_id"], strict=True)
        },
        sku_rows={
            str(sku_id): int(row) for row, sku_id in zip(skus.index, skus["sku_id"], strict=True)
        },
    )


def rejected_with_product_frame(
    rows: list[int] | None = None, because_of: list[int | None] | None = None
) -> pd.DataFrame:
    """The `ValidatedRows.rejected_with` frame (nullable integers)."""
    return pd.DataFrame(
        {
            "row": pd.array(rows or [], dtype="Int64"),
            "because_of": pd.array(because_of or [], dtype="Int64"),
        }
    )


def rejected_with_product(
    typed: pd.DataFrame, rejected: object, bad_rows: Collection[int | None]
) -> pd.DataFrame:
    """The rejected rows that have no problem of their own, each with the first row of its
    product that has one (NA when the product was rejected from elsewhere, e.g. a SKU row
    of it without product_id)."""
    mask = pd.Series(rejected, index=typed.index, dtype=bool)
    bad = typed.index.isin([r for r in bad_rows if r is not None])
    others = typed.loc[mask.to_numpy() & ~bad, "product_id"]
    if others.empty:
        return rejected_with_product_frame()
    culprits = typed.loc[bad, "product_id"].dropna()
    first = pd.Series(culprits.index, index=culprits.to_numpy()).groupby(level=0).min()
    because = others.map(first)
    return rejected_with_product_frame(
        [int(r) for r in others.index],
        [None if pd.isna(b) else int(b) for b in because.tolist()],
    )


def _ask(
    pool: ThreadPoolExecutor, lookup: Callable[[K], R] | None, keys: K, nothing: R
) -> Future[R]:
    """`lookup(keys)` started in `pool`; `nothing` at once when there is no lookup or key."""
    if lookup is None or not keys:
        done: Future[R] = Future()
        done.set_result(nothing)
        return done
    return pool.submit(lookup, keys)


def _schema_problems(typed: pd.DataFrame, raw: pd.DataFrame) -> list[Problem]:
    try:
        TemplateRow.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return []
    # A failed frame-level check is reported once per column of each failing row: keep the
    # one column the brand has to change.
    frame_level = cases["check"] == OFFER_CHECK
    cases = cases[~frame_level | (cases["column"] == "offer_price")]
    cases = cases[cases["index"].notna() & cases["column"].notna()]
    problems: list[Problem] = []
    for row, column, check in zip(cases["index"], cases["column"], cases["check"], strict=True):
        value = raw.at[int(row), column]
        problems.append(
            Problem(
                row=int(row),
                column=str(column),
                value=None if pd.isna(value) else str(value),
                message=message_for(str(check)),
            )
        )
    return problems


def empty_products() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in PRODUCT_COLUMNS})


def empty_skus() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in ("product_id", *SKU_COLUMNS)})
    frame["stock"] = frame["stock"].astype("Int64")
    frame["is_disabled"] = frame["is_disabled"].astype(bool)
    return frame
