"""The coordinator's day: needs attention (issue 13)

One row per resident or volunteer a coordinator should phone: raised from what happened (a
request unmatched or abandoned on hold, an expired call-back, a follow-up "not helped", a
caller asking to sign up, a volunteer who stopped by phone or never answers), closed with a
short note.

Revision ID: 0015
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attention_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=True),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('raised_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('resolution', sa.String(length=20), nullable=True),
        sa.Column('note', sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'],
                                name=op.f('fk_attention_items_closed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'],
                                name=op.f('fk_attention_items_neighbourhood_id_neighbourhoods')),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                                name=op.f('fk_attention_items_participant_id_participants'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'],
                                name=op.f('fk_attention_items_request_id_help_requests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attention_items')),
        sa.UniqueConstraint('kind', 'ref_id', name=op.f('uq_attention_items_kind')),
    )
    op.create_index('ix_attention_items_open', 'attention_items',
                    ['closed_at', 'neighbourhood_id'])
    op.create_index('ix_attention_items_raised', 'attention_items',
                    ['raised_at', 'neighbourhood_id'])
    op.create_index(op.f('ix_attention_items_participant_id'), 'attention_items',
                    ['participant_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_attention_items_participant_id'), table_name='attention_items')
    op.drop_index('ix_attention_items_raised', table_name='attention_items')
    op.drop_index('ix_attention_items_open', table_name='attention_items')
    op.drop_table('attention_items')
