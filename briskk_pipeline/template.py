"""The Briskk SKU template: its columns, their levels and kinds, and how headers are matched.

Pure data and functions, no I/O. Everything else in the package asks this module what a column
is; nothing else hard-codes column lists. See SPEC §1 and §2 ("Sheet", "Headers", "Tenant").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Protocol

from briskk_pipeline import characters


class Level(StrEnum):
    PRODUCT = "product"
    SKU = "sku"


class Kind(StrEnum):
    """How a column's text is cleaned and typed."""

    TEXT = "text"
    IDENTIFIER = "identifier"  # text that often arrives as a number: never a float
    URL = "url"
    DECIMAL = "decimal"  # exact decimal (prices)
    MEASURE = "measure"  # exact decimal, >= 0
    INTEGER = "integer"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Column:
    name: str
    level: Level
    kind: Kind
    required: bool
    description: str


def _c(name: str, level: Level, kind: Kind, required: bool, description: str) -> Column:
    return Column(name, level, kind, required, description)


P, S = Level.PRODUCT, Level.SKU
IMAGE_COLUMNS: Final[tuple[str, ...]] = ("main_image", *(f"image_{i}" for i in range(1, 9)))

COLUMNS: Final[tuple[Column, ...]] = (
    _c("product_id", P, Kind.IDENTIFIER, True, "Unique identifier of the product (style)."),
    _c("product_name", P, Kind.TEXT, True, "Name of the product."),
    _c("brand", P, Kind.TEXT, True, "Brand name of the product."),
    _c("product_description", P, Kind.TEXT, True, "Detailed description of the product."),
    _c("category", P, Kind.TEXT, True, "Main category."),
    _c("sub_category", P, Kind.TEXT, False, "Sub-category."),
    _c("next_sub_category", P, Kind.TEXT, False, "Next-level sub-category."),
    # main_image has no `*` in the header but the template's description calls it required.
    _c("main_image", P, Kind.URL, True, "Main product image URL (http or https)."),
    *(_c(f"image_{i}", P, Kind.URL, False, f"Additional image {i} URL.") for i in range(1, 9)),
    _c("hsn_code", P, Kind.IDENTIFIER, True, "HSN code, 4, 6 or 8 digits (tariff list)."),
    _c("product_highlights", P, Kind.TEXT, True, "Key selling points."),
    _c("fit", P, Kind.TEXT, False, "Fit."),
    _c("sleeve", P, Kind.TEXT, False, "Sleeve type."),
    _c("pattern_type", P, Kind.TEXT, False, "Pattern."),
    _c("material", P, Kind.TEXT, False, "Material."),
    _c("custom_code", P, Kind.IDENTIFIER, False, "Brand's own code."),
    _c("tax_rule_id", P, Kind.IDENTIFIER, False, "Tax rule identifier."),
    _c("bullet_points", P, Kind.TEXT, False, "Bullet points."),
    _c("neck_type", P, Kind.TEXT, False, "Neck type."),
    _c("sustainability_info", P, Kind.TEXT, False, "Sustainability information."),
    _c("sku_id", S, Kind.IDENTIFIER, True, "Unique identifier of the SKU."),
    _c("barcode", S, Kind.IDENTIFIER, False, "Barcode (EAN/UPC/GTIN), 8 to 14 digits."),
    _c("size", S, Kind.IDENTIFIER, True, "Size, kept as text (32 stays '32')."),
    _c("color", S, Kind.TEXT, True, "Colour."),
    _c("price", S, Kind.DECIMAL, True, "Price, greater than 0."),
    _c("offer_price", S, Kind.DECIMAL, False, "Offer price, greater than 0 and at most price."),
    _c("stock", S, Kind.INTEGER, True, "Units in stock, a whole number >= 0."),
    _c("facility_id", S, Kind.IDENTIFIER, True, "Facility identifier."),
    _c("facility_name", S, Kind.TEXT, True, "Facility name."),
    _c("chest_bust_in", S, Kind.MEASURE, False, "Chest/bust in inches."),
    _c("waist_in", S, Kind.MEASURE, False, "Waist in inches."),
    _c("hips_in", S, Kind.MEASURE, False, "Hips in inches."),
    _c("front_length_in", S, Kind.MEASURE, False, "Front length in inches."),
    _c("across_shoulder_in", S, Kind.MEASURE, False, "Across shoulder in inches."),
    _c("to_fit_bust_in", S, Kind.MEASURE, False, "To fit bust in inches."),
    _c("to_fit_waist_in", S, Kind.MEASURE, False, "To fit waist in inches."),
    _c("inseam_length_in", S, Kind.MEASURE, False, "Inseam length in inches."),
    _c("is_disabled", S, Kind.BOOLEAN, False, "TRUE/FALSE, yes/no, 1/0; blank means false."),
)

