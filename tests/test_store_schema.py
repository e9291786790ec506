"""The Alembic migrations build exactly the tables the models describe; the
planner statistics of those tables are kept fresh after a bulk ingest."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from mailgen import make_mail, mbox, patch_body
from patchdesk.store.db import resolve_url
from patchdesk.store.schema import Base, modelled


def test_migrations_match_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": modelled})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_reopening_an_existing_store_keeps_its_data(store_url):
    from patchdesk.store.db import open_engine
    from patchdesk.store.messages import ensure_list
    first = open_engine(store_url)
    with first.begin() as conn:
        ensure_list(conn, "linux-gpio")
    first.dispose()
    second = open_engine(store_url)
    with second.begin() as conn:
        assert ensure_list(conn, "linux-gpio") == 1
    second.dispose()


def test_url_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("PATCHDESK_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_url(None) == f"sqlite:///{tmp_path}/patchdesk.db"
    monkeypatch.setenv("PATCHDESK_DB", "other.db")
    assert resolve_url(None) == f"sqlite:///{tmp_path}/other.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("sqlite:////x/y.db") == "sqlite:////x/y.db"


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_a_bulk_ingest_refreshes_the_planner_statistics(store_url, tmp_path):
    """PostgreSQL's autovacuum analyzes a table once it grew by a tenth:
    after loading an archive into a fresh store the planner still saw empty
    tables.  ``refresh_statistics`` analyzes what an ingest grew, when it
    stored ``BULK`` messages or more (a live delivery does not pay for it)."""
    from patchdesk.pipeline.ingest import ingest
    from patchdesk.store.db import open_engine
    from patchdesk.store.messages import _GROWN, BULK, refresh_statistics
    mails = [make_mail(f"s{i}@x", f"[PATCH] frob: fix {i}", body=patch_body(
        f"Fix {i}.", f"src/f{i}.c", "return 1;", "return 2;")) for i in range(12)]
    (tmp_path / "s.mbox").write_bytes(mbox(mails))
    engine = open_engine(store_url)

    def estimated() -> dict[str, float]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' "
                                     "AND relnamespace = current_schema()::regnamespace"))
            return {name: tuples for name, tuples in rows if name in _GROWN}

    assert ingest(engine, [tmp_path / "s.mbox"]).stored == 12  # too few to analyze
    assert set(estimated()) == set(_GROWN) and estimated()["messages"] == -1  # never analyzed
    with engine.begin() as conn:
        refresh_statistics(conn, BULK - 1)
    assert estimated()["messages"] == -1
    with engine.begin() as conn:
        refresh_statistics(conn, BULK)
    after = estimated()
    engine.dispose()
    assert after["messages"] == 12 and after["submissions"] == 12 and min(after.values()) >= 0
