"""case state compressed with lz4 on PostgreSQL: every step rewrites a case's serialized workflow (30-55 KB of
JSON, stored out of line), and PostgreSQL's default compression (pglz) took about half a millisecond of each
write; lz4 takes a fifth of that and stores it smaller. Values written before keep pglz until rewritten (the next
step). A server built without lz4, and SQLite, are left as they are.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return False
    return bool(bind.execute(sa.text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")).scalar())


def upgrade() -> None:
    if _lz4_available():
        op.execute('ALTER TABLE mash_case ALTER COLUMN state SET COMPRESSION lz4')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE mash_case ALTER COLUMN state SET COMPRESSION default')
