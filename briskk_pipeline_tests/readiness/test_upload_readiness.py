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
