"""Each subcommand's --help: its own exit codes and the environment variables it reads.

A command module says which codes it returns and which variables matter to it; this module
words them the same way everywhere. Imports nothing heavy (`briskk X --help` is instant).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, Final

from briskk_pipeline.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
)

# (code, meaning) pairs a command lists in its --help when they apply to it
DONE: Final = (EXIT_OK, "done")
USAGE: Final = (EXIT_USAGE, "usage error (a missing or malformed argument)")
FAULT: Final = (
    EXIT_FAILED,
    "the object store or catalog database failed (one line on stderr says which)",
)
INTERRUPTED: Final = (EXIT_INTERRUPTED, "interrupted (Ctrl-C)")
PIPELINE_FAILED: Final = (
    EXIT_FAILED,
    "the pipeline itself failed, or the object store or catalog database did (one line says "
    "which; the upload is recorded `failed`, see `briskk uploads`)",
)
UPLOAD_REJECTED: Final = (EXIT_REJECTED, "the upload was rejected (the file, or every product)")

# What each variable means; a command lists the ones it reads.
ENVIRONMENT: Final[dict[str, str]] = {
    "BRISKK_HOME": "local state: embedded PostgreSQL, objects, inbox, Dagster instance "
    "(default: the user's data folder, {home})",
    "DATABASE_URL": "a PostgreSQL catalog instead of the embedded one",
    "S3_BUCKET": "an S3 object store instead of BRISKK_HOME/objects (with S3_ENDPOINT_URL, "
    "S3_PREFIX, AWS_*)",
    "DAGSTER_HOME": "the Dagster instance (default: BRISKK_HOME/dagster)",
    "BRISKK_MAX_*": "upload limits: BRISKK_MAX_ROWS, BRISKK_MAX_UPLOAD_BYTES, "
    'BRISKK_MAX_IMAGE_BYTES (README, "Configuration")',
    "BRISKK_*_IMAGES": "image policy: BRISKK_FETCH_IMAGES, BRISKK_REFRESH_IMAGES, "
    "BRISKK_ALLOWED_IMAGE_HOSTS",
    "BRISKK_REVIEW_*": "review limits: BRISKK_REVIEW_DISABLED_SHARE, BRISKK_REVIEW_PRICE_FACTOR, "
    'BRISKK_REVIEW_VALUES_CLEARED (README, "Configuration")',
    "BRISKK_CHANNELS": "marketplace readiness for tenants without their own settings: "
    'BRISKK_CHANNELS, BRISKK_STRICT_BARCODES (README, "Marketplace readiness")',
    "BRISKK_API_*": "BRISKK_API_RUNS (local or queue), BRISKK_API_WORKERS (README, "
    '"Configuration")',
    "BRISKK_HANDOFF": "0: `briskk ingest` runs every upload in its own process and `briskk "
    "serve` takes none over BRISKK_HOME/serve.sock (default: ingest hands its upload to a "
    "running serve of the same state, settings and code)",
}
CATALOG: Final = ("BRISKK_HOME", "DATABASE_URL")
STORE: Final = (*CATALOG, "S3_BUCKET")
PIPELINE: Final = (*STORE, "DAGSTER_HOME", "BRISKK_MAX_*", "BRISKK_*_IMAGES", "BRISKK_CHANNELS")


def epilog(
    exits: Sequence[tuple[int, str]], environment: Sequence[str] = (), before: str = ""
) -> str:
    """The text under a command's --help: `before`, then `exit codes:` and `environment:`
    (names from `ENVIRONMENT`), wrapped at 100 columns."""
    import textwrap

    from briskk_pipeline.home import default_briskk_home

    parts = [before.rstrip() + "\n"] if before else []
    lines = ["exit codes:"]
    wide = max(len(str(code)) for code, _ in exits)
    for code, meaning in exits:
        lines += textwrap.wrap(
            meaning,
            96,
            initial_indent=f"  {code:<{wide}}  ",
            subsequent_indent=" " * (wide + 4),
        )
    parts.append("\n".join(lines))
    if environment:
        lines = ["environment:"]
        for name in environment:
            meaning = ENVIRONMENT[name].format(home=default_briskk_home())
            lines += textwrap.wrap(
                meaning, 96, initial_indent=f"  {name:<16} ", subsequent_indent=" " * 19
            )
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def add_command(
    commands: Any,
    name: str,
    help: str,
    *,
    exits: Sequence[tuple[int, str]],
    environment: Sequence[str] = (),
    description: str | None = None,
    before: str = "",
) -> argparse.ArgumentParser:
    """Add subcommand `name` to the subparsers `commands` with its own exit codes and
    environment in its --help; returns its parser."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=description or help[0].upper() + help[1:] + ".",
        epilog=epilog(exits, environment, before),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser
