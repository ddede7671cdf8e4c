"""briskk-pipeline: Briskk SKU template spreadsheets to a clean product/SKU catalog.

`-m briskk_pipeline` is the Dagster code location: this module exposes `defs`.
"""

from briskk_pipeline.definitions import defs

__all__ = ["defs"]
