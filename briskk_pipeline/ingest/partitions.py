"""The `uploads` partitions: one partition per registered upload, keyed by its upload id."""

from dagster import DynamicPartitionsDefinition

uploads_partitions = DynamicPartitionsDefinition(name="uploads")

# The upload's outcome as a tag an operator can filter on in the UI (Runs: `briskk/status:
# rejected`): set on the `ingest_job` run and on the `products`/`skus` materializations.
# Values are the upload statuses of SPEC §4: `succeeded`, `rejected`, `failed`, `previewed`
# (a dry run).
STATUS_TAG = "briskk/status"
