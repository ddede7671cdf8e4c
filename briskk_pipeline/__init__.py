"""briskk-pipeline: Briskk SKU template spreadsheets to a clean product/SKU catalog.

`-m briskk_pipeline` is the Dagster code location: this module exposes `defs`. It is loaded on
first access, so importing a pure part (`briskk_pipeline.template`, the reader, validation)
does not import Dagster or build resources.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dagster import Definitions

    defs: Definitions

__all__ = ["defs"]


def __getattr__(name: str) -> Any:
    if name == "defs":
        from briskk_pipeline.definitions import defs

        return defs
    raise AttributeError(f"module 'briskk_pipeline' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "defs"])
