"""threshold suggestion: what the threshold table suggested at screening, the rating chosen, and whether it
was overridden (issue 21)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 18:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mash_case') as batch:
        batch.add_column(sa.Column('suggested_rag', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('suggested_rule', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('screened_rag', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('rag_overridden', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mash_case') as batch:
        batch.drop_column('rag_overridden')
        batch.drop_column('screened_rag')
        batch.drop_column('suggested_rule')
        batch.drop_column('suggested_rag')
