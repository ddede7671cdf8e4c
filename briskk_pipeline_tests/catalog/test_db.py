"""URLs, the embedded server, engines and migrations, against a real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from briskk_pipeline.catalog import db, tables


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg2://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+psycopg2://u:p@h/d"),
        ("POSTGRESQL://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgres+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        (
            "postgresql://postgres:@/postgres?host=/tmp/pg",
            "postgresql+psycopg2://postgres:@/postgres?host=/tmp/pg",
        ),
        ("  postgresql://u:p%40ss@h/d ", "postgresql+psycopg2://u:p%40ss@h/d"),
    ],
)
def test_normalize_database_url(url: str, expected: str) -> None:
    assert db.normalize_database_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///catalog.db", "needs PostgreSQL, got a 'sqlite' URL"),
        ("mysql+pymysql://u:secret@h/d", "got a 'mysql' URL"),
        ("localhost:5432/catalog", "not a database URL"),
        ("", "not a database URL"),
        ("postgresql+://u@h/d", "empty driver"),
    ],
)
def test_normalize_database_url_rejects(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        db.normalize_database_url(url)
    assert "secret" not in str(raised.value)


def test_make_engine_is_cached_per_normalized_url(database_url: str) -> None:
    bare = database_url.replace("postgresql+psycopg2://", "postgresql://")
    engine = db.make_engine(database_url)
    assert db.make_engine(bare) is engine
    assert engine.dialect.driver == "psycopg2"
    assert engine.pool._pre_ping is True
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.literal(41) + 1)).scalar() == 42


# catalog_history keeps whole rows of products/skus (history/record.py): reflection does not
# know those row types, and says so; compare_metadata then leaves their type alone.
_ROW_TYPES = "ignore:Did not recognize type:sqlalchemy.exc.SAWarning"


@pytest.mark.filterwarnings(_ROW_TYPES)
def test_migrations_create_exactly_the_tables_of_tables_py(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), tables.metadata)
        assert differences == []
        names = set(sa.inspect(connection).get_table_names())
        checks = {c["name"] for c in sa.inspect(connection).get_check_constraints("product_images")}
        assert db.current_revision(connection) == db.head_revision() == "0014_profiles"
    # the constant `upgrade` checks without Alembic is Alembic's own head
    assert db.head_revision() == db.HEAD_REVISION
    assert names == {*tables.metadata.tables, "alembic_version"}
    # compare_metadata does not look at CHECK constraints; they are part of the contract too
    assert checks == {"product_images_status_check", "product_images_position_check"}


def test_upgrade_twice_is_a_no_op(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_alembic(*args: object, **kwargs: object) -> None:
        raise AssertionError("alembic ran although the database is at head")

    from alembic import command

    monkeypatch.setattr(command, "upgrade", no_alembic)
    db.upgrade(engine)
    with engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert versions == [("0014_profiles",)]


@pytest.mark.filterwarnings(_ROW_TYPES)
def test_concurrent_upgrades_of_a_fresh_database_both_succeed(database_url: str) -> None:
    engine = db.make_engine(database_url)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            db.upgrade(engine)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with engine.connect() as connection:
        assert db.current_revision(connection) == "0014_profiles"
        assert compare_metadata(MigrationContext.configure(connection), tables.metadata) == []


_START = """
import sys
from pathlib import Path
from briskk_pipeline.catalog import db
print(db.embedded_database_url(Path(sys.argv[1])))
"""


def test_embedded_server_outlives_its_process_and_is_shared(pg_tmp_path: Path) -> None:
    """Two processes starting the same data dir at once get one server, still up after both
    exit (the next `briskk` command reuses it), and this process reuses it too."""
    data_dir = pg_tmp_path / "home" / "postgres"  # parents are created on demand
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", _START, str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in starters]
    try:
        if any(p.returncode for p in starters):
            pytest.fail("a starter failed:\n" + "\n".join(err for _, err in outputs))
        urls = {out.strip() for out, _ in outputs}
        assert len(urls) == 1
        (url,) = urls
        assert url.startswith("postgresql+psycopg2://")
        assert all("XDG_RUNTIME_DIR" not in err for _, err in outputs)
        pid_before = (data_dir / "postmaster.pid").read_text().splitlines()[0]

        assert db.embedded_database_url(data_dir) == url
        pid_after = (data_dir / "postmaster.pid").read_text().splitlines()[0]
        assert pid_after == pid_before  # reused, not restarted
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            assert int(connection.execute(sa.text("SHOW server_version_num")).scalar()) >= 160000
        engine.dispose()
    finally:
        stopped = db.stop_embedded_database(data_dir)
    assert stopped is True
    assert db.stop_embedded_database(data_dir) is False


def test_0004_gives_uploads_recorded_before_it_an_empty_image_failures_list(
    database_url: str,
) -> None:
    engine = db.make_engine(database_url)
    with engine.begin() as connection:
        config = db.alembic_config()
        config.attributes["connection"] = connection
        alembic_command.upgrade(config, "0001_initial")
        connection.execute(
            sa.text(
                "INSERT INTO uploads (upload_id, tenant, file_name, sha256, size_bytes, "
                "received_at, status, source, archive_uri, archive_key) VALUES ('old', 'BrandA', "
                "'a.xlsx', 'f', 1, now(), 'succeeded', 'cli', 'file:///a', 'a')"
            )
        )
    db.upgrade(engine)
    with engine.connect() as connection:
        assert db.current_revision(connection) == db.head_revision()
        failures = connection.execute(
            sa.text("SELECT image_failures FROM uploads WHERE upload_id = 'old'")
        ).scalar_one()
    assert failures == []


def test_json_columns_read_back_exactly_as_stored(engine: sa.Engine) -> None:
    # read with orjson (db.json_loads), except where orjson would round: an integer past
    # 64 bits comes back whole, as the standard library's json reads it
    document = (
        '{"big": 123456789012345678901234567890, "max": 9223372036854775807, '
        '"price": 1299.5, "text": "₹1,299 \\"quoted\\"", "none": null, "list": [1, true]}'
    )
    with engine.connect() as connection:
        jsonb, json_ = connection.execute(
            sa.text("SELECT CAST(:d AS jsonb), CAST(:d AS json)"), {"d": document}
        ).one()
    expected = {
        "big": 123456789012345678901234567890,
        "max": 9223372036854775807,
        "price": 1299.5,
        "text": '₹1,299 "quoted"',
        "none": None,
        "list": [1, True],
    }
    assert jsonb == expected
    assert json_ == expected
    assert isinstance(jsonb["big"], int)
