"""A caller who hangs up just after the volunteer's 1, and queues tidied (left over from issue
17, "Real Twilio")

``help_requests.caller_ended_at`` (the caller's call ended) and ``call_legs.bridge_failed_at``
(the winner's <Dial><Queue> found nobody) together tell a caller gone before the bridge.
``carrier_queues`` holds every queue of ours the carrier told us of (by its QueueSid), with
when its deletion was last asked and when it was done, so each is deleted once and a failed
deletion is tried again; it replaces ``help_requests.queue_sid``, whose queues not yet deleted
move into it.

Revision ID: 0018
Revises: 0017
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('help_requests') as batch:
        batch.add_column(sa.Column('caller_ended_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('call_legs') as batch:
        batch.add_column(sa.Column('bridge_failed_at', sa.DateTime(), nullable=True))
    queues = op.create_table(
        'carrier_queues',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sid', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('reconnection_id', sa.Integer(), nullable=True),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.Column('wait_ended_at', sa.DateTime(), nullable=True),
        sa.Column('tried_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'],
                                name=op.f('fk_carrier_queues_request_id_help_requests'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['reconnection_id'], ['reconnections.id'],
                                name=op.f('fk_carrier_queues_reconnection_id_reconnections'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_queues')),
        sa.UniqueConstraint('sid', name=op.f('uq_carrier_queues_sid')),
    )
    op.create_index('ix_carrier_queues_not_deleted', 'carrier_queues', ['id'],
                    sqlite_where=sa.text('deleted_at IS NULL'),
                    postgresql_where=sa.text('deleted_at IS NULL'))
    bind = op.get_bind()
    pending = bind.execute(sa.text(
        "SELECT id, queue_sid FROM help_requests WHERE queue_sid IS NOT NULL")).all()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if pending:
        op.bulk_insert(queues, [
            {'sid': sid, 'name': f'request-{request_id}', 'request_id': request_id,
             'seen_at': now, 'wait_ended_at': now} for request_id, sid in pending])
    op.drop_index('ix_help_requests_queue_sid', table_name='help_requests')
    with op.batch_alter_table('help_requests') as batch:
        batch.drop_column('queue_sid')


def downgrade() -> None:
    with op.batch_alter_table('help_requests') as batch:
        batch.add_column(sa.Column('queue_sid', sa.String(length=64), nullable=True))
    op.create_index('ix_help_requests_queue_sid', 'help_requests', ['queue_sid'],
                    sqlite_where=sa.text('queue_sid IS NOT NULL'),
                    postgresql_where=sa.text('queue_sid IS NOT NULL'))
    op.execute(
        "UPDATE help_requests SET queue_sid = (SELECT q.sid FROM carrier_queues q "
        "WHERE q.request_id = help_requests.id AND q.deleted_at IS NULL "
        "ORDER BY q.id DESC LIMIT 1)")
    op.drop_index('ix_carrier_queues_not_deleted', table_name='carrier_queues')
    op.drop_table('carrier_queues')
    with op.batch_alter_table('call_legs') as batch:
        batch.drop_column('bridge_failed_at')
    with op.batch_alter_table('help_requests') as batch:
        batch.drop_column('caller_ended_at')
