"""address_aliases: two addresses of one person, from a tree's .mailmap

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 15:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('address_aliases',
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('addr', sa.Text(), nullable=False),
    sa.Column('alias', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('source', 'addr', 'alias')
    )
    op.create_index('ix_address_aliases_addr', 'address_aliases', ['addr'])
    op.create_index('ix_address_aliases_alias', 'address_aliases', ['alias'])


def downgrade() -> None:
    op.drop_index('ix_address_aliases_alias', table_name='address_aliases')
    op.drop_index('ix_address_aliases_addr', table_name='address_aliases')
    op.drop_table('address_aliases')
