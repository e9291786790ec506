#!/usr/bin/env python3
"""Draw the verdict-labelling sample of replies from a list archive (mboxrd).

Usage:
    python3 bench/verdicts_draw.py ARCHIVE.mbox --source NAME --out OUT.jsonl \
        [--seed 2026] [--cue 60] [--random 90]

Implements "Drawing the sample" of tests/data/verdicts/RULES.md (body cutting
as in tests/data/verdicts/README.md).  Stdlib only.

- A *patch* is a mail whose subject has a bracket tag containing PATCH
  ("[PATCH v2 3/7]", "[RFC PATCH]", "[PATCH RESEND]", any case) and does not
  start with "Re:" (or a localised variant).  Patches of a series carry
  In-Reply-To (to the cover letter or an earlier version) but are not replies.
- A *reply* is any other mail whose subject starts with "Re:"/"AW:"/... or
  that has In-Reply-To.
- The parent of a mail is its In-Reply-To if that is in the archive, else the
  last References entry in the archive (hops counted from the end of
  References).  A reply is kept when its nearest non-reply ancestor is in the
  archive and is a patch (or cover letter): that is `patch_msgid`, `depth` the
  number of hops to it (direct reply = 1).
- `from_is_patch_author`: the reply's From address equals the patch's From
  address (ignored when the list rewrote the sender, "X via list"), or an
  in-body "From:" address of the patch, or the display names are equal after
  lower-casing and stripping.
- body = first text/plain part, decoded with email.policy.default; mails
  without one are skipped.  Bodies over 8000 characters are cut: the middle of
  the longest ">"-quoted runs is replaced by one "> [...]" line, keeping the
  first and last two lines of each run, until the body is under 8000
  characters or no run longer than 5 lines is left.  Bodies still over 20000
  characters are skipped.
- Cue draw: replies whose own (unquoted) lines match a verdict-like word
  (CUE_RE below); --cue of them are drawn with random.Random(seed), at most 10
  per sender address.  Random draw: --random of all other eligible replies to
  patches, with random.Random(seed + 1).  Candidates are taken in archive
  order (first occurrence of a Message-ID) before shuffling.

Output: one JSON object per line (id, source, msgid, subject, from, date,
from_is_patch_author, patch_msgid, patch_subject, depth, draw, body, labels,
note); labels and note are left empty for hand labelling.
"""

import argparse
import email
import email.parser
import email.policy
import email.utils
import json
import mmap
import random
import re
import sys

POLICY = email.policy.default
CUT_AT = 8000
SKIP_OVER = 20000
MAX_PER_SENDER = 10

REPLY_RE = re.compile(
    r"^\s*(?:re|aw|sv|vs|antw|antwort|odp|rif|res|ynt|vá|atb|r)\s*(?:\[\d+\]|\(\d+\))?\s*:",
    re.I)
PATCH_RE = re.compile(r"\[[^\]]*patch", re.I)
MSGID_RE = re.compile(r"<([^<>\s]+)>")
QUOTED_RE = re.compile(r"^\s*>")
VIA_RE = re.compile(r"\s+via\s+\S.*$", re.I)
INBODY_FROM_RE = re.compile(r"^From:\s*(.+)$", re.I)
CUE_RE = re.compile(
    r"\b(?:applied|queued|picked|pushed|merged|for-next|nak|nack\w*|"
    r"reject\w*|drop\w*|ignor\w*|resen[dt]\w*|respin\w*|v\d+|split\w*|"
    r"please|wrong|broken|revert\w*|pw-bot)\b", re.I)


# ---------------------------------------------------------------- mbox reading

def message_spans(mm):
    """(start, end) byte offsets of each message, "From " line excluded."""
    starts = [m.start() for m in re.finditer(rb"^From ", mm, re.M)]
    spans = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(mm)
        nl = mm.find(b"\n", s, e)
        if nl < 0:
            continue
        spans.append((nl + 1, e))
    return spans


def unquote_mboxrd(raw):
    return re.sub(rb"^>(>*From )", rb"\1", raw, flags=re.M)


def raw_message(mm, span):
    return unquote_mboxrd(mm[span[0]:span[1]])


def header_block(mm, span):
    s, e = span
    end = mm.find(b"\n\n", s, e)
    end2 = mm.find(b"\r\n\r\n", s, e)
    cands = [x for x in (end, end2) if x >= 0]
    return mm[s:min(cands) if cands else e]


# ---------------------------------------------------------------- header helpers

def hget(msg, name):
    try:
        v = msg.get(name)
    except Exception:
        try:
            v = msg.get_all(name, failobj=[None])[0]
        except Exception:
            return ""
    if v is None:
        return ""
    try:
        return " ".join(str(v).split())
    except Exception:
        return ""


