"""notifications: queued messages (sent by the scheduler after the action commits) and each person's choice of
immediate messages or a digest

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 11:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('kind', sa.String(length=40), nullable=False),
                    sa.Column('channel', sa.String(length=20), nullable=False),
                    sa.Column('recipient_user_id', sa.Integer(), nullable=True),
                    sa.Column('to_address', sa.String(length=254), nullable=False),
                    sa.Column('secure', sa.Boolean(), nullable=False),
                    sa.Column('urgent', sa.Boolean(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=True),
                    sa.Column('task_id', sa.String(length=36), nullable=True),
                    sa.Column('subject', sa.String(length=300), nullable=False),
                    sa.Column('body', sa.Text(), nullable=False),
                    sa.Column('template_id', sa.String(length=80), nullable=True),
                    sa.Column('fields', sa.JSON(), nullable=True),
                    sa.Column('status', sa.String(length=20), nullable=False),
                    sa.Column('attempts', sa.Integer(), nullable=False),
                    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('claimed_by', sa.String(length=80), nullable=True),
                    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('last_error', sa.String(length=200), nullable=True),
                    sa.Column('digest_id', sa.Integer(), nullable=True),
                    sa.Column('provider_ref', sa.String(length=200), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['recipient_user_id'], ['user_account.id'], ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['digest_id'], ['notification.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_notification_recipient_user_id'), 'notification', ['recipient_user_id'])
    op.create_index(op.f('ix_notification_case_id'), 'notification', ['case_id'])
    op.create_index('ix_notification_due', 'notification', ['status', 'next_attempt_at'])
    op.create_index('ix_notification_held', 'notification', ['status', 'recipient_user_id'])
    op.create_table('notification_preference',
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('delivery', sa.String(length=20), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('user_id'))


def downgrade() -> None:
    op.drop_table('notification_preference')
    op.drop_table('notification')