BY_NAME: Final[dict[str, Column]] = {c.name: c for c in COLUMNS}
COLUMN_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in COLUMNS)
PRODUCT_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in COLUMNS if c.level is P)
SKU_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in COLUMNS if c.level is S)
REQUIRED_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in COLUMNS if c.required)
# The header row must hold these for a sheet to count as the template (main_image may be
# absent from a header and is then reported as a missing required column, not "not a template").
HEADER_MARKERS: Final[tuple[str, ...]] = ("product_id", "sku_id", "price", "stock")


def columns_of(kind: Kind) -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS if c.kind is kind)


def normalize_header(header: object) -> str:
    """`' Product_ID* '` -> `'product_id'`: trimmed, `*` dropped, lower case.

    Invisible characters (zero-width spaces, byte order marks, soft hyphens, no-break spaces:
    `characters.is_invisible`) are removed first and the text is NFKC-normalized, so
    `'sku_id\\u200b*'` and full-width `'ｓｋｕ＿ｉｄ'` both match `sku_id`.
    """
    if header is None:
        return ""
    text = str(header)
    if not text.isascii():
        text = characters.identifier_text(text)
    return text.strip().replace("*", "").strip().lower()


class HeaderRules(Protocol):
    """A tenant's own header rules (`profiles.model.Profile`): consulted after the template's
    names, for headers that are none of them."""

    def alias_for(self, header: object) -> str | None: ...

    def is_ignored(self, header: object) -> bool: ...


