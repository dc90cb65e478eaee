"""retention: anonymised contacts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mash_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retention_hold', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mash_case', schema=None) as batch_op:
        batch_op.drop_column('retention_hold')
        batch_op.drop_column('anonymised_at')
