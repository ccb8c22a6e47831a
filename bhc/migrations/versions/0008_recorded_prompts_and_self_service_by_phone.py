"""recorded prompts and self-service by phone (issue 7)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'recorded_prompts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_key', sa.String(length=40), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('audio', sa.LargeBinary(), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                                name=op.f('fk_recorded_prompts_uploaded_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recorded_prompts')),
        sa.UniqueConstraint('message_key', 'language',
                            name=op.f('uq_recorded_prompts_message_key')),
    )
    with op.batch_alter_table('recorded_prompts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recorded_prompts_language'), ['language'],
                              unique=False)
    op.create_table(
        'registration_callbacks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=True),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('done_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['done_by_id'], ['users.id'],
                                name=op.f('fk_registration_callbacks_done_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'],
                                name=op.f('fk_registration_callbacks_neighbourhood_id_neighbourhoods')),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                                name=op.f('fk_registration_callbacks_participant_id_participants'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_callbacks')),
    )
    with op.batch_alter_table('registration_callbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_callbacks_neighbourhood_id'),
                              ['neighbourhood_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('registration_callbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_callbacks_neighbourhood_id'))
    op.drop_table('registration_callbacks')
    with op.batch_alter_table('recorded_prompts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recorded_prompts_language'))
    op.drop_table('recorded_prompts')
