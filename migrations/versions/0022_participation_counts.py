"""participation_counts: HR's invitations page shows respondents per unit as counted once a
day (and changed only by nobody or by at least the threshold), never the live spent flags

Revision ID: 0022_participation_counts
Revises: 0021_mail_claims
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_participation_counts"
down_revision = "0021_mail_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participation_counts",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_participation_counts_survey_id_surveys")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE",
                                name=op.f("fk_participation_counts_unit_id_units")),
        sa.PrimaryKeyConstraint("survey_id", "counted_on", "unit_id",
                                name=op.f("pk_participation_counts")),
    )


def downgrade() -> None:
    op.drop_table("participation_counts")
