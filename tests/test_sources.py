"""Every kind of source, read from real-looking files and real archives."""

from pathlib import Path

import pytest

from patchdesk.parse import parse
from patchdesk.sources import SourceError, discover
from patchdesk.sources.publicinbox import PublicInboxSource

from conftest import CORPUS
from mailgen import make_mail, mbox
from publicinbox_tools import make_v2_inbox

BODY = "From the start:\n>From quoted\n>>From deeper\nFrom again\n"


def _read(path: Path, kind: str = "auto"):
    return [m for s in discover(path, kind) for m in s.messages({})]


def test_mboxrd_round_trips_from_lines(tmp_path):
    raws = [make_mail(f"{i}@x", f"m{i}", body=BODY) for i in range(3)]
    (tmp_path / "a.mbox").write_bytes(mbox(raws))
    assert [m.data for m in _read(tmp_path / "a.mbox")] == raws


def test_mboxo_unquotes_only_one_level(tmp_path):
    # mboxo writers quote "From " only; ">>From" stays as written
    (tmp_path / "o.mbox").write_bytes(
        b"From x Mon Nov  2 10:00:00 2026\nSubject: a\n\n>From here\n>>From there\n\n"
        b"From x Mon Nov  2 10:01:00 2026\nSubject: b\n\nbye\n")
    first, second = _read(tmp_path / "o.mbox", "mboxo")
    assert first.data == b"Subject: a\n\nFrom here\n>>From there\n"
    assert second.data == b"Subject: b\n\nbye\n"


def test_body_line_starting_with_from_does_not_split(tmp_path):
    # an unquoted "From " line without a time is not a separator
    (tmp_path / "u.mbox").write_bytes(
        b"From x Mon Nov  2 10:00:00 2026\nSubject: a\n\nFrom me to you\n")
    assert len(_read(tmp_path / "u.mbox")) == 1


def test_maildir_and_eml_directory(tmp_path):
    for part in ("cur", "new", "tmp"):
        (tmp_path / "md" / part).mkdir(parents=True)
    (tmp_path / "md/cur/1:2,S").write_bytes(make_mail("c@x", "cur"))
    (tmp_path / "md/new/2").write_bytes(make_mail("n@x", "new"))
    (tmp_path / "md/tmp/3").write_bytes(make_mail("t@x", "being delivered"))
    (tmp_path / "emls").mkdir()
    (tmp_path / "emls/a.eml").write_bytes(make_mail("e@x", "eml"))
    (tmp_path / "emls/notes.md").write_text("# not mail")
    kinds = sorted(s.kind for s in discover(tmp_path))
    assert kinds == ["eml", "maildir"]
    msgids = sorted(parse(m).msgid for m in _read(tmp_path))
    assert msgids == ["c@x", "e@x", "n@x"]
    maildir = next(s for s in discover(tmp_path) if s.kind == "maildir")
    assert [maildir.extent({}) for _ in maildir.messages({})] == [(1, 2, "files"), (2, 2, "files")]


def test_hypermail_archive_page_is_read():
    [page] = _read(CORPUS / "seed/lkml-archive-page.txt")
    assert page.format == "hypermail"
    parsed = parse(page)
    assert parsed.subject == "Re: [PATCH 2/4] x86: get rid of KERNEL_STACK_OFFSET"
    assert parsed.from_name == "Andy Lutomirski"
    assert parsed.date.isoformat() == "2015-02-26T15:30:22+00:00"
    assert "I think I'll NAK this patch as is." in parsed.body
    assert parsed.body.startswith("On Thu, Feb 26, 2015 at 7:21 AM, Andy Lutomirski")


def test_unknown_path_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        discover(tmp_path / "missing.mbox")


@pytest.mark.slow
def test_real_public_inbox_v2_incremental_with_deletion(tmp_path):
    """An inbox written by Debian's public-inbox tools, read twice."""
    inbox = make_v2_inbox(tmp_path)
    first = [make_mail(f"{i}@x", f"[PATCH {i}/2] frob: step {i}") for i in (1, 2)]
    inbox.add_many(first)
    source = PublicInboxSource(inbox.path)
    cursor: dict = {}
    seen = []
    for mail in source.messages(cursor):
        seen.append(mail)
        cursor = source.advance(cursor, mail)
    assert [m.data for m in seen] == [inbox.expected_blob(r) for r in first]
    assert set(cursor["epochs"]) == {"0.git"}

    late = make_mail("3@x", "Re: [PATCH 1/2] frob: step 1", refs=("1@x",))
    inbox.add(late)
    inbox.remove(first[1])
    again = []
    for mail in source.messages(cursor):
        # progress (issue 18 item 12): the new commits are counted before the first is read
        assert source.extent(cursor)[1:] == (2, "commits")
        again.append(mail)
    assert [(m.data, m.deleted) for m in again] == [
        (inbox.expected_blob(late), False), (inbox.expected_blob(first[1]), True)]
    assert source.extent(cursor) == (2, 2, "commits")


def test_mbox_cursor_reads_only_what_was_appended(tmp_path):
    from patchdesk.sources.mbox import MboxSource
    path = tmp_path / "list.mbox"
    old = [make_mail(f"{i}@x", f"m{i}") for i in range(3)]
    path.write_bytes(mbox(old))
    source = MboxSource(path)
    cursor: dict = {}
    assert source.extent(cursor) == (0, path.stat().st_size, "bytes")
    for mail in source.messages(cursor):
        cursor = source.advance(cursor, mail)
        assert 0 < source.extent(cursor)[0] <= path.stat().st_size
    assert source.extent(cursor) == (path.stat().st_size, path.stat().st_size, "bytes")
    assert list(source.messages(cursor)) == []
    new = [make_mail("n@x", "appended", body=BODY)]
    path.write_bytes(mbox(old + new))
    assert [m.data for m in source.messages(cursor)] == new
    # rewritten in the middle: the check fails and everything is read again
    path.write_bytes(mbox([make_mail("0@x", "m0 edited")] + old[1:] + new))
    assert len(list(source.messages(cursor))) == 4


def test_mboxrd_quote_is_what_the_reader_takes_back(tmp_path):
    from patchdesk.sources.mbox import MboxSource, mboxrd_quote
    body = b"Subject: x\n\nFrom here on\n>From the quote\n>>From deeper\n From not at the start\n"
    path = tmp_path / "q.mbox"
    path.write_bytes(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + mboxrd_quote(body) + b"\n")
    assert mboxrd_quote(body).count(b"\n>From here") == 1 and b"\n>>>From deeper" in mboxrd_quote(body)
    [mail] = list(MboxSource(path).messages({}))
    assert mail.data.rstrip(b"\n") == body.rstrip(b"\n")
