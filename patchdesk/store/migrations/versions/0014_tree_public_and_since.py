"""trees.public (the branch a thank-you names) and trees.since (where a full scan starts)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 21:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trees') as batch:
        batch.add_column(sa.Column('public', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('since', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('trees') as batch:
        batch.drop_column('since')
        batch.drop_column('public')
