"""Rebuild: recompute every derived column and table from the raw mail.

Raw bytes are the source of truth; a parser fix or a new derived field
reaches old messages by running this.  A stored message that the new parser
cannot read keeps its old fields and gets the ``reparse-failed`` flag:
rebuilding never drops mail.
"""

from __future__ import annotations

from sqlalchemy import Engine, bindparam, select, update

from ..model import RawMail
from ..store.messages import decompress
from ..store.schema import Message
from ..store.threads import rebuild_threads
from .prepare import parse_or_reason, parsed_fields

_CHUNK = 2000


def _derived(raw: bytes, fmt: str, old_flags: str) -> dict:
    parsed = parse_or_reason(RawMail(raw, "", fmt))
    if isinstance(parsed, str):
        flags = set(filter(None, old_flags.split(","))) | {"reparse-failed"}
        return {"flags": ",".join(sorted(flags))}
    return parsed_fields(parsed)


def rebuild(engine: Engine) -> dict[str, int]:
    done = 0
    last_id = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(select(Message.id, Message.raw, Message.format, Message.flags)
                                .where(Message.id > last_id).order_by(Message.id).limit(_CHUNK)).all()
            if not rows:
                break
            by_keys: dict[tuple, list[dict]] = {}
            for row in rows:
                values = _derived(decompress(row.raw), row.format, row.flags)
                values["_id"] = row.id
                by_keys.setdefault(tuple(sorted(values)), []).append(values)
            for keys, params in by_keys.items():
                stmt = (update(Message).where(Message.id == bindparam("_id"))
                        .values({k: bindparam(k) for k in keys if k != "_id"}))
                conn.execute(stmt, params)
            last_id = rows[-1].id
            done += len(rows)
    with engine.begin() as conn:
        nodes = rebuild_threads(conn)
    return {"messages": done, "thread_nodes": nodes}
