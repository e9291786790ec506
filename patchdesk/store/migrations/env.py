"""Alembic environment: runs against the engine patchdesk hands over."""

from alembic import context

from patchdesk.store.schema import Base, modelled

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite", include_object=modelled)
    context.run_migrations()
