"""How an upload's outcome shows in the Dagster UI (1.13), without failing the run.

A rejected upload is a processed one: the run read, validated and reported it, and the brand
must fix the file. Failing the run would say the pipeline broke (the failure sensor and
`briskk ingest` record such an upload `failed`, run-failure alerts fire, and a retry cannot
help), so its run stays *Success* and its partitions *Materialized*. What Dagster 1.13 shows
without opening a run, and what this module puts there:

- Runs list: every user tag of a run is a chip. `briskk/status` is the upload's status
  (SPEC §4: `succeeded`, `rejected`, `needs_review`, `failed`; `previewed` for a dry run);
  `briskk/rejected` (`6 of 10 products`, or `the whole file`) appears only when the upload
  rejected something, so a good upload, a partly loaded one and a rejected one read apart.
- Partition: the first metadata entry of the `products`/`skus` materialization is the verdict
  in the brand page's words (`upload_verdict`).
- Checks: the upload's checks are partitioned by upload (`upload_check`), so an asset's
  Checks tab lists every upload with a red dot where its check failed (`upload_accepted` at
  ERROR for a rejected upload), and the check's result belongs to its partition.
"""

import warnings

from dagster import AssetCheckSpec, PreviewWarning

from briskk_pipeline.ingest.partitions import STATUS_TAG, uploads_partitions

# How much of the upload was rejected, on the run (a chip of the Runs list); absent when nothing
# was. Run tags take any text; materialization tags do not (letters, digits, `_.-` only).
REJECTED_TAG = "briskk/rejected"


def upload_check(name: str, asset: str, description: str) -> AssetCheckSpec:
    """A check of one upload: an `AssetCheckSpec` on `asset` partitioned by `uploads`.

    Partitioned, the check's results are per upload: the UI's Checks tab shows each upload's
    partition green or red and the check's partition page its own result; unpartitioned, the
    tab shows only the latest run's. A partitions_def on a check spec is a preview API in
    Dagster 1.13 that warns each time a spec is made (on every code load): that one warning is
    silenced here, where the choice is made, and nowhere else.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return AssetCheckSpec(
            name, asset=asset, description=description, partitions_def=uploads_partitions
        )


def rejected_words(status: str, products_rejected: int, products_total: int) -> str | None:
    """How much of the upload was rejected, for the run's `briskk/rejected` tag: `the whole
    file` (a rejected upload no product of which was read: unreadable, not the template, the
    wrong tenant), `N of M products`, or None when nothing was rejected."""
    if status == "rejected" and products_rejected == 0:
        return "the whole file"
    if products_rejected == 0:
        return None
    return f"{products_rejected} of {_products(products_total)}"


def run_tags(
    status: str, products_rejected: int, products_total: int, *, dry_run: bool
) -> dict[str, str]:
    """The tags an `ingest_job` run gets when its upload is loaded (or rejected, previewed,
    held): `briskk/status` (`previewed` for any dry run: it changed nothing) and, when
    something was rejected, `briskk/rejected` (`rejected_words`)."""
    tags = {STATUS_TAG: "previewed" if dry_run else status}
    rejected = rejected_words(status, products_rejected, products_total)
    if rejected is not None:
        tags[REJECTED_TAG] = rejected
    return tags


def upload_verdict(
    status: str, products_rejected: int, products_total: int, *, dry_run: bool = False
) -> str:
    """The upload's outcome in the brand page's words, for the partition's metadata.

    `status` is what the load decided (`succeeded`, `rejected`, `needs_review`), `dry_run`
    whether it was rolled back. Returns `loaded`, `loaded with N of M products rejected`,
    `REJECTED: nothing loaded (N of M products rejected)` (or `(the file itself was
    refused)`), `held for review: nothing loaded until approved`, or for a dry run `previewed:
    dry run, nothing changed` with what the upload would have done.
    """
    rejected = f"{products_rejected} of {_products(products_total)} rejected"
    if dry_run:
        would = {
            "rejected": "would be rejected",
            "needs_review": "would be held for review",
        }.get(status, f"would load with {rejected}" if products_rejected else "would load")
        return f"previewed: dry run, nothing changed ({would})"
    if status == "rejected":
        why = rejected if products_rejected else "the file itself was refused"
        return f"REJECTED: nothing loaded ({why})"
    if status == "needs_review":
        return "held for review: nothing loaded until approved"
    return f"loaded with {rejected}" if products_rejected else "loaded"


def _products(n: int) -> str:
    return f"{n} product{'s' * (n != 1)}"
