#!/usr/bin/env python3
"""Generate demo/demo.mbox, a small invented mailing-list archive for patchdesk.

The archive is the frob-devel@lists.example.org list of "frob", a fictional C
library maintained by Maria Keller, over three weeks of November 2026.  It is
made up from scratch (no real list was copied) and exists so that patchdesk
can be demonstrated and tested on mail that looks exactly like what
``git format-patch`` + ``git send-email`` and common mail clients produce,
with every situation a maintainer meets in practice:

1. a 3-patch series reviewed in v1 (Reviewed-by on 1/3, change requests),
   resent as v2 in a new thread with "Changes since v1", patch 1 unchanged
   and carrying the Reviewed-by, then acked and tested "for the series";
2. a single patch NAKed in prose, resent as a 4-patch v2 with different
   subjects whose diffs add up to exactly the v1 diff (v2 uses
   --chain-reply-to, i.e. each patch replies to the previous one);
3. a 2-patch docs series the maintainer applies to frob-next;
4. an unanswered [RFC PATCH], a [PATCH frob-next v3 1/1], a [PATCH RESEND]
   and a series sent without a cover letter;
5. a review with an inline "something like this, untested:" diff, and an
   author saying "please ignore this, I'll send a v2" (the v2 follows);
6. out-of-order messages (a cover letter after its patches, a patch 1/2
   after its 2/2) and a reply whose parent never reached the archive;
7. an RFC 2047 encoded sender name, a body line starting with "From "
   (mboxrd-quoted as ">From "), and a patch sent quoted-printable.

All diffs are computed from a real base tree (demo_data.BASE_TREE), so hunk
headers, diffstats and blob ids are consistent, and ``--tree DIR`` creates
that tree as a git repository: branch main is the base ("frob 0.3", tag
v0.3), branch frob-next additionally has the applied docs series, committed
with ``git am`` plus the collected Acked-by and a Link: trailer.  The output
is byte-identical on every run: no clock, no randomness.

Usage: make_demo.py [--out PATH] [--tree DIR]
"""
import argparse
import base64
import difflib
import hashlib
import os
import quopri
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.dont_write_bytecode = True  # keep demo/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo_data as D  # noqa: E402

GIT_VERSION = "2.47.0"
MBOX_FROM = "From mboxrd@z Thu Jan  1 00:00:00 1970\n"
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
P = D.PEOPLE


# ---------------------------------------------------------------- trees, diffs

