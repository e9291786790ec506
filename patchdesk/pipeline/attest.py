"""Check the signatures of a series' mails (``parse.attest``) and keep the results.

Developer signatures (patatt) are checked against keyring directories
given with ``--keyring``.  DKIM keys come from DNS (dkimpy's resolver,
with a timeout) or, offline and in tests, from a key file: one record per line, ``NAME TXT``, as a zone lists
them (``sel._domainkey.example.org v=DKIM1; k=rsa; p=MIIB...``).  The
checks are kept per stored message and shown by ``show``, the series page
and ``take``; ``patchdesk attest`` runs them again.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ..parse.attest import Lookup, attest, summary
from ..store import attestations as store
from ..store.messages import decompress
from ..store.queries import series_detail


class AttestError(Exception):
    """The keys cannot be read: one line."""


def key_file(path: Path) -> Lookup:
    """A lookup from a key file (see the module docstring)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise AttestError(f"{path}: {exc.strerror or exc}") from None
    keys: dict[bytes, bytes] = {}
    for line in text.splitlines():
        name, _, record = line.strip().partition(" ")
        if name and record and not name.startswith("#"):
            keys[name.rstrip(".").lower().encode()] = record.strip().strip('"').encode()
    return lambda name: keys.get(name.rstrip(b".").lower())


def dns() -> Lookup:
    import dkim.dnsplug

    def lookup(name: bytes) -> bytes | None:
        try:
            return dkim.dnsplug.get_txt(name, timeout=5)
        except Exception:  # noqa: BLE001 - any resolver failure is "no key found", said as unknown
            return None
    return lookup


def attest_series(engine, series_id: int, lookup: Lookup, keys: str,
                  keyrings: tuple[str, ...] = ()) -> dict[str, list[dict]]:
    """Check every mail of the series (cover and patches); msgid -> results.
    ``keyrings``: patatt keyring directories for developer signatures."""
    with engine.connect() as conn:
        detail = series_detail(conn, series_id)
        if detail is None:
            return {}
        msgids = [detail["cover"]] if detail["cover"] else []
        msgids += [p["msgid"] for p in detail["patch_details"]]
        rows = store.members(conn, msgids)
    out: dict[str, list[dict]] = {}
    for row_id, msgid, raw, _fmt in rows:
        results = [asdict(r) for r in attest(decompress(raw), lookup, keyrings)]
        with engine.begin() as conn:
            store.save(conn, row_id, results, keys)
        out.setdefault(msgid, []).extend(results)
    return out


def verdict(results: list[dict]) -> str:
    """One word for a mail's stored checks (``parse.attest.summary``); "" if never checked."""
    from ..parse.attest import Attestation
    return summary([Attestation(**{k: r[k] for k in ("method", "status", "domain", "selector", "reason")})
                    for r in results]) if results else ""
