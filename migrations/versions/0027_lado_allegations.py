"""lado allegations: allegations against people who work with children and their allegation management
meetings, kept apart from the child's record (issue 22)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 21:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lado_allegation',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('reference', sa.String(length=40), nullable=True),
                    sa.Column('source', sa.String(length=20), nullable=False),
                    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('recorded_by', sa.String(length=80), nullable=False),
                    sa.Column('given_name', sa.String(length=100), nullable=True),
                    sa.Column('family_name', sa.String(length=100), nullable=True),
                    sa.Column('date_of_birth', sa.Date(), nullable=True),
                    sa.Column('job_title', sa.String(length=200), nullable=True),
                    sa.Column('employer', sa.String(length=200), nullable=True),
                    sa.Column('sector', sa.String(length=30), nullable=False),
                    sa.Column('regulated_activity', sa.String(length=10), nullable=False),
                    sa.Column('category', sa.String(length=20), nullable=False),
                    sa.Column('allegation', sa.Text(), nullable=True),
                    sa.Column('happened_on', sa.Date(), nullable=True),
                    sa.Column('came_to_notice_on', sa.Date(), nullable=False),
                    sa.Column('lead_name', sa.String(length=200), nullable=True),
                    sa.Column('lead_contact', sa.String(length=200), nullable=True),
                    sa.Column('threshold', sa.String(length=20), nullable=True),
                    sa.Column('meeting_needed', sa.Boolean(), nullable=True),
                    sa.Column('police_involved', sa.Boolean(), nullable=True),
                    sa.Column('evaluation_note', sa.Text(), nullable=True),
                    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('evaluated_by', sa.String(length=80), nullable=True),
                    sa.Column('outcome', sa.String(length=20), nullable=True),
                    sa.Column('outcome_on', sa.Date(), nullable=True),
                    sa.Column('employer_action', sa.String(length=30), nullable=True),
                    sa.Column('outcome_note', sa.Text(), nullable=True),
                    sa.Column('dbs_referral_needed', sa.Boolean(), nullable=True),
                    sa.Column('regulator_referral_needed', sa.Boolean(), nullable=True),
                    sa.Column('dbs_referred_on', sa.Date(), nullable=True),
                    sa.Column('regulator', sa.String(length=30), nullable=True),
                    sa.Column('regulator_referred_on', sa.Date(), nullable=True),
                    sa.Column('referred_by', sa.String(length=20), nullable=True),
                    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('on_person_file', sa.Boolean(), nullable=True),
                    sa.Column('retain_until', sa.Date(), nullable=True),
                    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('reference'))
    op.create_index(op.f('ix_lado_allegation_case_id'), 'lado_allegation', ['case_id'])
    op.create_index(op.f('ix_lado_allegation_received_at'), 'lado_allegation', ['received_at'])
    op.create_index(op.f('ix_lado_allegation_sector'), 'lado_allegation', ['sector'])
    op.create_index(op.f('ix_lado_allegation_outcome'), 'lado_allegation', ['outcome'])
    op.create_index(op.f('ix_lado_allegation_retain_until'), 'lado_allegation', ['retain_until'])
    op.create_table('lado_meeting',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('allegation_id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('held_on', sa.Date(), nullable=False),
                    sa.Column('attendees', sa.JSON(), nullable=False),
                    sa.Column('actions', sa.JSON(), nullable=False),
                    sa.Column('note', sa.Text(), nullable=True),
                    sa.Column('recorded_by', sa.String(length=80), nullable=False),
                    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['allegation_id'], ['lado_allegation.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_lado_meeting_allegation_id'), 'lado_meeting', ['allegation_id'])
    op.create_index(op.f('ix_lado_meeting_case_id'), 'lado_meeting', ['case_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_lado_meeting_case_id'), table_name='lado_meeting')
    op.drop_index(op.f('ix_lado_meeting_allegation_id'), table_name='lado_meeting')
    op.drop_table('lado_meeting')
    for column in ('retain_until', 'outcome', 'sector', 'received_at', 'case_id'):
        op.drop_index(op.f(f'ix_lado_allegation_{column}'), table_name='lado_allegation')
    op.drop_table('lado_allegation')
