"""`briskk serve` and `briskk tokens …`: the command bodies (registered by `briskk_pipeline.cli`).

Kept here so the HTTP parts stay in one folder; `cli.add_api_commands` adds the subcommands.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from briskk_pipeline.cli import CliError, _print_table, _resources


def add_api_commands(commands: Any) -> None:
    """Add `serve` and `tokens` to the `briskk` subcommand parser `commands`."""
    serve = commands.add_parser("serve", help="the HTTP API and the brand upload page")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.set_defaults(handler=cmd_serve)

    tokens = commands.add_parser("tokens", help="API tokens: create, list, revoke")
    token_commands = tokens.add_subparsers(title="tokens commands", metavar="COMMAND")
    create = token_commands.add_parser("create", help="create a token and print it once")
    create.add_argument("tenant", help="the brand the token uploads and reads for")
    create.add_argument("--admin", action="store_true", help="may name and read any tenant")
    create.add_argument("--name", default="", help="who holds it (shown by `tokens list`)")
    create.add_argument("--json", action="store_true", help="print one JSON object")
    create.set_defaults(handler=cmd_tokens_create)
    listing = token_commands.add_parser("list", help="every token (never the secrets)")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(handler=cmd_tokens_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id", help="the id `tokens list` shows")
    revoke.set_defaults(handler=cmd_tokens_revoke)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from briskk_pipeline.api.app import create_app, run_mode_from_env, workers_from_env

    try:
        run_mode_from_env()
        workers_from_env()
    except ValueError as error:
        raise CliError(str(error)) from error
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_tokens_create(args: argparse.Namespace) -> int:
    from briskk_pipeline.api.tokens import create_token
    from briskk_pipeline.ingest.register import RegistrationError

    with _resources() as resources:
        try:
            new = create_token(
                resources.catalog.get_engine(), args.tenant, admin=args.admin, name=args.name
            )
        except RegistrationError as error:
            raise CliError(str(error)) from error
    who = new.identity
    if args.json:
        body = {"token": new.token, "token_id": who.token_id, "tenant": who.tenant}
        print(json.dumps({**body, "admin": who.admin, "name": who.name}))
        return 0
    kind = "admin token" if who.admin else "token"
    print(f"{kind} {who.token_id} for tenant {who.tenant} (shown once; keep it secret):")
    print(new.token)
    print("use it as: Authorization: Bearer <token>", file=sys.stderr)
    return 0


def cmd_tokens_list(args: argparse.Namespace) -> int:
    from briskk_pipeline.api.tokens import list_tokens

    with _resources() as resources:
        rows = list_tokens(resources.catalog.get_engine())
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no tokens yet: briskk tokens create TENANT")
        return 0
    _print_table(
        ["id", "tenant", "admin", "name", "created (UTC)", "revoked (UTC)"],
        [
            [
                r["token_id"],
                r["tenant"],
                "yes" if r["admin"] else "",
                r["name"],
                r["created_at"][:19].replace("T", " "),
                (r["revoked_at"] or "")[:19].replace("T", " "),
            ]
            for r in rows
        ],
    )
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from briskk_pipeline.api.tokens import revoke_token

    with _resources() as resources:
        if not revoke_token(resources.catalog.get_engine(), args.token_id):
            raise CliError(f"no token with id {args.token_id!r} (see briskk tokens list)")
    print(f"revoked {args.token_id}")
    return 0
