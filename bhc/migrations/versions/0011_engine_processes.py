"""engine processes and their heartbeats (issues 11 and 12)

Every engine process registers itself and writes its last step after each step, so that the
health check, the coordinators' banner and the other engines' crash recovery can tell a live
engine from a dead one.

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'engine_processes',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('last_step_at', sa.DateTime(), nullable=True),
        sa.Column('last_step_s', sa.Float(), nullable=True),
        sa.Column('stopped_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_engine_processes')),
    )
    op.create_index(op.f('ix_engine_processes_last_step_at'), 'engine_processes',
                    ['last_step_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_engine_processes_last_step_at'), table_name='engine_processes')
    op.drop_table('engine_processes')
