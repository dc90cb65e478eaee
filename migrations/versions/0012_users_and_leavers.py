"""users and leavers: e-mail, one-time passwords, last sign-in, sign-in steps, the second factor, and the
throttle's per (username, address) scope

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('last_signed_in_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=True))
    # Counters are short-lived (15 minutes): the old per-username locks are simply forgotten.
    op.execute(sa.text('DELETE FROM login_throttle'))
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.alter_column('scope', existing_type=sa.String(length=10), type_=sa.String(length=20),
                              existing_nullable=False)
    op.create_table('second_factor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_encrypted', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_second_factor_user_id_user_account'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factor')),
    sa.UniqueConstraint('user_id', name=op.f('uq_second_factor_user_id'))
    )
    op.create_table('second_factor_role',
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('required_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('required_by', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('role', name=op.f('pk_second_factor_role'))
    )


def downgrade() -> None:
    op.drop_table('second_factor_role')
    op.drop_table('second_factor')
    op.execute(sa.text('DELETE FROM login_throttle'))
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.alter_column('scope', existing_type=sa.String(length=20), type_=sa.String(length=10),
                              existing_nullable=False)
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('stage')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('deactivated_at')
        batch_op.drop_column('last_signed_in_at')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('email')
