"""real Twilio (issue 17): first news of a call, request queues, calls to end

A volunteer's call counts its ring time from the carrier's first status callback
(``call_legs.first_news_at``), so a call waiting for the account's calls-per-second turn is not
taken for lost. A request remembers its carrier queue (``help_requests.queue_sid``) so the
engine can delete it once the request is over. ``calls_to_end`` holds calls an answering
machine took, for the engine to hang up.

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('call_legs') as batch:
        batch.add_column(sa.Column('first_news_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('help_requests') as batch:
        batch.add_column(sa.Column('queue_sid', sa.String(length=64), nullable=True))
    op.create_index('ix_help_requests_queue_sid', 'help_requests', ['queue_sid'],
                    sqlite_where=sa.text('queue_sid IS NOT NULL'),
                    postgresql_where=sa.text('queue_sid IS NOT NULL'))
    op.create_table(
        'calls_to_end',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_sid', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calls_to_end')),
        sa.UniqueConstraint('call_sid', name=op.f('uq_calls_to_end_call_sid')),
    )


def downgrade() -> None:
    op.drop_table('calls_to_end')
    op.drop_index('ix_help_requests_queue_sid', table_name='help_requests')
    with op.batch_alter_table('help_requests') as batch:
        batch.drop_column('queue_sid')
    with op.batch_alter_table('call_legs') as batch:
        batch.drop_column('first_news_at')
