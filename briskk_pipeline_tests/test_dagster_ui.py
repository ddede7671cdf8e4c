"""What the Dagster UI reads for a good, a partly loaded, a rejected and a previewed upload
(issue 21 item 6: rejected looks rejected, without opening a run).

The uploads run through the real `ingest_job` in process; the assertions go through the
webserver's own GraphQL schema (dagster-graphql, the code location loaded from
`briskk_pipeline/definitions.py` in a code server, as `dagster dev` does), with the queries
the pages send: the Runs list's run tags and status, the partition page's materialization
(its first metadata entry and tags), and the Checks tab's per-partition check statuses and
evaluations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

from briskk_pipeline.catalog import uploads
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

DEFINITIONS = str(Path(__file__).resolve().parent.parent / "briskk_pipeline" / "definitions.py")

RUNS = """
query($partition: String!) {
  runsOrError(filter: {tags: [{key: "dagster/partition", value: $partition}]}) {
    ... on Runs { results { runId status tags { key value } } } } }
"""
# the partition page (AssetPartitionDetailQuery): the partition's latest materialization
PARTITION = """
query($asset: [String!]!, $partition: String!) {
  assetOrError(assetKey: {path: $asset}) { ... on Asset {
    assetEventHistory(partitions: [$partition], limit: 10,
                      eventTypeSelectors: [MATERIALIZATION, FAILED_TO_MATERIALIZE]) {
      results { __typename ... on MaterializationEvent {
        partition tags { key value }
        metadataEntries { label ... on TextMetadataEntry { text } } } } } } } }
