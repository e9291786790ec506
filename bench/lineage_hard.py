"""Hard cases for bench/lineage.py: rewrite the last version of some series.

For each kind, ``per_kind`` series with at least two versions, dated in
version order and each sent within a day, are picked (seeded, disjoint between kinds) and their final
version -- the "new" side of
the link (previous version -> final version) -- is rewritten:

  retitle      subjects of cover and patches: another subsystem prefix and
               synonyms for common words (names stay loosely alike)
  retitle-new  subjects replaced by an unrelated phrase (names do not help)
  reorder      patches renumbered in another order (>= 3 patches)
  split        one patch with >= 2 hunks cut into two patches (hunks divided
               where the changed lines balance best, numbering and diffstat
               adjusted, " (part 1)"/" (part 2)" appended to the subject, no
               cover letter added to a single patch); the old patch should be
               superseded by both halves
  drop         one patch of the previous version left out (>= 3 patches)
  add          one new patch (a new file) inserted at a random position

The ``[PATCH vN n/M]`` prefix is kept.  A cover letter chained to the old
cover (In-Reply-To) is unchained in every picked series, so that content and
names, not threading, have to carry the link.  Messages are edited as bytes
(headers re-folded by ``email.header``), so everything stays parseable; the
mbox is written back as mboxrd.  The returned truth records carry ``hard``
(the kind) on the rewritten version; split halves share the old ``commit``.
"""

from __future__ import annotations

import email.utils
import random
import re
from email.header import Header, decode_header, make_header

KINDS = ("retitle", "retitle-new", "reorder", "split", "drop", "add")
SEP_RE = re.compile(rb"^From [^\n]*\n", re.M)
PREFIX_RE = re.compile(r"^(\s*\[[^\]]*\])\s*(.*)$", re.S)
COUNTER_RE = re.compile(r"(\d+)/(\d+)(?=\])")
SYNONYMS = {"fix": "correct", "add": "introduce", "use": "switch to", "remove": "drop",
            "update": "refresh", "support": "handling for", "test": "testcase",
            "tests": "testcases", "cleanup": "tidy", "convert": "port", "new": "fresh",
            "missing": "absent", "check": "verify", "error": "failure", "make": "let",
            "don't": "do not", "rewrite": "rework", "the": "a", "for": "in"}
AREAS = ("core", "misc", "build", "lib", "docs", "treewide", "tools", "infra")
PHRASES = ("rework {w} handling", "follow-up cleanups around {w}", "address review of {w}",
           "prepare {w} for the next step", "simplify {w} logic", "reshuffle {w} code")


# -- mboxrd -------------------------------------------------------------------

def read_mbox(path):
    """Raw messages (unquoted) in file order."""
    data = open(path, "rb").read()
    parts = SEP_RE.split(data)[1:]
    out = []
    for p in parts:
        p = re.sub(rb"^>(>*From )", rb"\1", p, flags=re.M)
        out.append(p[:-1] if p.endswith(b"\n\n") else p)
    return out


