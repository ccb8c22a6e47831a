"""The coordinator's day: gaps and loneliness (issue 13): the De Jong Gierveld loneliness
scores of survey responses

Revision ID: 0016
Revises: 0015
"""

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

COLUMNS = ('loneliness', 'loneliness_emotional', 'loneliness_social')


def upgrade() -> None:
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
