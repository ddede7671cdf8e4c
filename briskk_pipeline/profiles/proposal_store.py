"""The header proposal of an upload's latest run (`proposals.py`), kept in `header_proposals`
for the brand page's mapping form."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from briskk_pipeline.catalog import tables
from briskk_pipeline.profiles.proposals import Proposal


def save(engine: sa.Engine, upload_id: str, tenant: str, found: Proposal | None) -> None:
    """Keep (or, `found` None, forget) the proposal of the upload's latest run."""
    table = tables.header_proposals
    with engine.begin() as connection:
        if found is None:
            connection.execute(sa.delete(table).where(table.c.upload_id == upload_id))
            return
        statement = insert(table).values(
            upload_id=upload_id, tenant=tenant, proposal=found, created_at=sa.func.now()
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.upload_id],
                set_={"proposal": statement.excluded.proposal, "created_at": sa.func.now()},
            )
        )


def stored(engine: sa.Engine, upload_id: str) -> Proposal | None:
    """The proposal of the upload's latest run, or None (its header was not rejected)."""
    table = tables.header_proposals
    with engine.connect() as connection:
        value = connection.execute(
            sa.select(table.c.proposal).where(table.c.upload_id == upload_id)
        ).scalar_one_or_none()
    return value