def write_mbox(path, raws):
    with open(path, "wb") as f:
        for raw in raws:
            f.write(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n")
            f.write(re.sub(rb"^(>*From )", rb">\1", raw, flags=re.M))
            f.write(b"\n" if raw.endswith(b"\n") else b"\n\n")


# -- one message as editable headers + body -------------------------------------

class Mail:
    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\n\n")
        self.headers = []                      # [name, value] unfolded, str
        for line in head.decode("utf-8", "surrogateescape").split("\n"):
            if line[:1] in (" ", "\t") and self.headers:
                self.headers[-1][1] += "\n" + line
            elif ":" in line:
                name, value = line.split(":", 1)
                self.headers.append([name, value.strip()])

    def get(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set(self, name, value):
        """Replace (value None: remove) a header; add it at the end if absent."""
        rest = [h for h in self.headers if h[0].lower() != name.lower()]
        if value is None:
            self.headers = rest
        elif len(rest) == len(self.headers):
            self.headers.append([name, value])
        else:
            self.headers = [[h[0], value] if h[0].lower() == name.lower() else h
                            for h in self.headers]

    @property
    def subject(self):
        value = (self.get("Subject") or "").replace("\n", "")
        try:
            return str(make_header(decode_header(value)))
        except Exception:
            return value

    @subject.setter
    def subject(self, text):
        try:
            text.encode("ascii")
            self.set("Subject", text)
        except UnicodeEncodeError:
            self.set("Subject", Header(text, "utf-8").encode())

    @property
    def text(self):
        return self.body.decode("utf-8", "surrogateescape")

    @text.setter
    def text(self, value):
        self.body = value.encode("utf-8", "surrogateescape")

    def raw(self):
        head = "\n".join(f"{k}: {v}" for k, v in self.headers)
        return head.encode("utf-8", "surrogateescape") + b"\n\n" + self.body


def headers(raw):
    """Just the headers of a raw message, parsed."""
    return Mail(raw.partition(b"\n\n")[0] + b"\n\n")


def renumber(subject, number, total, version=None):
    """Set the n/M counter of a [PATCH ...] prefix (adding it when absent)."""
    m = PREFIX_RE.match(subject)
    if not m:
        return subject
    prefix, text = m.group(1), m.group(2)
    if version and version > 1 and not re.search(r"\bv\d", prefix):
        prefix = prefix[:-1] + f" v{version}]"
    counter = f"{number:0{len(str(total))}d}/{total}"
    if total <= 1:
        prefix = COUNTER_RE.sub("", prefix).replace(" ]", "]")
    elif COUNTER_RE.search(prefix):
        prefix = COUNTER_RE.sub(counter, prefix, count=1)
    else:
        prefix = prefix[:-1] + f" {counter}]"
    return f"{prefix} {text}"


def retitle(subject, rng, mode):
    m = PREFIX_RE.match(subject)
    prefix, text = (m.group(1), m.group(2)) if m else ("", subject)
    area, _, rest = text.rpartition(": ")
    words = re.findall(r"[A-Za-z_]{4,}", rest) or ["this"]
    if mode == "retitle-new":
        new = f"{rng.choice(AREAS)}: " + rng.choice(PHRASES).format(w=rng.choice(words).lower())
    else:
        reworded = " ".join(SYNONYMS.get(w.lower(), w) for w in rest.split())
        new = f"{rng.choice(AREAS)}: {area + ': ' if area else ''}{reworded}"
    return f"{prefix} {new}".strip()


# -- diffs ---------------------------------------------------------------------

def split_diff(text):
    """(message, diffstat part, [(file header, [hunks])], signature) or None."""
    at = ("\n" + text).find("\n---\n")
    start = text.find("\ndiff --git ")
    if at < 0 or start < 0:
        return None
    sig = text.rfind("\n-- \n")
    sig = sig if sig > start else len(text)
    files = []
    for chunk in re.split(r"(?m)^(?=diff --git )", text[start + 1:sig + 1]):
        if chunk:
            pieces = re.split(r"(?m)^(?=@@ )", chunk)
            files.append((pieces[0], pieces[1:]))
    return text[:at], text[at:start + 1], files, text[sig + 1:]


def diffstat(files):
    lines, ins, dels = [], 0, 0
    for header, hunks in files:
        path = header.split("\n", 1)[0].rsplit(" b/", 1)[-1]
        body = [ln for h in hunks for ln in h.split("\n")[1:]]
        p = sum(1 for ln in body if ln.startswith("+"))
        d = sum(1 for ln in body if ln.startswith("-"))
        ins, dels = ins + p, dels + d
        lines.append(f" {path} | {p + d} {'+' * min(p, 40)}{'-' * min(d, 40)}")
    lines.append(f" {len(files)} files changed, {ins} insertions(+), {dels} deletions(-)")
    return "---\n" + "\n".join(lines) + "\n\n"


def hunk_units(files):
    return [(h, hunk) for h, hunks in files for hunk in hunks]


def regroup(units):
    files = []
    for header, hunk in units:
        if files and files[-1][0] == header:
            files[-1][1].append(hunk)
        else:
            files.append((header, [hunk]))
    return files


def new_file_patch(rng, tag):
    path = f"doc/notes-{tag}.txt"
    body = [f"+note {rng.getrandbits(48):012x}: {rng.choice(PHRASES).format(w=tag)}"
            for _ in range(rng.randint(6, 14))]
    return (f"---\n {path} | {len(body)} {'+' * len(body)}\n 1 file changed, "
            f"{len(body)} insertions(+)\n\n"
            f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..{rng.getrandbits(28):07x}\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(body)} @@\n" + "\n".join(body) + "\n")


# -- building the corpus ---------------------------------------------------------

def build(raws, truth, seed, per_kind=30):
    """Return (new raw list, new truth list, {series id: kind})."""
    rng = random.Random(f"hard:{seed}")
    index = {}
    for i, raw in enumerate(raws):
        msgid = headers(raw).get("Message-Id")
        if msgid:
            index.setdefault(msgid.strip(), i)
    versions = {}
    for t in truth:
        versions.setdefault(t["series"], []).append(t)

    def dates(t):
        try:
            return sorted(email.utils.parsedate_to_datetime(headers(raws[index[p["msgid"]]]).get("Date"))
                          .timestamp() for p in t["patches"])
        except (TypeError, ValueError):
            return [0, 86400]                 # unreadable date: not a candidate

    cands = []           # versions dated in order, each sent within a day (see lineage.py)
    for s, vs in sorted(versions.items()):
        vs.sort(key=lambda t: t["version"])
        if len(vs) >= 2 and all(p["msgid"] in index for t in vs for p in t["patches"]):
            d = [dates(t) for t in vs]
            if all(a[0] < b[0] for a, b in zip(d, d[1:])) and all(x[-1] - x[0] < 86400 for x in d):
                cands.append(s)
    rng.shuffle(cands)
    mails = {}                                # index -> Mail, edited copies
    extra = {}                                # index -> [raw to insert after it]
    dropped = set()
    picked = {}

    def mail(msgid):
        i = index[msgid]
        if i not in mails:
            mails[i] = Mail(raws[i])
        return mails[i]

    for kind in ("split", "drop", "reorder", "add", "retitle-new", "retitle"):
        for s in cands:
            if sum(1 for k in picked.values() if k == kind) >= per_kind:
                break
            if s in picked:
                continue
            old, new = versions[s][-2], versions[s][-1]
            if apply(kind, s, old, new, mail, rng, index, extra, dropped):
                picked[s] = kind
                new["hard"] = kind
                if new["cover"] and mail(new["cover"]).get("In-Reply-To") in \
                        {old["cover"]} | {p["msgid"] for p in old["patches"]}:
                    mail(new["cover"]).set("In-Reply-To", None)
                    mail(new["cover"]).set("References", None)
    # replies to dropped patches go with them
    gone = {Mail(raws[i]).get("Message-Id") for i in dropped}
    out = []
    for i, raw in enumerate(raws):
        m = mails.get(i) or headers(raw)
        if i in dropped or m.get("In-Reply-To") in gone:
            continue
        out.append(m.raw() if i in mails else raw)
        out.extend(extra.get(i, []))
    return out, truth, picked


def apply(kind, s, old, new, mail, rng, index, extra, dropped):
    """Rewrite version ``new`` of series ``s`` in place; False if it does not qualify."""
    pats, cover = new["patches"], new["cover"] and mail(new["cover"])
    old_commits = {p["commit"] for p in old["patches"]}
    n = len(pats)
    if kind in ("retitle", "retitle-new"):
        for msgid in [new["cover"]] * bool(cover) + [p["msgid"] for p in pats]:
            mail(msgid).subject = retitle(mail(msgid).subject, rng, kind)
        return True
    if kind in ("reorder", "drop") and (not cover or n < 3):
        return False
    if kind == "reorder":
        order = list(range(1, n + 1))
        while order == sorted(order):
            rng.shuffle(order)
        for p, number in zip(pats, order):
            mail(p["msgid"]).subject = renumber(mail(p["msgid"]).subject, number, n)
        return True
    if kind == "drop":
        k = rng.choice([i for i, p in enumerate(pats) if p["commit"] in old_commits] or [None])
        if k is None:
            return False
        dropped.add(index[pats[k]["msgid"]])
        del pats[k]
        _renumber_all(pats, cover, mail)
        return True
    if kind == "split":
        for k in rng.sample(range(n), n):
            p = pats[k]
            m = mail(p["msgid"])
            parsed = split_diff(m.text) if p["commit"] in old_commits else None
            if parsed is None or len(hunk_units(parsed[2])) < 2:
                continue
            message, _, files, sig = parsed
            units = hunk_units(files)
            sizes = [sum(ln[:1] in "+-" for ln in h.split("\n")[1:]) for _, h in units]
            cut = min(range(1, len(units)), key=lambda c: abs(2 * sum(sizes[:c]) - sum(sizes)))
            one, two = regroup(units[:cut]), regroup(units[cut:])
            m.text = message + diffstat(one) + _join(one) + sig
            second = _clone(m, p["msgid"], "split", cover, pats)
            second.text = message + diffstat(two) + _join(two) + sig
            second.subject = second.subject + " (part 2)"
            m.subject = m.subject + " (part 1)"
            pats.insert(k + 1, {**p, "msgid": second.get("Message-Id"),
                                "subject": p["subject"] + " (part 2)"})
            _renumber_all(pats, cover, mail, second)
            extra.setdefault(index[p["msgid"]], []).append(second.raw())
            return True
        return False
    if kind == "add":
        k = rng.randint(1 if not cover else 0, n)
        near = pats[min(k, n - 1)]["msgid"]
        tag = f"{s}x{rng.getrandbits(16):04x}"
        added = _clone(mail(near), near, "added", cover, pats)
        added.subject = "[PATCH] doc: add notes " + tag      # prefix rewritten below
        added.subject = renumber(added.subject, 1, 1, version=new["version"])
        added.text = (f"Add notes for {tag}.\n\nSigned-off-by: {added.get('From')}\n"
                      + new_file_patch(rng, tag) + "-- \n2.39.5\n")
        pats.insert(k, {"msgid": added.get("Message-Id"), "commit": f"added-{tag}",
                        "subject": f"doc: add notes {tag}", "perturbed": None,
                        "expected_trailers": []})
        _renumber_all(pats, cover, mail, added)
        extra.setdefault(index[near], []).append(added.raw())
        return True
    return False


def _join(files):
    return "".join(h + "".join(hunks) for h, hunks in files)


def _clone(m, msgid, tag, cover, pats):
    c = Mail(m.raw())
    local, _, domain = msgid.strip("<>").partition("@")
    c.set("Message-Id", f"<{local}.{tag}@{domain}>")
    c.set("X-Synth", f"synth.py patch hard={tag}")
    if not cover:                    # no cover letter: thread under patch 1
        c.set("In-Reply-To", pats[0]["msgid"])
        c.set("References", pats[0]["msgid"])
    return c


def _renumber_all(pats, cover, mail, pending=None):
    total = len(pats)
    if cover:
        cover.subject = renumber(cover.subject, 0, total)
    for number, p in enumerate(pats, 1):
        m = pending if pending and p["msgid"] == pending.get("Message-Id") else mail(p["msgid"])
        m.subject = renumber(m.subject, number, total)