def tabify(path, text):
    """Turn leading 4-space groups into tabs in C sources and the Makefile."""
    if text is None or not (path.endswith((".c", ".h")) or path.endswith("Makefile")):
        return text
    return re.sub(r"(?m)^(?:    )+", lambda m: "\t" * (len(m.group(0)) // 4), text)


BASE = {path: tabify(path, text) for path, text in D.BASE_TREE.items()}


def apply_edits(tree, edits):
    """Return a copy of tree with the (path, old, new) edits applied in order."""
    tree = dict(tree)
    for path, old, new in edits:
        old, new = tabify(path, old), tabify(path, new)
        if old is None:
            assert path not in tree, f"{path} already exists"
            tree[path] = new
            continue
        count = tree.get(path, "").count(old)
        assert count == 1, f"{path}: {old!r} found {count} times"
        tree[path] = tree[path].replace(old, new)
    return tree


def blob_id(text):
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()[:7]


def funcname(lines, start):
    """git's default hunk-header context: last line before the hunk that
    starts with a letter, '_' or '$'."""
    for line in reversed(lines[:max(start - 1, 0)]):
        if re.match(r"[A-Za-z_$]", line):
            return " " + line.rstrip()[:80]
    return ""


def file_diff(path, old, new):
    """One file's part of a git diff, plus (path, added, removed) for diffstat."""
    a = old.splitlines(keepends=True) if old is not None else []
    b = new.splitlines(keepends=True)
    assert (not a or a[-1].endswith("\n")) and b[-1].endswith("\n"), path
    out = [f"diff --git a/{path} b/{path}\n"]
    if old is None:
        out += ["new file mode 100644\n", f"index 0000000..{blob_id(new)}\n", "--- /dev/null\n"]
    else:
        out += [f"index {blob_id(old)}..{blob_id(new)} 100644\n", f"--- a/{path}\n"]
    out.append(f"+++ b/{path}\n")
    added = removed = 0
    for line in list(difflib.unified_diff(a, b, n=3))[2:]:
        if line.startswith("@@"):
            start = int(re.match(r"@@ -(\d+)", line).group(1))
            line = line.rstrip("\n") + funcname(a, start) + "\n"
        elif line[0] == "+":
            added += 1
        elif line[0] == "-":
            removed += 1
        out.append(line)
    return "".join(out), (path, added, removed)


def tree_diff(old, new):
    """git diff between two trees: (diff text, diffstat entries)."""
    parts, stats = [], []
    for path in sorted(set(old) | set(new)):
        if old.get(path) != new.get(path):
            text, stat = file_diff(path, old.get(path), new[path])
            parts.append(text)
            stats.append(stat)
    return "".join(parts), stats


def scale(it, width, max_change):
    return 0 if not it else 1 + (it * (width - 1) // max_change)


def diffstat(stats, width=72):
    """git's --stat output as format-patch prints it (72 columns)."""
    name_w = max(len(p) for p, _, _ in stats)
    max_change = max(a + r for _, a, r in stats)
    num_w = len(str(max_change))
    graph_w = max_change
    if name_w + num_w + 6 + graph_w > width:  # names here are short: no truncation
        graph_w = width - num_w - 6 - name_w
    lines = []
    for path, add, rem in stats:
        total = add + rem
        if graph_w < max_change:
            bar = max(scale(total, graph_w, max_change), 2 if add and rem else 0)
            if add < rem:
                add = scale(add, graph_w, max_change)
                rem = bar - add
            else:
                rem = scale(rem, graph_w, max_change)
                add = bar - rem
        lines.append(f" {path:<{name_w}} | {total:>{num_w}} {'+' * add}{'-' * rem}\n")
    files, ins, dels = len(stats), sum(s[1] for s in stats), sum(s[2] for s in stats)
    summary = f" {files} file{'s' if files != 1 else ''} changed"
    if ins or not dels:
        summary += f", {ins} insertion{'s' if ins != 1 else ''}(+)"
    if dels or not ins:
        summary += f", {dels} deletion{'s' if dels != 1 else ''}(-)"
    return "".join(lines) + summary + "\n"


# ------------------------------------------------------- dates and message ids

def parse_date(text, tz):
    """'2026-11-02 10:15:00' in a '+0100'-style zone -> aware datetime."""
    sign = -1 if tz[0] == "-" else 1
    offset = timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5])) * sign
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone(offset))


def zone(dt):
    minutes = int(dt.utcoffset().total_seconds()) // 60
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def format_date(dt, style="client"):
    """RFC 2822 date; git send-email pads the day with a space."""
    day = f"{dt.day:2d}" if style == "send-email" else str(dt.day)
    if style == "padded":
        day = f"{dt.day:02d}"
    return (f"{DAYS[dt.weekday()]}, {day} {MONTHS[dt.month - 1]} {dt.year} "
            f"{dt:%H:%M:%S} {zone(dt)}")


def digest(*parts):
    return hashlib.sha256("\0".join(parts).encode()).digest()


def in_tz(dt, person):
    return dt.astimezone(parse_date("2000-01-01 00:00:00", person.tz).tzinfo)


# Per mail client: Message-ID shape, attribution line, quoting, extra header.
def _b32(key, n):
    return base64.b32encode(digest(key)).decode().lower()[:n]


def _uuid(key):
    h = digest(key).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


CLIENTS = {
    "mutt": dict(
        msgid=lambda key, p: f"<{_b32(key, 16)}@{p.email.split('@')[1]}>",
        attrib=lambda m, me: (f"On {DAYS[m.dt.weekday()]}, {m.dt:%b %d, %Y at %I:%M:%S%p} "
                              f"{zone(m.dt)}, {m.author.name} wrote:"),
        quote=lambda line: "> " + line if line else ">",
        extra=("User-Agent", "Mutt/2.2.13 (2024-03-09)"), date="client"),
    "thunderbird": dict(
        msgid=lambda key, p: f"<{_uuid(key)}@{p.email.split('@')[1]}>",
        attrib=lambda m, me: (lambda t: f"On {t.month}/{t.day}/{t:%y} {t:%H:%M}, "
                              f"{m.author.name} wrote:")(in_tz(m.dt, me)),
        quote=lambda line: (">" if line.startswith(">") else "> ") + line if line else ">",
        extra=("User-Agent", "Mozilla Thunderbird"), date="client"),
    "gmail": dict(
        msgid=lambda key, p: "<CA" + base64.urlsafe_b64encode(digest(key)).decode()[:41]
        + "@mail.gmail.com>",
        attrib=lambda m, me: (lambda t: f"On {DAYS[t.weekday()]}, {t.day} {MONTHS[t.month - 1]} "
                              f"{t.year} at {t:%H:%M}, {m.author.name} <{m.author.email}> "
                              f"wrote:")(in_tz(m.dt, me)),
        quote=lambda line: "> " + line if line else ">", extra=None, date="client"),
    "evolution": dict(
        msgid=lambda key, p: f"<{digest(key).hex()[:40]}.camel@{p.email.split('@')[1]}>",
        attrib=lambda m, me: (f"On {DAYS[m.dt.weekday()]}, {m.dt:%Y-%m-%d at %H:%M} {zone(m.dt)}, "
                              f"{m.author.name} wrote:"),
        quote=lambda line: "> " + line if line else ">",
        extra=("X-Mailer", "Evolution 3.54.1"), date="padded"),
}


