"""Writing and reading messages, lists, sources and quarantine records.

All writes take an open connection inside the caller's transaction: ingest
commits one batch at a time, so a killed run leaves whole batches or
nothing.  Lookups take many keys at once (``IN`` in chunks) because ingest
asks about thousands of messages per batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone

import zstandard
from sqlalchemy import Connection, DateTime, func, select, update

from ..model import claimed_id
from .schema import MailingList, Message, MessageList, Quarantine, Source

_CHUNK = 2000


def chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_COMPRESSOR = zstandard.ZstdCompressor(level=1)
_DECOMPRESSOR = zstandard.ZstdDecompressor()


def compress(data: bytes) -> bytes:
    """zstd level 1: a third of zlib's time at the same ratio (about 0.43).

    One compressor per process: ingest workers are processes, and the main
    process compresses from one thread only.
    """
    return _COMPRESSOR.compress(data)


def decompress(data: bytes) -> bytes:
    return _DECOMPRESSOR.decompress(data)


def now() -> datetime:
    return datetime.now(timezone.utc)


def _sqlite_value(value):
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format
    return value


def bulk_insert(conn: Connection, table, rows: list[dict], ignore: bool = False) -> None:
    """executemany straight through the driver, for ingest's big batches.

    Core's per-row parameter processing costs more than SQLite's insert
    itself at tens of thousands of rows; values are converted here the way
    SQLAlchemy would store them, so reads through the ORM see no difference.
    ``ignore`` skips rows a unique key already holds (both dialects).
    """
    if not rows:
        return
    columns = list(rows[0])
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join([marker] * len(columns))})" + (" ON CONFLICT DO NOTHING" if ignore else ""))
    params = [tuple(row[c] for c in columns) for row in rows]
    if conn.dialect.name == "sqlite":
        dated = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, DateTime)]
        if dated:
            params = [_convert(values, dated) for values in params]
    conn.exec_driver_sql(sql, params)


def _convert(values: tuple, positions: list[int]) -> tuple:
    out = list(values)
    for i in positions:
        out[i] = _sqlite_value(out[i])
    return tuple(out)


def insert_ignore(conn: Connection, table, rows: list[dict]) -> None:
    """INSERT rows, skipping those that violate a unique key (both dialects)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    conn.execute(dialect_insert(table).on_conflict_do_nothing(), rows)


def ensure_list(conn: Connection, name: str) -> int:
    insert_ignore(conn, MailingList.__table__, [{"name": name}])
    return conn.execute(select(MailingList.id).where(MailingList.name == name)).scalar_one()


def list_names(conn: Connection) -> list[str]:
    return list(conn.execute(select(MailingList.name).order_by(MailingList.name)).scalars())


def ensure_source(conn: Connection, kind: str, location: str) -> tuple[int, dict]:
    """Return (id, cursor) of a source, registering it on first use."""
    insert_ignore(conn, Source.__table__, [{"kind": kind, "location": location, "cursor": "{}"}])
    row = conn.execute(select(Source.id, Source.cursor).where(Source.location == location)).one()
    return row.id, json.loads(row.cursor or "{}")


def save_cursor(conn: Connection, source_id: int, cursor: dict) -> None:
    conn.execute(update(Source).where(Source.id == source_id)
                 .values(cursor=json.dumps(cursor, sort_keys=True), last_ingest=now()))


def as_utc(date) -> datetime:
    """A stored date as an aware UTC datetime, whatever the dialect returned
    (SQLite's driver-level rows give text; a missing date sorts first)."""
    if isinstance(date, str):
        date = datetime.fromisoformat(date)
    if date is None:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)
    return date if date.tzinfo else date.replace(tzinfo=timezone.utc)


def lookup(conn: Connection, column, keys: Iterable, *extra):
    """Rows of ``column, *extra`` where ``column`` is one of ``keys``.

    Written as driver-level SQL: SQLAlchemy's expanding ``IN`` costs more to
    compile than the query costs to run when ingest asks about thousands of
    keys per batch.
    """
    keys = list(dict.fromkeys(keys))
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    table = column.table.name
    names = ", ".join(c.name for c in (column, *extra))
    for part in chunks(keys):
        sql = f"SELECT {names} FROM {table} WHERE {column.name} IN ({', '.join([marker] * len(part))})"
        yield from conn.exec_driver_sql(sql, tuple(part))


