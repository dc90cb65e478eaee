"""hash-chained, append-only audit trail

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

from app.audit.chain import GENESIS, entry_hash
from app.audit.models import APPEND_ONLY_DDL
from app.core.db import UTCDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _chain_existing_rows() -> tuple[int, str]:
    """Chain the entries written before this migration, in the order they were written."""
    events = sa.table("audit_event", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger),
                      sa.column("at", UTCDateTime()), sa.column("user_id", sa.Integer),
                      sa.column("username", sa.String), sa.column("action", sa.String),
                      sa.column("case_id", sa.Integer), sa.column("task_id", sa.String),
                      sa.column("element_id", sa.String), sa.column("summary", sa.String),
                      sa.column("details", sa.JSON), sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
    connection = op.get_bind()
    seq, prev = 0, GENESIS
    rows = connection.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for row in rows:
        seq += 1
        digest = entry_hash(prev, seq=seq, at=row["at"], user_id=row["user_id"], username=row["username"],
                            action=row["action"], case_id=row["case_id"], task_id=row["task_id"],
                            element_id=row["element_id"], summary=row["summary"], details=row["details"])
        connection.execute(events.update().where(events.c.id == row["id"])
                           .values(seq=seq, prev_hash=prev, hash=digest))
        prev = digest
    return seq, prev


def upgrade() -> None:
    op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    seq, head = _chain_existing_rows()
    # The head exists from the start, so the first writers queue on it instead of racing to create it.
    op.execute(sa.text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, :seq, :hash)")
               .bindparams(seq=seq, hash=head))
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_seq'), ['seq'])
    for statement in APPEND_ONLY_DDL.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_event_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
    op.drop_table('audit_chain_head')
