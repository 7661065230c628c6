"""aggregate totals: aggregates summed over months and languages, for fast default results;
an index covering the suppression table

Backfilled from `aggregates` in the same migration, so results stay identical.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aggregate_totals",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("option", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_aggregate_totals_count_nonnegative")),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"],
                                name=op.f("fk_aggregate_totals_region_code_regions")),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"],
                                name=op.f("fk_aggregate_totals_survey_id_surveys"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("survey_id", "region_code", "question_id", "option",
                                name=op.f("pk_aggregate_totals")),
    )
    op.create_index("ix_aggregates_answered", "aggregates",
                    ["survey_id", "question_id", "region_code", "month", "count"],
                    postgresql_where=sa.text("option = '*'"),
                    sqlite_where=sa.text("option = '*'"))
    op.execute(
        "INSERT INTO aggregate_totals (survey_id, region_code, question_id, option, count) "
        "SELECT survey_id, region_code, question_id, option, SUM(count) FROM aggregates "
        "GROUP BY survey_id, region_code, question_id, option"
    )


def downgrade() -> None:
    op.drop_index("ix_aggregates_answered", table_name="aggregates")
    op.drop_table("aggregate_totals")
