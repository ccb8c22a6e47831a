"""quiet hours per neighbourhood and blocked numbers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:13:07.147113
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blocked_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('blocked_at', sa.DateTime(), nullable=False),
    sa.Column('blocked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['blocked_by_id'], ['users.id'], name=op.f('fk_blocked_numbers_blocked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocked_numbers')),
    sa.UniqueConstraint('number', name=op.f('uq_blocked_numbers_number'))
    )
    with op.batch_alter_table('neighbourhoods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_hours', sa.String(length=11), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('neighbourhoods', schema=None) as batch_op:
        batch_op.drop_column('quiet_hours')

    op.drop_table('blocked_numbers')