def raw_hget(msg, name):
    """Undecoded header value (for id headers, avoids policy parse failures)."""
    try:
        for k, v in msg.raw_items():
            if k.lower() == name.lower():
                return str(v)
    except Exception:
        pass
    return ""


def parse_from(msg):
    try:
        h = msg["from"]
        if h is not None and getattr(h, "addresses", None):
            a = h.addresses[0]
            return (a.display_name or "").strip(), (a.addr_spec or "").strip()
    except Exception:
        pass
    name, addr = email.utils.parseaddr(raw_hget(msg, "from"))
    return name.strip(), addr.strip()


def norm_name(name):
    name = VIA_RE.sub("", name or "")
    return " ".join(name.strip().strip("\"'").split()).lower()


def iso_date(msg):
    d = hget(msg, "date")
    if not d:
        return ""
    try:
        return email.utils.parsedate_to_datetime(d).isoformat()
    except Exception:
        return d


def is_reply_subject(subject):
    return bool(REPLY_RE.match(subject or ""))


def is_patch_subject(subject):
    return bool(PATCH_RE.search(subject or "")) and not is_reply_subject(subject)


# ---------------------------------------------------------------- body helpers

def text_body(msg):
    """Decoded first text/plain part, or None."""
    try:
        parts = msg.walk() if msg.is_multipart() else [msg]
        for part in parts:
            if part.is_multipart():
                continue
            if part.get_content_type() != "text/plain":
                continue
            try:
                return part.get_content()
            except Exception:
                payload = part.get_payload(decode=True) or b""
                cs = part.get_content_charset() or "utf-8"
                try:
                    return payload.decode(cs, "replace")
                except LookupError:
                    return payload.decode("utf-8", "replace")
    except Exception:
        return None
    return None


def quoted_runs(lines):
    runs, start = [], None
    for i, ln in enumerate(lines + [""]):
        q = i < len(lines) and QUOTED_RE.match(ln)
        if q and start is None:
            start = i
        elif not q and start is not None:
            runs.append((start, i))
            start = None
    return runs


def cut_body(body):
    lines = body.split("\n")
    while len("\n".join(lines)) > CUT_AT:
        runs = [r for r in quoted_runs(lines) if r[1] - r[0] > 5]
        if not runs:
            break
        s, e = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
        lines = lines[:s + 2] + ["> [...]"] + lines[e - 2:]
    return "\n".join(lines)


def own_lines(body):
    return [ln for ln in body.split("\n") if not QUOTED_RE.match(ln)]


def has_cue(body):
    return any(CUE_RE.search(ln) for ln in own_lines(body))


def inbody_from(msg):
    """Address of an in-body "From:" line in the first lines of a patch."""
    body = text_body(msg)
    if not body:
        return ""
    for ln in body.lstrip("\n").split("\n")[:3]:
        m = INBODY_FROM_RE.match(ln.strip())
        if m:
            return email.utils.parseaddr(m.group(1))[1].strip().lower()
    return ""


# ---------------------------------------------------------------- main logic

def load_index(mm, spans):
    """Pass 1: headers of every message (first occurrence of each Message-ID)."""
    info = {}
    order = []
    bad = 0
    hparser = email.parser.BytesParser(policy=POLICY)
    for idx, span in enumerate(spans):
        try:
            msg = hparser.parsebytes(unquote_mboxrd(header_block(mm, span)),
                                     headersonly=True)
            ids = MSGID_RE.findall(raw_hget(msg, "message-id"))
            if not ids:
                bad += 1
                continue
            mid = ids[0]
            if mid in info:
                continue
            subject = hget(msg, "subject")
            irt = MSGID_RE.findall(raw_hget(msg, "in-reply-to"))
            refs = MSGID_RE.findall(raw_hget(msg, "references"))
            name, addr = parse_from(msg)
            patch = is_patch_subject(subject)
            reply = (not patch) and (is_reply_subject(subject) or bool(irt))
            info[mid] = {
                "span": idx, "subject": subject, "irt": irt[0] if irt else None,
                "refs": [r for r in refs if r != mid], "name": name,
                "addr": addr.lower(), "addr_raw": addr, "patch": patch, "reply": reply,
                "inbody": "",
            }
            order.append(mid)
        except Exception:
            bad += 1
    return info, order, bad


