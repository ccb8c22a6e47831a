"""callbacks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:33:49.787562
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('round_started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('next_round_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('callback_call_sid', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.drop_column('callback_call_sid')
        batch_op.drop_column('next_round_at')
        batch_op.drop_column('round_started_at')
        batch_op.drop_column('callback_until')

