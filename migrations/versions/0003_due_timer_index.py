"""index for the scheduler's due-timer query

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mash_case', schema=None) as batch_op:
        batch_op.create_index('ix_mash_case_status_next_timer_due', ['status', 'next_timer_due'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mash_case', schema=None) as batch_op:
        batch_op.drop_index('ix_mash_case_status_next_timer_due')
