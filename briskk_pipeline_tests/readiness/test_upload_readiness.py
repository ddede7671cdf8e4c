"""`UploadReadiness`: verdicts as `Verdict`s, outputs stored before (dicts) read as such, and
what the asset stores (`for_the_load`)."""

from __future__ import annotations

from briskk_pipeline.readiness.evaluate import UploadReadiness
from briskk_pipeline.readiness.verdict import Failure, Verdict
from briskk_pipeline.storage import codec

FAILURE = {"rule": "r", "message": "too small", "column": "image_1", "row": 2, "source": "s"}


def test_an_output_stored_with_verdict_dicts_reads_back_as_verdicts():
    old = UploadReadiness(
        channels=["myntra", "ajio"],
        blocking=["myntra"],
        verdicts=[
            {
                "product_id": "P1",
                "channel": "myntra",
                "row": 2,
                "ready": False,
                "failures": [FAILURE],
            },
            {"product_id": "P1", "channel": "ajio", "row": 2, "ready": True, "failures": []},
        ],
        blocked=["P1"],
    )
    assert old.verdicts == [
        Verdict("P1", "myntra", 2, (Failure("r", "too small", "image_1", 2, "s"),)),
        Verdict("P1", "ajio", 2, ()),
    ]
    assert old.counts() == {
        "myntra": {"ready": 0, "not_ready": 1},
        "ajio": {"ready": 1, "not_ready": 0},
    }
    load = old.for_the_load()
    assert [(v.product_id, v.channel) for v in load.verdicts] == [("P1", "myntra")]
    manifest, frames = codec.encode(load)
    assert codec.decode(manifest, frames) == load


def test_verdicts_judged_in_chunks_of_products_are_those_of_one_pass():
    """`upload_verdicts` builds the facts of `chunk` products at a time: at any boundary (one
    product, a product's SKUs and slots in one chunk, the last chunk short) each product keeps
    all its SKUs and image slots, and the verdicts and their order are those of one chunk."""
    import pandas as pd

    from briskk_pipeline.images.assets import ProductImages
    from briskk_pipeline.readiness.evaluate import upload_verdicts
    from briskk_pipeline.readiness.settings import ReadinessSettings
    from briskk_pipeline.validation.validate import ValidatedRows

    ids = ["P3", "P1", "P2", "P5", "P4"]
    products = pd.DataFrame(
        {
            "product_id": pd.array(ids, dtype="string"),
            "product_name": pd.array(["a", None, "c", "d", None], dtype="string"),
            "hsn_code": pd.array(["6109", None, "6204", None, "6109"], dtype="string"),
        }
    )
    skus = pd.DataFrame(  # P2's SKUs apart in the frame; P4 has one without a barcode
        {
            "product_id": pd.array(["P2", "P3", "P1", "P4", "P4", "P2", "P5"], dtype="string"),
            "sku_id": pd.array([f"S{i}" for i in range(7)], dtype="string"),
            "barcode": pd.array(
                ["4006381333931", "1", None, "4006381333931", None, "12", "4006381333931"],
                dtype="string",
            ),
        }
    )
    slots = pd.DataFrame(
        {
            "product_id": pd.array(["P5", "P2", "P2"], dtype="string"),
            "position": [0, 0, 1],
            "status": pd.array(["failed", "failed", "blocked"], dtype="string"),
            "reason": pd.array(["HTTP 404", None, "too big"], dtype="string"),
            "sha256": pd.array([None, None, None], dtype="string"),
        }
    )
    images = pd.DataFrame(
        {
            c: pd.array([], dtype="string")
            for c in ("sha256", "format", "width", "height", "bytes", "border_white", "phash")
        }
    )
    rows = ValidatedRows(
        products=products,
        skus=skus,
        problems=[],
        product_rows={p: 2 + 4 * i for i, p in enumerate(ids)},
    )
    found = ProductImages(images=images, product_images=slots, counts={})
    settings = ReadinessSettings(channels=("myntra", "amazon_in", "briskk"))
    whole = upload_verdicts(rows, found, settings, chunk=len(ids))
    assert [v.product_id for v in whole[::3]] == ids
    assert any(f.column == "barcode" for v in whole for f in v.failures)
    assert any("HTTP 404" in f.message for v in whole for f in v.failures)
    for chunk in (1, 2, 3, 4, 100):
        assert upload_verdicts(rows, found, settings, chunk=chunk) == whole
