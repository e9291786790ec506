"""Patchwork's own parser and series corpus, compared with check.py.

Every file is run through the in-memory pipeline and written in the
candidate format of tests/data/corpus/patchwork/check.py, which must pass.
Where patchdesk deliberately differs from Patchwork, the file is listed in
DIFFERENCES with the reason (also in docs/series.md).
"""

import json
import subprocess
import sys

import pytest

from patchdesk.pipeline.assign import assign
from patchdesk.sources.mbox import MboxSource

from conftest import CORPUS

PATCHWORK = CORPUS / "patchwork"

#: corpus key -> why we deliberately conclude something else.
DIFFERENCES = {}


def _kind(assigned) -> str:
    if assigned.kind in ("patch", "pull"):
        return "patch"
    if assigned.kind == "cover":
        return "cover"
    return "dropped"


def candidate_for(paths) -> dict:
    mails = [m for path in paths for m in MboxSource(path).messages({})]
    assigned, drafts = assign(mails)
    kinds = {a.msgid: a.kind for a in assigned}
    messages = []
    for a in assigned:
        msgid = a.msgid
        if msgid.endswith("@patchdesk.invalid") and len(paths) == 1:
            msgid = f"corpus-{paths[0].name}@example.com"  # how the expected file names them
        entry = {"message_id": f"<{msgid}>", "kind": _kind(a)}
        if a.series is not None:
            entry.update(series=a.series, number=a.number)
        elif a.parent_submission is not None:
            target = "cover" if kinds.get(a.parent_submission) == "cover" else "patch"
            entry.update(kind=f"comment->{target}", parent=f"<{a.parent_submission}>")
        messages.append(entry)
    series = [{"series": i, "version": d.version[0], "total": d.total} for i, d in enumerate(drafts)]
    return {"messages": messages, "series": series}


#: fuzz/ and historic/earlyfail carry garbage Message-IDs: only "no crash"
#: means anything there (EXPECTED.md), tested separately below.
CRASH_ONLY = ("fuzz/", "historic/earlyfail.mbox")


def build_candidates() -> dict:
    out = {}
    for group in ("mail", "series", "historic"):
        for path in sorted((PATCHWORK / group).glob("*.mbox")):
            if not f"{group}/{path.name}".startswith(CRASH_ONLY):
                out[f"{group}/{path.name}"] = candidate_for([path])
    out["combined/mail-0019+0020"] = candidate_for(
        [PATCHWORK / "mail/0019-multipart-patch.mbox", PATCHWORK / "mail/0020-multipart-comment.mbox"])
    return {k: v for k, v in out.items() if k not in DIFFERENCES}


def test_patchwork_check_passes(tmp_path):
    candidate = tmp_path / "candidate.json"
    candidate.write_text(json.dumps(build_candidates()))
    result = subprocess.run([sys.executable, str(PATCHWORK / "check.py"), str(candidate)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 failed" in result.stdout


@pytest.mark.parametrize("path", sorted((PATCHWORK / "fuzz").glob("*.mbox")) +
                         [PATCHWORK / "historic/earlyfail.mbox"], ids=lambda p: p.name)
def test_fuzz_files_do_not_crash_the_pipeline(path):
    assigned, drafts = assign(list(MboxSource(path).messages({})))
    assert assigned and all(a.kind in ("patch", "cover", "pull", "proposal", "reply", "other",
                                       "unreadable") for a in assigned)
