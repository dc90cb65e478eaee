"""information sharing decisions and handling restrictions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sharing_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('recipient', sa.String(length=40), nullable=True),
    sa.Column('purpose', sa.String(length=60), nullable=True),
    sa.Column('what_shared', sa.JSON(), nullable=False),
    sa.Column('withheld', sa.JSON(), nullable=False),
    sa.Column('identities_protected', sa.Integer(), nullable=False),
    sa.Column('lawful_basis_art6', sa.String(length=60), nullable=True),
    sa.Column('condition_art9', sa.String(length=60), nullable=True),
    sa.Column('law_enforcement_part3', sa.Boolean(), nullable=False),
    sa.Column('consent_status', sa.String(length=20), nullable=False),
    sa.Column('reason_without_consent', sa.Text(), nullable=True),
    sa.Column('subject_informed', sa.Boolean(), nullable=True),
    sa.Column('subject_informed_reason', sa.Text(), nullable=True),
    sa.Column('product', sa.JSON(), nullable=True),
    sa.Column('decided_by', sa.String(length=80), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], name=op.f('fk_sharing_decision_case_id_mash_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sharing_decision'))
    )
    with op.batch_alter_table('sharing_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sharing_decision_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_sharing_decision_decided_at', ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_decision_task_id'), ['task_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sharing_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sharing_decision_task_id'))
        batch_op.drop_index('ix_sharing_decision_decided_at')
        batch_op.drop_index(batch_op.f('ix_sharing_decision_case_id'))
    op.drop_table('sharing_decision')
