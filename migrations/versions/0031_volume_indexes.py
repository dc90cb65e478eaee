"""volume indexes: the inbox's whole order in one index (deep pages read from the index alone, never sorted), and
partial indexes that let the SLA wall count breached, at-risk and on-track cases from index ranges instead of
testing every open case's row

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 02:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_open_task_inbox_order', 'open_task', ['role', 'due_at', 'created_at', 'task_id'])
    op.drop_index('ix_open_task_role_due_at', table_name='open_task')
    flagged, unflagged = sa.text('breached'), sa.text('NOT breached')
    op.create_index('ix_sla_case_flagged', 'sla_case', ['rag'], postgresql_where=flagged, sqlite_where=flagged)
    op.create_index('ix_sla_case_unflagged_due', 'sla_case', ['next_due', 'rag'],
                    postgresql_where=unflagged, sqlite_where=unflagged)
    op.create_index('ix_sla_case_unflagged_risk', 'sla_case', ['risk_from', 'next_due', 'rag'],
                    postgresql_where=unflagged, sqlite_where=unflagged)


def downgrade() -> None:
    op.drop_index('ix_sla_case_unflagged_risk', table_name='sla_case')
    op.drop_index('ix_sla_case_unflagged_due', table_name='sla_case')
    op.drop_index('ix_sla_case_flagged', table_name='sla_case')
    op.create_index('ix_open_task_role_due_at', 'open_task', ['role', 'due_at'])
    op.drop_index('ix_open_task_inbox_order', table_name='open_task')
