"""process versions: the same files may be stored again as a new version (making an earlier version current)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 07:00:00
"""
from alembic import op

from app.process_models.models import IMMUTABLE_DDL

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _recreate_sqlite_triggers() -> None:
    """SQLite copies the table to change a constraint, and the copy has no triggers: put them back."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS process_version_no_update")
    op.execute("DROP TRIGGER IF EXISTS process_version_no_delete")
    for statement in IMMUTABLE_DDL["sqlite"]:
        op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_constraint('uq_process_version_content_hash', type_='unique')
        batch_op.create_index('ix_process_version_content_hash', ['content_hash'], unique=False)
    _recreate_sqlite_triggers()


def downgrade() -> None:
    # Only possible while no version repeats another's files.
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_index('ix_process_version_content_hash')
        batch_op.create_unique_constraint('uq_process_version_content_hash', ['content_hash'])
    _recreate_sqlite_triggers()
