"""The catalog's tables, as SQLAlchemy Core metadata.

Every catalog key is per tenant. Template columns keep the template's names (without `*`), so
the catalog reads like the spreadsheet brands fill in. The migrations in `migrations/` create
exactly these tables; `briskk_pipeline_tests/catalog` checks the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from briskk_pipeline.template import COLUMNS, Column, Kind, Level

metadata = sa.MetaData()


def _sql_type(column: Column) -> sa.types.TypeEngine:
    if column.kind in (Kind.DECIMAL, Kind.MEASURE):
        return sa.Numeric()  # exact, whatever scale the brand sent
    if column.kind is Kind.INTEGER:
        return sa.Integer()
    if column.kind is Kind.BOOLEAN:
        return sa.Boolean()
    return sa.Text()


def _template_columns(level: Level, keys: tuple[str, ...]) -> list[sa.Column]:
    return [
        sa.Column(c.name, _sql_type(c), nullable=not (c.required or c.kind is Kind.BOOLEAN))
        for c in COLUMNS
        if c.level is level and c.name not in keys
    ]


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("first_upload_id", sa.Text, nullable=False),
        sa.Column("last_upload_id", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("upload_id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    # who uploaded (`--tenant` or the inbox subfolder), as opposed to what the sheet claims
    sa.Column("explicit_tenant", sa.Text),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    # running | succeeded | rejected | failed | previewed (a dry run: nothing was written)
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),  # cli | inbox
    sa.Column("archive_uri", sa.Text, nullable=False),
    sa.Column("archive_key", sa.Text, nullable=False),
    sa.Column("run_id", sa.Text),
    sa.Column("products_loaded", sa.Integer, nullable=False, server_default="0"),
    sa.Column("skus_loaded", sa.Integer, nullable=False, server_default="0"),
    sa.Column("products_rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("warnings", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("images", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    # [{row, column, url, status, reason}]: the upload's image slots not stored (0002)
    sa.Column("image_failures", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("failure_reason", sa.Text),
    # a step after the load failed; the status stays the load's (0011_hardening, step_errors)
    sa.Column("report_error", sa.Text),
    sa.Column("seconds", sa.Float),
    sa.Column("report_uri", sa.Text),  # the annotated workbook, when the upload needs one
    # registered by `briskk ingest --dry-run`: its runs never change the catalog
    sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("changes", JSONB),  # what a dry run found it would change (reports/changes)
    # the process working on a `running` upload and its last sign of life (0005_upload_heartbeat)
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
    sa.Column("worker_host", sa.Text),  # host name and PID namespace
    sa.Column("worker_pid", sa.Integer),
    # when retention deleted its stored outputs and partition (0008_retention); None otherwise
    sa.Column("pruned_at", sa.DateTime(timezone=True)),
    # undone by `briskk rollback` (0007_history): when, and who asked (history/rollback.py)
    sa.Column("rolled_back_at", sa.DateTime(timezone=True)),
    sa.Column("rolled_back_by", sa.Text),
    # what the upload may change (0010_semantics): merge (default) | replace | update
    sa.Column("mode", sa.Text, nullable=False, server_default="merge"),
    # what the load changed, or would change when held or previewed (catalog/summary.py)
    sa.Column("change_summary", JSONB),
    # a `needs_review` upload: why it is held, and the operator's decision (review/)
    sa.Column("review_reasons", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("review_decision", sa.Text),  # approved | declined
    sa.Column("reviewed_at", sa.DateTime(timezone=True)),
    sa.Column("reviewed_by", sa.Text),
    # the brand profile version its last run read headers and values with (profiles/)
    sa.Column("profile_version", sa.Integer),
    sa.CheckConstraint("mode IN ('merge', 'replace', 'update')", name="uploads_mode_check"),
    sa.CheckConstraint(
        "status IN ('running', 'succeeded', 'rejected', 'failed', 'previewed', 'needs_review')",
        name="uploads_status_check",
    ),
    sa.Index("uploads_tenant_received_idx", "tenant", "received_at"),
    sa.Index(
        "uploads_claimed_running_idx",
        "heartbeat_at",
        postgresql_where=sa.text("status = 'running' AND heartbeat_at IS NOT NULL"),
    ),
    # per-upload work stays flat however many uploads there are (0009_upload_indexes)
    sa.Index("uploads_running_idx", "received_at", postgresql_where=sa.text("status = 'running'")),
    sa.Index("uploads_received_idx", "received_at", "upload_id"),
    sa.Index(
        "uploads_tenant_key_received_idx", sa.text("lower(tenant)"), "received_at", "upload_id"
    ),
    sa.Index("uploads_sha256_idx", "sha256"),
    sa.Index(
        "uploads_needs_review_idx",
        "received_at",
        postgresql_where=sa.text("status = 'needs_review'"),
    ),
    sa.Index(
        "uploads_upload_id_pattern_idx",
        "upload_id",
        postgresql_ops={"upload_id": "text_pattern_ops"},
    ),
    sa.Index(
        "uploads_unpruned_idx",
        sa.text("coalesce(finished_at, received_at)"),
        "upload_id",
        postgresql_where=sa.text("pruned_at IS NULL"),
    ),
)

upload_errors = sa.Table(
    "upload_errors",
    metadata,
    sa.Column("upload_id", sa.Text, sa.ForeignKey("uploads.upload_id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("row", sa.Integer),  # Excel row number (header = 1); null for file-level errors
    sa.Column("column", sa.Text),
    sa.Column("value", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("product_id", sa.Text, primary_key=True),
    *_template_columns(Level.PRODUCT, ("product_id",)),
    *_audit_columns(),
)

skus = sa.Table(
    "skus",
    metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("sku_id", sa.Text, primary_key=True),
    sa.Column("product_id", sa.Text, nullable=False),
    *_template_columns(Level.SKU, ("sku_id",)),
    *_audit_columns(),
    # read from `color` and `size` by vocab/store.py after each load (0013_vocab): the brand's
    # words stay in `color`/`size`; null when the vocabulary has no reading of them
    sa.Column("color_family", sa.Text),
    sa.Column("size_normalised", sa.Text),
    sa.Column("size_system", sa.Text),
    sa.ForeignKeyConstraint(
        ["tenant", "product_id"], ["products.tenant", "products.product_id"], name="skus_product_fk"
    ),
    sa.Index("skus_tenant_product_idx", "tenant", "product_id"),
    sa.Index("skus_tenant_color_family_idx", "tenant", "color_family"),
)

# Content-addressed: one row per distinct image content, shared by every tenant and URL.
images = sa.Table(
    "images",
    metadata,
    sa.Column("sha256", sa.Text, primary_key=True),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("object_key", sa.Text, nullable=False),
    sa.Column("content_type", sa.Text, nullable=False),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # measured once when stored (readiness/image_facts.py, 0012_readiness); NULL before that
    sa.Column("border_white", sa.Float),  # share of near-white border pixels, 0..1
    sa.Column("phash", sa.Text),  # imagehash.phash, 16 hex digits
)

# One row per image slot of a product: position 0 is main_image, 1..8 image_1..image_8.
product_images = sa.Table(
    "product_images",
    metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("product_id", sa.Text, primary_key=True),
    sa.Column("position", sa.SmallInteger, primary_key=True),
    sa.Column("source_url", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # stored | failed | blocked
    sa.Column("reason", sa.Text),
    sa.Column("sha256", sa.Text, sa.ForeignKey("images.sha256")),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
    sa.Column("gave_up", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.ForeignKeyConstraint(
        ["tenant", "product_id"],
        ["products.tenant", "products.product_id"],
        name="product_images_product_fk",
    ),
    sa.CheckConstraint(
        "status IN ('stored', 'failed', 'blocked')", name="product_images_status_check"
    ),
    sa.CheckConstraint("position BETWEEN 0 AND 8", name="product_images_position_check"),
    sa.Index("product_images_status_idx", "status"),
)

# One row per tenant: tenants are one identity whatever the letter case (SPEC §2), and every
# catalog key uses the spelling first registered (`name`). `tenant_key` is lower(name).
tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("tenant_key", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("name", name="tenants_name_key"),
    sa.CheckConstraint("tenant_key = lower(name)", name="tenants_key_check"),
)

# Per-tenant limits of what one upload may change before it is held for review (review/;
# 0010_semantics). A null limit falls back to the global one (BRISKK_REVIEW_* variables).
review_limits = sa.Table(
    "review_limits",
    metadata,
    sa.Column("tenant_key", sa.Text, primary_key=True),  # lower(tenant)
    sa.Column("disabled_share", sa.Numeric),  # share of active SKUs, 0..1
    sa.Column("price_factor", sa.Numeric),  # a price moved up or down by more than this
    sa.Column("values_cleared", sa.Integer),  # stored values made blank
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Brand profiles (issue 22, profiles/; 0014_profiles): one row per version of a tenant's
# profile, never updated: `body` is the whole profile as stored (header aliases, ignored
# columns, value maps, strict columns, review limits), `changes` what this version changed.
brand_profiles = sa.Table(
    "brand_profiles",
    metadata,
    sa.Column("tenant_key", sa.Text, primary_key=True),  # lower(tenant)
    sa.Column("version", sa.Integer, primary_key=True),  # 1, 2, ... per tenant
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("body", JSONB, nullable=False),
    sa.Column("changes", JSONB, nullable=False),  # list of one-line changes
    sa.Column("changed_by", sa.Text, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("upload_id", sa.Text),  # the upload whose header the change answered, if any
    sa.CheckConstraint("version > 0", name="brand_profiles_version_check"),
)

# What a header row rejected for unknown headers would map where (profiles/proposals.py): the
# brand page's mapping form reads it; replaced on every run of the upload.
header_proposals = sa.Table(
    "header_proposals",
    metadata,
    sa.Column(
        "upload_id",
        sa.Text,
        sa.ForeignKey("uploads.upload_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("proposal", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Bearer tokens of the HTTP API (`briskk tokens`): one row per token, only a hash of its secret.
# A brand token acts as its tenant (SPEC §2: the explicit identity); an admin token may name any.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_id", sa.Text, primary_key=True),  # public part, printed in the token
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("admin", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("secret_sha256", sa.Text, nullable=False),  # hex sha256 of the secret part
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)


class RowOf(sa.types.UserDefinedType[object]):
    """A column holding a whole row of catalog table `table` (its PostgreSQL row type)."""

    cache_ok = True

    def __init__(self, table: str) -> None:
        self.table = table

    def get_col_spec(self, **kw: object) -> str:
        return self.table


# What each change set (an upload's load, or a rollback) did to each product and SKU row it
# changed: the row before (null: the change set inserted it) and after, as row images of the
# catalog tables' own row types, plus a product's image slots as JSONB (0007_history; written by
# history/record.py in the change set's own transaction, which says why row types).
# `change_set_id` is an upload_id or a rollback_id (the key leads with it: `--upload` and
# rollbacks read by it); `change_id` orders the changes.
catalog_history = sa.Table(
    "catalog_history",
    metadata,
    sa.Column("change_set_id", sa.Text, primary_key=True),
    sa.Column("change_id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("entity", sa.Text, nullable=False),  # product | sku
    sa.Column("key", sa.Text, nullable=False),  # product_id or sku_id
    sa.Column("product_id", sa.Text, nullable=False),  # the product (of the SKU, after)
    sa.Column("action", sa.Text, nullable=False),  # inserted | updated | disabled | enabled
    sa.Column("product_before", RowOf("products")),
    sa.Column("product_after", RowOf("products")),
    sa.Column("sku_before", RowOf("skus")),
    sa.Column("sku_after", RowOf("skus")),
    sa.Column("images_before", JSONB),  # an updated product's slots, ordered by position
    sa.Column("images_after", JSONB),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("entity IN ('product', 'sku')", name="catalog_history_entity_check"),
    # a product's and its SKUs' changes (a SKU never moves to another product: SPEC §2)
    sa.Index("catalog_history_product_idx", "tenant", "product_id"),
)

# One row per `briskk rollback` that changed the catalog: itself a change set (its changes are
# in catalog_history under its rollback_id), so it can be rolled back too (0007_history).
rollbacks = sa.Table(
    "rollbacks",
    metadata,
    sa.Column("rollback_id", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("target_id", sa.Text, nullable=False),  # the upload_id or rollback_id undone
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("forced", sa.Boolean, nullable=False),
    sa.Column("run_id", sa.Text),  # the Dagster run of rollback_upload_job
    sa.Column("rolled_back_at", sa.DateTime(timezone=True)),
    sa.Column("rolled_back_by", sa.Text),
    sa.Index("rollbacks_target_idx", "target_id"),
)

# Marketplace readiness (readiness/, 0012_readiness): a tenant's channel settings, and each
# upload's verdict per product and channel (`ready`, or the failing rules as JSON).
tenant_readiness = sa.Table(
    "tenant_readiness",
    metadata,
    sa.Column("tenant_key", sa.Text, primary_key=True),  # lower(tenant), SPEC §2
    sa.Column("channels", ARRAY(sa.Text), nullable=False),
    sa.Column("blocking", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
    sa.Column("strict_barcodes", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("tax_rules", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

upload_readiness = sa.Table(
    "upload_readiness",
    metadata,
    sa.Column("upload_id", sa.Text, sa.ForeignKey("uploads.upload_id"), primary_key=True),
    sa.Column("product_id", sa.Text, primary_key=True),
    sa.Column("channel", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("row", sa.Integer),  # the product's first Excel row in the upload
    sa.Column("ready", sa.Boolean, nullable=False),
    sa.Column("failures", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("upload_readiness_product_idx", "tenant", "product_id", "channel", "checked_at"),
)
