"""First uploads of a new brand at the same moment (issue 20 item 3), through `briskk ingest`.

Ten processes started at once on a fresh home and a fresh catalog, for one tenant spelled two
ways (`NewBrand`, `newbrand`: one tenant, SPEC §2): every upload proceeds, the tenant is
registered once under one spelling, and the Dagster instance the ten share is created once.
A database that refuses the registration is one line and exit 3, never the driver's text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import db, tables
from briskk_pipeline_tests.fixtures.cli import briskk
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

# Product prefixes whose fixture barcodes never collide (workbooks.template_rows offsets them
# by crc32(prefix) % 900): each process loads its own products, so no upload waits on another's.
PREFIXES = ("A", "B", "C", "D", "E", "G", "J", "K", "M", "N")
SPELLINGS = ("NewBrand", "newbrand")  # one tenant whatever the letter case (SPEC §2)


def test_ten_first_uploads_of_a_new_tenant_at_once_all_proceed(
    env: dict[str, str], tmp_path: Path
) -> None:
    files = [
        write_xlsx(tmp_path / f"{p}.xlsx", template_rows(4, product_prefix=p), sheet_name="Sheet1")
        for p in PREFIXES
    ]
    command = [sys.executable, "-m", "briskk_pipeline.cli", "ingest", "--json", "--tenant"]
    processes = [
        subprocess.Popen(
            [*command, SPELLINGS[n % 2], str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, path in enumerate(files)
    ]
    outputs = [process.communicate(timeout=600) for process in processes]

    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
    results = [json.loads(stdout) for stdout, _ in outputs]
    engine = db.make_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(sa.select(tables.tenants.c.tenant_key, tables.tenants.c.name))
        registered = [tuple(row) for row in rows]
    assert len(registered) == 1 and registered[0][0] == "newbrand"
    spelling = registered[0][1]
    assert spelling in SPELLINGS
    assert [r["status"] for r in results] == ["succeeded"] * 10
    assert {r["tenant"] for r in results} == {spelling}
    assert all(r["upload_id"].startswith(f"{spelling}-") for r in results)
    assert [r["products_loaded"] for r in results] == [1] * 10
    with engine.connect() as connection:
        products = connection.execute(
            sa.select(tables.products.c.tenant, tables.products.c.product_id)
        ).all()
    assert sorted(products) == sorted((spelling, f"{p}000000") for p in PREFIXES)


def test_a_database_that_refuses_registration_is_one_line_and_exit_3(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A catalog that answers but refuses writes (here: a standby after a failover, every
    transaction read-only) stops the upload before anything is recorded, in one line."""
    path = write_xlsx(tmp_path / "t.xlsx", template_rows(4), sheet_name="Sheet1")
    assert briskk(env, "db", "upgrade").returncode == 0
    url = sa.make_url(env["DATABASE_URL"])
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.execute(
            sa.text(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
        )
    admin.dispose()

    done = briskk(env, "ingest", str(path), "--tenant", "NewBrand")

    assert done.returncode == 3, done.stderr
    note, line = done.stderr.splitlines()  # the state note (DATABASE_URL set), then the error
    assert note.startswith("briskk: catalog ")
    assert line == (
        "briskk: the catalog database refused to register the upload: "
        "cannot execute INSERT in a read-only transaction"
    )
    engine = db.make_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        recorded = connection.execute(sa.select(sa.func.count()).select_from(tables.uploads))
        assert recorded.scalar_one() == 0
    archive = Path(env["BRISKK_HOME"]) / "objects" / "archive"
    assert not archive.exists() or not any(archive.rglob("*"))
