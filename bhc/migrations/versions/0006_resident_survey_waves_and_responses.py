"""resident survey waves and responses (issue 6)

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('survey_waves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_survey_waves_neighbourhood_id_neighbourhoods')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_waves')),
    sa.UniqueConstraint('neighbourhood_id', 'label', name=op.f('uq_survey_waves_neighbourhood_id'))
    )
    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('respondent', sa.String(length=64), nullable=False),
    sa.Column('used_exchange', sa.String(length=10), nullable=False),
    sa.Column('knows_exchange', sa.Boolean(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('cohesion', sa.Float(), nullable=True),
    sa.Column('solidarity', sa.Float(), nullable=True),
    sa.Column('liveability', sa.Float(), nullable=True),
    sa.Column('informal_care', sa.Float(), nullable=True),
    sa.Column('self_reliance', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['wave_id'], ['survey_waves.id'], name=op.f('fk_survey_responses_wave_id_survey_waves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    sa.UniqueConstraint('wave_id', 'respondent', name=op.f('uq_survey_responses_wave_id'))
    )


def downgrade() -> None:
    op.drop_table('survey_responses')
    op.drop_table('survey_waves')
