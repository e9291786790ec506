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


def _series(request: Request, series_id: int, trust: list[str] | None) -> Response:
    with request.app.state.engine.connect() as conn:
        found = series_mbox(conn, series_id, trust or ())
    if found.detail is None:
        raise HTTPException(404, "no such series")
    if found.refused:
        raise HTTPException(409, "; ".join(found.refused)[:2000])
    d = found.detail
    return _download(found.text.encode(), f"series-{d['id']}-{d['version_label']}")


def _thread(request: Request, msgid: str) -> Response:
    msgid = msgid.strip("<>")
    with request.app.state.engine.connect() as conn:
        body = thread_mbox(conn, msgid)
    if not body:
        raise HTTPException(404, "no such thread")
    return _download(body, f"thread-{msgid}")


@router.get("/series/{series_id}/mbox")
def series_download(request: Request, series_id: int, trust: Trust = None) -> Response:
    """The latest version of the series for ``git am``, trailers added."""
    return _series(request, series_id, trust)


@router.get("/mbox/thread/{msgid:path}")
def thread_download(request: Request, msgid: str) -> Response:
    """The thread's stored mails, in reading order."""
    return _thread(request, msgid)


@router.get("/api/series/{series_id}/mbox")
def api_series_download(request: Request, series_id: int, trust: Trust = None) -> Response:
    """The latest version of the series as an mbox for ``git am`` (409: refused, with why)."""
    return _series(request, series_id, trust)


@router.get("/api/mbox/thread/{msgid:path}")
def api_thread_download(request: Request, msgid: str) -> Response:
    """The thread holding MSGID as an mbox of the stored mails."""
    return _thread(request, msgid)
