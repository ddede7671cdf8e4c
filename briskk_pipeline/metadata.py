"""Metadata helpers shared by the assets: markdown previews and problem tables for the UI."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from dagster import MetadataValue

from briskk_pipeline.validation.report import Problem

PREVIEW_ROWS = 10


def frame_preview(frame: pd.DataFrame, columns: Sequence[str]) -> MetadataValue:
    shown = [c for c in columns if c in frame.columns]
    if frame.empty:
        return MetadataValue.md("_no rows_")
    # the first rows first: `loc` over every column of a 100k-row sheet copied them all
    return MetadataValue.md(frame.head(PREVIEW_ROWS).loc[:, shown].to_markdown())


def problems_table(problems: Sequence[Problem], limit: int = 50) -> MetadataValue:
    if not problems:
        return MetadataValue.md("_no problems_")
    frame = pd.DataFrame([p.to_dict() for p in problems[:limit]])
    more = f"\n\n…and {len(problems) - limit} more" if len(problems) > limit else ""
    return MetadataValue.md(frame.to_markdown(index=False) + more)


def problems_summary(problems: Sequence[Problem], limit: int = 3) -> str:
    """The first `limit` problems as one line (`row 15, column price: …; …and 4 more`), for
    an asset check's description: the UI shows it beside the failed check."""
    if not problems:
        return "no problems"
    shown = "; ".join(str(p) for p in problems[:limit])
    more = f"; …and {len(problems) - limit} more" if len(problems) > limit else ""
    return shown + more
