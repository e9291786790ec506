"""Who vouches for a message: its DKIM signatures, and patatt's where present.

A reused Message-ID or a spoofed From can put a stranger's diff in front of
a maintainer; a signature made by the sender's domain (DKIM, RFC 6376) or by
the developer's own key (patatt, the kernel's ``X-Developer-Signature``) is
what says the mail is what its author sent.  Each signature gives one
``Attestation``:

* ``pass``: the signature verifies with the key published for it;
* ``fail``: it does not (the body or a signed header changed, or the key
  does not match): the mail is not what was signed;
* ``unknown``: it could not be checked (no key found, a DNS error, a
  signature dkimpy cannot parse);
* ``none``: the message carries no DKIM signature at all;
* patatt's own signature (the kernel's ``X-Developer-Signature``) is checked
  by patatt against a keyring of developers' public keys (``pass``,
  ``fail``, ``unknown`` when the key is not in it or no keyring was given).

The key lookup is passed in (``lookup(name) -> TXT record or None``): DNS when
online, a local key file in tests and offline stores.  dkimpy does the
cryptography; this module only names the outcome.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import dkim

#: name ("sel._domainkey.example.org.") -> its TXT record, or None.
Lookup = Callable[[bytes], bytes | None]
_PATATT = re.compile(rb"^X-Developer-Signature:\s*(.*)$", re.I | re.M)
_TAG = re.compile(rb"\b([a-z])=\s*([^;\s]+)")
MAX_SIGNATURES = 8


@dataclass(frozen=True, slots=True)
class Attestation:
    method: str
    status: str
    domain: str = ""
    selector: str = ""
    reason: str = ""


def _head(raw: bytes) -> bytes:
    end = raw.find(b"\n\n")
    return raw if end < 0 else raw[:end + 1]


def _signatures(head: bytes) -> list[dict[bytes, bytes]]:
    """The tags of each DKIM-Signature header (folded lines joined)."""
    out = []
    for m in re.finditer(rb"(?im)^dkim-signature\s*:(.*(?:\n[ \t].*)*)", head):
        value = re.sub(rb"\s+", b"", m.group(1))
        out.append({k.strip(): v for k, _, v in (t.partition(b"=") for t in value.split(b";")) if k.strip()})
    return out


def dkim_results(raw: bytes, lookup: Lookup) -> list[Attestation]:
    """One result per DKIM-Signature header (at most ``MAX_SIGNATURES``)."""
    unix = raw.replace(b"\r\n", b"\n")
    signatures = _signatures(_head(unix))
    if not signatures:
        return [Attestation("dkim", "none", reason="no DKIM-Signature header")]
    message = unix.replace(b"\n", b"\r\n")
    keys: dict[bytes, bytes | None] = {}

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        if name not in keys:
            keys[name] = lookup(name)
        return keys[name]

    out = []
    for idx, tags in enumerate(signatures[:MAX_SIGNATURES]):
        domain, selector = _text(tags.get(b"d", b"")), _text(tags.get(b"s", b""))
        if not domain or not selector:
            out.append(Attestation("dkim", "unknown", domain, selector, "a signature without d= or s="))
            continue
        if dnsfunc(f"{selector}._domainkey.{domain}.".encode()) is None:
            out.append(Attestation("dkim", "unknown", domain, selector,
                                   f"no key published at {selector}._domainkey.{domain}"))
            continue
        try:
            ok = dkim.DKIM(message).verify(idx=idx, dnsfunc=dnsfunc)
        except dkim.ValidationError as exc:
            if "body hash mismatch" in str(exc):
                out.append(Attestation("dkim", "fail", domain, selector, "the body changed after it was signed"))
            else:
                out.append(Attestation("dkim", "unknown", domain, selector, f"cannot check: {exc}"))
            continue
        except (dkim.DKIMException, ValueError, IndexError) as exc:
            out.append(Attestation("dkim", "unknown", domain, selector, f"cannot check: {exc}"))
            continue
        out.append(Attestation("dkim", "pass" if ok else "fail", domain, selector,
                               "" if ok else "a signed header changed, or the key does not match"))
    return out


def patatt_results(raw: bytes, keyrings: tuple[str, ...] = ()) -> list[Attestation]:
    """Each patatt (``X-Developer-Signature``) signature, checked by patatt
    against the public keys of ``keyrings`` (directories laid out as patatt's
    own: ``ed25519/DOMAIN/LOCAL/SELECTOR``); without a keyring it cannot be
    checked and says so."""
    head = _head(raw.replace(b"\r\n", b"\n"))
    if not _PATATT.search(head):
        return []
    if not keyrings:
        return [Attestation("patatt", "unknown", _text(dict(_TAG.findall(m.group(1))).get(b"i", b"")),
                            _text(dict(_TAG.findall(m.group(1))).get(b"a", b"")),
                            "a developer signature: give a keyring (--keyring DIR) to check it")
                for m in _PATATT.finditer(head)]
    import patatt  # imported here: it runs git mailinfo, and only signed mail needs it
    try:
        found = patatt.validate_message(raw, list(keyrings))
    except Exception as exc:  # noqa: BLE001 - patatt's own errors, git missing: a check that could not be made
        return [Attestation("patatt", "unknown", reason=f"cannot check: {exc}"[:300])]
    words = {patatt.RES_VALID: "pass", patatt.RES_BADSIG: "fail", patatt.RES_NOKEY: "unknown",
             patatt.RES_ERROR: "unknown", patatt.RES_NOSIG: "none"}
    return [Attestation("patatt", words.get(code, "unknown"), identity or "", algo or "",
                        "" if code == patatt.RES_VALID else "; ".join(errors)[:300])
            for code, identity, _when, _source, algo, errors in found if code != patatt.RES_NOSIG]


def attest(raw: bytes, lookup: Lookup, keyrings: tuple[str, ...] = ()) -> list[Attestation]:
    return dkim_results(raw, lookup) + patatt_results(raw, keyrings)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def summary(results: list[Attestation]) -> str:
    """One word for a message: fail if any signature fails, else pass if
    any passes, else unknown if any could not be checked, else none."""
    statuses = {r.status for r in results}
    for word in ("fail", "pass", "unknown"):
        if word in statuses:
            return word
    return "none"
