"""follow-up calls (issue 6)

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.Column('last_called_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('helped', sa.Boolean(), nullable=True),
    sa.Column('wants_contact_again', sa.Boolean(), nullable=True),
    sa.Column('could_help', sa.Boolean(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['match_id'], ['matches.id'], name=op.f('fk_follow_ups_match_id_matches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('match_id', 'side', name=op.f('uq_follow_ups_match_id'))
    )
    op.create_index('ix_follow_ups_state_due_at', 'follow_ups', ['state', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_follow_ups_state_due_at', table_name='follow_ups')
    op.drop_table('follow_ups')
