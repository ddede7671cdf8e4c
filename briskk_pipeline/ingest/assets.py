"""`raw_sheet`: the archived original of one upload, read as template rows."""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Failure,
    Output,
    asset,
)

from briskk_pipeline import template
from briskk_pipeline.catalog import uploads
from briskk_pipeline.ingest.heartbeat import claim_for_run
from briskk_pipeline.ingest.partitions import uploads_partitions
from briskk_pipeline.ingest.reader import RawSheet
from briskk_pipeline.ingest.sandbox import ReadLimits, read_sandboxed
from briskk_pipeline.metadata import frame_preview, problems_summary, problems_table
from briskk_pipeline.outcome import upload_check
from briskk_pipeline.profiles import proposal_store, proposals
from briskk_pipeline.profiles import store as profiles
from briskk_pipeline.profiles.model import Profile
from briskk_pipeline.resources import CatalogDatabase, IngestSettings, ObjectStore
from briskk_pipeline.validation.report import FileRejected, Problem, file_problem

PREVIEW_COLUMNS = ("product_id", "product_name", "sku_id", "size", "color", "price", "stock")


@dataclass
class RawUpload:
    """One upload's rows, or the reasons the whole file was rejected."""

    upload_id: str
    tenant: str
    file_name: str
    sheet: RawSheet | None
    problems: list[Problem] = field(default_factory=list)
    # the tenant's brand profile this run read headers with; validation applies its value
    # maps and strict columns (profiles/): every entry point reads the upload here
    profile: Profile = field(default_factory=Profile.empty)

    @property
    def rejected(self) -> bool:
        return self.sheet is None


def registered_upload(engine: sa.Engine, upload_id: str) -> dict[str, Any]:
    """The upload record behind a partition; a partition nobody registered fails the run."""
    upload = uploads.get_upload(engine, upload_id)
    if upload is None:
        raise Failure(f"upload {upload_id} is not registered in the catalog")
    return upload


def read_archived_upload(
    upload: dict,
    data: bytes,
    *,
    max_rows: int,
    limits: ReadLimits | None = None,
    profile: Profile | None = None,
) -> tuple[RawSheet | None, list[Problem], proposals.Proposal | None]:
    """Read the archived bytes and apply the tenant rule of SPEC §2.

    Headers are matched with the tenant's brand `profile` (aliases, ignored headers). A file
    rejected for its header also returns what its unknown headers would map to
    (`profiles.proposals`), and its problems end with the command that accepts it.

    `upload` is the record (`tenant` as filed, `explicit_tenant` as given, `file_name`).
    Tenants compare without regard to case. Rejected whole (the problems returned, no sheet):
    an unreadable file, an invalid claimed tenant when no tenant is given (beside an explicit
    tenant a name that is no valid tenant is a name tools gave the file, and is set aside: a
    claim is only a claim), a valid claim that differs from the explicit tenant, or a file
    whose tenant is not the one it was filed under. Warned about (in the
    sheet's `warnings`): an upload filed under `default` for want of any tenant, and one
    filed under a spelling other than the one given.
    """
    try:
        sheet = read_sandboxed(
            data,
            upload["file_name"],
            max_rows=max_rows,
            limits=limits or ReadLimits(),
            rules=profile,
        )
        claim = sheet.tenant_claim
        if claim is not None and not template.is_valid_tenant(claim):
            if upload["explicit_tenant"] is None:
                raise FileRejected(
                    [
                        file_problem(
                            f"the sheet name claims tenant '{claim}', which is not a valid "
                            "tenant name (letters, digits, '_' and '-' only)"
                        )
                    ]
                )
            claim = None  # a name tools gave the file, not a tenant: the explicit one decides
        try:
            tenant = template.resolve_tenant(upload["explicit_tenant"], claim)
        except template.TenantMismatch as mismatch:
            raise FileRejected([file_problem(str(mismatch))]) from mismatch
        if tenant.lower() != upload["tenant"].lower():
            raise FileRejected(
                [
                    file_problem(
                        f"the file belongs to tenant '{tenant}' but was registered for "
                        f"'{upload['tenant']}'"
                    )
                ]
            )
    except proposals.HeaderRejected as rejection:
        problems = [
            *rejection.problems,
            *proposals.accept_problems(upload["tenant"], rejection.proposal, upload["upload_id"]),
        ]
        return None, problems, rejection.proposal
    except FileRejected as rejection:
        return None, rejection.problems, None
    sheet.warnings.extend(tenant_warnings(upload, sheet, tenant))
    found = proposals.loaded_proposal(sheet.header_rules)
    if found is not None:  # a renamed optional column was left unread: say how to map it
        sheet.warnings.append(
            proposals.accept_warning(upload["tenant"], found, upload["upload_id"])
        )
    return sheet, [], found


