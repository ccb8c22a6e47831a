"""public sign-ups and phone verification (issue 7)

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('neighbourhoods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_approve', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    op.create_table(
        'sign_ups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=30), nullable=False),
        sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('postcode', sa.String(length=10), nullable=False),
        sa.Column('house_number', sa.String(length=10), nullable=False),
        sa.Column('is_helper', sa.Boolean(), nullable=False),
        sa.Column('is_asker', sa.Boolean(), nullable=False),
        sa.Column('categories', sa.String(length=400), nullable=False),
        sa.Column('languages', sa.String(length=40), nullable=False),
        sa.Column('availability', sa.String(length=400), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('consent_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('code_nonce', sa.String(length=64), nullable=True),
        sa.Column('code_expires_at', sa.DateTime(), nullable=True),
        sa.Column('code_attempts', sa.Integer(), nullable=False),
        sa.Column('call_requested_at', sa.DateTime(), nullable=True),
        sa.Column('call_sid', sa.String(length=64), nullable=True),
        sa.Column('call_status', sa.String(length=20), nullable=True),
        sa.Column('verified_at', sa.DateTime(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('participant_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_sign_ups_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'],
                                name=op.f('fk_sign_ups_neighbourhood_id_neighbourhoods')),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                                name=op.f('fk_sign_ups_participant_id_participants'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_ups')),
    )
    with op.batch_alter_table('sign_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_ups_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_ups_neighbourhood_id'), ['neighbourhood_id'],
                              unique=False)
        batch_op.create_index('ix_sign_ups_phone_state', ['phone', 'state'], unique=False)

    op.create_table(
        'sign_up_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_up_attempts')),
    )
    with op.batch_alter_table('sign_up_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_sign_up_attempts_kind_at', ['kind', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_up_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_up_attempts_kind_at')
    op.drop_table('sign_up_attempts')
    with op.batch_alter_table('sign_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_ups_phone_state')
        batch_op.drop_index(batch_op.f('ix_sign_ups_neighbourhood_id'))
        batch_op.drop_index(batch_op.f('ix_sign_ups_state'))
    op.drop_table('sign_ups')
    with op.batch_alter_table('neighbourhoods', schema=None) as batch_op:
        batch_op.drop_column('auto_approve')
