"""`review_upload_job` from the Dagster side, and the limits' configuration, on PostgreSQL.

The ingest job holds an upload (`needs_review`, the catalog untouched, its run tagged
`briskk/status=needs_review`); the review job declines it with launchpad config; a failed
approval is refused for an upload that is not held. Limits: defaults, the `BRISKK_REVIEW_*`
variables and a tenant's own row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from briskk_pipeline.catalog.uploads import get_upload
from briskk_pipeline.review.jobs import review_upload_job
from briskk_pipeline.review.limits import (
    Limits,
    global_limits,
    set_tenant_limits,
    tenant_limits,
)
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Harness:
    return make_harness(database_url, local_store, tmp_path, fetch_images=False)


def _decide(harness: Harness, upload_id: str, decision: str) -> Any:
    return review_upload_job.execute_in_process(
        run_config={
            "ops": {"review_upload": {"config": {"upload_id": upload_id, "decision": decision}}}
        },
        instance=harness.instance,
        resources={"catalog": harness.catalog},
        raise_on_error=False,
    )


def test_the_review_job_declines_a_held_upload(harness: Harness, tmp_path) -> None:
    rows = template_rows(8)
    harness.ingest(write_xlsx(tmp_path / "base.xlsx", rows))
    before = harness.table("skus")
    typo = [dict(r, price=r["price"] * 10, offer_price=None) for r in rows]
    record = harness.ingest(write_xlsx(tmp_path / "typo.xlsx", typo))
    assert record["status"] == "needs_review"
    assert record["review_reasons"][0].startswith("8 prices move by more than a factor of 2")
    assert record["change_summary"]["skus"]["updated"] == 8
    assert harness.table("skus") == before
    runs = harness.instance.get_runs()
    assert runs[0].tags["briskk/status"] == "needs_review"

    result = _decide(harness, record["upload_id"], "decline")
    assert result.success
    assert result.output_for_node("review_upload") == {
        "upload_id": record["upload_id"],
        "decision": "declined",
        "status": "rejected",
        "refused": None,
    }
    after = get_upload(harness.engine, record["upload_id"])
    assert after is not None
    assert (after["status"], after["review_decision"]) == ("rejected", "declined")
    assert after["reviewed_by"].startswith("dagster run ")
    assert harness.table("skus") == before

    again = _decide(harness, record["upload_id"], "approve")
    assert not again.success  # no longer held: the run fails with the reason
    failure = next(e for e in again.all_events if e.is_step_failure)
    assert (
        "is rejected, not held for review"
        in failure.step_failure_data.user_failure_data.description
    )


def test_limits_default_environment_and_tenant(harness: Harness) -> None:
    assert global_limits({}) == Limits(Decimal("0.2"), Decimal(2), 50)
    env = {"BRISKK_REVIEW_PRICE_FACTOR": "3", "BRISKK_REVIEW_VALUES_CLEARED": "0"}
    assert global_limits(env) == Limits(Decimal("0.2"), Decimal(3), 0)
    with pytest.raises(ValueError, match="BRISKK_REVIEW_PRICE_FACTOR must be > 0"):
        global_limits({"BRISKK_REVIEW_PRICE_FACTOR": "0"})
    with pytest.raises(ValueError, match="must be a number"):
        global_limits({"BRISKK_REVIEW_DISABLED_SHARE": "a fifth"})
    set_tenant_limits(harness.engine, "BrandA", price_factor=Decimal(5))
    with harness.engine.connect() as connection:
        own = tenant_limits(connection, "branda", Limits())  # any letter case
        other = tenant_limits(connection, "BrandB", Limits())
    assert own == Limits(Decimal("0.2"), Decimal(5), 50)
    assert other == Limits()


def test_a_held_uploads_report_says_held_for_review_and_why() -> None:
    from briskk_pipeline.reports.findings import summary_line

    record = {
        "status": "needs_review",
        "dry_run": False,
        "products_loaded": 0,
        "products_rejected": 0,
        "rows_rejected": 0,
        "review_reasons": ["1 price moves by more than a factor of 2 (S1 price 999 → 99.9)"],
    }
    line = summary_line(record, [], None)
    assert line.startswith(
        "Held for review: nothing was loaded yet. The changes below go further than your "
        "catalog's limits allow (1 price moves by more than a factor of 2 (S1 price 999 → "
        "99.9)); Briskk will approve or decline them."
    )
