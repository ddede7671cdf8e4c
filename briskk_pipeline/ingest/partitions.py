"""The `uploads` partitions: one partition per registered upload, keyed by its upload id."""

from dagster import DynamicPartitionsDefinition

uploads_partitions = DynamicPartitionsDefinition(name="uploads")
