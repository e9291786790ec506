"""Opening a store: URL resolution, engine set-up and migrations.

A plain path means a SQLite file (the embedded default); anything with a
scheme is a SQLAlchemy URL, and ``postgresql://`` is mapped to the psycopg 3
driver.  Opening always brings the schema to the newest Alembic revision,
so an old store is upgraded in place and a new one is created.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

DEFAULT_DB = "patchdesk.db"
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(Exception):
    """A store that cannot be opened, said in one line."""
_MIGRATION_LOCK = 0x50444D49  # "PDMI": one migrating process at a time per database
_MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(db: str | None = None) -> str:
    """``--db`` value, else ``PATCHDESK_DB``, else ./patchdesk.db, as a URL."""
    db = db or os.environ.get("PATCHDESK_DB") or DEFAULT_DB
    if "://" not in db:
        return f"sqlite:///{Path(db).expanduser().absolute()}"
    for prefix in ("postgresql://", "postgres://"):
        if db.startswith(prefix):
            return "postgresql+psycopg://" + db[len(prefix):]
    return db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: index updates in big batches
    cursor.close()
    # Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE,
    # so DDL (a migration) ran outside any: a SIGKILL during the first open
    # left half a schema.  SQLAlchemy's recipe: the driver does nothing,
    # every SQLAlchemy transaction is an explicit BEGIN.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn) -> None:
    # store.retry.writer: several writer processes on one SQLite file take
    # the write lock first, so a read-then-write transaction cannot be
    # overtaken between its read and its write.
    immediate = conn.get_execution_options().get("patchdesk_immediate")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_full_sync(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def keep_through_power_loss(engine: Engine) -> Engine:
    """The engine, with every commit on disk before it returns.

    SQLite in WAL mode with ``synchronous=NORMAL`` (the default here, for
    bulk ingest) survives a killed process but may lose the last commits
    to a power loss.  A server that acknowledges each message (LMTP)
    promises more: ``FULL`` syncs the WAL at every commit.  PostgreSQL
    commits durably already."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_full_sync)
        engine.dispose()  # connections opened before now get it too
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the schema to head unless it is already there (cheap check).

    Workers and commands starting together on a store that needs a
    migration take turns (a PostgreSQL advisory lock; on SQLite the
    migration's transaction begins IMMEDIATE): the first upgrades, the
    others then find the schema at head and do nothing."""
    config = alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine.execution_options(patchdesk_immediate=True)), "head")
        return
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})")
        try:
            command.upgrade(config, "head")
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})")


def check_location(url: str, create: bool = True, header: bool = True) -> None:
    """Refuse, in one line, what cannot be a store (before anything is made).

    ``create=False`` (read commands): a missing SQLite file is reported,
    not created empty in the wrong folder.  ``header=False`` (``doctor``):
    a damaged header is left for the caller to report."""
    scheme = url.split("://", 1)[0]
    if scheme.startswith("postgresql"):
        rest = url.split("://", 1)[1].split("?", 1)[0]
        if "/" not in rest or not rest.split("/", 1)[1]:
            raise StoreError(f"{_safe(url)}: name the database (postgresql://HOST/DATABASE); "
                             "without one the server's default database would get the schema")
        return
    if scheme != "sqlite":
        raise StoreError(f"{_safe(url)}: unsupported store (a file path, sqlite:///PATH or postgresql://HOST/DB)")
    path = Path(url.split(":///", 1)[1]) if ":///" in url else None
    if path is None or str(path) in ("", ":memory:"):
        return
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file")
    if not path.exists():
        if not path.parent.is_dir():
            raise StoreError(f"no folder {path.parent} for the store {path.name}")
        if not create:
            raise StoreError(f"no store at {path} (ingest some mail first, or check --db / PATCHDESK_DB)")
        return
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read the store {path}: {exc.strerror}") from None
    if head and head[:16] != _SQLITE_MAGIC:
        raise StoreError(f"{path} is not a patchdesk store (not an SQLite database)")
    problem = _header_problem(head, size) if header else None
    if problem:
        raise StoreError(f"the store {path} is damaged ({problem}); `patchdesk doctor` checks it in full")


def first_line(exc: BaseException) -> str:
    """The driver's own message of a database error, its first line only."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]


def _safe(url: str) -> str:
    """A URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        who, _, where = rest.rpartition("@")
        return f"{scheme}://{who.split(':', 1)[0]}@{where}"
    return url


def open_engine(db: str | None = None, create: bool = True) -> Engine:
    """The store at ``db``, migrated to the newest schema; ``StoreError``
    (one line) when it cannot be opened."""
    url = resolve_url(db)
    check_location(url, create)
    try:
        engine = make_engine(url)
        migrate(engine)
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - driver missing, server down, corrupt file, read-only
        raise StoreError(f"cannot open the store {_safe(url)}: {first_line(exc)}") from None
    return engine


def header_problem(path: Path) -> str | None:
    """What the first 100 bytes of an SQLite file say is wrong, cheaply.

    Read at every open: a page size that SQLite never writes, or a file
    shorter than the database size its header records (a truncated copy,
    a disk that lost the tail), is reported before any command reads
    half a store and prints a wrong answer."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError:
        return None  # check_location has said what it could
    return _header_problem(head, size)


def _header_problem(head: bytes, size: int) -> str | None:
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        return None if not head else "the header is cut short"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1):
        return f"page size {page} is not one SQLite writes"
    pages, changed, valid_for = (int.from_bytes(head[o:o + 4], "big") for o in (28, 24, 92))
    if changed == valid_for and pages and size < pages * page:
        return f"the file holds {size} bytes, its header says {pages} pages of {page}"
    return None


def integrity_problems(engine: Engine, limit: int = 20) -> list[str]:
    """The database engine's own full check: SQLite's ``integrity_check``
    and ``foreign_key_check``; PostgreSQL checks its pages as it reads them
    (``doctor`` reads every raw message), so nothing more is asked here."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as conn:
        found = [r for (r,) in conn.exec_driver_sql(f"PRAGMA integrity_check({int(limit)})")]
        problems = [] if found == ["ok"] else found
        for table, rowid, parent, _ in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(limit):
            problems.append(f"{table} row {rowid} names a missing {parent} row")
    return problems
