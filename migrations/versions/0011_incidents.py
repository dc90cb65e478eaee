"""incidents: timer incidents become one table for every step that failed, with held task answers

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_COMMON = ('id', 'case_id', 'attempts', 'error', 'element_id', 'first_failed_at', 'last_failed_at', 'raised_at',
           'resolved_at', 'resolved_by')


def upgrade() -> None:
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('task_name', sa.String(length=200), nullable=True),
    sa.Column('submission', sa.Text(), nullable=True),
    sa.Column('submitted_by', sa.String(length=80), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=80), nullable=True),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], name=op.f('fk_incident_case_id_mash_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_task_id'), ['task_id'], unique=False)
        batch_op.create_index('ix_incident_open', ['resolved_at', 'raised_at'], unique=False)
    columns = ', '.join(_COMMON)
    op.execute(f"INSERT INTO incident ({columns}, kind, resolution) "
               f"SELECT {columns}, 'timer', CASE WHEN resolved_at IS NULL THEN NULL ELSE 'fired' END FROM timer_incident")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('incident', 'id'), COALESCE((SELECT MAX(id) FROM incident), 0) + 1, false)")
    with op.batch_alter_table('timer_incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timer_incident_case_id'))
    op.drop_table('timer_incident')


def downgrade() -> None:
    op.create_table('timer_incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=True),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'], name=op.f('fk_timer_incident_case_id_mash_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timer_incident'))
    )
    with op.batch_alter_table('timer_incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timer_incident_case_id'), ['case_id'], unique=False)
    columns = ', '.join(_COMMON)
    op.execute(f"INSERT INTO timer_incident ({columns}) SELECT {columns} FROM incident WHERE kind = 'timer'")
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_open')
        batch_op.drop_index(batch_op.f('ix_incident_task_id'))
        batch_op.drop_index(batch_op.f('ix_incident_case_id'))
    op.drop_table('incident')
