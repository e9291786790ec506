"""Schemathesis against the desk's own OpenAPI description (issue 17):
generated requests for every API operation, bounded, and not one 5xx.

The app is the real one over a real SQLite store holding a series, a
reply and a quarantined message, so lookups find things as well as miss
them.  Write operations need a token: without one they must say 401, not
fail.  Examples per operation are bounded (``EXAMPLES``) to keep CI short;
``PATCHDESK_FUZZ_EXAMPLES`` raises it for a longer run."""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings

from mailgen import make_mail, mbox, patch_body
from patchdesk.pipeline.ingest import ingest
from patchdesk.store.db import open_engine
from patchdesk.web.app import create_app

EXAMPLES = int(os.environ.get("PATCHDESK_FUZZ_EXAMPLES", "50"))


def _app(root):
    path, db = root / "l.mbox", root / "d.db"
    path.write_bytes(mbox([
        make_mail("p1@x", "[PATCH 1/2] frob: raise the limit",
                  body=patch_body("Raise it.", "src/frob.c", "limit = 4;", "limit = 8;")),
        make_mail("p2@x", "[PATCH 2/2] frob: use the limit", refs=("p1@x",),
                  body=patch_body("Use it.", "src/use.c", "x = 1;", "x = limit;")),
        make_mail("r1@x", "Re: [PATCH 1/2] frob: raise the limit", refs=("p1@x",), sender="Maria <maria@x.org>",
                  body="> Raise it.\n\nReviewed-by: Maria <maria@x.org>\n"),
        b"\x00\xff not a mail\n"]))
    engine = open_engine(str(db))
    ingest(engine, [path], jobs=1)
    engine.dispose()
    return create_app(str(db))


def test_no_generated_request_gets_a_server_error(tmp_path):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", _app(tmp_path))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8  # the description lists the API; an empty one would test nothing
    calls = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def answers_without_failing(case):
            response = case.call()
            calls.append(response.status_code)
            assert response.status_code < 500, \
                f"{case.method} {case.formatted_path} {case.query}: {response.status_code}"
            if response.status_code >= 400:  # errors are answers too: the security headers come with them
                assert response.headers.get("x-content-type-options") == ["nosniff"]

        answers_without_failing()
    assert len(calls) >= len(operations) and any(code == 200 for code in calls)
