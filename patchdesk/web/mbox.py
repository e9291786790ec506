"""Downloads: a series ready for ``git am`` and a thread as an mbox.

The same files ``patchdesk am`` writes and lore's ``t.mbox`` holds, for the
page's download links and for programs: ``/series/ID/mbox`` and
``/mbox/thread/MSGID`` on the desk, ``/api/series/ID/mbox`` and
``/api/mbox/thread/MSGID`` in the API.  A series with a member whose
Message-ID another message claims, or with a missing patch, answers 409
with the reason; ``?trust=MSGID`` (repeatable) trusts a member, as
``am --trust`` does.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from ..pipeline.am import series_mbox, thread_mbox

router = APIRouter()
MBOX = "application/mbox"
Trust = Annotated[list[str] | None, Query(max_length=500)]


def _download(body: bytes, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:120]
    return Response(body, media_type=MBOX, headers={"Content-Disposition": f'attachment; filename="{safe}.mbox"'})


@router.get("/api/series/{series_id}/mbox")
@router.get("/series/{series_id}/mbox", include_in_schema=False)
def series_download(request: Request, series_id: int, trust: Trust = None) -> Response:
    """The latest version of the series as an mbox for ``git am``, trailers
    added (409: refused, with why)."""
    with request.app.state.engine.connect() as conn:
        found = series_mbox(conn, series_id, trust or ())
    if found.detail is None:
        raise HTTPException(404, "no such series")
    if found.refused:
        raise HTTPException(409, "; ".join(found.refused)[:2000])
    d = found.detail
    return _download(found.text.encode(), f"series-{d['id']}-{d['version_label']}")


@router.get("/api/mbox/thread/{msgid:path}")
@router.get("/mbox/thread/{msgid:path}", include_in_schema=False)
def thread_download(request: Request, msgid: str) -> Response:
    """The thread holding MSGID as an mbox of the stored mails, in reading order."""
    msgid = msgid.strip("<>")
    with request.app.state.engine.connect() as conn:
        body = thread_mbox(conn, msgid)
    if not body:
        raise HTTPException(404, "no such thread")
    return _download(body, f"thread-{msgid}")