def profile_note(rule: dict[str, Any], version: int) -> str:
    """The info line of a header the brand profile read (`RawSheet.header_rules`)."""
    where = f"column {rule['letter']} '{rule['header']}'"
    if rule["rule"] == "alias":
        return f"{where} read as {rule['column']} (alias from profile v{version})"
    if rule["rule"] == "ignored":
        return f"{where} ignored (profile v{version})"
    return f"{where} not read: the template and the profile do not know it"


def tenant_warnings(upload: dict, sheet: RawSheet, tenant: str) -> list[str]:
    """What the brand should know about the tenant its upload was filed under.

    `tenant` is the one `resolve_tenant` chose (as spelled in `--tenant`, the inbox folder or
    the sheet name); `upload["tenant"]` the first-registered spelling it was filed under.
    """
    if upload["explicit_tenant"] is None and sheet.tenant_claim is None:
        return [template.default_tenant_warning(sheet.sheet_name)]
    if tenant != upload["tenant"]:
        return [
            f"tenant '{tenant}' is filed under '{upload['tenant']}', the spelling first "
            "registered (tenant names ignore letter case)"
        ]
    return []


@asset(
    partitions_def=uploads_partitions,
    group_name="ingest",
    check_specs=[
        upload_check(
            "is_readable_template",
            asset="raw_sheet",
            description="The file is a readable Briskk template within the row limit.",
        )
    ],
)
def raw_sheet(
    context: AssetExecutionContext,
    catalog: CatalogDatabase,
    object_store: ObjectStore,
    settings: IngestSettings,
) -> Iterator[Output[RawUpload] | AssetCheckResult]:
    """The brand's sheet as the template's 45 columns of trimmed text, one row per SKU.

    Read from the archived original (never the inbox), so any upload can be re-run. Numbers
    stay text (barcodes keep leading zeros), formulas give their cached values, and each row
    keeps its Excel row number. A file that cannot be used at all is recorded as rejected.
    """
    started = time.perf_counter()
    engine = catalog.get_engine()
    upload_id = context.partition_key
    upload = registered_upload(engine, upload_id)
    # claimed by this process, heartbeat kept while it runs (ingest/recovery.py judges it)
    claim_for_run(engine, upload_id, context.run_id)
    data = object_store.get(upload["archive_key"])
    # the profile as it is now: a re-run after a mapping was accepted reads with it, and the
    # upload records which version each run used (`uploads.profile_version`)
    profile = profiles.current(engine, upload["tenant"])
    uploads.update_upload(engine, upload_id, profile_version=profile.version)
    sheet, problems, proposal = read_archived_upload(
        upload, data, max_rows=settings.max_rows, limits=settings.read_limits, profile=profile
    )
    proposal_store.save(engine, upload_id, upload["tenant"], proposal)
    value = RawUpload(
        upload_id=upload_id,
        tenant=upload["tenant"],
        file_name=upload["file_name"],
        sheet=sheet,
        problems=problems,
        profile=profile,
    )
    for rule in sheet.header_rules if sheet is not None else []:
        if rule["rule"] != "template":  # what the profile did, as info (never a warning)
            context.log.info(profile_note(rule, profile.version))
    rows = sheet.row_count if sheet is not None else 0
    yield Output(
        value,
        metadata={
            "dagster/row_count": rows,
            "tenant": upload["tenant"],
            "file_name": upload["file_name"],
            "sheet": (sheet.sheet_name or "(csv)") if sheet is not None else "(unread)",
            "rejected": sheet is None,
            "warnings": "\n".join(sheet.warnings) if sheet is not None else "",
            "profile_version": profile.version,
            "preview": frame_preview(sheet.frame, PREVIEW_COLUMNS)
            if sheet is not None
            else problems_table(problems),
            # time spent in this asset's body (the benchmarks read it back per stage)
            "seconds": round(time.perf_counter() - started, 4),
        },
    )
    # A rejected file fails this check at ERROR severity, with the reason as its description,
    # so the partition shows a red check in the UI (the run itself still succeeds).
    yield AssetCheckResult(
        check_name="is_readable_template",
        passed=sheet is not None,
        severity=AssetCheckSeverity.ERROR,
        description=None if sheet is not None else f"rejected: {problems_summary(problems)}",
        metadata={"problems": problems_table(problems)},
    )
