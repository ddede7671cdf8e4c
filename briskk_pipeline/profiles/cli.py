"""`briskk profile show|export|import|map|history TENANT`: a tenant's brand profile.

Registered by `briskk_pipeline.cli.app`. Nothing heavy is imported at module level:
`briskk --help` stays instant.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from pathlib import Path
from typing import Any

from briskk_pipeline.cli import usage
from briskk_pipeline.cli.context import open_resources
from briskk_pipeline.cli.output import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    CliError,
    check_writable,
    print_json,
)

PROFILE_ABOUT = """\
A brand profile says how a tenant's own files read: header aliases (brand header -> template
column), headers to ignore, value maps per column (Navy Blue -> Navy), strict columns (their
vocabulary enforced) and the tenant's review limits. Every upload of the tenant (CLI, inbox,
API, brand page, re-run) reads with the current version and records it (profile_version).

  briskk profile show TENANT              the current profile, as YAML
  briskk profile export TENANT [-o FILE]  the same, to edit and import
  briskk profile import TENANT FILE --dry-run | --yes
                                          the differences; --yes stores them as a new version
  briskk profile map TENANT "Selling Price"=offer_price "Notes"=- [--value color:Navy Blue=Navy]
                     [--rerun UPLOAD_ID]  accept mappings (HEADER=- ignores the header)
  briskk profile history TENANT           every version: who, when, what changed
"""
PROFILE_EXITS = (
    (EXIT_OK, "done (import --dry-run: the differences were printed)"),
    (EXIT_REJECTED, "map --rerun: the upload was rejected again (the file, or every product)"),
    (
        EXIT_USAGE,
        "usage error: a malformed file or mapping, an unknown column, import without "
        "--yes or --dry-run, or a profile that changed since the export",
    ),
    usage.PIPELINE_FAILED,
    usage.INTERRUPTED,
)


def add_profile_command(commands: Any) -> None:
    """Add `profile` to the `briskk` subcommand parser `commands`."""
    profile = usage.add_command(
        commands,
        "profile",
        "a tenant's brand profile: header aliases, value maps, limits",
        exits=PROFILE_EXITS,
        environment=(*usage.PIPELINE,),
        description="A tenant's brand profile: show, export, import, map, history.",
        before=PROFILE_ABOUT,
    )
    profile.add_argument(
        "action", choices=("show", "export", "import", "map", "history"), help="what to do"
    )
    profile.add_argument("tenant", help="the tenant (any letter case)")
    profile.add_argument(
        "items",
        nargs="*",
        help='import: the YAML FILE; map: HEADER=column pairs ("Selling Price"=offer_price)',
    )
    profile.add_argument("-o", "--output", help="export: write to this file (default stdout)")
    profile.add_argument("--yes", action="store_true", help="import: store the differences")
    profile.add_argument(
        "--dry-run", action="store_true", help="import: print the differences only"
    )
    profile.add_argument(
        "--force",
        action="store_true",
        help="import: even if the profile changed since the file was exported",
    )
    profile.add_argument(
        "--value",
        action="append",
        default=[],
        metavar="COLUMN:BRAND=VALUE",
        help="map: a value map entry (repeatable), e.g. 'color:Navy Blue=Navy'",
    )
    profile.add_argument(
        "--rerun", metavar="UPLOAD_ID", help="map: then run this upload again with the profile"
    )
    profile.add_argument("--json", action="store_true", help="print JSON")
    profile.set_defaults(handler=cmd_profile, precheck=_precheck)


def _precheck(args: argparse.Namespace) -> None:
    from briskk_pipeline.template import is_valid_tenant

    if not is_valid_tenant(args.tenant):
        raise CliError(f"{args.tenant!r} is not a tenant name (letters, digits, '_' and '-')")
    if args.action == "import":
        if len(args.items) != 1:
            raise CliError("give the profile file: briskk profile import TENANT FILE")
        if args.yes == args.dry_run:
            raise CliError("give --dry-run to see the differences, or --yes to store them")
    elif args.action == "map":
        if not args.items and not args.value:
            raise CliError('give HEADER=column pairs, e.g. "Selling Price"=offer_price')
    elif args.items:
        raise CliError(f"`briskk profile {args.action}` takes only the tenant")
    if args.rerun and args.action != "map":
        raise CliError("--rerun goes with `briskk profile map`")


def who() -> str:
    """Who is running the command, for the profile's history."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} (briskk profile)"