def known_hashes(conn: Connection, hashes: Iterable[str]) -> set[str]:
    """Raw hashes already stored or quarantined."""
    hashes = list(hashes)
    found = {row[0] for row in lookup(conn, Message.raw_hash, hashes)}
    found.update(row[0] for row in lookup(conn, Quarantine.raw_hash, hashes))
    return found


def ids_by_fingerprint(conn: Connection, fingerprints: Iterable[str]) -> dict[str, int]:
    return {fp: mid for fp, mid in lookup(conn, Message.fingerprint, fingerprints, Message.id)}


def ids_by_hash(conn: Connection, hashes: Iterable[str]) -> dict[str, int]:
    return {h: mid for h, mid in lookup(conn, Message.raw_hash, hashes, Message.id)}


#: PostgreSQL advisory lock key ("PDCL"): one writer at a time names new messages.
_CLAIMS_LOCK = 0x5044434C


def hold_claims(conn: Connection) -> None:
    """Until this transaction ends, no other writer may name messages.

    Which message keeps a Message-ID is decided by what is stored already
    (``pipeline.claims``).  Under PostgreSQL's read committed two writers
    storing rival claimants at once would each find the id free and both
    keep it; taken before the lookup, this lock makes the second wait for
    the first's commit.  SQLite has one writer at a time already."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_CLAIMS_LOCK})")


def existing_msgids(conn: Connection, msgids: Iterable[str]) -> set[str]:
    return {row[0] for row in lookup(conn, Message.msgid, msgids)}


def insert_returning(conn: Connection, table, rows: list[dict], returning: str, page: int = 500) -> list:
    """PostgreSQL: INSERT rows that no unique key holds yet, many per
    statement; return ``returning`` of the rows really inserted.

    With several writers this is the check that cannot race: a row a
    concurrent transaction is inserting waits for it and is then skipped.
    """
    if not rows:
        return []
    columns = list(rows[0])
    one = f"({', '.join(['%s'] * len(columns))})"
    out = []
    for part in chunks(rows, page):
        sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {', '.join([one] * len(part))} "
               f"ON CONFLICT DO NOTHING RETURNING {returning}")
        out.extend(conn.exec_driver_sql(sql, tuple(row[c] for row in part for c in columns)).all())
    return out


def insert_messages(conn: Connection, rows: list[dict]) -> dict[str, int]:
    """Insert message rows; return the ids of those inserted, by raw hash.

    On PostgreSQL a row whose raw hash or fingerprint a concurrent writer
    stored first is left out (the caller counts it as known).  On SQLite
    the caller holds the write lock, so every row goes in: a plain
    executemany (no RETURNING, which SQLite runs row by row) and one lookup
    by hash afterwards is several times faster.
    """
    if not rows:
        return {}
    if conn.dialect.name == "postgresql":  # sorted: concurrent writers lock keys in one order
        rows = sorted(rows, key=lambda row: row["raw_hash"])
        return dict(insert_returning(conn, Message.__table__, rows, "raw_hash, id"))
    bulk_insert(conn, Message.__table__, rows)
    return ids_by_hash(conn, [row["raw_hash"] for row in rows])


def flag_conflicts(conn: Connection, msgids: Iterable[str]) -> None:
    for part in chunks(list(set(msgids))):
        conn.execute(update(Message).where(Message.msgid.in_(part)).values(msgid_conflict=True))


def add_to_list(conn: Connection, message_ids: Iterable[int], list_id: int) -> None:
    insert_ignore(conn, MessageList.__table__,
                  [{"message_id": mid, "list_id": list_id} for mid in sorted(set(message_ids))])


def insert_quarantine(conn: Connection, rows: list[dict]) -> set[str]:
    """Store quarantine records; return the raw hashes really inserted."""
    if conn.dialect.name == "postgresql":
        rows = sorted(rows, key=lambda row: row["raw_hash"])
        return {h for (h,) in insert_returning(conn, Quarantine.__table__, rows, "raw_hash")}
    insert_ignore(conn, Quarantine.__table__, rows)
    return {row["raw_hash"] for row in rows}


def mark_deleted(conn: Connection, hashes: Iterable[str]) -> None:
    for part in chunks(list(set(hashes))):
        conn.execute(update(Message).where(Message.raw_hash.in_(part)).values(deleted=True))


#: a bulk ingest storing at least this many messages refreshes the planner's statistics
BULK = 10000
_GROWN = ("messages", "message_lists", "thread_nodes", "submissions", "submission_paths", "review_notes",
          "dirty_senders", "dirty_roots", "series", "series_links", "patch_links")


def refresh_statistics(conn: Connection, stored: int) -> None:
    """PostgreSQL, after an ingest that stored ``stored`` messages (at least
    ``BULK``): ANALYZE the tables it grew, before series and review read
    them.  Autovacuum analyzes a table only after it grew by a
    tenth, so after loading an archive into a fresh store the planner still
    believed the tables nearly empty, and series and review ran several
    times slower (measured on 300,084 messages in one process: series 176 s
    before, 75 s after; review 203 s, 67 s).  Sampled, so a few seconds at
    most; SQLite needs none."""
    if stored >= BULK and conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {', '.join(_GROWN)}")


def counts(conn: Connection) -> dict[str, int]:
    """Totals for ``patchdesk status``."""
    one = lambda q: conn.execute(q).scalar_one()  # noqa: E731
    return {
        "messages": one(select(func.count()).select_from(Message)),
        "deleted": one(select(func.count()).select_from(Message).where(Message.deleted)),
        "msgid_conflicts": one(select(func.count()).select_from(Message).where(Message.msgid_conflict)),
        "quarantined": one(select(func.count()).select_from(Quarantine)),
        "lists": one(select(func.count()).select_from(MailingList)),
        "sources": one(select(func.count()).select_from(Source)),
    }


def stored_raw(conn: Connection, table, after: int = 0, limit: int = 500) -> list:
    """(id, raw_hash, compressed raw) of ``table`` (messages or quarantine)
    rows after id ``after``, a page at a time."""
    return conn.execute(select(table.id, table.raw_hash, table.raw).where(table.id > after)
                        .order_by(table.id).limit(limit)).all()


def messages_by_msgid(conn: Connection, msgids: Iterable[str]) -> list:
    cols = (Message.id, Message.msgid, Message.from_name, Message.from_addr,
            Message.subject, Message.date, Message.flags, Message.deleted)
    rows = []
    for part in chunks(list(set(msgids))):
        rows.extend(conn.execute(select(*cols).where(Message.msgid.in_(part))))
    return rows


def raw_message(conn: Connection, message_id: int) -> bytes:
    data = conn.execute(select(Message.raw).where(Message.id == message_id)).scalar_one()
    return decompress(data)


def raw_of(conn: Connection, msgids: Iterable[str]) -> dict[str, tuple[bytes, str]]:
    """Raw bytes and format of messages by Message-ID (first stored wins)."""
    out: dict[str, tuple[bytes, str]] = {}
    for msgid, raw, fmt in lookup(conn, Message.msgid, msgids, Message.raw, Message.format):
        out.setdefault(msgid, (decompress(raw), fmt))
    return out


def claimants(conn: Connection, msgids: Iterable[str]) -> dict[str, list[dict]]:
    """For each stored message, the *other* stored messages claiming the
    same Message-ID (``pipeline.claims``): name, sender, date."""
    out: dict[str, list[dict]] = {}
    for msgid in dict.fromkeys(msgids):
        claimed = claimed_id(msgid)
        rows = conn.execute(select(Message.msgid, Message.from_name, Message.from_addr, Message.date)
                            .where((Message.msgid == claimed) | Message.msgid.startswith(claimed + "~", autoescape=True))
                            .order_by(Message.id)).all()
        out[msgid] = [{"msgid": r.msgid, "author": r.from_name, "author_email": r.from_addr, "date": r.date}
                      for r in rows if r.msgid != msgid]
    return out