def parent_of(info, m):
    """(parent msgid, hops) within the archive, or (None, 0)."""
    rec = info[m]
    if rec["irt"] and rec["irt"] in info and rec["irt"] != m:
        return rec["irt"], 1
    refs = rec["refs"]
    for i in range(len(refs) - 1, -1, -1):
        if refs[i] in info:
            return refs[i], len(refs) - i
    return None, 0


def patch_ancestor(info, m):
    """(nearest non-reply ancestor, hops) if it is a patch, else (None, 0)."""
    seen = {m}
    cur, depth = m, 0
    while True:
        p, hops = parent_of(info, cur)
        if p is None or p in seen:
            return None, 0
        depth += hops
        if not info[p]["reply"]:
            return (p, depth) if info[p]["patch"] else (None, 0)
        seen.add(p)
        cur = p


def same_author(reply, patch):
    if reply["addr"]:
        if patch["addr"] == reply["addr"] and not VIA_RE.search(patch["name"] or ""):
            return True
        if patch["inbody"] and patch["inbody"] == reply["addr"]:
            return True
    a, b = norm_name(reply["name"]), norm_name(patch["name"])
    return bool(a) and a == b


def parse_full(mm, spans, idx):
    try:
        return email.message_from_bytes(raw_message(mm, spans[idx]), policy=POLICY)
    except Exception:
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("archive")
    ap.add_argument("--source", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--cue", type=int, default=60)
    ap.add_argument("--random", type=int, default=90)
    args = ap.parse_args(argv)

    with open(args.archive, "rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        spans = message_spans(mm)
        info, order, bad = load_index(mm, spans)

        replies = [m for m in order if info[m]["reply"]]
        to_patch = {}
        for m in replies:
            p, depth = patch_ancestor(info, m)
            if p is not None:
                to_patch[m] = (p, depth)

        # in-body From: of the patches that have replies
        for p in {p for p, _ in to_patch.values()}:
            msg = parse_full(mm, spans, info[p]["span"])
            if msg is not None:
                info[p]["inbody"] = inbody_from(msg)

        # pass 2: bodies of replies to patches -> eligibility and cue flag
        eligible, cue, skipped = [], [], {"no_text": 0, "too_long": 0, "unparsed": 0}
        for m in replies:
            if m not in to_patch:
                continue
            msg = parse_full(mm, spans, info[m]["span"])
            if msg is None:
                skipped["unparsed"] += 1
                continue
            body = text_body(msg)
            if body is None:
                skipped["no_text"] += 1
                continue
            body = cut_body(body)
            if len(body) > SKIP_OVER:
                skipped["too_long"] += 1
                continue
            eligible.append(m)
            if has_cue(body):
                cue.append(m)

        # draws
        pool = list(cue)
        random.Random(args.seed).shuffle(pool)
        per_sender, cue_drawn = {}, []
        for m in pool:
            if len(cue_drawn) >= args.cue:
                break
            a = info[m]["addr"]
            if per_sender.get(a, 0) >= MAX_PER_SENDER:
                continue
            per_sender[a] = per_sender.get(a, 0) + 1
            cue_drawn.append(m)
        taken = set(cue_drawn)
        rest = [m for m in eligible if m not in taken]
        rnd_drawn = random.Random(args.seed + 1).sample(rest, min(args.random, len(rest)))

        n = 0
        with open(args.out, "w", encoding="utf-8") as out:
            for draw, ms in (("cue", cue_drawn), ("random", rnd_drawn)):
                for m in ms:
                    rec = info[m]
                    p, depth = to_patch[m]
                    msg = parse_full(mm, spans, rec["span"])
                    body = cut_body(text_body(msg))
                    n += 1
                    obj = {
                        "id": "%s-%04d" % (args.source, n),
                        "source": args.source,
                        "msgid": m,
                        "subject": rec["subject"],
                        "from": "%s <%s>" % (rec["name"], rec["addr_raw"]) if rec["name"]
                                else "<%s>" % rec["addr_raw"],
                        "date": iso_date(msg),
                        "from_is_patch_author": same_author(rec, info[p]),
                        "patch_msgid": p,
                        "patch_subject": info[p]["subject"],
                        "depth": depth,
                        "draw": draw,
                        "body": body,
                        "labels": [],
                        "note": "",
                    }
                    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        mm.close()

    print("%s: messages=%d unparsed=%d replies=%d replies_to_patches=%d "
          "eligible=%d cue_candidates=%d skipped=%s drawn_cue=%d drawn_random=%d written=%d"
          % (args.source, len(spans), bad, len(replies), len(to_patch),
             len(eligible), len(cue), skipped, len(cue_drawn), len(rnd_drawn), n))
    if n != args.cue + args.random:
        print("warning: wrote %d lines, expected %d" % (n, args.cue + args.random),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
