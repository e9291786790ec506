"""jobs; one stored copy per fingerprint and per lineage link

Several writers (``patchdesk worker``) must not store a post twice nor a
link twice, so the database enforces it.  Stores written by one process
hold no duplicates of either, except links the lineage stage emitted twice
(identical rows) and, after a ``rebuild`` with a changed parser, two posts
that now share a fingerprint: the extra links are dropped (derived data)
and the later message's fingerprint becomes ``dup-<id>``, as ``rebuild``
does from now on.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('cursor', sa.Text(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('worker', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_run_id'), ['run_id'], unique=False)

    op.execute("UPDATE messages SET fingerprint = 'dup-' || CAST(id AS TEXT) "
               "WHERE id NOT IN (SELECT min(id) FROM messages GROUP BY fingerprint)")
    for table, key in (("series_links", "older_id, newer_id, kind"),
                       ("patch_links", "older_msgid, newer_msgid, kind")):
        op.execute(f"DELETE FROM {table} WHERE id NOT IN (SELECT min(id) FROM {table} GROUP BY {key})")
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_fingerprint'))
        batch_op.create_index(batch_op.f('ix_messages_fingerprint'), ['fingerprint'], unique=True)
    with op.batch_alter_table('patch_links', schema=None) as batch_op:
        batch_op.create_index('uq_patch_links', ['older_msgid', 'newer_msgid', 'kind'], unique=True)
    with op.batch_alter_table('series_links', schema=None) as batch_op:
        batch_op.create_index('uq_series_links', ['older_id', 'newer_id', 'kind'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('series_links', schema=None) as batch_op:
        batch_op.drop_index('uq_series_links')
    with op.batch_alter_table('patch_links', schema=None) as batch_op:
        batch_op.drop_index('uq_patch_links')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_fingerprint'))
        batch_op.create_index(batch_op.f('ix_messages_fingerprint'), ['fingerprint'], unique=False)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_run_id'))
    op.drop_table('jobs')
