"""Archived web pages of one message, in hypermail's text form.

Old LKML posts often survive only as an archive page saved as text: the
subject on the first line, then ``From: Name`` and ``Date: Thu Feb 26 2015 -
10:30:22 EST`` lines, then the body.  Addresses are obfuscated
(``luto@xxxxxxxxxxxxxx``) and there is no Message-ID or References, so the
message gets a content-derived id and is threaded by later stages on
subject alone.  The page bytes are stored as they are (format
``hypermail``) and re-parsed here on every rebuild.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ..model import Unreadable
from .headers import decode_bytes

_FIELD = re.compile(r"^(From|Date|Subject|To|Cc|Message-ID|In-Reply-To):\s*(.*)$", re.I)
_DATE = re.compile(
    r"^\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{4})\s+-\s+(\d{1,2}):(\d\d):(\d\d)\s*([A-Z]{2,5})?$")
_ZONES = {"UTC": 0, "GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
          "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2}
_MONTHS = {m: i for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}


def looks_like_page(data: bytes) -> bool:
    """True for text whose first lines are a subject, From: and Date:."""
    head = data[:2000].decode("utf-8", "replace").lstrip().splitlines()[:8]
    if len(head) < 3 or head[0].startswith("From ") or head[1].strip():
        return False
    names = {m.group(1).lower() for line in head[2:] if (m := _FIELD.match(line))}
    return {"from", "date"} <= names


def parse_date(text: str) -> datetime | None:
    """Parse hypermail's ``Thu Feb 26 2015 - 10:30:22 EST`` into UTC."""
    m = _DATE.match(text.strip())
    if not m or m.group(1) not in _MONTHS:
        return None
    mon, day, year, hh, mm, ss, zone = m.groups()
    try:
        local = datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss))
    except ValueError:
        return None
    offset = _ZONES.get(zone or "UTC", 0)
    return (local - timedelta(hours=offset)).replace(tzinfo=timezone.utc)


def parse_page(data: bytes, build):
    """Parse a hypermail page; ``build`` assembles the ParsedMessage."""
    text = decode_bytes(data, "utf-8")[0].replace("\r\n", "\n")
    lines = text.lstrip().split("\n")
    if not looks_like_page(data):
        raise Unreadable("not a hypermail archive page (subject, From:, Date: lines)")
    fields = {"subject": lines[0].strip()}
    i = 1
    while i < len(lines) and (not lines[i].strip() or _FIELD.match(lines[i])):
        m = _FIELD.match(lines[i])
        if m:
            fields.setdefault(m.group(1).lower(), m.group(2).strip())
        i += 1
    body = "\n".join(lines[i:]).rstrip() + "\n"
    flags = ["archive-page"]
    date = parse_date(fields.get("date", ""))

    def header(name: str) -> str:
        if name == "date" and date is not None:
            return date.strftime("%a, %d %b %Y %H:%M:%S +0000")
        return fields.get(name, "")

    return build(header, flags, body, (), lambda name: [])
