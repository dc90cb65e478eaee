"""encompass and marac: schools told about a domestic abuse notification, MARAC referrals and their actions

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('encompass_notification',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('task_id', sa.String(length=36), nullable=False),
                    sa.Column('school', sa.String(length=60), nullable=False),
                    sa.Column('school_name', sa.String(length=200), nullable=False),
                    sa.Column('dsl_name', sa.String(length=200), nullable=True),
                    sa.Column('told_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('told_method', sa.String(length=20), nullable=False),
                    sa.Column('told_note', sa.Text(), nullable=True),
                    sa.Column('told_by', sa.String(length=80), nullable=False),
                    sa.Column('incident_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_encompass_notification_case_id'), 'encompass_notification', ['case_id'])
    op.create_table('marac_referral',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('task_id', sa.String(length=36), nullable=False),
                    sa.Column('victim_person_id', sa.Integer(), nullable=True),
                    sa.Column('referred_on', sa.Date(), nullable=False),
                    sa.Column('referred_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('referred_by', sa.String(length=80), nullable=False),
                    sa.Column('meeting_date', sa.Date(), nullable=True),
                    sa.Column('repeat_found', sa.Boolean(), nullable=False),
                    sa.Column('repeat_of_case_id', sa.Integer(), nullable=True),
                    sa.Column('repeat', sa.Boolean(), nullable=False),
                    sa.Column('dash_score', sa.Integer(), nullable=True),
                    sa.Column('referral_note', sa.Text(), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['repeat_of_case_id'], ['mash_case.id'], ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['victim_person_id'], ['person.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_marac_referral_case_id'), 'marac_referral', ['case_id'])
    op.create_index(op.f('ix_marac_referral_referred_at'), 'marac_referral', ['referred_at'])
    op.create_index(op.f('ix_marac_referral_victim_person_id'), 'marac_referral', ['victim_person_id'])
    op.create_table('marac_action',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('referral_id', sa.Integer(), nullable=True),
                    sa.Column('heard_on', sa.Date(), nullable=False),
                    sa.Column('action', sa.Text(), nullable=False),
                    sa.Column('owner_agency', sa.String(length=40), nullable=False),
                    sa.Column('due_on', sa.Date(), nullable=False),
                    sa.Column('recorded_by', sa.String(length=80), nullable=False),
                    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['referral_id'], ['marac_referral.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_marac_action_case_id'), 'marac_action', ['case_id'])
    op.create_index(op.f('ix_marac_action_referral_id'), 'marac_action', ['referral_id'])


def downgrade() -> None:
    op.drop_table('marac_action')
    op.drop_table('marac_referral')
    op.drop_table('encompass_notification')
