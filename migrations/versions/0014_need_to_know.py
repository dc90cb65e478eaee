"""need to know: agency returns released by their owner inside the hub, and break-glass access

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('return_release',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('return_id', sa.Integer(), nullable=False),
                    sa.Column('from_agency', sa.String(length=40), nullable=False),
                    sa.Column('to_agency', sa.String(length=40), nullable=False),
                    sa.Column('released_by', sa.String(length=80), nullable=False),
                    sa.Column('released_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('withdrawn_by', sa.String(length=80), nullable=True),
                    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['return_id'], ['agency_return.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_return_release_case_to', 'return_release', ['case_id', 'to_agency'])
    op.create_index(op.f('ix_return_release_return_id'), 'return_release', ['return_id'])
    op.create_table('break_glass_access',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('username', sa.String(length=80), nullable=False),
                    sa.Column('reason', sa.String(length=40), nullable=False),
                    sa.Column('explanation', sa.Text(), nullable=True),
                    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('reviewed_by', sa.String(length=80), nullable=True),
                    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('review_outcome', sa.String(length=20), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_break_glass_access_user_case', 'break_glass_access', ['user_id', 'case_id'])
    op.create_index(op.f('ix_break_glass_access_case_id'), 'break_glass_access', ['case_id'])


def downgrade() -> None:
    op.drop_table('break_glass_access')
    op.drop_table('return_release')
