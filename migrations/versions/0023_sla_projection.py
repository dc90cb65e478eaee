"""sla projection: one row per open case with its earliest unmet deadline, so the SLA wall counts and pages
without grouping every deadline row

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

#: The same rows app.deadlines.tracking.rebuild_sla_projection writes (kept as SQL: a migration does not import app).
FILL = """
INSERT INTO sla_case (case_id, rag, received_at, next_due, risk_from, breached)
SELECT c.id, c.rag, c.received_at, MIN(d.due_at), MIN(d.at_risk_at),
       COALESCE(MAX(CASE WHEN d.breached_at IS NOT NULL THEN 1 ELSE 0 END), 0) = 1
FROM mash_case c LEFT JOIN deadline d ON d.case_id = c.id AND d.met_at IS NULL AND d.cancelled_at IS NULL
WHERE c.status = 'open'
GROUP BY c.id, c.rag, c.received_at
"""


def upgrade() -> None:
    op.create_table('sla_case',
                    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('rag', sa.String(length=10), nullable=True),
                    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('next_due', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('risk_from', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('breached', sa.Boolean(), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['mash_case.id'],
                                            name=op.f('fk_sla_case_case_id_mash_case'), ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_sla_case')))
    op.create_index('ix_sla_case_order', 'sla_case', ['next_due', 'received_at', 'case_id'])
    op.create_index('ix_sla_case_rag_order', 'sla_case', ['rag', 'next_due', 'received_at', 'case_id'])
    op.execute(FILL)
    op.create_index('ix_open_task_role_name', 'open_task', ['role', 'name'])


def downgrade() -> None:
    op.drop_index('ix_open_task_role_name', table_name='open_task')
    op.drop_table('sla_case')
