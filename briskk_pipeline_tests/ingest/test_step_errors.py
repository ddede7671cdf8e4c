"""How a failed step is named in an upload's `failure_reason` (`ingest.launch.describe_step_error`):
a refusal our step raised on purpose reads as its own sentence, never as Dagster's class path."""

from __future__ import annotations

from dagster._utils.error import SerializableErrorInfo

from briskk_pipeline.ingest.launch import describe_step_error


def error(cls_name: str, message: str) -> SerializableErrorInfo:
    return SerializableErrorInfo(message=message, stack=[], cls_name=cls_name)


def test_a_deliberate_failure_is_its_own_sentence() -> None:
    refused = error(
        "Failure",
        "dagster._core.definitions.events.Failure: refused: a later upload changed 3 of these "
        "SKUs\n\nmore detail\n",
    )
    assert describe_step_error("catalog_load", refused) == (
        "catalog_load: refused: a later upload changed 3 of these SKUs"
    )


def test_an_unexpected_error_keeps_its_class() -> None:
    assert describe_step_error("validated_rows", error("KeyError", "KeyError: 'price'\n")) == (
        "validated_rows: KeyError: 'price'"
    )


def test_a_step_without_error_info() -> None:
    assert describe_step_error("raw_sheet", None) == "raw_sheet: the step failed"