def rfc2047(name, style):
    """Encode a non-ASCII display name like git send-email or a mail client."""
    if name.isascii():
        return name
    if style == "send-email":  # git's quote_rfc2047()
        text = "".join(chr(b) if re.match(rb"[-a-zA-Z0-9!*+/]", bytes([b])) else f"={b:02X}"
                       for b in name.encode())
        return f"=?UTF-8?q?{text}?="
    text = "".join("_" if b == 32 else chr(b) if chr(b).isalnum() and b < 128 else f"={b:02X}"
                   for b in name.encode())
    return f"=?utf-8?Q?{text}?="


def address(key, style):
    if key == "list":
        return D.LIST
    return f"{rfc2047(P[key].name, style)} <{P[key].email}>"


def fold_list(name, items, sep=","):
    """'Name: a, b, c' folded after commas at 78 columns."""
    lines, line = [], f"{name}: "
    for i, item in enumerate(items):
        piece = item + (sep if i < len(items) - 1 else "")
        if len(line) + len(piece) > 78 and not line.endswith(": "):
            lines.append(line.rstrip())
            line = "\t"
        line += piece + " "
    return "\n".join(lines + [line.rstrip()]) + "\n"


def fold_words(name, value, width=78):
    """'Name: value' word-wrapped at width columns, as format-patch folds Subject."""
    words = value.split(" ")
    lines, line = [], f"{name}: {words[0]}"
    for word in words[1:]:
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = " " + word
        else:
            line += " " + word
    return "\n".join(lines + [line]) + "\n"


def expand(text, msgs):
    return re.sub(r"\{\{msgid:([^}]+)\}\}", lambda m: msgs[m.group(1)].msgid.strip("<>"), text)


# ------------------------------------------------------------------- messages

class Msg:
    """One e-mail: envelope data plus the logical (decoded) body text."""

    def __init__(self, key, who, dt, msgid, subject, to, cc, parent=None, refs=(),
                 body="", client="send-email", qp=False, missing=False):
        self.key, self.who, self.author, self.dt = key, who, P[who], dt
        self.msgid, self.subject, self.to, self.cc = msgid, subject, list(to), list(cc)
        self.parent, self.refs, self.body = parent, list(refs), body
        self.client, self.qp, self.missing = client, qp, missing

    def headers(self):
        sendemail = self.client == "send-email"
        style = "send-email" if sendemail else "client"
        h = fold_list("From", [address(self.who, style)])
        h += fold_list("To", [address(k, style) for k in self.to])
        if self.cc:
            h += fold_list("Cc", [address(k, style) for k in self.cc])
        h += fold_words("Subject", self.subject)
        h += f"Date: {format_date(self.dt, style if sendemail else CLIENTS[self.client]['date'])}\n"
        h += f"{'Message-Id' if self.client == 'evolution' else 'Message-ID'}: {self.msgid}\n"
        if sendemail:
            h += f"X-Mailer: git-send-email {GIT_VERSION}\n"
        if self.parent:
            h += f"In-Reply-To: {self.parent}\n"
            h += "References: " + "\n ".join(self.refs) + "\n"
        if not sendemail and CLIENTS[self.client]["extra"]:
            h += "%s: %s\n" % CLIENTS[self.client]["extra"]
        cte = "quoted-printable" if self.qp else "8bit" if sendemail or not self.body.isascii() else "7bit"
        h += f"MIME-Version: 1.0\nContent-Type: text/plain; charset={'UTF-8' if sendemail else 'utf-8'}\n"
        h += f"Content-Transfer-Encoding: {cte}\nList-Id: {D.LIST_ID}\n"
        return h

    def render(self, body=None):
        body = self.body if body is None else body
        if self.qp:
            body = quopri.encodestring(body.encode()).decode("ascii")
        return self.headers() + "\n" + body


