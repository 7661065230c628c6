"""quarantine: responses the fold could not count (dead letters), kept out of the aggregates
with the error, until an operator requeues them (`palaute aggregates quarantine`)

Revision ID: 0008_quarantine
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008_quarantine"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantined_responses",
        sa.Column("response_id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        # The response itself: out of the holding table (or `responses`) until requeued.
        sa.Column("region_code", sa.String(length=2), nullable=False),
        sa.Column("lang", sa.String(length=3), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("error_type", sa.String(length=100), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("quarantined_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"],
                                name=op.f("fk_quarantined_responses_region_code_regions")),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE",
                                name=op.f("fk_quarantined_responses_survey_id_surveys")),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_quarantined_responses")),
        # No rowid on SQLite: the table is ordered by the random response id, not by arrival.
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_quarantined_responses_survey_id"), "quarantined_responses",
                    ["survey_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_quarantined_responses_survey_id"), table_name="quarantined_responses")
    op.drop_table("quarantined_responses")
