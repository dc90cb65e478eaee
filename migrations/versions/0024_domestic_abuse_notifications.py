"""domestic abuse notifications: a contact's type, and the notification's incident, people, DASH answers and triage

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every stored contact is a plain contact: it started the referral process.
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type', sa.String(length=40), server_default='contact', nullable=False))
    op.create_table('da_notification',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('incident_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('incident_location', sa.Text(), nullable=True),
                    sa.Column('officer_name', sa.String(length=200), nullable=True),
                    sa.Column('officer_number', sa.String(length=40), nullable=True),
                    sa.Column('victim_given_name', sa.String(length=100), nullable=True),
                    sa.Column('victim_family_name', sa.String(length=100), nullable=True),
                    sa.Column('victim_date_of_birth', sa.Date(), nullable=True),
                    sa.Column('victim_nhs_number', sa.String(length=20), nullable=True),
                    sa.Column('perpetrator_given_name', sa.String(length=100), nullable=True),
                    sa.Column('perpetrator_family_name', sa.String(length=100), nullable=True),
                    sa.Column('perpetrator_date_of_birth', sa.Date(), nullable=True),
                    sa.Column('perpetrator_nhs_number', sa.String(length=20), nullable=True),
                    sa.Column('risk_level', sa.String(length=10), nullable=False),
                    sa.Column('dash_ticks', sa.Integer(), nullable=False),
                    sa.Column('dash_answers', sa.JSON(), nullable=False),
                    sa.Column('escalation', sa.Boolean(), nullable=False),
                    sa.Column('pregnancy', sa.Boolean(), nullable=False),
                    sa.Column('table_decision', sa.String(length=20), nullable=True),
                    sa.Column('da_rule', sa.String(length=200), nullable=True),
                    sa.Column('triage_decision', sa.String(length=20), nullable=True),
                    sa.Column('triage_reason', sa.Text(), nullable=True),
                    sa.Column('triaged_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('triaged_by', sa.String(length=80), nullable=True),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('case_id'))
    op.create_index(op.f('ix_da_notification_received_at'), 'da_notification', ['received_at'])
    op.create_index(op.f('ix_da_notification_risk_level'), 'da_notification', ['risk_level'])
    op.create_table('da_child',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('notification_id', sa.Integer(), nullable=False),
                    sa.Column('position', sa.Integer(), nullable=False),
                    sa.Column('given_name', sa.String(length=100), nullable=True),
                    sa.Column('family_name', sa.String(length=100), nullable=True),
                    sa.Column('date_of_birth', sa.Date(), nullable=True),
                    sa.Column('school', sa.String(length=80), nullable=True),
                    sa.Column('present', sa.Boolean(), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['notification_id'], ['da_notification.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_da_child_case_id'), 'da_child', ['case_id'])
    op.create_index(op.f('ix_da_child_notification_id'), 'da_child', ['notification_id'])


def downgrade() -> None:
    op.drop_table('da_child')
    op.drop_table('da_notification')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('type')