"""
# the Checks tab of a partitioned check (AssetCheckPartitionHealthQuery), and its executions
CHECK = """
query($asset: [String!]!, $check: String!) {
  assetNodeOrError(assetKey: {path: $asset}) { ... on AssetNode {
    assetCheckOrError(checkName: $check) { ... on AssetCheck {
      partitionStatuses { ... on AssetCheckDefaultPartitionStatuses {
        succeededPartitions failedPartitions } } } } } }
  assetCheckExecutions(assetKey: {path: $asset}, checkName: $check, limit: 20) {
    partition status evaluation { success severity description } }
}
"""


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Iterator[Harness]:
    # an instance on disk, as `dagster dev` has: the code server is another process
    (tmp_path / "dagster").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        yield replace(make_harness(database_url, local_store, tmp_path), instance=instance)


@pytest.fixture
def graphql(harness) -> Iterator[Any]:
    """Run a query against the webserver's schema over the harness's instance."""
    with define_out_of_process_context(DEFINITIONS, "defs", harness.instance) as context:

        def query(text: str, **variables: Any) -> dict[str, Any]:
            # entered per request, as the webserver does: dynamic partition keys load through it
            with context:
                result = execute_dagster_graphql(context, text, variables)
            assert not result.errors, result.errors
            data: dict[str, Any] = result.data
            return data

        yield query


def _ingest(harness: Harness, path: Path, tenant: str | None = None, *, dry: bool = False) -> str:
    upload_id = harness.register(path, tenant)
    if dry:
        uploads.mark_dry_run(harness.engine, upload_id)
    assert harness.run(upload_id).success  # every outcome below is a processed upload
    return upload_id


def _rows(products: int, bad: int = 0, prefix: str = "P") -> list[dict[str, Any]]:
    """`products` products of four SKU rows each; the first `bad` of them priced `free`."""
    rows = template_rows(products * 4, product_prefix=prefix)
    for row in rows[: bad * 4]:
        row["price"] = "free"
    return rows


def test_each_outcome_reads_apart_in_the_ui(harness, graphql, tmp_path):
    files = tmp_path / "files"
    outcome = {
        "good": _ingest(harness, write_xlsx(files / "good.xlsx", _rows(2))),
        "partly": _ingest(harness, write_xlsx(files / "partly.xlsx", _rows(4, 1, "Q"))),
        "rejected": _ingest(harness, write_xlsx(files / "bad.xlsx", _rows(2, 2, "R"))),
        "refused": _ingest(
            harness,
            write_xlsx(files / "o.xlsx", _rows(1, 0, "S"), sheet_name="BrandA_Briskk_SKU_Template"),
            "BrandB",
        ),
        "previewed": _ingest(harness, write_xlsx(files / "dry.xlsx", _rows(4, 1, "T")), dry=True),
    }

    # Runs list: every run a green Success, told apart by its chips
    expected_tags = {
        "good": {"briskk/status": "succeeded"},
        "partly": {"briskk/status": "succeeded", "briskk/rejected": "1 of 4 products"},
        "rejected": {"briskk/status": "rejected", "briskk/rejected": "2 of 2 products"},
        "refused": {"briskk/status": "rejected", "briskk/rejected": "the whole file"},
        "previewed": {"briskk/status": "previewed", "briskk/rejected": "1 of 4 products"},
    }
    for name, upload_id in outcome.items():
        (run,) = graphql(RUNS, partition=upload_id)["runsOrError"]["results"]
        assert run["status"] == "SUCCESS", name
        tags = {t["key"]: t["value"] for t in run["tags"] if t["key"].startswith("briskk/")}
        shown = {k: v for k, v in tags.items() if k in ("briskk/status", "briskk/rejected")}
        assert shown == expected_tags[name], name

    # partition page: the verdict first, the status as the materialization's tag
    verdicts = {
        "good": "loaded",
        "partly": "loaded with 1 of 4 products rejected",
        "rejected": "REJECTED: nothing loaded (2 of 2 products rejected)",
        "refused": "REJECTED: nothing loaded (the file itself was refused)",
        "previewed": "previewed: dry run, nothing changed "
        "(would load with 1 of 4 products rejected)",
    }
    for name, upload_id in outcome.items():
        for asset in ("products", "skus"):
            found = graphql(PARTITION, asset=[asset], partition=upload_id)
            (event,) = found["assetOrError"]["assetEventHistory"]["results"]
            assert event["__typename"] == "MaterializationEvent", (name, asset)
            first = event["metadataEntries"][0]
            assert (first["label"], first["text"]) == ("upload", verdicts[name]), (name, asset)
            tags = {t["key"]: t["value"] for t in event["tags"]}
            assert tags["briskk/status"] == expected_tags[name]["briskk/status"], (name, asset)

    # Checks tab: each upload's partition green or red, with the failed evaluation's severity
    def check(asset: str, name: str) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
        found = graphql(CHECK, asset=[asset], check=name)
        statuses = found["assetNodeOrError"]["assetCheckOrError"]["partitionStatuses"]
        executions = {e["partition"]: e for e in found["assetCheckExecutions"]}
        return statuses, executions

    statuses, executions = check("products", "upload_accepted")
    red = {outcome["rejected"], outcome["refused"]}
    assert set(statuses["failedPartitions"]) == red
    assert set(statuses["succeededPartitions"]) == set(outcome.values()) - red
    for upload_id in red:
        evaluation = executions[upload_id]["evaluation"]
        assert executions[upload_id]["status"] == "FAILED"
        assert evaluation["success"] is False and evaluation["severity"] == "ERROR"
        assert evaluation["description"].startswith("rejected: ")
    assert "row 2, column price" in executions[outcome["rejected"]]["evaluation"]["description"]

    statuses, executions = check("validated_rows", "all_rows_valid")
    assert set(statuses["succeededPartitions"]) == {outcome["good"]}
    failed = {k: v for k, v in outcome.items() if k != "good"}
    assert set(statuses["failedPartitions"]) == set(failed.values())
    severity = {k: executions[v]["evaluation"]["severity"] for k, v in failed.items()}
    # yellow where some products loaded (or would), red where nothing did
    assert severity == {
        "partly": "WARN",
        "rejected": "ERROR",
        "refused": "ERROR",
        "previewed": "WARN",
    }
    statuses, _ = check("raw_sheet", "is_readable_template")
    assert statuses["failedPartitions"] == [outcome["refused"]]
    statuses, _ = check("skus", "catalog_holds_upload")
    assert set(statuses["succeededPartitions"]) == set(outcome.values())
