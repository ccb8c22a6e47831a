"""The coordinator's day: attention, now, volunteers' figures (issue 13): reserved, filled in by that work

Revision ID: 0015
Revises: 0014
"""

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
