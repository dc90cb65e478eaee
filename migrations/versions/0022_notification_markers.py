"""notification markers: an alert from the clock (at risk, breached, the handover at opening) goes once

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 11:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification_marker',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=20), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('deadline_id', sa.Integer(), nullable=True),
                    sa.Column('task_id', sa.String(length=36), nullable=True),
                    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'],
                                            name=op.f('fk_notification_marker_case_id_mash_case'), ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'],
                                            name=op.f('fk_notification_marker_deadline_id_deadline'),
                                            ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_marker')),
                    sa.UniqueConstraint('kind', 'deadline_id', name=op.f('uq_notification_marker_kind_deadline_id')),
                    sa.UniqueConstraint('kind', 'task_id', name=op.f('uq_notification_marker_kind_task_id')))
    op.create_index(op.f('ix_notification_marker_case_id'), 'notification_marker', ['case_id'])


def downgrade() -> None:
    op.drop_table('notification_marker')
