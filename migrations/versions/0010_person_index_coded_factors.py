"""person index (people, match proposals, merges, relationships) and coded presenting factors

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 21:33:50.711213
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('nhs_number', sa.String(length=10), nullable=True),
    sa.Column('gender', sa.String(length=1), nullable=True),
    sa.Column('ethnicity', sa.String(length=4), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('given_key', sa.String(length=16), nullable=False),
    sa.Column('family_key', sa.String(length=16), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['person.id'], name=op.f('fk_person_merged_into_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_date_of_birth'), ['date_of_birth'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index('ix_person_name_keys', ['family_key', 'given_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_nhs_number'), ['nhs_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_postcode'), ['postcode'], unique=False)

    op.create_table('person_relationship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('related_person_id', sa.Integer(), nullable=False),
    sa.Column('relationship', sa.String(length=30), nullable=False),
    sa.Column('source_case_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_relationship_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['related_person_id'], ['person.id'], name=op.f('fk_person_relationship_related_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_case_id'], ['mash_case.id'], name=op.f('fk_person_relationship_source_case_id_mash_case'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_relationship')),
    sa.UniqueConstraint('person_id', 'related_person_id', 'relationship', name=op.f('uq_person_relationship_person_id_related_person_id_relationship'))
    )
    with op.batch_alter_table('person_relationship', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_relationship_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_relationship_related_person_id'), ['related_person_id'], unique=False)

    op.create_table('subject_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_subject_match_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_subject_match_subject_id_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_match')),
    sa.UniqueConstraint('subject_id', 'person_id', name=op.f('uq_subject_match_subject_id_person_id'))
    )
    with op.batch_alter_table('subject_match', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_match_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_match_subject_id'), ['subject_id'], unique=False)

    op.create_table('person_merge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('into_person_id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('merged_by', sa.String(length=80), nullable=False),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unmerged_by', sa.String(length=80), nullable=True),
    sa.Column('unmerged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unmerge_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['into_person_id'], ['person.id'], name=op.f('fk_person_merge_into_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['match_id'], ['subject_match.id'], name=op.f('fk_person_merge_match_id_subject_match'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_merge_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_merge'))
    )
    with op.batch_alter_table('person_merge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_merge_into_person_id'), ['into_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_merge_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('mash_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presenting_factors', sa.JSON(), nullable=True))

    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nhs_number', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('gender', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_subject_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_subject_person_id_person'), 'person', ['person_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_subject_person_id_person'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_subject_person_id'))
        batch_op.drop_column('person_id')
        batch_op.drop_column('gender')
        batch_op.drop_column('nhs_number')

    with op.batch_alter_table('mash_case', schema=None) as batch_op:
        batch_op.drop_column('presenting_factors')

    with op.batch_alter_table('person_merge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_merge_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_merge_into_person_id'))

    op.drop_table('person_merge')
    with op.batch_alter_table('subject_match', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_match_subject_id'))
        batch_op.drop_index(batch_op.f('ix_subject_match_person_id'))

    op.drop_table('subject_match')
    with op.batch_alter_table('person_relationship', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_relationship_related_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_relationship_person_id'))

    op.drop_table('person_relationship')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_postcode'))
        batch_op.drop_index(batch_op.f('ix_person_nhs_number'))
        batch_op.drop_index('ix_person_name_keys')
        batch_op.drop_index(batch_op.f('ix_person_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_person_date_of_birth'))

    op.drop_table('person')
