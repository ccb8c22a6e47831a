"""an engine for a city (issue 11): one queue of outbound calls, paced across engine processes

Every outbound call waits in ``outbound_calls`` for its turn (priority, then its place in its
wave) and is claimed by the engine that places it; ``carrier_pace`` holds the account's next
free moment, shared by every engine process, so together they keep within
``[twilio] calls_per_second``. ``engine_processes.alive_at`` is written every second by each
process, so the others reclaim a placement only from an engine that is gone.

Calls that were being placed when the previous version stopped may or may not have gone out:
they count as interrupted, as that version's own restart did (nobody is phoned twice).

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbound_calls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('not_before', sa.Float(), nullable=False),
        sa.Column('to_number', sa.String(length=32), nullable=False),
        sa.Column('from_number', sa.String(length=32), nullable=False),
        sa.Column('answer_url', sa.String(length=500), nullable=False),
        sa.Column('status_url', sa.String(length=500), nullable=False),
        sa.Column('detection_url', sa.String(length=500), nullable=True),
        sa.Column('enqueued_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_by', sa.String(length=32), nullable=True),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_calls')),
        sa.UniqueConstraint('kind', 'ref_id', name=op.f('uq_outbound_calls_kind')),
    )
    op.create_index('ix_outbound_calls_turn', 'outbound_calls',
                    ['claimed_by', 'priority', 'position', 'id'])
    op.create_table(
        'carrier_pace',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_pace')),
    )
    op.execute("INSERT INTO carrier_pace (id, next_at) VALUES (1, 0)")
    with op.batch_alter_table('engine_processes') as batch:
        batch.add_column(sa.Column('alive_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE call_legs SET status = 'failed', outcome = 'failed', "
               "error = 'interrupted by the upgrade', ended_at = placed_at "
               "WHERE status = 'placing'")
    op.execute("UPDATE follow_ups SET state = 'unreachable', outcome = 'interrupted' "
               "WHERE state = 'placing'")
    op.execute("UPDATE sign_ups SET call_sid = 'failed', call_status = 'failed' "
               "WHERE call_sid = 'placing'")


def downgrade() -> None:
    with op.batch_alter_table('engine_processes') as batch:
        batch.drop_column('alive_at')
    op.drop_table('carrier_pace')
    op.drop_index('ix_outbound_calls_turn', table_name='outbound_calls')
    op.drop_table('outbound_calls')
