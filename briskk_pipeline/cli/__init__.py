"""`briskk`: ingest an upload through the Dagster job, and read the catalog and uploads.

One module per command group (`ingest`, `report`, `catalog` for products and uploads, `rerun`,
`db`; `serve`/`tokens` live in `api/cli.py`, `history`/`rollback` in `history/cli.py`), one
for what is printed (`output`: tables, JSON, clipping, exit codes), one for each command's
--help (`usage`), and `app` that assembles the parser and runs a command.

Human output is for people (progress on stderr, tables at most 120 columns wide, no
tracebacks for expected errors); `--json` prints exactly what SPEC §4 promises, on stdout.
Importing this package imports nothing heavy: `briskk X --help` and usage errors are instant.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The `briskk` console script: run one command, return its exit code (`app.main`)."""
    from briskk_pipeline.cli.app import main as run

    return run(argv)
