"""candidate selection: adjacent neighbourhoods (issue 4)

A search may go on in the neighbourhoods next to the caller's once its own has no helpers left
([matching] widen_to_adjacent); which neighbourhoods border each other is stored here, in both
directions. Choosing candidates itself needs no new index: one query over
ix_participants_helpers and ix_call_legs_volunteer_placed (benchmarks/candidates.py).

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'adjacent_neighbourhoods',
        sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
        sa.Column('adjacent_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['neighbourhood_id'], ['neighbourhoods.id'],
            name=op.f('fk_adjacent_neighbourhoods_neighbourhood_id_neighbourhoods'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['adjacent_id'], ['neighbourhoods.id'],
            name=op.f('fk_adjacent_neighbourhoods_adjacent_id_neighbourhoods'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('neighbourhood_id', 'adjacent_id',
                                name=op.f('pk_adjacent_neighbourhoods')),
    )


def downgrade() -> None:
    op.drop_table('adjacent_neighbourhoods')
