"""A rejected upload is visibly not a good one (First hour issue): its checks fail at ERROR
severity with the reason, and the run and its materializations carry `briskk/status`.

Materialized in process against the embedded PostgreSQL; the webserver's view of the same
facts is asserted in test_first_hour.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetCheckSeverity, AssetKey

from briskk_pipeline.ingest.partitions import STATUS_TAG
from briskk_pipeline.outcome import REJECTED_TAG
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Harness:
    return make_harness(database_url, local_store, tmp_path)


def _good(tmp_path: Path) -> tuple[Path, str | None]:
    return write_xlsx(tmp_path / "good.xlsx", template_rows(8)), None


def _one_product_bad(tmp_path: Path) -> tuple[Path, str | None]:
    rows = template_rows(8)
    rows[0]["price"] = "free"
    return write_xlsx(tmp_path / "partly.xlsx", rows), None


def _every_product_bad(tmp_path: Path) -> tuple[Path, str | None]:
    rows = template_rows(4)
    rows[0]["price"] = "free"
    return write_xlsx(tmp_path / "all-bad.xlsx", rows), None


def _tenant_mismatch(tmp_path: Path) -> tuple[Path, str | None]:
    path = write_xlsx(
        tmp_path / "other.xlsx", template_rows(4), sheet_name="BrandA_Briskk_SKU_Template"
    )
    return path, "BrandB"


# the partition's first metadata entry, by file
VERDICTS = {
    "good.xlsx": "loaded",
    "partly.xlsx": "loaded with 1 of 2 products rejected",
    "all-bad.xlsx": "REJECTED: nothing loaded (1 of 1 product rejected)",
    "other.xlsx": "REJECTED: nothing loaded (the file itself was refused)",
}

# check name -> (passed, severity, words the description must hold); None: no description
PASS = (True, None, None)


@pytest.mark.parametrize(
    ("make", "status", "checks"),
    [
        (
            _good,
            "succeeded",
            {"is_readable_template": PASS, "all_rows_valid": PASS, "upload_accepted": PASS},
        ),
        (
            _one_product_bad,
            "succeeded",
            {
                "is_readable_template": PASS,
                "all_rows_valid": (False, AssetCheckSeverity.WARN, "row 2, column price"),
                "upload_accepted": PASS,
            },
        ),
        (
            _every_product_bad,
            "rejected",
            {
                "is_readable_template": PASS,
                "all_rows_valid": (False, AssetCheckSeverity.ERROR, "row 2, column price"),
                "upload_accepted": (False, AssetCheckSeverity.ERROR, "row 2, column price"),
            },
        ),
        (
            _tenant_mismatch,
            "rejected",
            {
                "is_readable_template": (False, AssetCheckSeverity.ERROR, "tenant 'BrandA'"),
                "all_rows_valid": (False, AssetCheckSeverity.ERROR, "tenant 'BrandA'"),
                "upload_accepted": (False, AssetCheckSeverity.ERROR, "tenant 'BrandA'"),
            },
        ),
    ],
    ids=["good", "one-product-bad", "every-product-bad", "tenant-mismatch"],
)
def test_status_shows_in_checks_and_tags(harness, tmp_path, make, status, checks):
    path, tenant = make(tmp_path)
    upload_id = harness.register(path, tenant)
    result = harness.run(upload_id)
    assert result.success  # a rejected upload is a processed one: the run succeeds

    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["catalog_holds_upload"].passed
    for name, (passed, severity, words) in checks.items():
        evaluation = evaluations[name]
        assert evaluation.passed is passed, (name, evaluation.description)
        if passed:
            assert evaluation.description is None, name
            continue
        assert evaluation.severity == severity, name
        assert evaluation.description is not None and words in evaluation.description, name
        assert evaluation.description.startswith(f"{status}: "), name

    run = harness.instance.get_run_by_id(result.run_id)
    assert run is not None and run.tags[STATUS_TAG] == status
    # how much was rejected: a chip of the Runs list only when something was
    rejected = {
        "good.xlsx": None,
        "partly.xlsx": "1 of 2 products",
        "all-bad.xlsx": "1 of 1 product",
        "other.xlsx": "the whole file",
    }
    assert run.tags.get(REJECTED_TAG) == rejected[path.name]
    for key in ("products", "skus"):
        event = harness.instance.get_latest_materialization_event(AssetKey(key))
        assert event is not None and event.asset_materialization is not None
        assert event.asset_materialization.partition == upload_id
        assert event.asset_materialization.tags[STATUS_TAG] == status
        verdict = event.asset_materialization.metadata["upload"].value
        assert verdict == VERDICTS[path.name]
        # the verdict comes first on the partition's page
        assert next(iter(event.asset_materialization.metadata)) == "upload"


@pytest.mark.parametrize("make", [_good, _every_product_bad], ids=["good", "every-product-bad"])
def test_a_dry_run_is_tagged_previewed(harness, tmp_path, make):
    """A dry run changed nothing: its run and materializations say `previewed`, never
    `succeeded` (nor `rejected`, which the upload record and the checks still tell)."""
    from briskk_pipeline.catalog import uploads

    path, tenant = make(tmp_path)
    upload_id = harness.register(path, tenant)
    uploads.mark_dry_run(harness.engine, upload_id)
    result = harness.run(upload_id)
    assert result.success
    run = harness.instance.get_run_by_id(result.run_id)
    assert run is not None and run.tags[STATUS_TAG] == "previewed"
    for key in ("products", "skus"):
        event = harness.instance.get_latest_materialization_event(AssetKey(key))
        assert event is not None and event.asset_materialization is not None
        assert event.asset_materialization.tags[STATUS_TAG] == "previewed"
