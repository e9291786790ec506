"""The Alembic migrations build exactly the tables the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

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
