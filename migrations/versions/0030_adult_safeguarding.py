"""adult safeguarding: the record of a concern about an adult at risk (Care Act 2014 section 42): consent and mental
capacity, the adult's wishes, the section 42 decision and the enquiry's outcome

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 21:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('adult_safeguarding',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('raised_from', sa.String(length=20), nullable=False),
                    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('children_case_id', sa.Integer(), nullable=True),
                    sa.Column('care_needs', sa.Text(), nullable=True),
                    sa.Column('abuse_kinds', sa.JSON(), nullable=True),
                    sa.Column('location_of_risk', sa.String(length=30), nullable=True),
                    sa.Column('source_of_risk', sa.String(length=30), nullable=True),
                    sa.Column('adult_aware', sa.Boolean(), nullable=True),
                    sa.Column('adult_consents_to_concern', sa.String(length=20), nullable=True),
                    sa.Column('consent_reason', sa.Text(), nullable=True),
                    sa.Column('consent', sa.String(length=20), nullable=True),
                    sa.Column('capacity', sa.String(length=20), nullable=True),
                    sa.Column('mca_principles', sa.JSON(), nullable=True),
                    sa.Column('capacity_note', sa.Text(), nullable=True),
                    sa.Column('advocate', sa.Boolean(), nullable=True),
                    sa.Column('outcomes_asked', sa.String(length=20), nullable=True),
                    sa.Column('desired_outcomes', sa.Text(), nullable=True),
                    sa.Column('override_reason', sa.Text(), nullable=True),
                    sa.Column('capacity_recorded_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('best_interests_decision', sa.Text(), nullable=True),
                    sa.Column('best_interests_consulted', sa.Text(), nullable=True),
                    sa.Column('best_interests_by', sa.String(length=200), nullable=True),
                    sa.Column('s42_duty_met', sa.Boolean(), nullable=True),
                    sa.Column('s42_decision', sa.String(length=20), nullable=True),
                    sa.Column('decision_rationale', sa.Text(), nullable=True),
                    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('decided_by', sa.String(length=80), nullable=True),
                    sa.Column('decision_due_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('risk_outcome', sa.String(length=20), nullable=True),
                    sa.Column('outcomes_met', sa.String(length=20), nullable=True),
                    sa.Column('actions_taken', sa.Text(), nullable=True),
                    sa.Column('concluded_on', sa.Date(), nullable=True),
                    sa.Column('concluded_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('concluded_by', sa.String(length=80), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['children_case_id'], ['mash_case.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_adult_safeguarding_case_id'), 'adult_safeguarding', ['case_id'])
    op.create_index(op.f('ix_adult_safeguarding_raised_at'), 'adult_safeguarding', ['raised_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_adult_safeguarding_raised_at'), table_name='adult_safeguarding')
    op.drop_index(op.f('ix_adult_safeguarding_case_id'), table_name='adult_safeguarding')
    op.drop_table('adult_safeguarding')
