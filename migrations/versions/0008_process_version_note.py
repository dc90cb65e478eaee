"""process versions: the owner's note, how the version arrived, and rows that cannot change

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

from app.process_models.models import IMMUTABLE_DDL

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=True))
    for statement in IMMUTABLE_DDL[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS process_version_no_change ON process_version")
        op.execute("DROP FUNCTION IF EXISTS process_version_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS process_version_no_update")
        op.execute("DROP TRIGGER IF EXISTS process_version_no_delete")
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_column('source')
        batch_op.drop_column('note')
