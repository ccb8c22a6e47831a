"""The coordinator's day: gaps and loneliness (issue 13): reserved, filled in by that work

Revision ID: 0016
Revises: 0015
"""

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
