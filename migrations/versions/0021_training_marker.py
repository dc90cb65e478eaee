"""training marker: the row that makes a database the training sandbox's own

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 11:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'training_marker',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_marker')),
    )


def downgrade() -> None:
    op.drop_table('training_marker')
