"""Run it for real (issue 12): alerts, one row per incident the office is mailed about

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('error', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'],
                                name=op.f('fk_alerts_request_id_help_requests'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
        sa.UniqueConstraint('kind', 'key', name='uq_alerts_kind_key'),
    )
    op.create_index(op.f('ix_alerts_opened_at'), 'alerts', ['opened_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_alerts_opened_at'), table_name='alerts')
    op.drop_table('alerts')
