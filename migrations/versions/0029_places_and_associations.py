"""places and associations: the person index learns places and the links between children, adults of concern
and places (issue 22, exploitation)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 21:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'place',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('address', sa.String(length=500), nullable=True),
        sa.Column('postcode', sa.String(length=8), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_place_name_postcode', 'place', ['name_key', 'postcode'])
    op.create_index(op.f('ix_place_postcode'), 'place', ['postcode'])
    op.create_table(
        'person_association',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('child_person_id', sa.Integer(), nullable=False),
        sa.Column('adult_person_id', sa.Integer(), nullable=True),
        sa.Column('place_id', sa.Integer(), nullable=True),
        sa.Column('link', sa.String(length=30), nullable=False),
        sa.Column('seen_on', sa.Date(), nullable=False),
        sa.Column('source_case_id', sa.Integer(), nullable=True),
        sa.Column('agency', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('recorded_by', sa.String(length=80), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sa.String(length=80), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['child_person_id'], ['person.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['adult_person_id'], ['person.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['place_id'], ['place.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['source_case_id'], ['mash_case.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    for column in ('child_person_id', 'adult_person_id', 'place_id', 'seen_on', 'source_case_id', 'status'):
        op.create_index(op.f(f'ix_person_association_{column}'), 'person_association', [column])


def downgrade() -> None:
    op.drop_table('person_association')
    op.drop_table('place')
