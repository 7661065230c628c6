"""unit aggregates: staff surveys' counts per unit × breakdown value × question × option
(surveys.fold.units), filled by the fold and by `palaute aggregates rebuild`

Existing staff responses are counted into the new table by `palaute aggregates rebuild` (the
upgrade does not read responses: run the rebuild once after it).

Revision ID: 0016_unit_aggregates
Revises: 0014_staff
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_unit_aggregates"
down_revision = "0014_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_aggregates",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("breakdown", sa.String(64), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("option", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_unit_aggregates_count_nonnegative")),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_unit_aggregates_survey_id_surveys")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_unit_aggregates_unit_id_units")),
        sa.PrimaryKeyConstraint("survey_id", "unit_id", "breakdown", "value", "question_id",
                                "option", name=op.f("pk_unit_aggregates")),
    )


def downgrade() -> None:
    op.drop_table("unit_aggregates")
