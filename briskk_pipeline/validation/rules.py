"""Rules that span rows: one SKU per row, one product per product_id, one owner per SKU,
one SKU per barcode; and the warning for SKU ids that differ only in letter case.

Functions take the cleaned frame (`cleaning.clean(...).typed`, indexed by Excel row) and return
`Problem`s: those of the `*_warnings` functions are cell warnings (the row still loads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from briskk_pipeline.template import PRODUCT_COLUMNS
from briskk_pipeline.validation.membership import text_isin
from briskk_pipeline.validation.report import Problem


def duplicate_skus(typed: pd.DataFrame) -> list[Problem]:
    """Every row whose sku_id appears on another row of the file."""
    sku = typed["sku_id"]
    duplicated = sku.notna() & sku.duplicated(keep=False)
    problems: list[Problem] = []
    for sku_id, group in typed.loc[duplicated, "sku_id"].groupby(sku[duplicated], sort=False):
        rows = ", ".join(str(r) for r in group.index)
        problems.extend(
            Problem(
                row=int(row),
                column="sku_id",
                value=str(sku_id),
                message=f"sku_id appears on more than one row (rows {rows}); "
                "each SKU must appear once per upload",
            )
            for row in group.index
        )
    return problems


def conflicting_product_fields(typed: pd.DataFrame, raw: pd.DataFrame) -> list[Problem]:
    """Rows whose product-level columns differ from the first row of the same product.

    Compared by groups, never by copying a product's value onto its rows: each column's
    values are factorized to integer codes (equal values, equal codes; blanks -1) and every
    row's code is compared with its product's first row's code. Memory is a few integers per
    row whatever the cells hold (a merge of the first rows onto every row asked Arrow for
    1.6 GB for one 2 MB cell over 800 rows).
    """
    keyed = typed[typed["product_id"].notna()]
    if keyed.empty:
        return []
    columns = [c for c in PRODUCT_COLUMNS if c != "product_id"]
    products, _ = pd.factorize(keyed["product_id"])
    _, first_positions = np.unique(products, return_index=True)
    first_of = first_positions[products]  # for each row, the position of its product's first row
    problems: list[Problem] = []
    for column in columns:
        values, _ = pd.factorize(keyed[column])
        for position in np.flatnonzero(values != values[first_of]):
            row = int(keyed.index[position])
            first_row = int(keyed.index[first_of[position]])
            expected = raw.at[first_row, column]
            shown = "empty" if pd.isna(expected) else f"'{expected}'"
            problems.append(
                Problem(
                    row=row,
                    column=column,
                    value=_text(raw.at[row, column]),
                    message=f"differs from row {first_row} of product "
                    f"'{keyed['product_id'].iat[position]}', which has "
                    f"{shown}; product columns must be the same on every row of a product",
                )
            )
    return problems


def fill_product_fields(raw: pd.DataFrame) -> pd.DataFrame:
    """Blank product-level cells take the product's value from its other rows.

    Brands type product fields once, on a product's first row (SPEC §2 "a blank on a later row
    takes the product's value"); a product's value is its first non-blank cell in the column.
    Values that disagree are left as they are, for `conflicting_product_fields` to report.
    Rows without product_id are not touched. Returns `raw` itself when nothing needs filling.

    Vectorised with the products' integer codes (numpy): a column is only touched when some
    product has both a blank and a value in it (a field blank on all of a product's rows, the
    common case, costs one `bincount`).
    """
    codes, uniques = pd.factorize(raw["product_id"])  # -1 for rows without product_id
    keyed = codes >= 0
    filled: pd.DataFrame | None = None
    for column in PRODUCT_COLUMNS:
        if column == "product_id":
            continue
        blank = raw[column].isna().to_numpy()
        if not (blank & keyed).any():
            continue
        valued = ~blank & keyed
        has_value = np.bincount(codes[valued], minlength=len(uniques)) > 0
        needs = blank & keyed & has_value[np.where(keyed, codes, 0)]
        if not needs.any():
            continue
        # each product's first non-blank value (rows are in sheet order)
        first_codes, first_rows = np.unique(codes[valued], return_index=True)
        values = raw[column].to_numpy()[np.flatnonzero(valued)[first_rows]]
        by_code = dict(zip(first_codes.tolist(), values.tolist(), strict=True))
        if filled is None:
            filled = raw.copy()
        replacement = pd.Series(
            [by_code[c] for c in codes[needs].tolist()], index=raw.index[needs], dtype="str"
        )
        filled[column] = raw[column].mask(pd.Series(needs, index=raw.index), replacement)
    return raw if filled is None else filled


def orphan_rows(typed: pd.DataFrame, owners: Mapping[str, str]) -> tuple[list[Problem], set[str]]:
    """Rows without product_id whose sku_id belongs to a product, and those products.

    The SKU's product is the one that lists the same sku_id on another row of the file, else
    its owner in the tenant's catalog (`owners`: sku_id -> product_id). Such a row cannot be
    tied to its product, so that product is rejected whole (the Fidelity rule: a product is
    one unit, also when rows are incomplete) rather than loaded without the SKU.
    """
    orphan = typed["product_id"].isna() & typed["sku_id"].notna()
    if not orphan.any():
        return [], set()
    keyed = typed[typed["product_id"].notna() & typed["sku_id"].notna()]
    in_file = dict(zip(keyed["sku_id"], keyed["product_id"], strict=True))
    problems: list[Problem] = []
    products: set[str] = set()
    for row, sku_id in typed.loc[orphan, "sku_id"].items():
        product = in_file.get(sku_id) or owners.get(sku_id)
        if product is None:
            continue
        where = "in this file" if sku_id in in_file else "in your catalog"
        products.add(product)
        problems.append(
            Problem(
                row=int(row),  # type: ignore[arg-type]
                column="product_id",
                value=None,
                message=f"product_id is empty, but sku_id '{sku_id}' belongs to product "
                f"'{product}' ({where}): product '{product}' is rejected until product_id is "
                "filled on every one of its rows",
            )
        )
    return problems, products


def foreign_skus(typed: pd.DataFrame, owners: Mapping[str, str]) -> list[Problem]:
    """Rows whose sku_id already belongs to another product of the same tenant.

    Rows without product_id are `orphan_rows`' concern: they claim no product.
    """
    problems: list[Problem] = []
    if not owners:
        return problems
    for row, sku_id, product_id in zip(
        typed.index, typed["sku_id"], typed["product_id"], strict=True
    ):
        owner = owners.get(sku_id) if isinstance(sku_id, str) else None
        if owner is not None and isinstance(product_id, str) and owner != product_id:
            problems.append(
                Problem(
                    row=int(row),
                    column="sku_id",
                    value=sku_id,
                    message=f"sku_id already belongs to product '{owner}' in your catalog; "
                    "a SKU cannot move to another product",
                )
            )
    return problems


def duplicate_barcodes(typed: pd.DataFrame) -> list[Problem]:
    """Every row whose barcode is also on another SKU (a different sku_id) of the file.

    A barcode identifies one article at the till, so two SKUs with one barcode cannot both be
    right; each row names the other rows and their SKU ids. Rows repeating the same sku_id
    are `duplicate_skus`' business.
    """
    keyed = typed.loc[typed["barcode"].notna() & typed["sku_id"].notna(), ["barcode", "sku_id"]]
    shared = keyed.groupby("barcode", sort=False)["sku_id"].transform("nunique") > 1
    problems: list[Problem] = []
    for barcode, group in keyed[shared.to_numpy()].groupby("barcode", sort=False):
        for row, sku_id in zip(group.index, group["sku_id"], strict=True):
            others = [
                f"row {other} (SKU '{other_sku}')"
                for other, other_sku in zip(group.index, group["sku_id"], strict=True)
                if other_sku != sku_id
            ]
            problems.append(
                Problem(
                    row=int(row),
                    column="barcode",
                    value=str(barcode),
                    message=f"barcode is also on {', '.join(others)}; "
                    "each barcode must belong to one SKU",
                )
            )
    return problems


def foreign_barcodes(typed: pd.DataFrame, owners: Mapping[str, str]) -> list[Problem]:
    """Rows whose barcode already belongs to another SKU of the tenant's catalog.

    `owners`: barcode -> sku_id in the catalog. The owner SKU being in this upload too means
    the upload gives it another barcode (or the in-file rule reports both), so it is no clash.
    """
    if not owners:
        return []
    return _taken_barcodes(
        typed,
        owners,
        lambda owner: ~text_isin(owner, typed["sku_id"].dropna().unique()),
        "barcode already belongs to SKU '{owner}' in your catalog; "
        "each barcode must belong to one SKU",
    )


def barcodes_kept_by_rejected(
    typed: pd.DataFrame, rejected: npt.NDArray[np.bool_], owners: Mapping[str, str]
) -> list[Problem]:
    """Loading rows whose barcode a catalog SKU keeps because its product is rejected here.

    `foreign_barcodes` lets a row take a barcode whose catalog owner is in the same upload
    (the upload moves it). When the owner's product is rejected (`rejected`: a mask over
    `typed`), the owner keeps its stored barcode, so the row would share it: a problem for the
    row's barcode cell. `owners`: barcode -> sku_id in the catalog.
    """
    rejected_ids = typed.loc[rejected, "sku_id"].dropna().unique()
    if not owners or len(rejected_ids) == 0:
        return []
    return _taken_barcodes(
        typed.loc[~rejected],
        owners,
        lambda owner: text_isin(owner, rejected_ids),
        "barcode still belongs to SKU '{owner}' in your catalog: that SKU's product is "
        "rejected in this upload, so it keeps the barcode; fix that product, or give this SKU "
        "another barcode",
    )


def _taken_barcodes(
    rows: pd.DataFrame,
    owners: Mapping[str, str],
    counts: Callable[[pd.Series], npt.NDArray[np.bool_]],
    message: str,
) -> list[Problem]:
    """A problem for each row whose barcode another catalog SKU owns (`owners`: barcode ->
    sku_id), where `counts(owner column)` says the clash counts; `message` names `{owner}`."""
    owner = rows["barcode"].map(owners).astype("str")
    hit = (owner.notna() & (owner != rows["sku_id"]).fillna(True)).to_numpy() & counts(owner)
    hits = rows.loc[hit, ["barcode"]].assign(owner=owner[hit])
    return [
        Problem(
            row=int(row), column="barcode", value=str(barcode), message=message.format(owner=who)
        )
        for row, barcode, who in zip(
            hits.index.tolist(), hits["barcode"].tolist(), hits["owner"].tolist(), strict=True
        )
    ]


def case_only_sku_warnings(typed: pd.DataFrame, catalog_ids: Iterable[str] = ()) -> list[Problem]:
    """Warnings for SKU ids that differ only in letter case, in the file or from the catalog.

    SKU ids are case-sensitive (`sku-1` and `SKU-1` are two SKUs), which is rarely what a
    brand means: each row gets a warning naming the look-alikes (other rows of the file, or
    `catalog_ids`, the tenant's catalog SKU ids with the same lower-case form). The rows load.
    """
    keyed = typed.loc[typed["sku_id"].notna(), ["sku_id"]]
    if keyed.empty:
        return []
    keyed = keyed.assign(_folded=keyed["sku_id"].str.lower())
    # A catalog id the file lists itself is the same SKU, not a look-alike (a re-upload of a
    # catalog matches every one of its ids: those must cost nothing).
    in_file = set(keyed["sku_id"])
    known: dict[str, set[str]] = {}
    for sku_id in catalog_ids:
        if sku_id not in in_file:
            known.setdefault(sku_id.lower(), set()).add(sku_id)
    # Only a lower-case form met more than once can have two spellings in the file.
    repeated = keyed["_folded"].duplicated(keep=False).to_numpy()
    variants = pd.Series(False, index=keyed.index)
    if repeated.any():
        twice = keyed[repeated]
        variants[repeated] = (
            twice.groupby("_folded", sort=False)["sku_id"].transform("nunique") > 1
        ).to_numpy()
    variants |= text_isin(keyed["_folded"], known)
    flagged = keyed[variants.to_numpy()]
    # Look-alikes within the file: only forms met more than once (a few groups, if any).
    in_file_twins: dict[int, list[str]] = {}
    shared = flagged[flagged["_folded"].duplicated(keep=False).to_numpy()]
    for _, group in shared.groupby("_folded", sort=False):
        members = list(zip(group.index.tolist(), group["sku_id"].tolist(), strict=True))
        for row, sku_id in members:
            in_file_twins[row] = [f"'{o}' (row {r})" for r, o in members if o != sku_id]
    # Look-alikes in the catalog: named once per lower-case form (a re-upload typed in another
    # case flags every row: 100k rows cost 3.4 s when each row's group was walked in pandas).
    in_catalog = {folded: sorted(ids) for folded, ids in known.items()}
    problems: list[Problem] = []
    for row, sku_id, folded in zip(
        flagged.index.tolist(), flagged["sku_id"].tolist(), flagged["_folded"].tolist(), strict=True
    ):
        twins = in_file_twins.get(row, []) + [
            f"'{other}' (in your catalog)"
            for other in in_catalog.get(folded, ())
            if other != sku_id
        ]
        if twins:
            problems.append(
                Problem(
                    row=int(row),
                    column="sku_id",
                    value=str(sku_id),
                    message=f"differs only in letter case from {', '.join(twins)}; "
                    "they are loaded as different SKUs",
                )
            )
    return problems


def _text(value: object) -> str | None:
    return None if pd.isna(value) else str(value)
