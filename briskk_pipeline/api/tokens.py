"""API tokens: create, list, revoke, and check a bearer token (HTTP issue, item 4).

A token is `brk_<token_id>_<secret>`: `token_id` (12 hex digits) is public and names the row;
`secret` is `secrets.token_urlsafe(32)` (256 random bits). Only `sha256(secret)` is stored. A
secret that long cannot be guessed or dictionary-attacked, so a fast hash is enough (a slow
KDF protects *low-entropy* passwords; here it would only slow every request). The stored hash
is compared with `hmac.compare_digest` (constant time), after a lookup by the public id, so
timing reveals nothing about the secret. Tokens are never logged or stored in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa

from briskk_pipeline.catalog.tables import api_tokens
from briskk_pipeline.catalog.tenants import register_tenant
from briskk_pipeline.ingest.register import check_tenant

PREFIX: Final = "brk"
_TOKEN_RE: Final = re.compile(r"^brk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")


@dataclass(frozen=True)
class TokenIdentity:
    """Who a valid token acts for. `admin` tokens may name any tenant; `tenant` of an admin
    token labels its holder and is its default for nothing else."""

    token_id: str
    tenant: str
    admin: bool
    name: str


@dataclass(frozen=True)
class NewToken:
    identity: TokenIdentity
    token: str  # shown once; never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    engine: sa.Engine, tenant: str, *, admin: bool = False, name: str = ""
) -> NewToken:
    """Create a token for `tenant` (any letter case: filed under its stored spelling, SPEC §2).

    Raises `RegistrationError` for an invalid tenant name.
    """
    stored = register_tenant(engine, check_tenant(tenant))
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(api_tokens).values(
                token_id=token_id,
                tenant=stored,
                name=name,
                admin=admin,
                secret_sha256=_digest(secret),
                created_at=datetime.now(UTC),
            )
        )
    identity = TokenIdentity(token_id=token_id, tenant=stored, admin=admin, name=name)
    return NewToken(identity=identity, token=f"{PREFIX}_{token_id}_{secret}")


def list_tokens(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every token, newest first: id, tenant, name, admin, created_at, revoked_at (ISO, UTC)."""
    query = sa.select(
        api_tokens.c.token_id,
        api_tokens.c.tenant,
        api_tokens.c.name,
        api_tokens.c.admin,
        api_tokens.c.created_at,
        api_tokens.c.revoked_at,
    ).order_by(api_tokens.c.created_at.desc(), api_tokens.c.token_id)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        {
            **dict(row),
            "created_at": row["created_at"].astimezone(UTC).isoformat(),
            "revoked_at": row["revoked_at"] and row["revoked_at"].astimezone(UTC).isoformat(),
        }
        for row in rows
    ]


def revoke_token(engine: sa.Engine, token_id: str) -> bool:
    """Revoke token `token_id`; False if there is no such token. Revoking twice keeps the
    first time."""
    with engine.begin() as connection:
        found = connection.execute(
            sa.select(api_tokens.c.token_id).where(api_tokens.c.token_id == token_id)
        ).first()
        if found is None:
            return False
        connection.execute(
            sa.update(api_tokens)
            .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return True


def verify_token(engine: sa.Engine, token: str) -> TokenIdentity | None:
    """The identity of a valid, unrevoked `token`; None for anything else."""
    match = _TOKEN_RE.match(token.strip())
    if match is None:
        return None
    token_id, secret = match.groups()
    query = sa.select(api_tokens).where(api_tokens.c.token_id == token_id)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None or not hmac.compare_digest(row["secret_sha256"], _digest(secret)):
        return None
    if row["revoked_at"] is not None:
        return None
    return TokenIdentity(
        token_id=row["token_id"], tenant=row["tenant"], admin=row["admin"], name=row["name"]
    )
