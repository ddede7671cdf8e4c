"""outcome.py: the words and tags an upload's outcome shows in the Dagster UI (pure table)."""

from __future__ import annotations

import warnings

import pytest
from dagster import PreviewWarning

from briskk_pipeline.ingest.partitions import uploads_partitions
from briskk_pipeline.outcome import REJECTED_TAG, run_tags, upload_check, upload_verdict

# (status the load decided, products rejected, products in the file, dry run)
#   -> (partition verdict, run's briskk/status, run's briskk/rejected)
CASES = {
    "good": (("succeeded", 0, 3, False), ("loaded", "succeeded", None)),
    "partly": (
        ("succeeded", 6, 10, False),
        ("loaded with 6 of 10 products rejected", "succeeded", "6 of 10 products"),
    ),
    "every-product": (
        ("rejected", 1, 1, False),
        ("REJECTED: nothing loaded (1 of 1 product rejected)", "rejected", "1 of 1 product"),
    ),
    "whole-file": (
        ("rejected", 0, 0, False),
        ("REJECTED: nothing loaded (the file itself was refused)", "rejected", "the whole file"),
    ),
    "held": (
        ("needs_review", 0, 40, False),
        ("held for review: nothing loaded until approved", "needs_review", None),
    ),
    "dry-good": (
        ("succeeded", 0, 3, True),
        ("previewed: dry run, nothing changed (would load)", "previewed", None),
    ),
    "dry-partly": (
        ("succeeded", 2, 5, True),
        (
            "previewed: dry run, nothing changed (would load with 2 of 5 products rejected)",
            "previewed",
            "2 of 5 products",
        ),
    ),
    "dry-rejected": (
        ("rejected", 2, 2, True),
        ("previewed: dry run, nothing changed (would be rejected)", "previewed", "2 of 2 products"),
    ),
    "dry-held": (
        ("needs_review", 0, 40, True),
        ("previewed: dry run, nothing changed (would be held for review)", "previewed", None),
    ),
}


@pytest.mark.parametrize(("given", "expected"), CASES.values(), ids=CASES.keys())
def test_words_and_tags(given, expected):
    status, rejected, total, dry_run = given
    verdict, status_tag, rejected_tag = expected
    assert upload_verdict(status, rejected, total, dry_run=dry_run) == verdict
    tags = run_tags(status, rejected, total, dry_run=dry_run)
    assert tags["briskk/status"] == status_tag
    assert tags.get(REJECTED_TAG) == rejected_tag
    assert set(tags) <= {"briskk/status", REJECTED_TAG}


def test_an_upload_check_is_partitioned_by_upload_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", PreviewWarning)
        spec = upload_check("upload_accepted", asset="products", description="d")
    assert spec.partitions_def == uploads_partitions
    assert (spec.asset_key.to_user_string(), spec.name) == ("products", "upload_accepted")
    # the filter is lifted afterwards: other preview APIs still warn
    with pytest.warns(PreviewWarning):
        warnings.warn("another preview", PreviewWarning, stacklevel=1)
