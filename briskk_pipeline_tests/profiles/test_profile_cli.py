"""`briskk profile`: exported, edited, imported and diffed; a header mismatch mapped once with
the command the rejection prints, the upload re-run and loaded, every later file loaded with
no step; a value map applied and recorded (real PostgreSQL, the real CLI)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows

pytestmark = pytest.mark.e2e

BRAND_HEADER = {
    "price": "MRP",
    "offer_price": "Selling Price",
    "stock": "Qty",
    "sku_id": "SKU Code",
}


def test_export_edit_import_with_diff_and_history(env, tmp_path: Path):
    exported = tmp_path / "branda.yaml"
    done = briskk(env, "profile", "export", "BrandA", "-o", str(exported))
    assert done.returncode == 0, done.stderr
    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    assert document["version"] == 0 and document["header_aliases"] == {}
    assert document["review_limits"] == {
        "disabled_share": None,
        "price_factor": None,
        "values_cleared": None,
    }

    document["header_aliases"] = {"Selling Price": "offer_price"}
    document["value_maps"] = {"color": {"Navy Blue": "Navy"}}
    document["strict_columns"] = ["fit"]
    document["review_limits"]["price_factor"] = 3
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    refused = briskk(env, "profile", "import", "BrandA", str(edited))
    assert refused.returncode == 2 and "--dry-run" in refused.stderr

    preview = briskk(env, "profile", "import", "BrandA", str(edited), "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.splitlines() == [
        "+ header alias 'Selling Price' -> 'offer_price'",
        "+ value map color: 'Navy Blue' -> 'Navy'",
        "+ strict column 'fit'",
        "~ review limit price_factor: 3 (was global)",
        "not stored: give --yes to store these as version 1",
    ]
    assert briskk_json(env, "profile", "history", "BrandA") == []  # a dry run stores nothing

    stored = briskk_json(env, "profile", "import", "BrandA", str(edited), "--yes")
    assert stored["version"] == 1 and stored["stored"] is True and len(stored["changes"]) == 4

    shown = briskk_json(env, "profile", "show", "brandA")  # any letter case
    assert shown["version"] == 1
    assert shown["header_aliases"] == {"Selling Price": "offer_price"}
    assert shown["strict_columns"] == ["fit"]
    # one source of truth: the review limit is the tenant's row in review_limits
    assert shown["review_limits"]["price_factor"] == "3"
    done = briskk(env, "review", "--tenant", "BrandA", "--set-limits", "-", "4", "-")
    assert done.returncode == 0, done.stderr
    assert briskk_json(env, "profile", "show", "BrandA")["review_limits"]["price_factor"] == "4"

    history = briskk_json(env, "profile", "history", "BrandA")
    assert [h["version"] for h in history] == [1]
    assert history[0]["changed_by"].endswith("(briskk profile)")
    assert history[0]["changes"][0] == "+ header alias 'Selling Price' -> 'offer_price'"

    # the first export (version 0) is stale now: importing it would undo version 1 unseen
    stale = briskk(env, "profile", "import", "BrandA", str(exported), "--yes")
    assert stale.returncode == 2 and "exported at version 0" in stale.stderr
    # the edited file again: only the limit `briskk review` changed since differs
    again = briskk_json(env, "profile", "import", "BrandA", str(edited), "--yes", "--force")
    assert again == {
        "tenant": "BrandA",
        "version": 2,
        "changes": ["~ review limit price_factor: 3 (was 4)"],
        "stored": True,
    }
    same = briskk_json(env, "profile", "import", "BrandA", str(edited), "--yes", "--force")
    assert same == {"tenant": "BrandA", "version": 2, "changes": [], "stored": False}


def _brand_file(
    tmp_path: Path, name: str, *, reverse: bool = False, colour: str | None = None
) -> Path:
    rows = template_rows(8)
    if colour is not None:
        for row in rows:
            row["color"] = colour
    columns = list(reversed(COLUMN_NAMES)) if reverse else list(COLUMN_NAMES)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows, header=BRAND_HEADER, columns=columns))
    return path


def test_header_mismatch_mapped_with_the_printed_command_then_every_file_loads(env, tmp_path):
    first = _brand_file(tmp_path, "BrandA_Briskk_SKU_Template.csv")
    rejected = briskk_json(env, "ingest", str(first), "--tenant", "BrandA", code=1)
    assert rejected["status"] == "rejected" and rejected["profile_version"] == 0
    messages = [e["message"] for e in rejected["errors"]]
    assert any("required column 'price' is missing" in m for m in messages)
    [hint] = [m for m in messages if m.startswith("suggested mapping of your headers")]
    assert "'MRP' (column" in hint and "-> price" in hint
    [how] = [m for m in messages if m.startswith("to accept the suggested mapping")]
    command = re.search(r"run: (briskk profile map .*?) \(or use", how)
    assert command is not None
    argv = shlex.split(command.group(1))
    assert argv[:4] == ["briskk", "profile", "map", "BrandA"]
    assert argv[-2:] == ["--rerun", rejected["upload_id"]]
    assert set(argv[4:-2]) == {
        "MRP=price",
        "Selling Price=offer_price",
        "Qty=stock",
        "SKU Code=sku_id",
    }

    # nothing was mapped by the suggestion itself
    assert briskk_json(env, "profile", "history", "BrandA") == []

    rerun = briskk_json(env, *argv[1:])
    assert rerun["upload_id"] == rejected["upload_id"]
    assert rerun["status"] == "succeeded" and rerun["skus_loaded"] == 8
    assert rerun["profile_version"] == 1
    history = briskk_json(env, "profile", "history", "BrandA")
    assert history[0]["upload_id"] == rejected["upload_id"]

    # a later file of the brand, its columns in another order: loads with no step at all
    later = _brand_file(tmp_path / "later", "BrandA_Briskk_SKU_Template.csv", reverse=True)
    loaded = briskk_json(env, "ingest", str(later), "--tenant", "BrandA")
    assert loaded["status"] == "succeeded" and loaded["profile_version"] == 1
    assert not any("MRP" in w for w in loaded["warnings"])


def test_value_map_applied_and_recorded(env, tmp_path):
    done = briskk(env, "profile", "map", "BrandA", "--value", "color:Navy Blue=Navy")
    assert done.returncode == 0, done.stderr
    path = tmp_path / "BrandA_Briskk_SKU_Template.csv"
    rows = template_rows(4)
    for row in rows:
        row["color"] = "Navy Blue"
    path.write_bytes(csv_bytes(rows))
    result = briskk_json(env, "ingest", str(path), "--tenant", "BrandA")
    assert result["status"] == "succeeded" and result["profile_version"] == 1
    mapped = [w for w in result["warnings"] if "mapped 'Navy Blue'" in w]
    assert mapped == [
        "row 2, column color: mapped 'Navy Blue' → 'Navy' by profile v1 (rows 2, 3, 4, 5) "
        "(value 'Navy Blue')"
    ]
    products = briskk_json(env, "products", "--tenant", "BrandA")
    assert {s["color"] for p in products for s in p["skus"]} == {"Navy"}
    upload = briskk_json(env, "uploads", "--tenant", "BrandA")[0]
    assert upload["profile_version"] == 1 and mapped[0] in upload["warnings"]


def test_a_mapping_to_no_template_column_is_refused_naming_the_closest(env):
    done = briskk(env, "profile", "map", "BrandA", "Selling Price=offer_prise")
    assert done.returncode == 2
    assert "'offer_prise' is not a template column (closest: offer_price" in done.stderr


def test_a_renamed_optional_column_loads_unread_then_is_read_after_the_mapping(env, tmp_path):
    # `Selling Price` is offer_price, an optional column: the file loads without it (the old
    # behaviour, nothing erased: nothing changes by omission) and says how to map it
    path = tmp_path / "BrandA_Briskk_SKU_Template.csv"
    rows = template_rows(4)
    path.write_bytes(csv_bytes(rows, header={"offer_price": "Selling Price"}))
    first = briskk_json(env, "ingest", str(path), "--tenant", "BrandA")
    assert first["status"] == "succeeded"
    [hint] = [w for w in first["warnings"] if w.startswith("columns not read that look like")]
    command = re.search(r"file: (briskk profile map .*?) \(or the mapping form", hint)
    assert command is not None
    argv = shlex.split(command.group(1))
    assert argv[1:] == [
        "profile",
        "map",
        "BrandA",
        "Selling Price=offer_price",
        "--rerun",
        first["upload_id"],
    ]
    products = briskk_json(env, "products", "--tenant", "BrandA")
    assert {s["offer_price"] for p in products for s in p["skus"]} == {None}

    again = briskk_json(env, *argv[1:])
    assert again["status"] == "succeeded" and again["profile_version"] == 1
    assert not any(w.startswith("columns not read") for w in again["warnings"])
    products = briskk_json(env, "products", "--tenant", "BrandA")
    offered = {s["sku_id"]: s["offer_price"] for p in products for s in p["skus"]}
    assert offered == {r["sku_id"]: float(r["offer_price"]) for r in rows}


@pytest.mark.parametrize(
    ("target", "words"),
    [("missing/profile.yaml", "no such folder"), (".", "is a folder")],
    ids=["missing folder", "a folder"],
)
def test_export_to_a_path_it_cannot_write_is_one_line(env, tmp_path: Path, target, words):
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes(template_rows(4)))
    briskk_json(env, "ingest", str(path), "--tenant", "BrandA")
    done = briskk(env, "profile", "export", "BrandA", "-o", str(tmp_path / target))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"briskk: {words}: "), done.stderr


def test_an_unknown_tenant_is_named_or_said(env, tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes(template_rows(4)))
    briskk_json(env, "ingest", str(path), "--tenant", "BrandA")
    # a brand's profile may be prepared (exported blank, edited, imported) before its first
    # upload: allowed, and said, so a misspelt tenant is seen
    shown = briskk(env, "profile", "show", "BrandZ")
    assert shown.returncode == 0
    assert "no upload of tenant 'BrandZ' yet" in shown.stderr
    listed = briskk(env, "readiness", "--tenant", "BrandZ")
    assert listed.returncode == 2 and "the tenants are BrandA" in listed.stderr
    # a profile or settings prepared before a brand's first upload: kept, and said
    mapped = briskk(env, "profile", "map", "NewBrand", "MRP=price")
    assert mapped.returncode == 0, mapped.stderr
    assert "no upload of tenant 'NewBrand' yet" in mapped.stderr
    chosen = briskk(env, "readiness", "--tenant", "NewBrand", "--set-channels", "myntra")
    assert chosen.returncode == 0 and "no upload of tenant 'NewBrand' yet" in chosen.stderr
