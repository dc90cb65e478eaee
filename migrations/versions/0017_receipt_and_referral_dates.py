"""receipt and referral dates: when a contact was typed in (apart from when it was received), why its receipt
time was stated, and the referral date the decision recorded

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mash_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('typed_in_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('referral_at', sa.DateTime(timezone=True), nullable=True))
    # Every contact so far was typed in when it was received.
    op.execute(sa.text('UPDATE mash_case SET typed_in_at = received_at'))
    with op.batch_alter_table('mash_case', schema=None) as batch_op:
        batch_op.alter_column('typed_in_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index('ix_mash_case_referral_at', ['referral_at'], unique=False)
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_at_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('received_at_reason')
    with op.batch_alter_table('mash_case', schema=None) as batch_op:
        batch_op.drop_index('ix_mash_case_referral_at')
        batch_op.drop_column('referral_at')
        batch_op.drop_column('typed_in_at')
