"""Shared fixtures: real stores on SQLite and PostgreSQL, and mail builders.

Store tests take the ``store_url`` fixture and run twice: on a fresh SQLite
file and on PostgreSQL (``PATCHDESK_TEST_PG``, default the local server on
127.0.0.1:5432, database ``test``), each test in a schema of its own that is
dropped afterwards.  PostgreSQL being absent is a failure, not a skip: CI
must prove both back ends.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parent))


DATA = Path(__file__).parent / "data"
#: real mail corpora, vendored from the shared corpus (see data/CORPUS.md)
CORPUS = DATA / "corpus"
PG_URL = os.environ.get("PATCHDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    from patchdesk.store.db import resolve_url

    schema = f"pd_{uuid.uuid4().hex[:12]}"
    admin = create_engine(resolve_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(store_url):
    from patchdesk.store.db import open_engine

    engine = open_engine(store_url)
    yield engine
    engine.dispose()




@pytest.fixture
def sqlite_engine(tmp_path):
    """A store on SQLite only, for tests about sources rather than stores."""
    from patchdesk.store.db import open_engine

    engine = open_engine(str(tmp_path / "only.db"))
    yield engine
    engine.dispose()
