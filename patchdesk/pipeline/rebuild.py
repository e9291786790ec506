"""Rebuild: recompute every derived column and table from the raw mail.

Raw bytes are the source of truth; a parser fix or a new derived field
reaches old messages by running this.  A stored message that the new parser
cannot read keeps its old fields and gets the ``reparse-failed`` flag:
rebuilding never drops mail.  Derived tables (submissions, series, links,
threads) are emptied first and filled again; running rebuild twice, or
again after an interruption, gives the same store.
"""

from __future__ import annotations

from sqlalchemy import Engine, bindparam, delete, select, update

from ..model import RawMail
from ..store.messages import decompress, flag_conflicts, ids_by_fingerprint
from ..store.review import insert_notes
from ..store.schema import (DirtyRoot, DirtySender, Message, SenderName, PatchLink, PatchReview, ReviewNote, Series,
                            SeriesLink, StateEvent, Submission, SubmissionPath)
from ..store.series import all_senders, insert_submissions, mark_dirty
from .claims import rename_claimants
from .review import review_everything
from .search import clear_index
from .series import refresh_dirty
from .threads import rebuild_threads
from .prepare import parse_or_reason, parsed_fields, review_note, submission_fields

_CHUNK = 2000


def _derived(raw: bytes, fmt: str, old_flags: str) -> tuple[dict, dict | None, str | None]:
    parsed = parse_or_reason(RawMail(raw, "", fmt))
    if isinstance(parsed, str):
        flags = set(filter(None, old_flags.split(","))) | {"reparse-failed"}
        return {"flags": ",".join(sorted(flags))}, None, None
    fields = parsed_fields(parsed)
    try:
        sub = submission_fields(parsed)
    except Exception:  # noqa: BLE001 - as at ingest: keep the mail, flag it
        fields["flags"] = ",".join(filter(None, [fields["flags"], "features-failed"]))
        return fields, None, None
    try:
        return fields, sub, review_note(parsed, sub)
    except Exception:  # noqa: BLE001 - as at ingest: keep the mail, flag it
        fields["flags"] = ",".join(filter(None, [fields["flags"], "review-failed"]))
        return fields, sub, None


def _unique_fingerprints(conn, updates: list[dict]) -> None:
    """Fingerprints are unique in the store (one copy per post, also with
    several writers).  When a changed parser now gives a message the
    fingerprint another one holds, both are the same post stored twice;
    the later keeps its bytes under the fingerprint ``dup-<id>``."""
    owners = ids_by_fingerprint(conn, [v["fingerprint"] for v in updates if "fingerprint" in v])
    seen: set[str] = set()
    for values in updates:
        fingerprint = values.get("fingerprint")
        if fingerprint is None:
            continue
        if owners.get(fingerprint, values["_id"]) != values["_id"] or fingerprint in seen:
            values["fingerprint"] = f"dup-{values['_id']}"
        seen.add(fingerprint)


def _clear_derived(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (PatchLink, SeriesLink, SubmissionPath, Submission, Series, DirtySender, SenderName, ReviewNote,
                      PatchReview, StateEvent, DirtyRoot):
            conn.execute(delete(table))


def rebuild(engine: Engine) -> dict[str, int]:
    _clear_derived(engine)
    clear_index(engine)  # the search index is the parser's too: the next search fills it again
    done = submissions = 0
    last_id = 0
    claimed: set[str] = set()    # Message-IDs given out so far, in storage order
    clashing: set[str] = set()
    while True:
        with engine.begin() as conn:
            rows = conn.execute(select(Message.id, Message.raw, Message.format, Message.flags, Message.raw_hash)
                                .where(Message.id > last_id).order_by(Message.id).limit(_CHUNK)).all()
            if not rows:
                break
            by_keys: dict[tuple, list[dict]] = {}
            subs, notes, updates = [], [], []
            for row in rows:
                values, sub, note = _derived(decompress(row.raw), row.format, row.flags)
                if "msgid" in values:  # as at ingest: a later claimant of a Message-ID gets its own name
                    values["raw_hash"] = row.raw_hash
                    values["msgid_conflict"] = False
                    clashing |= rename_claimants([values], claimed)
                    del values["raw_hash"]
                if note is not None:
                    notes.append({"message_id": row.id, "msgid": values["msgid"], "note": note})
                values["_id"] = row.id
                updates.append(values)
                if sub is not None:
                    subs.append({**sub, "msgid": values["msgid"], "message_id": row.id})
            _unique_fingerprints(conn, updates)
            for values in updates:
                by_keys.setdefault(tuple(sorted(values)), []).append(values)
            for keys, params in by_keys.items():
                stmt = (update(Message).where(Message.id == bindparam("_id"))
                        .values({k: bindparam(k) for k in keys if k != "_id"}))
                conn.execute(stmt, params)
            insert_submissions(conn, subs)
            insert_notes(conn, notes)
            submissions += len(subs)
            last_id = rows[-1].id
            done += len(rows)
    with engine.begin() as conn:
        flag_conflicts(conn, clashing)
        nodes = rebuild_threads(conn)
    with engine.begin() as conn:
        mark_dirty(conn, all_senders(conn))
    series = refresh_dirty(engine)
    reviewed = review_everything(engine)
    return {"messages": done, "thread_nodes": nodes, "submissions": submissions, "series": series,
            "reviewed_series": reviewed}
