"""duty rota: who is on duty per role and shift; the once-only marker of an escalated urgent task

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 11:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'duty_shift',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changed_by', sa.String(length=80), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_duty_shift_role_starts_at', 'duty_shift', ['role', 'starts_at'])
    op.create_index(op.f('ix_duty_shift_user_id'), 'duty_shift', ['user_id'])
    op.create_table(
        'duty_escalation',
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('to_user_id', sa.Integer(), nullable=True),
        sa.Column('shift_id', sa.Integer(), nullable=True),
        sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['to_user_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['shift_id'], ['duty_shift.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('task_id'),
    )
    op.create_index(op.f('ix_duty_escalation_case_id'), 'duty_escalation', ['case_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_duty_escalation_case_id'), table_name='duty_escalation')
    op.drop_table('duty_escalation')
    op.drop_index(op.f('ix_duty_shift_user_id'), table_name='duty_shift')
    op.drop_index('ix_duty_shift_role_starts_at', table_name='duty_shift')
    op.drop_table('duty_shift')
