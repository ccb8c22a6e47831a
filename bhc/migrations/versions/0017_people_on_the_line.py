"""For the people on the line (issue 14): speech and menu order per neighbourhood, more time
for a participant, and reconnections to the neighbour of a match

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('neighbourhoods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('speech_input', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('menu_by_demand', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_more_time', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'reconnections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('match_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('call_sid', sa.String(length=64), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('other_call_sid', sa.String(length=64), nullable=True),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('placed_at', sa.DateTime(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('stop_requested_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['match_id'], ['matches.id'],
                                name=op.f('fk_reconnections_match_id_matches'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['participants.id'],
                                name=op.f('fk_reconnections_requested_by_id_participants'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reconnections')),
    )
    with op.batch_alter_table('reconnections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconnections_match_id'), ['match_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reconnections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconnections_match_id'))
    op.drop_table('reconnections')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('needs_more_time')
    with op.batch_alter_table('neighbourhoods', schema=None) as batch_op:
        batch_op.drop_column('menu_by_demand')
        batch_op.drop_column('speech_input')
