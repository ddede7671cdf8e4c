"""Every asset output type survives the object store field by field (storage/codec.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from briskk_pipeline.images.assets import ProductImages
from briskk_pipeline.images.failures import image_failures
from briskk_pipeline.images.frames import build_frames, count_outcomes, image_slots
from briskk_pipeline.images.model import ImageOutcome, ImageStatus, StoredImage
from briskk_pipeline.ingest.assets import RawUpload
from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.readiness.evaluate import assess
from briskk_pipeline.readiness.settings import ReadinessSettings
from briskk_pipeline.resources import ObjectStore
from briskk_pipeline.storage import codec
from briskk_pipeline.storage.io_manager import load_output, output_prefix, store_output
from briskk_pipeline.validation.report import Problem
from briskk_pipeline.validation.validate import ValidatedRows, validate_rows
from briskk_pipeline_tests.workbooks import Text, csv_bytes, template_rows


def sample_sheet() -> RawUpload:
    rows = template_rows(12)
    rows[0]["barcode"] = Text("0012345678905")  # leading zeros are text
    rows[1]["offer_price"] = "99999"  # more than price: a problem
    rows[2]["stock"] = ""  # blank -> NA
    sheet = read_upload(csv_bytes(rows), "BrandA_Briskk_SKU_Template.csv", max_rows=800)
    sheet.warnings.append("a warning with ünïcode ✓")
    sheet.problems.append(Problem(row=3, column="price", value="#N/A", message="error cell"))
    return RawUpload("BrandA-1", "BrandA", "f.csv", sheet, [])


def sample_images(rows: ValidatedRows) -> ProductImages:
    slots = image_slots(rows.products)
    urls = list(dict.fromkeys(slots["source_url"]))
    stored = StoredImage(
        "ab" * 32, "s3://b/images/x.jpg", "images/x.jpg", "image/jpeg", "JPEG", 4, 3, 99
    )
    outcomes = {
        url: ImageOutcome(ImageStatus.STORED, image=stored)
        if i % 3 == 0
        else ImageOutcome(ImageStatus.FAILED, reason="HTTP 404 Not Found")
        if i % 3 == 1
        else ImageOutcome(ImageStatus.NOT_FETCHED, reason="off", attempted=False)
        for i, url in enumerate(urls)
    }
    images, slot_rows = build_frames(slots, outcomes, now=datetime(2026, 1, 2, tzinfo=UTC))
    return ProductImages(
        images=images,
        product_images=slot_rows,
        counts=count_outcomes(outcomes),
        failures=image_failures(slots, outcomes, rows.product_rows)[0],
    )


def outputs() -> dict[str, Any]:
    raw = sample_sheet()
    assert raw.sheet is not None
    rows = validate_rows(raw.sheet.frame, read_problems=raw.sheet.problems)
    rows.tenant = "BrandA"
    rows.warnings = ["w1"]
    return {
        "raw_sheet": raw,
        "raw_sheet_rejected": RawUpload(
            "BrandA-2", "BrandA", "x.xlsx", None, [Problem(None, None, None, "not a template")]
        ),
        "validated_rows": rows,
        "validated_rows_rejected": ValidatedRows.rejected([Problem(None, None, None, "no")]),
        "product_images": sample_images(rows),
        "product_images_empty": sample_images(ValidatedRows.rejected([])),
        "counts": {"retried": 3, "stored": 1},
        "readiness": assess(
            rows, sample_images(rows), ReadinessSettings(channels=("myntra", "briskk"))
        ),
    }


def assert_same(got: Any, want: Any, path: str = "value") -> None:
    """Field by field: frames with dtypes and index, dataclasses by type and each field."""
    if isinstance(want, pd.DataFrame):
        assert isinstance(got, pd.DataFrame), path
        pd.testing.assert_frame_equal(got, want, check_dtype=True, check_index_type=True)
        assert got.index.name == want.index.name, path
        assert list(got.columns) == list(want.columns), path
    elif dataclasses.is_dataclass(want):
        assert type(got) is type(want), path
        for f in dataclasses.fields(want):
            assert_same(getattr(got, f.name), getattr(want, f.name), f"{path}.{f.name}")
    elif isinstance(want, list | tuple):
        assert type(got) is type(want) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{path}[{i}]")
    elif isinstance(want, dict):
        assert type(got) is dict and list(got) == list(want), path
        for k in want:
            assert_same(got[k], want[k], f"{path}[{k!r}]")
    else:
        assert type(got) is type(want) and got == want, (path, got, want)


@pytest.mark.parametrize("name", list(outputs()))
def test_round_trip_through_the_store(name: str, object_store: ObjectStore) -> None:
    value = outputs()[name]
    prefix = output_prefix([name, "BrandA-20260101T000000-abcdef12"])
    uri, written = store_output(object_store, prefix, value)
    assert uri.endswith(f"{prefix}value.json") and written > 0
    assert_same(load_output(object_store, prefix, name), value)


def test_sheet_keeps_excel_rows_text_and_dtypes() -> None:
    raw = sample_sheet()
    assert raw.sheet is not None
    manifest, frames = codec.encode(raw)
    back = codec.decode(
        manifest, [codec.frame_from_parquet(codec.frame_to_parquet(f)) for f in frames]
    )
    frame = back.sheet.frame
    assert frame.index.name == "row" and frame.index[0] == 2  # header is Excel row 1
    assert frame.at[2, "barcode"] == "0012345678905"
    assert pd.isna(frame.at[4, "stock"])
    assert all(str(t) == "str" for t in frame.dtypes)
    rows = validate_rows(raw.sheet.frame)
    back_rows = codec.decode(
        *(lambda m, fs: (m, [codec.frame_from_parquet(codec.frame_to_parquet(f)) for f in fs]))(
            *codec.encode(rows)
        )
    )
    assert str(back_rows.skus["stock"].dtype) == "Int64"
    assert back_rows.skus["is_disabled"].dtype == bool
    assert back_rows.product_rows == rows.product_rows and back_rows.status == rows.status


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (datetime(2026, 1, 1), "value: cannot store a value of type datetime"),
        ({"a": {1, 2}}, "value['a']: cannot store a value of type set"),
        (pd.Series([1]), "cannot store a value of type Series"),
        # the path is written out only for the error: indexes, tuples, keys and sets nested
        ([1, (2, ["x", {"k": [None, datetime(2026, 1, 1)]}])], "value[1][1][1]['k'][1]: cannot"),
        ({(1, 2): 3, frozenset({b"x"}): 4}, "value key[]: cannot store a value of type bytes"),
    ],
)
def test_unsupported_values_are_refused_when_stored(value: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        codec.encode(value)


def test_manifest_naming_a_foreign_class_is_refused() -> None:
    manifest = (
        b'{"format": 1, "frames": 0, "value": {"__dataclass__": "os:PathLike", "fields": {}}}'
    )
    with pytest.raises(ValueError, match="outside briskk_pipeline"):
        codec.decode(manifest, [])


def test_missing_output_says_what_and_how_to_get_it_back(local_store: ObjectStore) -> None:
    prefix = output_prefix(["validated_rows", "BrandA-1"])
    with pytest.raises(FileNotFoundError, match=r"validated_rows of upload BrandA-1.*briskk rerun"):
        load_output(local_store, prefix, "validated_rows of upload BrandA-1")


@pytest.mark.parametrize("part", ["", "a/b", "..", "."])
def test_bad_name_parts_are_refused(part: str) -> None:
    with pytest.raises(ValueError, match="cannot store an output"):
        output_prefix(["raw_sheet", part])


def test_long_lists_of_one_dataclass_are_stored_by_column() -> None:
    problems = [
        Problem(row=i if i % 2 else None, column="price", value=None, message="m")
        for i in range(40)
    ]
    manifest, frames = codec.encode({"p": problems, "mixed": [*problems, "x"]})
    assert manifest.count(b"__records__") == 1  # the mixed list stays one object per item
    assert_same(codec.decode(manifest, frames), {"p": problems, "mixed": [*problems, "x"]})
