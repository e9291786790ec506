"""sender_names: which display names each address posts under

Version links cross address changes (versions/identity.py): a refresh of
one address also loads the series of every address posting under the same
full name.  Existing stores fill the table as senders are refreshed;
``patchdesk rebuild`` fills it for the whole archive.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sender_names',
    sa.Column('sender', sa.Text(), nullable=False),
    sa.Column('name_key', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('sender', 'name_key')
    )
    op.create_index('ix_sender_names_name_key', 'sender_names', ['name_key'])


def downgrade() -> None:
    op.drop_index('ix_sender_names_name_key', table_name='sender_names')
    op.drop_table('sender_names')
