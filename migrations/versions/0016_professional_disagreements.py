"""professional disagreements: who disputed a contact's RAG rating or outcome, and how it was resolved

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('professional_disagreement',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('task_id', sa.String(length=36), nullable=True),
                    sa.Column('raised_by', sa.String(length=80), nullable=False),
                    sa.Column('raised_by_role', sa.String(length=40), nullable=False),
                    sa.Column('raised_by_agency', sa.String(length=80), nullable=True),
                    sa.Column('disputed', sa.String(length=20), nullable=False),
                    sa.Column('rag_at_raising', sa.String(length=10), nullable=True),
                    sa.Column('outcome_at_raising', sa.String(length=40), nullable=True),
                    sa.Column('view', sa.Text(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('resolved_by', sa.String(length=80), nullable=True),
                    sa.Column('resolution', sa.String(length=30), nullable=True),
                    sa.Column('resolution_rationale', sa.Text(), nullable=True),
                    sa.Column('changed_to', sa.Text(), nullable=True),
                    sa.Column('escalated_to', sa.Text(), nullable=True),
                    sa.Column('disputing_party_told', sa.String(length=10), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_professional_disagreement_case_id'), 'professional_disagreement', ['case_id'])
    op.create_index(op.f('ix_professional_disagreement_task_id'), 'professional_disagreement', ['task_id'])


def downgrade() -> None:
    op.drop_table('professional_disagreement')
