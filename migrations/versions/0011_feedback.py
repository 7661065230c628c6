"""feedback: translation error reports and accessibility feedback, for administrators

Neither table holds a client address or a time finer than a day.

Revision ID: 0011_feedback
Revises: 0008_holding
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_feedback"
# Chained after the newest migration on main when this was written (0009_releases, itself on
# 0007): two heads would make `upgrade head` fail. The lead re-chains parallel branches.
down_revision = "0008_holding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translation_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("page", sa.String(300), nullable=False),
        sa.Column("problem", sa.String(2000), nullable=False),
        sa.Column("suggestion", sa.String(2000), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_translation_reports"),
    )
    op.create_table(
        "accessibility_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("page", sa.String(300), nullable=True),
        sa.Column("message", sa.String(4000), nullable=False),
        sa.Column("contact", sa.String(300), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accessibility_feedback"),
    )


def downgrade() -> None:
    op.drop_table("accessibility_feedback")
    op.drop_table("translation_reports")
