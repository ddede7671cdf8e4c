"""`briskk serve` and `briskk tokens …`: the command bodies (registered by
`briskk_pipeline.cli.app`).

Kept here so the HTTP parts stay in one folder; `add_api_commands` adds the subcommands.
Nothing heavy (FastAPI, uvicorn, Dagster, SQLAlchemy) is imported before a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from briskk_pipeline.cli import usage
from briskk_pipeline.cli.context import open_resources
from briskk_pipeline.cli.ingest import check_tenant_arg
from briskk_pipeline.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, print_table

SERVE_EXITS = (
    (EXIT_OK, "stopped (Ctrl-C or SIGTERM)"),
    (EXIT_USAGE, "a bad setting (BRISKK_API_RUNS, BRISKK_API_WORKERS, BRISKK_API_BODY_SECONDS, …)"),
    usage.FAULT,
)
TOKENS_EXITS = (
    usage.DONE,
    (EXIT_USAGE, "usage error: an invalid tenant, no token with that id"),
    usage.FAULT,
)


def add_api_commands(commands: Any) -> None:
    """Add `serve` and `tokens` to the `briskk` subcommand parser `commands`."""
    serve = usage.add_command(
        commands,
        "serve",
        "the HTTP API and the brand upload page",
        exits=SERVE_EXITS,
        environment=(*usage.PIPELINE, "BRISKK_API_*", "BRISKK_HANDOFF"),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.set_defaults(handler=cmd_serve, own_signals=True)

    tokens = usage.add_command(
        commands,
        "tokens",
        "API tokens: create, list, revoke",
        exits=TOKENS_EXITS,
        environment=usage.CATALOG,
    )
    token_commands = tokens.add_subparsers(title="tokens commands", metavar="COMMAND")

    def token_command(name: str, help: str) -> argparse.ArgumentParser:
        return usage.add_command(
            token_commands, name, help, exits=TOKENS_EXITS, environment=usage.CATALOG
        )

    create = token_command("create", "create a token and print it once")
    create.add_argument("tenant", help="the brand the token uploads and reads for")
    create.add_argument("--admin", action="store_true", help="may name and read any tenant")
    create.add_argument("--name", default="", help="who holds it (shown by `tokens list`)")
    create.add_argument("--json", action="store_true", help="print one JSON object")
    create.set_defaults(handler=cmd_tokens_create, precheck=check_token_args)
    listing = token_command("list", "every token (never the secrets)")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(handler=cmd_tokens_list)
    revoke = token_command("revoke", "revoke a token by its id")
    revoke.add_argument("token_id", help="the id `tokens list` shows")
    revoke.set_defaults(handler=cmd_tokens_revoke)


def check_token_args(args: argparse.Namespace) -> None:
    """`tokens create TENANT`: the tenant is well formed, before anything heavy starts."""
    check_tenant_arg(args.tenant)


def page_url(host: str, port: int) -> str:
    """The brand page's address for a server listening on `host`:`port` (an address that
    listens everywhere is reached on 127.0.0.1 from this machine)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API and the brand page until stopped; first say where, and which state.

    In run mode `local` it also takes `briskk ingest` uploads on `<BRISKK_HOME>/serve.sock`
    (`handoff/`, unless `BRISKK_HANDOFF=0`). Ctrl-C and SIGTERM stop it gracefully (uvicorn
    lets running requests end) and it exits 0, the socket and `serve.json` removed.
    """
    import signal

    import uvicorn

    from briskk_pipeline.api.app import create_app, run_mode_from_env, workers_from_env
    from briskk_pipeline.handoff.publication import Publication
    from briskk_pipeline.handoff.state import fingerprint, handoff_enabled
    from briskk_pipeline.home import briskk_home

    try:
        mode = run_mode_from_env()
        workers_from_env()
        app = create_app()  # reads BRISKK_API_BODY_SECONDS, BRISKK_API_AUTH_FAILURES
    except ValueError as error:
        raise CliError(str(error)) from error
    print(f"briskk serve: the brand page at {page_url(args.host, args.port)}", file=sys.stderr)
    print(f"briskk serve: state folder {briskk_home()}", file=sys.stderr)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="info")
    sockets = [config.bind_socket()]  # exits 3 when the address is taken, as uvicorn.run
    sockets[0].set_inheritable(False)  # one process: no child (sandbox, log watchers) keeps it
    publication = None
    if mode == "local" and handoff_enabled():
        publication = Publication.open(briskk_home(), fingerprint())
    if publication is not None:
        sockets.append(publication.socket)
        app.state.handoff = publication  # serve.json is written once the server is ready
    server = uvicorn.Server(config)
    # uvicorn re-raises the SIGTERM it stopped for once it has shut down; it ends here
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        server.run(sockets=sockets)
    except (KeyboardInterrupt, _Stopped):
        pass  # Ctrl-C or SIGTERM: uvicorn has shut down gracefully
    finally:
        signal.signal(signal.SIGTERM, previous)
        if publication is not None:
            publication.close()
    return 0 if server.started else EXIT_FAILED


class _Stopped(Exception):
    """SIGTERM, raised once uvicorn has stopped for it."""


def _stopped(signum: int, frame: object) -> None:
    raise _Stopped


def cmd_tokens_create(args: argparse.Namespace) -> int:
    from briskk_pipeline.api.tokens import create_token
    from briskk_pipeline.ingest.register import RegistrationError

    with open_resources() as resources:
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

    with open_resources() as resources:
        rows = list_tokens(resources.catalog.get_engine())
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no tokens yet: briskk tokens create TENANT")
        return 0
    print_table(
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
        keep=["id"],  # what `tokens revoke` needs, whole
    )
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from briskk_pipeline.api.tokens import revoke_token

    with open_resources() as resources:
        if not revoke_token(resources.catalog.get_engine(), args.token_id):
            raise CliError(f"no token with id {args.token_id!r} (see briskk tokens list)")
    print(f"revoked {args.token_id}")
    return 0