def build_patch(patch, author, old, new, msgs):
    """Body of one format-patch message: log message, trailers, ---, stat, diff."""
    diff, stats = tree_diff(old, new)
    trailers = [f"Signed-off-by: {P[author].name} <{P[author].email}>" if t == "SOB" else t
                for t in patch.trailers]
    notes = expand(patch.notes, msgs) + "\n\n" if patch.notes else ""
    return (f"{patch.body}\n\n" + "\n".join(trailers) + "\n---\n" + notes + diffstat(stats)
            + "\n" + diff + f"-- \n{GIT_VERSION}\n"), diff


def build_cover(series, base, final, msgs):
    """Body of a --cover-letter message: blurb, shortlog, combined diffstat."""
    shortlog = "".join(f"  {p.subject}\n" for p in series.patches)
    return (expand(series.cover.body, msgs) + f"\n{P[series.author].name} ({len(series.patches)}):\n"
            + shortlog + "\n" + diffstat(tree_diff(base, final)[1]) + f"\n-- \n{GIT_VERSION}\n")


def build_series(series, msgs, trees, diffs):
    """All messages git send-email would produce for one series."""
    t0 = parse_date(series.date, P[series.author].tz)
    stamp = t0.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")
    pid = 1000 + int.from_bytes(digest(series.key)[:4], "big") % 60000
    n = len(series.patches)
    numbered = series.numbered if series.numbered is not None else n > 1 or bool(series.cover)
    cc = list(series.cc)
    for p in series.patches:  # send-email also Cc's people named in *-by: trailers
        for t in p.trailers:
            cc += [k for k, who in P.items() if who.email in t and k != series.author and k not in cc]
    tree, out = BASE, []
    for i, patch in enumerate(series.patches, 1):
        new = apply_edits(tree, patch.edits)
        body, diffs[f"{series.key}/{i}"] = build_patch(patch, series.author, tree, new, msgs)
        subject = f"[{series.prefix} {i}/{n}] " if numbered else f"[{series.prefix}] "
        out.append((f"{series.key}/{i}", subject + patch.subject, body))
        trees[f"{series.key}/{i}"] = tree = new
    trees[series.key] = tree
    if series.cover:
        body = build_cover(series, BASE, tree, msgs)
        out.insert(0, (f"{series.key}/0", f"[{series.prefix} 0/{n}] {series.cover.subject}", body))
    refs = []
    for num, (key, subject, body) in enumerate(out, 1):
        msgid = f"<{stamp}.{pid}-{num}-{P[series.author].email}>"
        parent = refs[-1] if refs else None
        msgs[key] = Msg(key, series.author, t0 + timedelta(seconds=num - 1), msgid, subject,
                        series.to, cc, parent, refs, body, qp=series.qp)
        if series.threading == "chain" or not refs:
            refs = refs + [msgid]


def quote_lines(reply, parent_lines, pos, client):
    """Lines of the parent from the one containing reply.start to the one
    containing reply.end, searching from pos; returns (text, new pos)."""
    start = next(i for i in range(pos, len(parent_lines)) if reply.start in parent_lines[i])
    end = start if reply.end is None else next(
        i for i in range(start, len(parent_lines)) if reply.end in parent_lines[i])
    return "\n".join(client["quote"](line) for line in parent_lines[start:end + 1]), end + 1


def build_reply(reply, msgs, trees):
    """A reply as the replier's mail client would send it (reply-all)."""
    parent, me = msgs[reply.parent], P[reply.by]
    client = CLIENTS[me.client]
    dt = parse_date(reply.date, me.tz)
    assert dt > parent.dt, f"{reply.key} predates its parent"
    lines = parent.body.rstrip("\n").split("\n")
    blocks, pos = [], 0
    for part in reply.parts:
        if isinstance(part, D.Q):
            text, pos = quote_lines(part, lines, pos, client)
            if not blocks:
                text = client["attrib"](parent, me) + "\n" + text
            blocks.append(text)
        elif isinstance(part, D.Diff):
            base = trees[part.base]
            blocks.append(tree_diff(base, apply_edits(base, part.edits))[0].rstrip("\n"))
        else:
            blocks.append(expand(part, msgs))
    subject = parent.subject if parent.subject.startswith("Re: ") else "Re: " + parent.subject
    to = [parent.who] if parent.who != reply.by else parent.to  # replying to oneself
    cc = [k for k in parent.to + parent.cc if k not in (reply.by, parent.who) and k not in to]
    msgs[reply.key] = Msg(reply.key, reply.by, dt, client["msgid"](reply.key, me), subject,
                          to, cc, parent.msgid, parent.refs + [parent.msgid],
                          "\n\n".join(blocks) + "\n", client=me.client, missing=reply.missing)