def cmd_profile(args: argparse.Namespace) -> int:
    """Run `briskk profile ACTION TENANT` (PROFILE_ABOUT)."""
    from briskk_pipeline.cli.tenants import tenant_to_prepare
    from briskk_pipeline.profiles.model import ProfileError

    with open_resources() as resources:
        engine = resources.catalog.get_engine()
        tenant = tenant_to_prepare(engine, args.tenant, "its profile is")
        try:
            if args.action in ("show", "export"):
                return _show(engine, tenant, args)
            if args.action == "history":
                return _history(engine, tenant, args.json)
            if args.action == "import":
                return _import(engine, tenant, args)
            return _map(engine, tenant, args)
        except ProfileError as error:
            raise CliError(str(error)) from error


def _show(engine: Any, tenant: str, args: argparse.Namespace) -> int:
    from briskk_pipeline.profiles import document, store

    version, body = store.current_body(engine, tenant)
    if args.json:
        print_json({"tenant": tenant, "version": version, **body})
        return EXIT_OK
    text = document.to_yaml(tenant, version, body)
    if args.output:
        check_writable(Path(args.output), "profile.yaml")  # one line and exit 2, never a traceback
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"profile of {tenant} (version {version}) written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _import(engine: Any, tenant: str, args: argparse.Namespace) -> int:
    from briskk_pipeline.profiles import document, store
    from briskk_pipeline.profiles.model import ProfileError

    path = Path(args.items[0])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"cannot read {path}: {error}") from error
    try:
        body, exported = document.from_yaml(text)
    except ProfileError as error:
        raise CliError(f"{path}: {error}") from error
    version, old = store.current_body(engine, tenant)
    changes = document.diff(old, body)
    stale = exported is not None and exported != version and not args.force
    if args.dry_run or not changes:
        return _print_changes(tenant, version, changes, args.json, stale=stale, stored=False)
    if stale:
        raise CliError(
            f"{path} was exported at version {exported} but the profile of {tenant} is at "
            f"version {version}: export it again and redo the edit (or --force)"
        )
    saved = store.save(engine, tenant, body, by=who(), expected_version=version)
    return _print_changes(tenant, saved.version, saved.changes, args.json, stale=False, stored=True)


def _print_changes(
    tenant: str, version: int, changes: list[str], as_json: bool, *, stale: bool, stored: bool
) -> int:
    if as_json:
        print_json({"tenant": tenant, "version": version, "changes": changes, "stored": stored})
        return EXIT_OK
    if not changes:
        print(f"no differences: the profile of {tenant} stays at version {version}")
        return EXIT_OK
    for line in changes:
        print(line)
    if stored:
        print(f"stored as version {version} of the profile of {tenant}")
    else:
        note = (
            " (the file was exported from another version; --force to import anyway)"
            if stale
            else ""
        )
        print(f"not stored: give --yes to store these as version {version + 1}{note}")
    return EXIT_OK


def _map(engine: Any, tenant: str, args: argparse.Namespace) -> int:
    from briskk_pipeline.profiles import accept

    if args.rerun:
        from briskk_pipeline.catalog.uploads import get_upload

        record = get_upload(engine, args.rerun)
        if record is None or record["tenant"].lower() != tenant.lower():
            raise CliError(f"tenant {tenant} has no upload {args.rerun!r} (see `briskk uploads`)")
    aliases, ignore = accept.parse_pairs(args.items)
    values = accept.parse_values(args.value)
    saved = accept.accept(
        engine,
        tenant,
        aliases=aliases,
        ignore=ignore,
        values=values,
        by=who(),
        upload_id=args.rerun,
    )
    if not args.rerun:
        return _print_changes(
            tenant, saved.version, saved.changes, args.json, stale=False, stored=True
        )
    if not args.json:
        _print_changes(tenant, saved.version, saved.changes, False, stale=False, stored=True)
    from briskk_pipeline.cli.rerun import cmd_rerun

    return cmd_rerun(argparse.Namespace(upload_id=args.rerun, json=args.json, force=False))


def _history(engine: Any, tenant: str, as_json: bool) -> int:
    from briskk_pipeline.profiles import store

    versions = store.history(engine, tenant)
    if as_json:
        print_json(versions)
        return EXIT_OK
    if not versions:
        print(f"tenant {tenant} has no stored profile (it reads the template's names only)")
        return EXIT_OK
    for entry in versions:
        answered = f", answering upload {entry['upload_id']}" if entry["upload_id"] else ""
        print(
            f"version {entry['version']}  {entry['changed_at']}  by {entry['changed_by']}{answered}"
        )
        for line in entry["changes"]:
            print(f"  {line}")
    return EXIT_OK
