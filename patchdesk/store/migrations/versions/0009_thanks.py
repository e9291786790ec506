"""thanks: the thank-you replies ``patchdesk ty`` sent, one per series

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('thanks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('anchor', sa.Text(), nullable=False),
    sa.Column('sender', sa.Text(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('tree', sa.Text(), nullable=False),
    sa.Column('reply_msgid', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('applied', sa.Text(), nullable=False),
    sa.Column('pending', sa.Text(), nullable=False),
    sa.Column('via', sa.String(length=12), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('anchor', 'sender', name='uq_thanks_series')
    )


def downgrade() -> None:
    op.drop_table('thanks')
