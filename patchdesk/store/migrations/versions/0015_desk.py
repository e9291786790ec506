"""the desk: settings (who I am), triage events, seen marks

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('triage_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('anchor', sa.Text(), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('to', sa.Text(), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('by', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_triage_events_anchor', 'triage_events', ['anchor'])
    op.create_table('seen_marks',
    sa.Column('anchor', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('anchor')
    )


def downgrade() -> None:
    op.drop_table('seen_marks')
    op.drop_index('ix_triage_events_anchor', table_name='triage_events')
    op.drop_table('triage_events')
    op.drop_table('settings')