@dataclass(frozen=True)
class HeaderMatch:
    """Where each template column sits in a header row, and what does not fit."""

    positions: dict[str, int]  # canonical name -> 0-based column index
    missing_required: tuple[str, ...]
    unknown: tuple[str, ...]  # extra headers, as written
    duplicated: tuple[str, ...]  # template columns that appear more than once
    # by the tenant's profile (`HeaderRules`): template column -> the header as written that
    # is its alias; the headers it ignores, as written; the positions of both
    aliased: dict[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    claimed: frozenset[int] = frozenset()

    @property
    def is_template(self) -> bool:
        return all(m in self.positions for m in HEADER_MARKERS) or self.is_update

    @property
    def is_update(self) -> bool:
        """A price-and-stock update header (SPEC §2 "Upsert"): `sku_id` and at least one other
        SKU column, no product column (`validation/update_file.py`)."""
        return is_update_header(self.positions)


def match_headers(headers: list[object], rules: HeaderRules | None = None) -> HeaderMatch:
    """Match a header row: the template's names first (`normalize_header`), then, for a
    header that is none of them, the tenant's `rules` (an alias names its template column;
    an ignored header is read as nothing). A column named twice, by its name or an alias, is
    `duplicated`; every other header is `unknown`."""
    positions: dict[str, int] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    aliased: dict[str, str] = {}
    ignored: list[str] = []
    claimed: set[int] = set()
    later: list[tuple[int, object]] = []
    for index, raw in enumerate(headers):
        name = normalize_header(raw)
        if not name:
            continue
        if name in BY_NAME:
            if name in positions:
                duplicated.append(name)
            else:
                positions[name] = index
        else:
            later.append((index, raw))
    for index, raw in later:  # template names first wherever they sit in the row
        alias = rules.alias_for(raw) if rules is not None else None
        if alias is not None and alias in BY_NAME:
            claimed.add(index)
            if alias in positions:
                duplicated.append(alias)
            else:
                positions[alias] = index
                aliased[alias] = str(raw).strip()
        elif rules is not None and rules.is_ignored(raw):
            claimed.add(index)
            ignored.append(str(raw).strip())
        else:
            unknown.append(str(raw).strip())
    # an update file needs sku_id only, which it has; the rest comes from the catalog
    missing = (
        ()
        if is_update_header(positions)
        else tuple(c for c in REQUIRED_COLUMNS if c not in positions)
    )
    return HeaderMatch(
        positions,
        missing,
        tuple(unknown),
        tuple(duplicated),
        aliased=aliased,
        ignored=tuple(ignored),
        claimed=frozenset(claimed),
    )


def is_update_header(columns: Iterable[str]) -> bool:
    """`sku_id`, another SKU column and no product column: a price-and-stock update file."""
    names = set(columns)
    return (
        "sku_id" in names
        and not names & set(PRODUCT_COLUMNS)
        and bool(names & (set(SKU_COLUMNS) - {"sku_id"}))
    )


TEMPLATE_SUFFIX: Final = "_Briskk_SKU_Template"
TEMPLATE_SHEET_RE: Final = re.compile(r"^(?P<tenant>.+)_briskk_sku_template$", re.IGNORECASE)
TENANT_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
DEFAULT_TENANT: Final = "default"
# Excel keeps at most 31 characters of a sheet name (PITFALLS): a longer name is cut.
EXCEL_SHEET_NAME_LIMIT: Final = 31
# What browsers and file managers append to a second copy of a file: "name (1)", "name(2)"
# (browsers), "name - Copy", "name - Copy (2)" (Windows), "name copy", "name copy 2" (macOS).
_COPY_SUFFIX_RE: Final = re.compile(
    r"(?:\s*\(\d+\)|\s+-\s+copy(?:\s*\(\d+\))?|\s+copy(?:\s+\d+)?)$", re.IGNORECASE
)


def strip_copy_suffix(name: str) -> str:
    """`'BrandA_Briskk_SKU_Template (1)'` -> `'BrandA_Briskk_SKU_Template'`.

    Removes the marks browsers and file managers add to a second copy of a file (`(1)`,
    `(2)`, `- Copy`, `copy`, repeated as often as they were added) and surrounding spaces.
    """
    name = name.strip()
    while True:
        stripped = _COPY_SUFFIX_RE.sub("", name).strip()
        if stripped == name or not stripped:
            return name
        name = stripped


def _cut_claim(name: str) -> str | None:
    """The tenant of a sheet name Excel cut at 31 characters, if the cut fell in the suffix.

    `FashionHubIndia_Briskk_SKU_Temp` (31 characters) is what Excel keeps of
    `FashionHubIndia_Briskk_SKU_Template`: the name ends with a non-empty start of
    `_Briskk_SKU_Template` and what precedes it is the tenant. The longest such ending wins
    (a tenant ending in `_B…` gets the shorter reading). Where the cut fell inside the tenant
    name itself (a tenant of 31 characters or more), nothing of the suffix is left and the
    name claims nothing.
    """
    if len(name) != EXCEL_SHEET_NAME_LIMIT:
        return None
    lowered, suffix = name.lower(), TEMPLATE_SUFFIX.lower()
    for kept in range(len(suffix) - 1, 0, -1):
        if lowered.endswith(suffix[:kept]):
            tenant = name[:-kept].strip()
            return tenant or None
    return None


# What Google Drive and older Windows put before a copied file's name: "Copy of X".
_COPY_PREFIX_RE: Final = re.compile(r"^(?:copy\s+of(?:\s+|$))+", re.IGNORECASE)
# Google Sheets names a CSV download "<spreadsheet title> - <sheet name>.csv".
_TITLE_SEPARATOR: Final = " - "


def tenant_claim(sheet_name: str) -> str | None:
    """The tenant a sheet name (or a CSV file's name without extension) claims, or None.

    SPEC §1/§2: the data sheet is named `<Tenant>_Briskk_SKU_Template`, in any letter case:
    `BrandA_Briskk_SKU_Template` and `branda_briskk_sku_template` claim `BrandA` / `branda`
    (one tenant: tenants compare without regard to case). A name is a claim exactly when,
    after the marks tools add to names are set aside, it ends in `_Briskk_SKU_Template` (or
    in the start of it, cut by Excel) with something before it. The marks (PITFALLS):

    - a copy mark a browser or file manager adds at the end, `BrandA_Briskk_SKU_Template (1)`,
      `… - Copy`, `… copy 2` -> `BrandA`;
    - a name Excel cut at 31 characters, `FashionHubIndia_Briskk_SKU_Temp` -> `FashionHubIndia`
      (see `_cut_claim`; a cut inside the tenant name claims nothing);
    - `Copy of ` at the start (Google Drive, older Windows): `Copy of BrandA_Briskk_SKU_Template`
      -> `BrandA`;
    - a Google Sheets download's `<spreadsheet title> - ` at the start: `Briskk SKU Template -
      BrandA_Briskk_SKU_Template` -> `BrandA` (a tenant name holds no spaces, so the part after
      the last ` - ` is the sheet's name).

    Anything else claims nothing (`Briskk SKU Template - BrandA`, `BrandA_Briskk_SKU_Template_v2`).
    The claimed name is returned as written and may be an invalid tenant (`Brand A`): what
    that means is `raw_sheet`'s decision (ignored beside an explicit tenant, else rejected).
    """
    name = strip_copy_suffix(sheet_name)
    match = TEMPLATE_SHEET_RE.match(name)
    claim = match.group("tenant") if match else _cut_claim(name)
    if claim is None:
        return None
    claim = claim.rsplit(_TITLE_SEPARATOR, 1)[-1]
    return _COPY_PREFIX_RE.sub("", claim.strip()).strip() or None


def is_cut_sheet_name(sheet_name: str) -> bool:
    """True for a name of exactly Excel's 31 characters that claims no tenant: if it was once
    `<Tenant>_Briskk_SKU_Template`, Excel's cut fell inside the tenant name."""
    name = strip_copy_suffix(sheet_name)
    return len(name) == EXCEL_SHEET_NAME_LIMIT and tenant_claim(name) is None


def default_tenant_warning(sheet_name: str | None) -> str:
    """The warning of an upload filed under `default` (SPEC §2: neither an explicit tenant nor
    a claim). `sheet_name` is None for a CSV file (its file name is the claim)."""
    if sheet_name is None:
        return (
            "no tenant given and the file is not named '<Tenant>_Briskk_SKU_Template.csv': "
            f"filed under tenant '{DEFAULT_TENANT}'"
        )
    if is_cut_sheet_name(sheet_name):
        return (
            f"no tenant given and the sheet name '{sheet_name}' is cut at Excel's "
            f"{EXCEL_SHEET_NAME_LIMIT} characters inside what may be the tenant's name, so it "
            f"names no tenant: filed under tenant '{DEFAULT_TENANT}'; give the tenant "
            "explicitly (--tenant or the inbox folder) or use a shorter tenant name"
        )
    return (
        "no tenant given and the sheet is not named '<Tenant>_Briskk_SKU_Template': "
        f"filed under tenant '{DEFAULT_TENANT}'"
    )


def is_valid_tenant(tenant: str) -> bool:
    """Tenants become part of partition keys and object keys: letters, digits, `_`, `-`."""
    return bool(TENANT_RE.fullmatch(tenant))


class TenantMismatch(ValueError):
    """The sheet claims one tenant while the uploader is another."""


def resolve_tenant(explicit: str | None, claimed: str | None) -> str:
    """Explicit identity wins; a differing claim rejects the file; neither gives `default`.

    SPEC §2. Compared case-insensitively (`branda` uploading `BrandA_Briskk_SKU_Template` is
    the same brand); the explicit spelling is returned. The catalog files the upload under the
    tenant's first-registered spelling (`catalog/tenants.py`), whatever spelling this returns.
    Raises `TenantMismatch` when both exist and differ.
    """
    if explicit and claimed and explicit.lower() != claimed.lower():
        raise TenantMismatch(
            f"the sheet is named for tenant '{claimed}' but the upload is from tenant "
            f"'{explicit}'; one brand cannot write another's catalog"
        )
    return explicit or claimed or DEFAULT_TENANT
