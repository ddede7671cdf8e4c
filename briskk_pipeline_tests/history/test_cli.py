"""`briskk history` and `briskk rollback` end to end: real `briskk ingest` runs, the Dagster job,
the catalog compared with `briskk products --json` (History issue, Tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows

pytestmark = pytest.mark.e2e


def _ingest(
    env: dict[str, str], tmp_path: Path, name: str, rows: list[dict[str, Any]], *extra: str
) -> str:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    result = briskk_json(env, "ingest", str(path), "--tenant", "BrandA", *extra)
    assert result["status"] == "succeeded", result
    upload_id: str = result["upload_id"]
    return upload_id


def test_three_uploads_history_and_rollback_through_the_cli(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "BRISKK_REVIEW_PRICE_FACTOR": "10"}  # 999 -> 2000 is not held for review here
    first = template_rows(8)  # 2 products, 4 SKUs each
    other = tmp_path / "other.csv"
    other.write_bytes(csv_bytes(first))
    assert briskk_json(env, "ingest", str(other), "--tenant", "BrandB")["status"] == "succeeded"
    brand_b = briskk_json(env, "products", "--tenant", "BrandB")

    u1 = _ingest(env, tmp_path, "season.csv", first)
    second = [dict(r) for r in first if r["sku_id"] != "P000000-3"]  # drop one SKU
    second[0].update(price=2000, offer_price=1500)
    u2 = _ingest(env, tmp_path, "last-season-prices.csv", second, "--replace")
    state2 = briskk_json(env, "products", "--tenant", "BrandA")
    third = [dict(r) for r in second]
    third[0].update(price=2100, offer_price=1500)
    u3 = _ingest(env, tmp_path, "fix.csv", third)

    # who changed this price and when
    history = briskk_json(env, "history", "--sku", "P000000-0", "--tenant", "branda")
    assert [(h["change_set_id"], h["file_name"], h["action"]) for h in history] == [
        (u1, "season.csv", "inserted"),
        (u2, "last-season-prices.csv", "updated"),
        (u3, "fix.csv", "updated"),
    ]
    old_price = history[0]["fields"]["price"][1]
    assert history[1]["fields"]["price"] == [old_price, 2000]
    assert history[2]["fields"] == {"price": [2000, 2100]}
    by_upload = briskk_json(env, "history", "--upload", u2)
    assert {(h["key"], h["action"]) for h in by_upload} == {
        ("P000000-0", "updated"),
        ("P000000-3", "disabled"),
    }
    human = briskk(env, "history", "--product", "P000000", "--tenant", "BrandA")
    assert human.returncode == 0, human.stderr
    assert "last-season-prices.csv" in human.stdout and "2000 → 2100" in human.stdout

    # rolling back the last upload restores the second state exactly
    preview = briskk_json(env, "rollback", u3, "--dry-run")
    assert preview["status"] == "dry_run"
    assert briskk_json(env, "products", "--tenant", "BrandA") != state2
    done = briskk_json(env, "rollback", u3)
    assert done["status"] == "rolled_back" and done["skus_changed"] == 1
    assert briskk_json(env, "products", "--tenant", "BrandA") == state2
    record = next(u for u in briskk_json(env, "uploads") if u["upload_id"] == u3)
    assert record["rolled_back_at"] and "(briskk rollback)" in record["rolled_back_by"]
    listed = briskk(env, "uploads", "--tenant", "BrandA").stdout.splitlines()
    assert "rolled back" in next(line for line in listed if line.startswith(u3))
    assert "succeeded" in next(line for line in listed if line.startswith(u2))

    # the second is refused: the third touched its rows; the refusal lists them
    refused = briskk(env, "rollback", u2)
    assert refused.returncode == 1, refused.stderr
    assert "P000000-0" in refused.stdout and u3 in refused.stdout and "--force" in refused.stdout
    assert briskk_json(env, "products", "--tenant", "BrandA") == state2
    forced = briskk_json(env, "rollback", u2, "--force")
    catalog = briskk_json(env, "products", "--tenant", "BrandA")
    sku0 = catalog[0]["skus"][0]
    assert (sku0["price"], catalog[0]["skus"][3]["is_disabled"]) == (old_price, False)

    # rollback of the rollback brings u2's changes back
    briskk_json(env, "rollback", forced["rollback_id"])
    assert briskk_json(env, "products", "--tenant", "BrandA") == state2
    assert briskk_json(env, "products", "--tenant", "BrandB") == brand_b

    # every rollback left a Dagster run of rollback_upload_job
    instance = DagsterInstance.from_config(str(Path(env["BRISKK_HOME"]) / "dagster"))
    runs = instance.get_runs(RunsFilter(job_name="rollback_upload_job"))
    assert {r.status for r in runs} == {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE}
    assert len(runs) == 5  # dry run, u3, refused u2, forced u2, the rollback's rollback


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("rollback", "nope"), 2, "no upload or rollback with id 'nope'"),
        (("history",), 2, "one of the arguments --product --sku --upload is required"),
    ],
)
def test_rollback_and_history_usage_errors(
    env: dict[str, str], args: tuple[str, ...], code: int, message: str
) -> None:
    done = briskk(env, *args)
    assert done.returncode == code
    assert message in done.stderr and "Traceback" not in done.stderr
