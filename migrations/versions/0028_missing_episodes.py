"""missing episodes: police missing-person notifications, the return and the return home interview

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 21:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('missing_episode',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('person_id', sa.Integer(), nullable=True),
                    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('police_reference', sa.String(length=60), nullable=True),
                    sa.Column('officer_name', sa.String(length=200), nullable=True),
                    sa.Column('given_name', sa.String(length=100), nullable=True),
                    sa.Column('family_name', sa.String(length=100), nullable=True),
                    sa.Column('date_of_birth', sa.Date(), nullable=True),
                    sa.Column('nhs_number', sa.String(length=20), nullable=True),
                    sa.Column('address', sa.Text(), nullable=True),
                    sa.Column('looked_after', sa.Boolean(), nullable=False),
                    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('risk_grading', sa.String(length=20), nullable=False),
                    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('found_where', sa.Text(), nullable=True),
                    sa.Column('return_recorded_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('repeat_count', sa.Integer(), nullable=False),
                    sa.Column('repeat', sa.Boolean(), nullable=False),
                    sa.Column('interview_due_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('interview_offered', sa.Boolean(), nullable=True),
                    sa.Column('interview_offered_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('interview_offered_by', sa.String(length=200), nullable=True),
                    sa.Column('interview_accepted', sa.Boolean(), nullable=True),
                    sa.Column('interview_held', sa.Boolean(), nullable=True),
                    sa.Column('interview_held_on', sa.Date(), nullable=True),
                    sa.Column('interview_held_by', sa.String(length=200), nullable=True),
                    sa.Column('push_factors', sa.Text(), nullable=True),
                    sa.Column('pull_factors', sa.Text(), nullable=True),
                    sa.Column('exploitation_indicators', sa.JSON(), nullable=True),
                    sa.Column('interview_summary', sa.Text(), nullable=True),
                    sa.Column('strategy_decision', sa.String(length=30), nullable=True),
                    sa.Column('strategy_reason', sa.Text(), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('case_id'))
    op.create_index(op.f('ix_missing_episode_person_id'), 'missing_episode', ['person_id'])
    op.create_index(op.f('ix_missing_episode_received_at'), 'missing_episode', ['received_at'])
    op.create_index(op.f('ix_missing_episode_started_at'), 'missing_episode', ['started_at'])
    op.create_index(op.f('ix_missing_episode_risk_grading'), 'missing_episode', ['risk_grading'])


def downgrade() -> None:
    op.drop_table('missing_episode')
