"""report indexes (issue 5)

Indexes that let the monthly report aggregate a month of 200,000 requests and 1,000,000 call
legs in well under a second (benchmarks/report.py): a covering index over a month's requests
(replacing the one on created_at alone, its prefix), a covering index of the match figures,
requests by caller and answered calls by volunteer.

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

ANSWERED = sa.text("answered_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index('ix_help_requests_created_at', table_name='help_requests')
    op.create_index('ix_help_requests_month', 'help_requests',
                    ['created_at', 'neighbourhood_id', 'category_slug', 'state', 'outcome',
                     'language', 'id'])
    op.create_index('ix_help_requests_caller_created', 'help_requests',
                    ['caller_id', 'created_at'])
    op.create_index('ix_call_legs_answered', 'call_legs', ['volunteer_id', 'placed_at'],
                    sqlite_where=ANSWERED, postgresql_where=ANSWERED)
    op.create_index('ix_matches_month_figures', 'matches',
                    ['request_id', 'time_to_match_s', 'volunteers_rung', 'asker_id',
                     'helper_id'])


def downgrade() -> None:
    op.drop_index('ix_matches_month_figures', table_name='matches')
    op.drop_index('ix_call_legs_answered', table_name='call_legs')
    op.drop_index('ix_help_requests_caller_created', table_name='help_requests')
    op.drop_index('ix_help_requests_month', table_name='help_requests')
    op.create_index('ix_help_requests_created_at', 'help_requests', ['created_at'])
