"""sharing decided at the decision: a dissemination records who sent it, when and how

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sharing_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_method', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('sent_task_id', sa.String(length=36), nullable=True))
    # Before this revision business support decided and sent in one step: the same person, task and moment.
    op.execute("UPDATE sharing_decision SET sent_by = decided_by, sent_at = decided_at, sent_task_id = task_id "
               "WHERE stage = 'dissemination'")


def downgrade() -> None:
    with op.batch_alter_table('sharing_decision', schema=None) as batch_op:
        batch_op.drop_column('sent_task_id')
        batch_op.drop_column('sent_method')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('sent_by')
