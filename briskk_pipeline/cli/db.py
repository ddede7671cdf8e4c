"""`briskk db upgrade` and `briskk db stop`: catalog database maintenance."""

from __future__ import annotations

import argparse
from typing import Any

from briskk_pipeline.cli import usage
from briskk_pipeline.cli.context import open_resources
from briskk_pipeline.cli.output import EXIT_OK


def add_commands(commands: Any) -> None:
    """Add `db upgrade` and `db stop` to the `briskk` subcommand parser `commands`."""
    db = usage.add_command(
        commands,
        "db",
        "catalog database maintenance",
        exits=(usage.DONE, usage.USAGE, usage.FAULT),
        environment=usage.CATALOG,
    )
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    upgrade = usage.add_command(
        db_commands,
        "upgrade",
        "apply the catalog's migrations",
        exits=(usage.DONE, usage.FAULT),
        environment=usage.CATALOG,
    )
    upgrade.set_defaults(handler=cmd_db_upgrade)
    stop = usage.add_command(
        db_commands,
        "stop",
        "stop the embedded PostgreSQL of BRISKK_HOME (it outlives each command)",
        exits=((EXIT_OK, "stopped, or none was running (said which)"),),
        environment=("BRISKK_HOME",),
    )
    stop.set_defaults(handler=cmd_db_stop, uses_dagster=False)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply the catalog's migrations (building the catalog resource does) and say where."""
    with open_resources() as resources:
        engine = resources.catalog.get_engine()  # applies migrations
        print(f"catalog schema is current ({engine.url.render_as_string(hide_password=True)})")
    return EXIT_OK


def cmd_db_stop(args: argparse.Namespace) -> int:
    """Stop the embedded PostgreSQL in `<BRISKK_HOME>/postgres`, if one runs."""
    from briskk_pipeline.catalog.db import stop_embedded_database
    from briskk_pipeline.home import briskk_home

    data_dir = briskk_home() / "postgres"
    if stop_embedded_database(data_dir):
        print(f"stopped the embedded PostgreSQL in {data_dir}")
    else:
        print(f"no embedded PostgreSQL running in {data_dir}")
    return EXIT_OK