def build_all():
    """Build every message; returns (messages by key, trees by key)."""
    msgs, trees, diffs = {}, {}, {}
    for series in D.SERIES:
        build_series(series, msgs, trees, diffs)
    for a, b in D.SAME_RESULT:
        assert trees[a] == trees[b], f"{a} and {b} do not end in the same tree"
    for a, b in D.SAME_DIFF:
        assert diffs[a] == diffs[b], f"{a} and {b} differ"
    for reply in D.REPLIES:
        build_reply(reply, msgs, trees)
    return msgs, trees


def mbox_order(msgs):
    """Archive order: by date, except for the deliberate D.MBOX_MOVES."""
    order = sorted((m for m in msgs.values() if not m.missing), key=lambda m: m.dt)
    for key, after in D.MBOX_MOVES:
        moved = msgs[key]
        order.remove(moved)
        order.insert(order.index(msgs[after]) + 1, moved)
    return order


def mboxrd(text):
    """One message as an mboxrd entry: From_ line, '>*From ' quoted, blank line."""
    head, body = text.split("\n\n", 1)
    return MBOX_FROM + head + "\n\n" + re.sub(r"(?m)^(>*From )", r">\1", body) + "\n"


def write_mbox(msgs, path):
    order = mbox_order(msgs)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(mboxrd(m.render()) for m in order))
    return len(order)


# ----------------------------------------------------------------- git tree

TRAILER_RE = re.compile(r"^(?:Reviewed|Acked|Tested)-by: .+$", re.M)


def collected_trailers(msgs, key):
    """*-by: lines from (non-quoted) replies to message key."""
    replies = sorted((m for m in msgs.values() if m.parent == msgs[key].msgid and not m.missing),
                     key=lambda m: m.dt)
    return [t for m in replies for t in TRAILER_RE.findall(m.body)]


def make_tree(root, msgs):
    """Create the frob repository: main = base tree, frob-next = base plus
    the series in D.APPLIED, applied with git am -s and a Link: trailer."""
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        sys.exit(f"{root} exists and is not empty")
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")

    def git(*args, who="maria", when=None):
        ident = {f"GIT_{r}_{f}": v for r in ("AUTHOR", "COMMITTER")
                 for f, v in (("NAME", P[who].name), ("EMAIL", P[who].email))}
        if when:
            ident.update(GIT_AUTHOR_DATE=format_date(when), GIT_COMMITTER_DATE=format_date(when))
        subprocess.run(["git", *args], cwd=root, env={**env, **ident}, check=True,
                       stdout=subprocess.DEVNULL)

    base = D.BASE_COMMIT
    git("init", "-q", "-b", "main")
    for path, text in BASE.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", f"{base['subject']}\n\n{base['body']}", who=base["by"],
        when=parse_date(base["date"], P[base["by"]].tz))
    git("tag", base["tag"])
    for applied in D.APPLIED:
        series = next(s for s in D.SERIES if s.key == applied["series"])
        done = msgs[applied["reply"]]
        git("checkout", "-q", "-B", applied["branch"], "main")
        cover = collected_trailers(msgs, f"{series.key}/0") if series.cover else []
        for i in range(1, len(series.patches) + 1):
            m = msgs[f"{series.key}/{i}"]
            extra = collected_trailers(msgs, m.key) + cover + [f"Link: {D.ARCHIVE_URL}{m.msgid.strip('<>')}"]
            body = m.body.replace("\n---\n", "\n" + "\n".join(extra) + "\n---\n", 1)
            with tempfile.NamedTemporaryFile("w", suffix=".mbox", delete=False, encoding="utf-8") as f:
                f.write(mboxrd(m.render(body)))
            try:
                git("am", "-q", "-s", "--patch-format=mboxrd", f.name, who=done.who,
                    when=done.dt - timedelta(minutes=5) + timedelta(seconds=i))
            finally:
                os.unlink(f.name)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().with_name("demo.mbox"),
                    help="mbox to write (default: demo.mbox next to this script)")
    ap.add_argument("--tree", type=Path, metavar="DIR",
                    help="also create the frob git repository in DIR (must be empty or absent)")
    args = ap.parse_args(argv)
    msgs, _ = build_all()
    count = write_mbox(msgs, args.out)
    print(f"wrote {count} messages to {args.out}")
    if args.tree:
        make_tree(args.tree, msgs)
        print(f"created frob repository in {args.tree} (branches main, frob-next)")


if __name__ == "__main__":
    main()
